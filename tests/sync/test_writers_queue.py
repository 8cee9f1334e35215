"""Writers queue in Dagster's `duckdb_writer` pool instead of failing on DuckDB's lock: a long CLI
sync, a runs job and a second CLI sync started during it, all in processes of their own sharing
one DAGSTER_HOME, all succeed; the last to end publishes the read copy."""

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
from read_copy_support import logged
from sync_support import SMALL

from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle

RUNS_JOB = """
import sys
from flintt_pipeline.cli.instance import dagster_instance
from flintt_pipeline.definitions import defs
job = defs().resolve_job_def("flintt_runs_job")
result = job.execute_in_process(instance=dagster_instance(), raise_on_error=False)
sys.exit(0 if result.success else 1)
"""
# Dagster's line for a step of the runs job queued behind another run's step.
BLOCKED = "Step blocked by limit for pool duckdb_writer"
# What the three runs write; the read copy must end up equal to the warehouse.
COUNTS = (
    "SELECT (SELECT count(*) FROM flintt.runs), (SELECT count(*) FROM flintt.run_results), "
    "(SELECT count(*) FROM flintt.companies)"
)


def test_a_runs_job_and_a_second_sync_queue_behind_a_long_sync(
    sandboxes: Callable[[SandboxConfig], SandboxHandle],
    cli_env: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> None:
    sandbox = sandboxes(SMALL)
    database, read_path = tmp_path / "warehouse.duckdb", tmp_path / "warehouse_read.duckdb"
    env = cli_env(
        FLINTT_API_KEY=sandbox.api_key,
        FLINTT_BASE_URL=sandbox.base_url,
        FLINTT_DUCKDB_PATH=str(database),
        FLINTT_READ_DUCKDB_PATH=str(read_path),
        # No automation sensor runs here to publish a copy the runs job coalesced.
        FLINTT_READ_COPY_COALESCE_SECONDS="0",
    )
    cli = [sys.executable, "-m", "flintt_pipeline.cli", "sync"]
    # Slow answers keep the first sync's steps long, so the others surely meet it in the pool.
    sandbox.control.settings(latency_ms=100)
    logs = {name: tmp_path / f"{name}.log" for name in ("long", "runs_job", "second")}
    commands = {
        "long": [*cli, "--full-refresh"],
        "runs_job": [sys.executable, "-c", RUNS_JOB],
        "second": cli,
    }
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in ("long", "runs_job", "second"):
            with logs[name].open("wb") as log:
                processes[name] = subprocess.Popen(
                    commands[name], env=env, stdout=log, stderr=subprocess.STDOUT
                )
            if name == "long":
                # The others start once the long sync is writing.
                while "companies:" not in logs["long"].read_text():
                    assert processes["long"].poll() is None, logs["long"].read_text()
                    time.sleep(0.1)
        # Long answers have done their part once both others were seen waiting in the pool
        # (or have ended): the rest may go at full speed.
        waits = {"second": "waiting for the duckdb_writer pool", "runs_job": BLOCKED}
        while any(
            waits[name] not in logs[name].read_text() and processes[name].poll() is None
            for name in waits
        ):
            time.sleep(0.2)
        sandbox.control.settings(latency_ms=0)
        codes = {name: process.wait(timeout=600) for name, process in processes.items()}
    finally:
        for process in processes.values():
            process.kill()
    outputs = {name: log.read_text() for name, log in logs.items()}
    assert codes == {"long": 0, "runs_job": 0, "second": 0}, outputs
    assert "waiting for the duckdb_writer pool" in outputs["second"], outputs["second"]
    # Dagster's SQLite instance claims a pool slot with a select-then-update that two processes
    # can both win under load; the step then waits on DuckDB's lock (`is locked by ...; waiting`)
    # and goes on. What must never happen is a step failing on the lock.
    lock_errors = ("is still locked by", "Could not set lock", "Conflicting lock")
    assert not [e for e in lock_errors for output in outputs.values() if e in output], outputs

    with dg.DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        runs = instance.get_runs()
        assert len(runs) == 3
        assert {run.status for run in runs} == {dg.DagsterRunStatus.SUCCESS}
        for run in runs:
            assert logged(instance, run.run_id, "is still locked by") == []
    # The last run to end published everything the three wrote.
    with duckdb.connect(str(database), read_only=True) as live:
        expected = live.execute(COUNTS).fetchone()
    with duckdb.connect(str(read_path), read_only=True) as copy:
        assert copy.execute(COUNTS).fetchone() == expected
