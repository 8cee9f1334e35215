"""The sandbox's single source of truth: the four streams, their changes, and the events those
changes emit. All mutation happens on the server's event loop, so no locking is needed."""

import uuid
from collections.abc import Callable
from typing import Any

from flintt_pipeline.sandbox import generate
from flintt_pipeline.sandbox.config import SandboxConfig
from flintt_pipeline.sandbox.formats import iso_ms, now_ms, parse_iso_ms
from flintt_pipeline.sandbox.store import RecordStore

STREAMS = ("companies", "prospects", "signals", "runs")
EDITABLE_STREAMS = ("companies", "prospects", "signals")
CREATED_EVENTS = {"companies": "company.created", "prospects": "prospect.created"}
Record = dict[str, Any]
Emit = Callable[[str, Record], None]


class UnknownRecordError(LookupError):
    """No record with that id in that stream."""


class RunStateError(ValueError):
    """A run cannot move to the requested status from its current one."""


class Workspace:
    def __init__(self, *, config: SandboxConfig, emit: Emit) -> None:
        self.seed = config.seed
        self._emit = emit
        self.stores = {stream: RecordStore(newest_first=stream == "runs") for stream in STREAMS}
        # Results reference the generated companies; keeping these lists keeps results stable.
        self._company_ids: list[str] = []
        self._company_names: list[str] = []
        company_domains: list[str | None] = []
        for company in generate.companies(seed=config.seed, count=config.companies):
            self.stores["companies"].put(company)
            self._company_ids.append(company["id"])
            self._company_names.append(company["name"])
            company_domains.append(company["domain"])
        for prospect in generate.prospects(
            seed=config.seed,
            count=config.prospects,
            company_ids=self._company_ids,
            company_domains=company_domains,
        ):
            self.stores["prospects"].put(prospect)
        for signal in generate.signals(seed=config.seed, count=config.signals):
            self.stores["signals"].put(signal)
        # Deleted records, so that a test can bring one back with its id (Flintt's undo).
        self._deleted: dict[str, dict[str, Record]] = {stream: {} for stream in STREAMS}
        self._run_signal: dict[str, str] = {}
        self._runs_by_signal: dict[str, list[bytes]] = {}
        self._last_run_ms = generate.RUNS_START_MS
        for run in generate.runs(
            seed=config.seed,
            count=config.runs,
            signal_ids=self.stores["signals"].ids(),
            mean_results=config.mean_results,
        ):
            self._put_run(run)

    def create(self, stream: str, fields: Record) -> Record:
        record = {"id": str(uuid.uuid4()), **fields, "created_at": iso_ms(now_ms())}
        self.stores[stream].put(record)
        if stream in CREATED_EVENTS:
            self._emit(CREATED_EVENTS[stream], record)
        return record

    def get(self, stream: str, record_id: str) -> Record:
        record = self.stores[stream].get(record_id)
        if record is None:
            raise UnknownRecordError(record_id)
        return record

    def update(self, stream: str, record_id: str, changes: Record) -> Record:
        record = {**self.get(stream, record_id), **changes}
        self.stores[stream].put(record)
        return record

    def delete(self, stream: str, record_id: str) -> None:
        record = self.stores[stream].get(record_id)
        if record is None or not self.stores[stream].delete(record_id):
            raise UnknownRecordError(record_id)
        self._deleted[stream][record_id] = record
        if stream == "signals":
            for run_id in [run for run, signal in self._run_signal.items() if signal == record_id]:
                self.stores["runs"].delete(run_id)
                del self._run_signal[run_id]
        elif stream == "runs":
            del self._run_signal[record_id]
        self._runs_by_signal.clear()

    def restore(self, stream: str, record_id: str) -> Record:
        """Bring a deleted company, prospect or signal back as it was (a signal: without runs)."""
        record = self._deleted[stream].pop(record_id, None)
        if record is None:
            raise UnknownRecordError(record_id)
        self.stores[stream].put(record)
        return record

    def trigger(self, signal_id: str) -> Record:
        self.get("signals", signal_id)
        created = max(now_ms(), self._last_run_ms + 1)
        run = {
            "id": str(uuid.uuid4()),
            "signal_id": signal_id,
            "status": "pending",
            "results_count": 0,
            "completed_at": None,
            "created_at": iso_ms(created),
            "trigger": "manual",
        }
        self._put_run(run)
        return run

    def start(self, run_id: str) -> Record:
        return self._move_run(run_id, status="running", allowed_from=("pending",))

    def fail(self, run_id: str) -> Record:
        return self._move_run(run_id, status="failed", allowed_from=("pending", "running"))

    def complete(self, run_id: str, *, results: int) -> Record:
        run = self._move_run(
            run_id, status="completed", allowed_from=("pending", "running"), results_count=results
        )
        self._emit("signal.run.completed", run)
        for result in self.results(run):
            self._emit(
                "signal.run.result",
                {"run_id": run["id"], "signal_id": run["signal_id"], "result": result},
            )
        return run

    def runs_of(self, signal_id: str) -> list[bytes]:
        """The runs of one signal, newest first (cached until the runs change)."""
        cached = self._runs_by_signal.get(signal_id)
        if cached is None:
            runs = self.stores["runs"]
            cached = [
                runs.get_bytes(run_id) or b""
                for run_id in runs.ids()
                if self._run_signal[run_id] == signal_id
            ]
            self._runs_by_signal[signal_id] = cached
        return cached

    def results(self, run: Record) -> list[Record]:
        return generate.run_results(
            seed=self.seed,
            run=run,
            company_ids=self._company_ids,
            company_names=self._company_names,
        )

    def run_detail(self, run_id: str) -> Record:
        run = self.get("runs", run_id)
        return {**run, "results": self.results(run)}

    def all_run_results(self) -> dict[str, list[Record]]:
        return {
            run["id"]: self.results(run)
            for run in self.stores["runs"].records()
            if run["status"] == "completed"
        }

    def _put_run(self, run: Record) -> None:
        self.stores["runs"].put(run)
        self._run_signal[run["id"]] = run["signal_id"]
        self._last_run_ms = max(self._last_run_ms, parse_iso_ms(run["created_at"]))
        self._runs_by_signal.pop(run["signal_id"], None)

    def _move_run(
        self, run_id: str, *, status: str, allowed_from: tuple[str, ...], results_count: int = 0
    ) -> Record:
        run = self.get("runs", run_id)
        if run["status"] not in allowed_from:
            raise RunStateError(f"run {run_id} is {run['status']}; cannot become {status}")
        run["status"] = status
        run["results_count"] = results_count
        if status != "running":
            run["completed_at"] = iso_ms(now_ms())
        self.stores["runs"].put(run)
        self._runs_by_signal.pop(run["signal_id"], None)
        return run
