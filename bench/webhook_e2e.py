"""Benchmark: a webhook's way from the receiver's 202 to rows in the warehouse, under `dg dev`.

    uv run python bench/webhook_e2e.py [--rounds 5] [--results 8] [--json PATH] [--bytecode-cache]

Starts, each as its own process in its own session on 127.0.0.1 (free ports, one temporary
directory): the sandbox (the demo's workspace), the webhook receiver (its token obtained by
registering a webhook with the sandbox's management API under a placeholder URL, which is then
pointed at the receiver) and `uv run dg dev` from the repository root (DAGSTER_HOME a copy of
dagster_home/dagster.yaml; FLINTT_* pointing at the sandbox and the temporary directory). A full
`flintt-pipeline sync` first, so the webhook's runs sync is incremental.

Then each round triggers a sandbox run and completes it with K results, and measures from the
inbox's `received_at` of its `signal.run.completed` event (when the receiver answered 202) to
the `flintt_runs_job` run the sensor launched for it having succeeded, read from Dagster's own
timestamps through the webserver's GraphQL (the warehouse is not polled: even a read-only open
makes the run's writer wait). Once the run has succeeded, the run's rows in flintt.run_results
are counted once, read-only. Bounded: every wait has a deadline, the whole script stops after
~3 minutes plus 25 s a round, and every process group is killed at the end, whatever happened.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import httpx

from flintt_pipeline.lib.api.management import ManagementClient
from flintt_pipeline.sandbox.control_client import SandboxControl
from flintt_pipeline.webhooks.app import WEBHOOK_PATH
from flintt_pipeline.webhooks.events import KNOWN_EVENT_TYPES
from flintt_pipeline.webhooks.inbox import Inbox

REPO = Path(__file__).resolve().parents[1]
# The demo's workspace (flintt_pipeline/cli/demo.py DEMO_WORKSPACE).
SANDBOX_ARGS = ["--seed", "7", "--companies", "2000", "--prospects", "5000", "--signals", "40",
                "--runs", "400"]  # fmt: skip
SENSOR = "flintt_webhook_sensor"
JOB = "flintt_runs_job"
# Setup (sandbox, receiver, full sync, `dg dev`) and then each round within its own share.
SETUP_BUDGET_S = 170.0
ROUND_BUDGET_S = 25.0
ROUND_TIMEOUT_S = 75.0
T = TypeVar("T")


class BenchError(Exception):
    pass


# ---------------------------------------------------------------------------------- processes


@dataclass
class Proc:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(f"    {line}" for line in text[-lines:])


class Processes:
    """Every process started here, each the leader of its own session; `stop` kills each group."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.started: list[Proc] = []

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> Proc:
        log = self.workdir / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        proc = Proc(name, process, log)
        self.started.append(proc)
        return proc

    def check_alive(self) -> None:
        for proc in self.started:
            if proc.process.poll() is not None:
                raise BenchError(
                    f"{proc.name} exited with {proc.process.returncode}:\n{proc.tail()}"
                )

    def stop(self) -> list[str]:
        """SIGKILL each group (a backgrounded Dagster ignores SIGINT/SIGTERM); names the groups
        that still have members a few seconds later."""
        for proc in reversed(self.started):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.process.pid, signal.SIGKILL)
        for proc in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.process.wait(timeout=10)
        deadline = time.monotonic() + 5
        left = [proc for proc in self.started if _group_alive(proc.process.pid)]
        while left and time.monotonic() < deadline:
            time.sleep(0.2)
            left = [proc for proc in left if _group_alive(proc.process.pid)]
        return [f"{proc.name} (pgid {proc.process.pid})" for proc in left]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Budget:
    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def wait_for(
        self, what: str, probe: Callable[[], T | None], *, timeout: float, every: float = 0.2,
        processes: Processes | None = None,
    ) -> T:  # fmt: skip
        deadline = min(time.monotonic() + timeout, self.deadline)
        while True:
            if processes is not None:
                processes.check_alive()
            value = probe()
            if value is not None:
                return value
            if time.monotonic() > deadline:
                raise BenchError(f"timed out waiting for {what}")
            time.sleep(every)


def uv_run(*argv: str) -> list[str]:
    uv = shutil.which("uv")
    if uv is None:
        raise BenchError("uv is not on PATH")
    return [uv, "run", "--frozen", *argv]


# ------------------------------------------------------------------------------------ dagster


class Dagster:
    """The `dg dev` webserver's GraphQL."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=20.0, trust_env=False)
        self.location = ""

    def query(self, text: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.http.post("/graphql", json={"query": text, "variables": variables or {}})
        answer.raise_for_status()
        body = answer.json()
        if body.get("errors"):
            raise BenchError(f"GraphQL errors: {body['errors']}")
        return body["data"]

    def up(self) -> bool | None:
        try:
            return True if self.http.get("/server_info").is_success else None
        except httpx.TransportError:
            return None

    def loaded_location(self) -> str | None:
        data = self.query(
            "{ workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus"
            " locationOrLoadError { __typename ... on PythonError { message } } } } } }"
        )["workspaceOrError"]
        for entry in data.get("locationEntries", []):
            if entry["loadStatus"] != "LOADED":
                continue
            if entry["locationOrLoadError"]["__typename"] == "PythonError":
                raise BenchError(f"code location failed: {entry['locationOrLoadError']}")
            return entry["name"]
        return None

    def sensor_ticks(self, limit: int = 25) -> list[dict[str, Any]]:
        data = self.query(
            "query($s: SensorSelector!, $n: Int) { sensorOrError(sensorSelector: $s) {"
            " __typename ... on Sensor { sensorState { status"
            " ticks(limit: $n) { status timestamp endTimestamp runIds skipReason"
            " error { message } } } } } }",
            {
                "s": {"repositoryLocationName": self.location,
                      "repositoryName": "__repository__", "sensorName": SENSOR},
                "n": limit,
            },
        )["sensorOrError"]  # fmt: skip
        if data["__typename"] != "Sensor":
            raise BenchError(f"sensor {SENSOR} not found: {data}")
        state = data["sensorState"]
        if state["status"] != "RUNNING":
            raise BenchError(f"sensor {SENSOR} is {state['status']}, not RUNNING")
        return state["ticks"]

    def runs(self, *, created_after: float, webhook_only: bool = False) -> list[dict[str, Any]]:
        run_filter: dict[str, Any] = {"createdAfter": created_after}
        if webhook_only:
            run_filter |= {"pipelineName": JOB,
                           "tags": [{"key": "flintt/trigger", "value": "webhook"}]}  # fmt: skip
        data = self.query(
            "query($f: RunsFilter) { runsOrError(filter: $f, limit: 100) { __typename"
            " ... on Runs { results { runId jobName status creationTime startTime endTime"
            " tags { key value } } } } }",
            {"f": run_filter},
        )["runsOrError"]
        if data["__typename"] != "Runs":
            raise BenchError(f"runs query failed: {data}")
        return data["results"]

    def run_detail(self, run_id: str) -> dict[str, Any]:
        data = self.query(
            "query($id: ID!) { runOrError(runId: $id) { __typename ... on Run {"
            " runId status creationTime startTime endTime"
            " stepStats { stepKey status startTime endTime }"
            " eventConnection(limit: 5000) { events { __typename"
            " ... on MessageEvent { timestamp } } } } } }",
            {"id": run_id},
        )["runOrError"]
        if data["__typename"] != "Run":
            raise BenchError(f"run {run_id}: {data}")
        return data


def _tag(run: dict[str, Any], key: str) -> str | None:
    return next((tag["value"] for tag in run["tags"] if tag["key"] == key), None)


# --------------------------------------------------------------------------------- the bench


@dataclass
class Round:
    round: int
    run_id: str  # the sandbox's run
    dagster_run: str
    results: int
    rows: int
    deliver_s: float  # complete() called -> receiver's 202 (sandbox delivery; not in the total)
    tick_wait_s: float  # 202 -> the sensor tick that saw it started
    tick_s: float  # tick started -> run enqueued (sensor evaluation, run and its plan stored)
    queued_s: float  # enqueued -> the run coordinator launches it (STARTING)
    process_start_s: float  # STARTING -> run worker executing (spawn, imports, definitions)
    to_rows_s: float  # 202 -> flintt/run_results step done: the rows are committed
    run_s: float  # run worker executing -> run succeeded
    sync_steps_s: float  # flintt/runs + flintt/run_results steps
    model_steps_s: float  # analytics/* steps
    check_steps_s: float  # asset check steps
    total_s: float  # 202 -> run succeeded


def _event_time(detail: dict[str, Any], typename: str) -> float | None:
    stamps = [
        int(event["timestamp"]) / 1000
        for event in detail["eventConnection"]["events"]
        if event["__typename"] == typename and event.get("timestamp")
    ]
    return min(stamps) if stamps else None


def _wait_for_completed_event(
    budget: Budget, inbox: Inbox, run_id: str, after: int, processes: Processes
) -> tuple[int, float]:
    def probe() -> tuple[int, float] | None:
        for event in inbox.read_after(after, limit=10_000):
            data = event.payload.get("data") or {}
            if event.event_type == "signal.run.completed" and data.get("id") == run_id:
                return event.position, event.received_at.timestamp()
        return None

    return budget.wait_for(
        f"the signal.run.completed webhook of run {run_id}", probe, timeout=20, every=0.02,
        processes=processes,
    )  # fmt: skip


def _wait_idle(budget: Budget, dagster: Dagster, since: float, processes: Processes) -> None:
    """No run of any job queued or in progress (an earlier round's follow-up run, the automation
    sensor's, a reconcile schedule's), so each round starts from the same state."""
    unfinished = {"QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING"}

    def probe() -> bool | None:
        busy = [run for run in dagster.runs(created_after=since) if run["status"] in unfinished]
        return None if busy else True

    budget.wait_for("Dagster to be idle", probe, timeout=60, every=0.5, processes=processes)


def one_round(
    number: int, *, results: int, budget: Budget, dagster: Dagster, control: SandboxControl,
    inbox: Inbox, warehouse: Path, signal_id: str, since: float, processes: Processes,
) -> Round:  # fmt: skip
    _wait_idle(budget, dagster, since, processes)
    after = inbox.last_position()
    run = control.trigger(signal_id)
    called = time.time()
    control.complete(run["id"], results=results)
    position, received = _wait_for_completed_event(budget, inbox, run["id"], after, processes)

    def finished_run() -> dict[str, Any] | None:
        # The sensor's run covering the event: the first webhook run whose inbox position is at
        # or past the event's.
        covering = [
            r for r in dagster.runs(created_after=received - 1, webhook_only=True)
            if int(_tag(r, "flintt/inbox_position") or 0) >= position
        ]  # fmt: skip
        if not covering:
            return None
        first = min(covering, key=lambda r: int(_tag(r, "flintt/inbox_position") or 0))
        if first["status"] in ("FAILURE", "CANCELED"):
            raise BenchError(f"Dagster run {first['runId']} ended {first['status']}")
        return first if first["status"] == "SUCCESS" else None

    found = budget.wait_for(
        f"the sensor's {JOB} run for round {number}", finished_run, timeout=ROUND_TIMEOUT_S,
        every=0.5, processes=processes,
    )  # fmt: skip
    detail = dagster.run_detail(found["runId"])
    tick = next((t for t in dagster.sensor_ticks() if found["runId"] in t["runIds"]), None)
    if tick is None:
        raise BenchError(f"no sensor tick lists run {found['runId']}")

    # Read-only and closed at once: the next sync must not wait for this process.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [(rows,)] = con.execute(
            "SELECT count(*) FROM flintt.run_results WHERE run_id = ?", [run["id"]]
        ).fetchall()
    if rows != results:
        raise BenchError(f"round {number}: {rows} rows in flintt.run_results, expected {results}")

    steps = {step["stepKey"]: step for step in detail["stepStats"]}
    rows_step = steps.get("flintt__run_results")
    if rows_step is None or rows_step["endTime"] is None:
        raise BenchError(f"run {found['runId']} has no finished flintt__run_results step: {steps}")

    def spent(prefix: str) -> float:
        return sum(
            step["endTime"] - step["startTime"]
            for key, step in steps.items()
            if key.startswith(prefix) and step["startTime"] and step["endTime"]
        )

    started, ended = detail["startTime"], detail["endTime"]
    enqueued = _event_time(detail, "RunEnqueuedEvent")
    launched = _event_time(detail, "RunStartingEvent")
    if enqueued is None or launched is None:
        raise BenchError(f"run {found['runId']} has no enqueued/starting events")
    return Round(
        round=number, run_id=run["id"], dagster_run=found["runId"], results=results, rows=rows,
        deliver_s=received - called,
        tick_wait_s=tick["timestamp"] - received,
        tick_s=enqueued - tick["timestamp"],
        queued_s=launched - enqueued,
        process_start_s=started - launched,
        to_rows_s=rows_step["endTime"] - received,
        run_s=ended - started,
        sync_steps_s=spent("flintt__"),
        model_steps_s=spent("analytics__"),
        check_steps_s=spent("") - spent("flintt__") - spent("analytics__"),
        total_s=ended - received,
    )  # fmt: skip


def _print_rounds(rounds: list[Round]) -> None:
    columns = [
        ("round", "round", "{:d}"), ("tick wait", "tick_wait_s", "{:.2f}"),
        ("tick", "tick_s", "{:.2f}"), ("queued", "queued_s", "{:.2f}"),
        ("proc start", "process_start_s", "{:.2f}"), ("run", "run_s", "{:.2f}"),
        ("sync steps", "sync_steps_s", "{:.2f}"), ("model steps", "model_steps_s", "{:.2f}"),
        ("check steps", "check_steps_s", "{:.2f}"),
        ("202->rows", "to_rows_s", "{:.2f}"), ("202->success", "total_s", "{:.2f}"),
    ]  # fmt: skip
    print("| " + " | ".join(title for title, _, _ in columns) + " |")
    print("|" + "---|" * len(columns))
    for item in rounds:
        values = asdict(item)
        print("| " + " | ".join(fmt.format(values[key]) for _, key, fmt in columns) + " |")
    for label, pick in (("median", statistics.median), ("max", max)):
        cells = [label] + [
            fmt.format(pick([getattr(r, key) for r in rounds])) for _, key, fmt in columns[1:]
        ]
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, choices=range(1, 21), metavar="1..20")
    parser.add_argument("--results", type=int, default=8, help="results per completed run")
    parser.add_argument("--json", type=Path, default=None, help="also write the rounds here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--bytecode-cache", action="store_true", help="let every process cache compiled modules"
    )
    args = parser.parse_args()

    budget = Budget(SETUP_BUDGET_S + ROUND_BUDGET_S * args.rounds)
    workdir = Path(tempfile.mkdtemp(prefix="flintt-e2e-"))
    processes = Processes(workdir)
    base_env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for key in [k for k in base_env if k.startswith(("FLINTT_", "DAGSTER_"))]:
        del base_env[key]
    if args.bytecode_cache:
        # This machine sets PYTHONDONTWRITEBYTECODE=1 and uv installs no .pyc files, so every run
        # worker would compile Dagster afresh (~2 s), which no installed deployment pays; the full
        # sync below fills the cache.
        base_env.pop("PYTHONDONTWRITEBYTECODE", None)
        base_env["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")
    failed = False
    try:
        # 1. The sandbox; its URL and keys are the first lines it prints.
        sandbox = processes.start(
            "sandbox", uv_run("flintt-pipeline", "sandbox", "--port", "0", *SANDBOX_ARGS), base_env
        )

        def sandbox_settings() -> dict[str, str] | None:
            found = dict(
                line.split("=", 1)
                for line in sandbox.log.read_text(errors="replace").splitlines()
                if line.startswith("FLINTT_") and "=" in line
            )
            wanted = ("FLINTT_BASE_URL", "FLINTT_API_KEY", "FLINTT_MANAGEMENT_TOKEN")
            return found if all(key in found for key in wanted) else None

        settings = budget.wait_for("the sandbox", sandbox_settings, timeout=60, processes=processes)
        base_url = settings["FLINTT_BASE_URL"]
        print(f"sandbox at {base_url}  (workdir {workdir})", flush=True)

        inbox_path = workdir / "inbox.sqlite3"
        warehouse = workdir / "warehouse.duckdb"
        home = workdir / "dagster_home"
        home.mkdir()
        shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        flintt_env = {
            **base_env,
            "DAGSTER_HOME": str(home),
            "FLINTT_API_KEY": settings["FLINTT_API_KEY"],
            "FLINTT_BASE_URL": base_url,
            "FLINTT_DUCKDB_PATH": str(warehouse),
            "FLINTT_INBOX_PATH": str(inbox_path),
        }

        # 2. The receiver, with a token from registering a webhook under a placeholder URL.
        with ManagementClient(base_url=base_url, token=settings["FLINTT_MANAGEMENT_TOKEN"]) as api:
            record, token = api.create_webhook(
                url="http://127.0.0.1/", name="webhook e2e bench", events=KNOWN_EVENT_TYPES
            )
            receiver_port = free_port()
            processes.start(
                "receiver",
                uv_run("flintt-pipeline", "webhooks", "serve", "--host", "127.0.0.1",
                       "--port", str(receiver_port)),
                {**base_env, "FLINTT_WEBHOOK_TOKENS": token, "FLINTT_INBOX_PATH": str(inbox_path)},
            )  # fmt: skip
            receiver_url = f"http://127.0.0.1:{receiver_port}"

            def receiver_up() -> bool | None:
                try:
                    return True if httpx.get(receiver_url + "/healthz").is_success else None
                except httpx.TransportError:
                    return None

            budget.wait_for("the receiver", receiver_up, timeout=30, processes=processes)
            api.update_webhook(record["id"], url=receiver_url + WEBHOOK_PATH)
        print(f"receiver at {receiver_url}{WEBHOOK_PATH}, registered", flush=True)

        # 3. A full sync first, so the webhook's runs sync is incremental.
        started = time.monotonic()
        with (workdir / "sync.log").open("wb") as log:
            sync = subprocess.run(
                uv_run("flintt-pipeline", "sync"), cwd=REPO, env=flintt_env, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                timeout=min(120, budget.left()), check=False,
            )  # fmt: skip
        if sync.returncode != 0:
            raise BenchError(f"full sync failed:\n{(workdir / 'sync.log').read_text()[-3000:]}")
        print(f"full sync: {time.monotonic() - started:.1f} s", flush=True)

        # 4. dg dev, its sensor running.
        dagster_port = free_port()
        started = time.monotonic()
        processes.start(
            "dg-dev",
            uv_run("dg", "dev", "--host", "127.0.0.1", "--port", str(dagster_port)),
            flintt_env,
        )
        dagster = Dagster(f"http://127.0.0.1:{dagster_port}")
        budget.wait_for("the dg dev webserver", dagster.up, timeout=120, processes=processes)
        dagster.location = budget.wait_for(
            "the code location", dagster.loaded_location, timeout=60, processes=processes
        )
        budget.wait_for(
            f"a first {SENSOR} tick (the daemon is evaluating it)",
            lambda: dagster.sensor_ticks(limit=1) or None, timeout=60, every=0.5,
            processes=processes,
        )  # fmt: skip
        print(
            f"dg dev at {dagster.http.base_url} (location {dagster.location!r}), sensor ticking"
            f" after {time.monotonic() - started:.1f} s",
            flush=True,
        )

        # 5. The rounds.
        print("load average before the rounds: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        bench_start = time.time()
        rounds: list[Round] = []
        with SandboxControl(base_url=base_url) as control, Inbox(inbox_path) as inbox:
            signals = [s["id"] for s in control.state("signals") if s["status"] == "active"]
            for number in range(1, args.rounds + 1):
                if budget.left() < ROUND_TIMEOUT_S:
                    print(f"stopping after {len(rounds)} rounds: time budget spent")
                    break
                item = one_round(
                    number, results=args.results, budget=budget, dagster=dagster,
                    control=control, inbox=inbox, warehouse=warehouse,
                    signal_id=signals[number % len(signals)], since=bench_start,
                    processes=processes,
                )  # fmt: skip
                rounds.append(item)
                print(
                    f"round {number}: 202 -> rows {item.to_rows_s:.2f} s, -> success "
                    f"{item.total_s:.2f} s ({item.rows} rows)",
                    flush=True,
                )
            others = [
                f"{r['jobName']} {r['status']} trigger={_tag(r, 'flintt/trigger')}"
                for r in dagster.runs(created_after=bench_start)
                if r["runId"] not in {item.dagster_run for item in rounds}
            ]
        if not rounds:
            raise BenchError("no round finished")
        print(f"\nK = {args.results} results per run; seconds; {len(rounds)} rounds\n")
        _print_rounds(rounds)
        print(
            "\ndelivery (complete() -> 202, not in the totals): median "
            f"{statistics.median(r.deliver_s for r in rounds):.2f} s"
        )
        print(f"other runs during the rounds: {others or 'none'}")
        print("load average after the rounds: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(
                json.dumps({"rounds": [asdict(r) for r in rounds], "other_runs": others}, indent=2)
            )
    except (BenchError, subprocess.TimeoutExpired, httpx.HTTPError) as error:
        failed = True
        print(f"\nFAILED: {error}", file=sys.stderr)
        for proc in processes.started:
            print(f"--- {proc.name} log tail:\n{proc.tail()}", file=sys.stderr)
    finally:
        stragglers = processes.stop()
        if stragglers:
            print(f"WARNING: process groups still alive: {stragglers}", file=sys.stderr)
        if args.keep or failed:
            print(f"logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if failed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
