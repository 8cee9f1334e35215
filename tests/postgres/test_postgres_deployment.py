"""The deployment of compose.yaml as plain processes on one machine: Postgres for the instance
and the inbox, a gRPC code server, the daemon, and two webhook receivers. A run completed in the
sandbox reaches the warehouse through receivers -> Postgres inbox -> the daemon's sensor -> a
queued runs job launched by the code server; runs, event logs and the sensor's cursor are in
Postgres."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb
import psycopg2
from pg_server import PostgresServer
from receivers import free_port, start_receiver, stop

from flintt_pipeline.lib.api import ManagementClient
from flintt_pipeline.sandbox import SandboxConfig, running_sandbox

REPO = Path(__file__).resolve().parents[2]
WORKSPACE = SandboxConfig(seed=3, companies=10, prospects=20, signals=3, runs=12, mean_results=3)
EVENTS = ["signal.run.completed", "signal.run.result"]
RESULTS = 4
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")


@contextmanager
def _process(command: list[str], *, env: dict[str, str], log: Path) -> Iterator[None]:
    process = subprocess.Popen(
        command, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        yield
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _webhook_runs(url: str) -> list[tuple[str, str]]:
    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.run_id, r.status FROM runs r JOIN run_tags t ON t.run_id = r.run_id"
            " WHERE t.key = 'flintt/trigger' AND t.value = 'webhook'"
        )
        return cursor.fetchall()


def test_postgres_deployment_turns_a_webhook_into_rows(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    instance_url = postgres.create_database("dagster_deployment")
    inbox_url = postgres.create_database("inbox_deployment")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    grpc_port = free_port()
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(
        (REPO / "deploy" / "workspace.yaml")
        .read_text()
        .replace("host: codeserver", "host: 127.0.0.1")
        .replace("port: 4000", f"port: {grpc_port}")
    )
    warehouse = tmp_path / "warehouse.duckdb"

    with running_sandbox(WORKSPACE) as sandbox, ExitStack() as stack:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLINTT_", "DAGSTER_"))}
        env |= {
            "DAGSTER_HOME": str(home),
            "DAGSTER_PG_URL": instance_url,
            "FLINTT_INBOX_URL": inbox_url,
            "FLINTT_API_KEY": sandbox.api_key,
            "FLINTT_BASE_URL": sandbox.base_url,
            "FLINTT_DUCKDB_PATH": str(warehouse),
        }
        cli = [sys.executable, "-m", "flintt_pipeline.cli"]
        # The first sync fills the warehouse while the receivers start (it needs no inbox).
        first = subprocess.Popen(
            [*cli, "sync"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        stack.callback(first.kill)

        with ManagementClient(base_url=sandbox.base_url, token=sandbox.management_token) as api:
            hooks = [
                api.create_webhook(
                    url="https://placeholder.example.com/hook",
                    name=name,
                    events=EVENTS,
                    active=False,
                )
                for name in ("receiver-a", "receiver-b")
            ]
            tokens = ",".join(token for _, token in hooks)
            receivers = []
            for name in ("a", "b"):
                process, url = start_receiver(
                    inbox_url, log=tmp_path / f"receiver-{name}.log", tokens=tokens
                )
                stack.callback(stop, process)
                receivers.append(url)
            for (hook, _), url in zip(hooks, receivers, strict=True):
                api.update_webhook(hook["id"], url=url, active=True)
        _, first_errors = first.communicate(timeout=240)
        assert first.returncode == 0, first_errors[-2000:]

        bin_dir = Path(sys.executable).parent
        stack.enter_context(
            _process(
                [
                    str(bin_dir / "dagster"),
                    "code-server",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(grpc_port),
                    "--module-name",
                    "flintt_pipeline.definitions",
                ],
                env=env,
                log=tmp_path / "codeserver.log",
            )
        )
        stack.enter_context(
            _process(
                [str(bin_dir / "dagster-daemon"), "run", "--workspace", str(workspace)],
                env=env,
                log=tmp_path / "daemon.log",
            )
        )

        signal_id = sandbox.control.state("signals")[0]["id"]
        run = sandbox.control.trigger(signal_id)
        sandbox.control.complete(run["id"], results=RESULTS)

        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            runs = _webhook_runs(instance_url)
            if runs and all(status in FINISHED for _, status in runs):
                break
            time.sleep(1)
        logs = {p.name: p.read_text()[-3000:] for p in tmp_path.glob("*.log")}
        # One run, or two if a tick fell between the run's events.
        assert {status for _, status in runs} == {"SUCCESS"}, logs

    # Both receivers got every event; the inbox holds each once.
    with psycopg2.connect(inbox_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(DISTINCT event_id), max(position) FROM flintt_inbox_events"
        )
        stored, distinct, last_position = cursor.fetchone()
    assert stored == distinct == 1 + RESULTS
    with psycopg2.connect(instance_url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM event_logs WHERE run_id = %s", (runs[0][0],))
        assert cursor.fetchone()[0] > 0
        cursor.execute("SELECT instigator_body FROM instigators")
        [sensor] = [body for (body,) in cursor.fetchall() if "flintt_webhook_sensor" in body]
    # The daemon kept the sensor's cursor (the inbox position it reached) in Postgres.
    assert f'"cursor": "{last_position}"' in sensor, sensor
    with duckdb.connect(str(warehouse), read_only=True) as db:
        rows = db.execute(
            "SELECT count(*) FROM flintt.run_results WHERE run_id = ?", [run["id"]]
        ).fetchone()
    assert rows == (RESULTS,)
