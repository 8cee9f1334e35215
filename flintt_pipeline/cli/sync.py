"""`flintt-pipeline sync`: the sync job, in-process, recorded in `DAGSTER_HOME`."""

import logging
import os
import socket
import sys
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click
import dagster as dg
from dagster_shared.error import SerializableErrorInfo

from flintt_pipeline.cli.instance import api_from_environment, dagster_instance, verify_api
from flintt_pipeline.cli.pool_wait import pool_wait_lines
from flintt_pipeline.contract import RAW_TABLES
from flintt_pipeline.defs.ingest.reporting import PROGRESS_LOGGER

# Dagster's own console lines would drown the progress lines; failures are reported below.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
# Which process runs a sync, so a later sync can tell that it died.
HOST_TAG, PID_TAG = "flintt/host", "flintt/pid"
UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


@contextmanager
def progress_to_stderr() -> Iterator[None]:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    PROGRESS_LOGGER.addHandler(handler)
    try:
        yield
    finally:
        PROGRESS_LOGGER.removeHandler(handler)


def failure_line(result: dg.ExecuteInProcessResult) -> str:
    """The first step failure as one line: our own message when the asset raised one."""
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        step = (event.step_key or "").replace("__", "/")
        data = event.step_failure_data
        if data.user_failure_data is not None and data.user_failure_data.description:
            return f"{step}: {data.user_failure_data.description}"
        return f"{step}: {_raised(data.error) if data.error else 'failed'}"
    return "the run failed; see the run's events in the Dagster UI"


def _raised(error: SerializableErrorInfo) -> str:
    """The first line of what the step's code raised, beneath Dagster's wrappers ("Error occurred
    while executing op ...", "Exceeded max_retries ..."); our errors' own line without their
    class path, since their str() is written for users."""
    while error.cause is not None and (error.cls_name or "").startswith(
        ("Dagster", "RetryRequested")
    ):
        error = error.cause
    lines = error.message.strip().splitlines()
    line = lines[0] if lines else (error.cls_name or "error")
    ours, _, text = line.partition(": ")
    return text if ours.startswith("flintt_pipeline.") and text else line


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        pass
    return True


def release_abandoned_runs(instance: dg.DagsterInstance) -> None:
    """Fail the syncs started here on this machine whose process is gone (killed, crashed) and
    free the pool slots they held: no daemon watches in-process runs, and a slot left held would
    keep every later sync waiting for it forever."""
    host_runs = dg.RunsFilter(statuses=UNFINISHED, tags={HOST_TAG: socket.gethostname()})
    for run in instance.get_runs(filters=host_runs):
        pid = run.tags.get(PID_TAG, "")
        if not pid.isdigit() or _process_alive(int(pid)):
            continue
        instance.report_run_failed(
            run, message=f"the process running this sync (pid {pid}) ended without finishing it"
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


def run_sync(
    *,
    streams: Sequence[str] = (),
    full_refresh: bool = False,
    max_delete_share: float | None = None,
    job_name: str = "flintt_sync_job",
) -> dg.ExecuteInProcessResult:
    """Materialize the chosen streams (all by default) and every model downstream of them, with
    every check (chosen streams: without the whole-table checks); `max_delete_share` overrides
    the warehouse resource's mass-delete guard for this run."""
    from flintt_pipeline.definitions import defs
    from flintt_pipeline.defs.ingest.jobs import WHOLE_TABLE_CHECKS
    from flintt_pipeline.defs.models.assets import FULL_REFRESH_TAG

    definitions = defs()
    raw = dg.AssetSelection.groups("flintt")
    selection: dg.AssetSelection = raw.downstream()
    if streams:
        chosen = dg.AssetSelection.assets(*(["flintt", s] for s in streams))
        # A stream's table and its history are written by one step that cannot be split.
        selection = chosen.required_multi_asset_neighbors().downstream()
        # A model rebuilt here may read a model that these streams do not feed; build that one
        # too, or it fails on a warehouse whose models were never built. (The read copy reads
        # every model, so it does not count.)
        published = dg.AssetSelection.groups("publish")
        selection = selection | ((selection - published).upstream() - raw)
        # Like the webhook's runs job: a sync of some streams leaves the checks that scan whole
        # tables to a full sync, so its cost follows what it synced.
        selection = selection - WHOLE_TABLE_CHECKS
    graph = definitions.resolve_asset_graph()
    keys = sorted(selection.resolve(graph))
    job = definitions.resolve_job_def(job_name).get_subset(
        asset_selection=set(keys), asset_check_selection=selection.resolve_checks(graph)
    )
    run_config: dict[str, Any] = dict(QUIET_CONSOLE)
    if dg.AssetKey(["flintt", "runs"]) in keys:
        run_config["ops"] = {"flintt__runs": {"config": {"full_refresh": full_refresh}}}
    if max_delete_share is not None:
        guard = {"max_delete_share": max_delete_share}
        run_config["resources"] = {"warehouse": {"config": guard}}
    instance = dagster_instance()
    release_abandoned_runs(instance)
    tags = {"flintt/trigger": "cli", HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}
    if full_refresh:
        tags[FULL_REFRESH_TAG] = "true"
    run_id = str(uuid.uuid4())
    # The watcher reads the pool through an instance of its own, in its own thread.
    with progress_to_stderr(), pool_wait_lines(dagster_instance(), run_id=run_id):
        return job.execute_in_process(
            run_config=run_config,
            instance=instance,
            raise_on_error=False,
            tags=tags,
            run_id=run_id,
        )


@click.command()
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Re-read every run, not only new ones, and rebuild every model whole.",
)
@click.option(
    "--select",
    "streams",
    multiple=True,
    type=click.Choice(RAW_TABLES),
    help="Sync only this stream (repeatable); models downstream of it are rebuilt too.",
)
@click.option(
    "--max-delete-share",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Largest share of a table one listing may soft-delete (default 0.5); 1.0 lets a real "
    "mass deletion through.",
)
def sync(full_refresh: bool, streams: tuple[str, ...], max_delete_share: float | None) -> None:
    """Sync the Flintt workspace into DuckDB and rebuild the models."""
    verify_api(api_from_environment())
    result = run_sync(streams=streams, full_refresh=full_refresh, max_delete_share=max_delete_share)
    if not result.success:
        raise click.ClickException(failure_line(result))
    click.echo(f"Synced: run {result.run_id} in {os.environ['DAGSTER_HOME']}.")
