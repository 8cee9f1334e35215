"""What the sync tests share: a warehouse synced from a sandbox through Dagster, the comparison of
its live rows with the sandbox's truth, a fingerprint of every table, and workspace changes."""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from flintt_pipeline.defs.ingest.assets import raw_assets
from flintt_pipeline.defs.resources import FlinttApiResource, WarehouseResource
from flintt_pipeline.lib.warehouse import disagreeing_ids_sql
from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle

SMALL = SandboxConfig(seed=11, companies=40, prospects=80, signals=6, runs=50)
# The contract's columns per table, besides `id`, `_raw`, `_synced_at` and `_deleted_at`.
CONTRACT = {
    "companies": ("name", "domain", "linkedin_url", "created_at"),
    "prospects": ("name", "email", "title", "linkedin_url", "company_id", "created_at"),
    "signals": ("name", "description", "status", "schedule", "created_at"),
    "runs": ("signal_id", "status", "results_count", "completed_at"),
}
TIMESTAMPS = frozenset({"created_at", "completed_at"})


@dataclass
class Synced:
    """A sandbox, a warehouse file synced from it with the real assets and resources, and the
    ids this test deleted from the sandbox (which the warehouse must hold soft-deleted)."""

    sandbox: SandboxHandle
    database: str
    instance: dg.DagsterInstance
    deleted: dict[str, set[str]] = field(default_factory=lambda: {s: set() for s in CONTRACT})

    def sync(
        self,
        *,
        full_refresh: bool = False,
        api_key: str | None = None,
        **flintt: Any,
    ) -> dg.ExecuteInProcessResult:
        """Materialize the raw assets once; `flintt` overrides FlinttApiResource fields."""
        settings: dict[str, Any] = {"timeout_seconds": 10.0, "max_total_wait_seconds": 20.0}
        resources = {
            "flintt": FlinttApiResource(
                api_key=api_key or self.sandbox.api_key,
                base_url=self.sandbox.base_url,
                **(settings | flintt),
            ),
            "warehouse": WarehouseResource(database=self.database),
        }
        run_config = (
            {"ops": {"flintt__runs": {"config": {"full_refresh": True}}}} if full_refresh else {}
        )
        return dg.materialize(
            raw_assets,
            resources=resources,
            instance=self.instance,
            run_config=run_config,
            raise_on_error=False,
        )

    def sync_ok(self, **options: Any) -> dg.ExecuteInProcessResult:
        result = self.sync(**options)
        assert result.success, failures(result)
        return result


def sync_job() -> dg.JobDefinition:
    """The code location's sync job, for `dg.execute_job` (which needs it reconstructable)."""
    from flintt_pipeline.definitions import defs

    return defs().resolve_job_def("flintt_sync_job")


def failures(result: dg.ExecuteInProcessResult | dg.JobExecutionResult) -> list[str]:
    """Each failed step and its one-line reason."""
    lines = []
    for event in result.all_events:
        if event.is_step_failure:
            data = event.step_failure_data
            user = data.user_failure_data
            reason = user.description if user is not None else (data.error and data.error.message)
            lines.append(f"{event.step_key}: {reason}")
    return lines


def retries_reported(result: dg.ExecuteInProcessResult) -> int:
    """The client retries every sync step reported in its table's materialization metadata (a
    history table's materialization, from the same step, does not repeat them)."""
    return sum(
        event.materialization.metadata["retries"].value
        for event in result.get_asset_materialization_events()
        if "retries" in event.materialization.metadata
    )


def _value(column: str, value: Any) -> Any:
    if column in TIMESTAMPS and isinstance(value, str):
        return datetime.fromisoformat(value)
    return value


def _connect(database: str) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(database, read_only=True)
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def mirror_problems(
    database: str, sandbox: SandboxHandle, *, deleted: dict[str, set[str]] | None = None
) -> list[str]:
    """How the warehouse's live rows differ from the sandbox's state (empty: they agree).

    Every contract column and `_raw` is compared; no id may appear twice; the soft-deleted rows
    must be exactly `deleted` (when given); run_results of live runs must equal the sandbox's
    results, position by position."""
    problems: list[str] = []
    with _connect(database) as connection:
        for table, columns in CONTRACT.items():
            truth = {
                record["id"]: (*(_value(c, record.get(c)) for c in columns), record)
                for record in sandbox.control.state(table)
            }
            rows = connection.execute(
                f"SELECT id, {', '.join(columns)}, _raw FROM flintt.{table} "
                "WHERE _deleted_at IS NULL"
            ).fetchall()
            held = {row[0]: (*row[1:-1], json.loads(row[-1])) for row in rows}
            problems += _differences(table, held=held, truth=truth)
            (repeated,) = connection.execute(
                f"SELECT count(*) - count(DISTINCT id) FROM flintt.{table}"
            ).fetchone()
            if repeated:
                problems.append(f"{table}: {repeated} ids appear more than once")
            if deleted is not None:
                gone = {
                    row[0]
                    for row in connection.execute(
                        f"SELECT id FROM flintt.{table} WHERE _deleted_at IS NOT NULL"
                    ).fetchall()
                }
                if gone != deleted[table]:
                    problems.append(
                        f"{table}: soft-deleted {sorted(gone - deleted[table])[:3]} not deleted; "
                        f"deleted {sorted(deleted[table] - gone)[:3]} not soft-deleted"
                    )
        problems += _result_problems(connection, sandbox.control.state("run_results"))
    return problems


def history_problems(database: str) -> list[str]:
    """Ids whose history disagrees with their table (empty: every history matches); a warehouse
    a killed first sync never created has none."""
    if not Path(database).exists():
        return []
    with _connect(database) as connection:
        tables = {row[0] for row in connection.execute("SHOW TABLES FROM flintt").fetchall()}
        return [
            f"{table}_history disagrees for {row[0]}"
            for table in CONTRACT
            if f"{table}_history" in tables
            for row in connection.execute(disagreeing_ids_sql(table)).fetchall()
        ]


def _differences(
    table: str, *, held: dict[str, tuple[Any, ...]], truth: dict[str, tuple[Any, ...]]
) -> list[str]:
    problems = []
    if missing := truth.keys() - held.keys():
        problems.append(f"{table}: {len(missing)} ids missing, e.g. {sorted(missing)[:3]}")
    if extra := held.keys() - truth.keys():
        problems.append(f"{table}: {len(extra)} ids live but gone, e.g. {sorted(extra)[:3]}")
    changed = [i for i in held.keys() & truth.keys() if held[i] != truth[i]]
    for record_id in sorted(changed)[:3]:
        problems.append(f"{table} {record_id}: held {held[record_id]} != {truth[record_id]}")
    if len(changed) > 3:
        problems.append(f"{table}: {len(changed)} rows differ in all")
    return problems


def _result_problems(
    connection: duckdb.DuckDBPyConnection, truth: dict[str, list[dict[str, Any]]]
) -> list[str]:
    rows = connection.execute("""
        SELECT rr.run_id, rr.position, rr.signal_id, rr.result_id, rr._raw, r.signal_id,
               r._deleted_at IS NULL
        FROM flintt.run_results rr LEFT JOIN flintt.runs r ON r.id = rr.run_id
        ORDER BY rr.run_id, rr.position""").fetchall()
    problems = []
    held: dict[str, list[dict[str, Any]]] = {}
    for run_id, position, signal_id, result_id, raw, run_signal, live in rows:
        if run_signal is None:
            problems.append(f"run_results: results of run {run_id}, which flintt.runs lacks")
            continue
        if not live:
            continue
        result = json.loads(raw)
        if position != len(held.setdefault(run_id, [])):
            problems.append(f"run_results {run_id}: position {position} out of sequence")
        if signal_id != run_signal or result_id != result.get("id"):
            problems.append(f"run_results {run_id}/{position}: signal_id/result_id disagree")
        held[run_id].append(result)
    expected = {run_id: results for run_id, results in truth.items() if results}
    return problems + _differences(
        "run_results",
        held={k: tuple(v) for k, v in held.items()},
        truth={k: tuple(v) for k, v in expected.items()},
    )


def fingerprint(database: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of schema flintt (state tables included), in a stable order."""
    with _connect(database) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'flintt' ORDER BY 1"
            ).fetchall()
        ]
        return {
            name: connection.execute(f'SELECT * FROM flintt."{name}" ORDER BY ALL').fetchall()
            for name in tables
        }


def stream_state(snapshot: dict[str, list[tuple[Any, ...]]], stream: str) -> dict[str, Any]:
    """The part of a `fingerprint` that one stream's sync writes: its table, its `_sync_state`
    row, the source binding and, for run_results, which runs' results were fetched."""
    part = {
        stream: snapshot[stream],
        "_sync_state": [row for row in snapshot["_sync_state"] if row[0] == stream],
        "_source": snapshot["_source"],
    }
    if stream == "run_results":
        part["_run_results_fetched"] = snapshot["_run_results_fetched"]
    return part


def change_workspace(synced: Synced) -> None:
    """One round of everyday changes: creates, renames, deletes (a signal with its runs), and runs
    triggered, started, completed and failed. Deleted ids are added to `synced.deleted`."""
    control = synced.sandbox.control
    companies, prospects = control.state("companies"), control.state("prospects")
    signals, runs = control.state("signals"), control.state("runs")
    company = control.create("companies", name="Zeta Analytics", domain="zeta.example")
    control.create(
        "prospects", name="Ada Quinn", email="ada@zeta.example", company_id=company["id"]
    )
    signal = control.create("signals", name="Hiring in Berlin", schedule="0 7 * * 1")
    control.complete(control.trigger(signal["id"])["id"], results=2)
    control.update("companies", companies[0]["id"], name=f"{companies[0]['name']} (renamed)")
    control.update("prospects", prospects[0]["id"], title="Chief Data Officer", email=None)
    control.update("signals", signals[0]["id"], status="paused", schedule="30 6 * * *")
    # The signal with the fewest runs (but some), so the cascade stays below the delete guard.
    counts = {s["id"]: sum(r["signal_id"] == s["id"] for r in runs) for s in signals[1:]}
    doomed = min((n, i) for i, n in counts.items() if n)[1]
    gone = {
        "companies": [companies[1]["id"]],
        "prospects": [prospects[1]["id"]],
        "signals": [doomed],
    }
    for stream, (record_id,) in gone.items():
        control.delete(stream, record_id)
    gone["runs"] = [r["id"] for r in runs if r["signal_id"] == doomed]
    # Only rows the warehouse held can be soft-deleted: not those of a first sync, nor runs added
    # by drift mid-listing that it never read.
    held = all_ids(synced.database)
    for stream, ids in gone.items():
        synced.deleted[stream] |= held[stream].intersection(ids)
    open_runs = [
        r for r in runs if r["status"] in ("pending", "running") and r["signal_id"] != doomed
    ]
    for run, finish in zip(open_runs, ("complete", "fail"), strict=False):
        if finish == "complete":
            control.complete(run["id"], results=4)
        else:
            control.fail(run["id"])
    keeper = signals[0]["id"]
    finished, empty, running, _pending = (control.trigger(keeper) for _ in range(4))
    control.complete(finished["id"], results=5)
    control.complete(empty["id"], results=0)
    control.start(running["id"])


def all_ids(database: str) -> dict[str, set[str]]:
    """Every id of every table with soft deletes, live or not (none before a first sync)."""
    if not Path(database).exists():
        return {table: set() for table in CONTRACT}
    with _connect(database) as connection:
        return {
            table: {
                row[0] for row in connection.execute(f"SELECT id FROM flintt.{table}").fetchall()
            }
            for table in CONTRACT
        }


def live_ids(database: str, table: str) -> set[str]:
    with _connect(database) as connection:
        return {
            row[0]
            for row in connection.execute(
                f"SELECT id FROM flintt.{table} WHERE _deleted_at IS NULL"
            ).fetchall()
        }


def ids_of(records: Iterable[dict[str, Any]]) -> set[str]:
    return {record["id"] for record in records}
