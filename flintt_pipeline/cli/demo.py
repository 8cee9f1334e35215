"""`flintt-pipeline demo`: the whole product against the sandbox, with no account.

Sandbox → full sync → models → one webhook played through receiver → sensor → run, all
recorded in `DAGSTER_HOME`; the `.env` it leaves (see `demo_env`) points `dg dev` at those runs
and at the demo warehouse.
"""

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import dagster as dg

from flintt_pipeline.cli.demo_env import write_demo_env
from flintt_pipeline.cli.instance import dagster_instance
from flintt_pipeline.cli.sync import failure_line, run_sync
from flintt_pipeline.contract import MODEL_SCHEMA, RAW_TABLES
from flintt_pipeline.defs.ingest.sensors import flintt_webhook_sensor
from flintt_pipeline.defs.resources import InboxResource, WarehouseResource
from flintt_pipeline.lib.api.management import ManagementClient
from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox
from flintt_pipeline.webhooks.app import WEBHOOK_PATH
from flintt_pipeline.webhooks.events import KNOWN_EVENT_TYPES
from flintt_pipeline.webhooks.inbox import Inbox
from flintt_pipeline.webhooks.server import running_receiver

DEMO_DUCKDB_PATH = "data/demo.duckdb"
DEMO_INBOX_PATH = "data/demo_inbox.sqlite3"
DEMO_READ_DUCKDB_PATH = "data/demo_read.duckdb"
DEMO_WORKSPACE = SandboxConfig(seed=7, companies=2_000, prospects=5_000, signals=40, runs=400)
EVENT_WAIT_SECONDS = 15.0


def _demo_paths() -> tuple[Path, Path, Path]:
    """The demo's own files unless the user chose some; its own are started afresh because each
    sandbox has a new URL, and a warehouse refuses data from a second URL."""
    for variable, default in (
        ("FLINTT_DUCKDB_PATH", DEMO_DUCKDB_PATH),
        ("FLINTT_INBOX_PATH", DEMO_INBOX_PATH),
        ("FLINTT_READ_DUCKDB_PATH", DEMO_READ_DUCKDB_PATH),
    ):
        if not os.environ.get(variable):
            os.environ[variable] = default
            for leftover in Path().glob(f"{default}*"):
                leftover.unlink()
    return (
        Path(os.environ["FLINTT_DUCKDB_PATH"]),
        Path(os.environ["FLINTT_INBOX_PATH"]),
        Path(os.environ["FLINTT_READ_DUCKDB_PATH"]),
    )


def _sync(*, streams: tuple[str, ...] = (), job_name: str = "flintt_sync_job") -> None:
    result = run_sync(streams=streams, job_name=job_name)
    if not result.success:
        raise click.ClickException(failure_line(result))


def _summary(title: str) -> None:
    with WarehouseResource().open() as warehouse:
        click.echo(f"\n{title} ({warehouse.database}):")
        for table in RAW_TABLES:
            click.echo(f"  flintt.{table:<28}{warehouse.table_summary(table).row_count:>10,} rows")
        for (table,) in warehouse.connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? ORDER BY 1",
            [MODEL_SCHEMA],
        ).fetchall():
            rows = warehouse.table_summary(f"{MODEL_SCHEMA}.{table}").row_count
            click.echo(f"  {MODEL_SCHEMA}.{table:<25}{rows:>10,} rows")


@contextmanager
def _registered_receiver(sandbox: SandboxHandle, inbox_path: Path) -> Iterator[None]:
    """Register a webhook with the sandbox, then serve the receiver with the token it issued."""
    with ManagementClient(base_url=sandbox.base_url, token=sandbox.management_token) as api:
        # The receiver's port is known only once it runs, and it needs the token first: register
        # with a placeholder URL, then point the webhook at the receiver.
        record, token = api.create_webhook(
            url="http://127.0.0.1/", name="flintt-pipeline demo", events=KNOWN_EVENT_TYPES
        )
        with running_receiver(inbox_path=inbox_path, tokens=[token]) as receiver_url:
            api.update_webhook(record["id"], url=receiver_url + WEBHOOK_PATH)
            click.echo(f"Webhook receiver at {receiver_url}{WEBHOOK_PATH}, registered with Flintt.")
            yield


def _wait_for_event(inbox_path: Path, *, event_type: str) -> int:
    deadline = time.monotonic() + EVENT_WAIT_SECONDS
    with Inbox(inbox_path) as inbox:
        while time.monotonic() < deadline:
            events = inbox.read_after(0, limit=10_000)
            if any(event.event_type == event_type for event in events):
                return len(events)
            time.sleep(0.1)
    raise click.ClickException(f"no {event_type} webhook arrived in {EVENT_WAIT_SECONDS:.0f} s")


def _play_webhook(sandbox: SandboxHandle, inbox_path: Path) -> None:
    signal = next(s for s in sandbox.control.state("signals") if s["status"] == "active")
    run = sandbox.control.trigger(signal["id"])
    sandbox.control.complete(run["id"], results=5)
    click.echo(f"\nFlintt ran signal {signal['name']!r}: run {run['id']} completed with 5 results.")
    count = _wait_for_event(inbox_path, event_type="signal.run.completed")
    click.echo(f"The receiver stored {count} webhook events in {inbox_path}.")

    context = dg.build_sensor_context(
        instance=dagster_instance(), resources={"inbox": InboxResource(path=str(inbox_path))}
    )
    result = flintt_webhook_sensor(context)
    requests = result.run_requests if isinstance(result, dg.SensorResult) else []
    for request in requests or []:
        click.echo(f"The sensor requested {request.job_name} (run key {request.run_key}).")
        if request.job_name == "flintt_runs_job":
            _sync(streams=("runs", "run_results"), job_name="flintt_runs_job")
    with WarehouseResource().open() as warehouse:
        [(landed,)] = warehouse.connection.execute(
            "SELECT count(*) FROM flintt.run_results WHERE run_id = ?", [run["id"]]
        ).fetchall()
    click.echo(f"The run's results in flintt.run_results: {landed}.")


@click.command()
def demo() -> None:
    """Sandbox, full sync, models and one webhook end to end; no account needed."""
    warehouse_path, inbox_path, read_path = _demo_paths()
    click.echo("Starting the Flintt sandbox…")
    with running_sandbox(DEMO_WORKSPACE) as sandbox:
        os.environ["FLINTT_BASE_URL"] = sandbox.base_url
        os.environ["FLINTT_API_KEY"] = sandbox.api_key
        click.echo(f"Sandbox at {sandbox.base_url}; syncing into {warehouse_path}…")
        _sync()
        _summary("After the full sync")
        with _registered_receiver(sandbox, inbox_path):
            _play_webhook(sandbox, inbox_path)
    _summary("Now")
    settings = {
        name: os.environ[name]
        for name in ("DAGSTER_HOME", "FLINTT_DUCKDB_PATH", "FLINTT_INBOX_PATH")
    }
    click.echo("\n" + write_demo_env(directory=Path.cwd(), settings=settings))
    click.echo(
        f"Runs recorded in {os.environ['DAGSTER_HOME']}. To see them, start Dagster from this "
        "directory (it reads .env here): `uv run dg dev` in the project, or `dagster dev -m "
        "flintt_pipeline.definitions` where the package is installed; then open "
        "http://127.0.0.1:3000. Query the analysts' read copy: "
        f"FLINTT_READ_DUCKDB_PATH={read_path} uv run flintt-pipeline query "
        '"SELECT * FROM flintt._published"'
    )
