"""The raw `flintt.*` tables, one asset each, and the history tables beside them: the client reads,
the warehouse merges. A tracked table and its history are written in one transaction, so they are
two assets of one step (a multi-asset that cannot be split): the UI shows both as materialized
exactly when they changed together."""

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import dagster as dg

from flintt_pipeline.contract import (
    HISTORY_TABLES,
    LISTED_STREAMS,
    SOURCE_SCHEMA,
    TABLE_DESCRIPTIONS,
    ListedStream,
)
from flintt_pipeline.defs.columns import raw_schema
from flintt_pipeline.defs.consistency import RAW_PRIORITY
from flintt_pipeline.defs.ingest.reporting import (
    PROGRESS_LOGGER,
    history_materialization,
    materialization,
    with_progress,
)
from flintt_pipeline.defs.resources import FlinttApiResource, WarehouseResource
from flintt_pipeline.defs.writers import WRITER_POOL
from flintt_pipeline.lib.api.client import (
    AuthenticationError,
    FlinttClient,
    FlinttError,
    ResponseError,
    UnreachableError,
)
from flintt_pipeline.lib.warehouse import Warehouse, WarehouseError

GROUP = "flintt"
OWNERS = ["team:data-engineering"]

# Transient trouble (a flaky API, a busy file) is worth a second attempt after a pause; the
# client has already retried each request, so this covers longer outages.
RETRY_POLICY = dg.RetryPolicy(
    max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
# Errors a later attempt would not fix: a wrong key, a malformed answer, a refused merge, or a
# host that kept refusing connections through the client's own retries (a wrong URL, far more
# often than an outage).
PERMANENT_ERRORS = (AuthenticationError, ResponseError, UnreachableError, WarehouseError)

FRESHNESS = {
    "runs": dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1)),
    "run_results": dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=1)),
}
DAILY_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=26), warn_window=timedelta(hours=25)
)


class RunsSyncConfig(dg.Config):
    full_refresh: bool = False
    """Re-read every run instead of stopping at the newest run already held in a final state."""


@contextmanager
def sync_session(
    *, flintt: FlinttApiResource, warehouse: WarehouseResource
) -> Iterator[tuple[FlinttClient, Warehouse]]:
    """Open both ends, bind the warehouse to this API, and turn permanent errors into failures
    that Dagster does not retry."""
    try:
        with flintt.client() as client, warehouse.open(log=PROGRESS_LOGGER.warning) as wh:
            wh.bind_source(flintt.resolved_base_url)
            yield client, wh
    except PERMANENT_ERRORS as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    except FlinttError as error:
        raise dg.Failure(description=str(error)) from None


def _spec_args(table: str) -> dict[str, Any]:
    return {
        "group_name": GROUP,
        "kinds": {"python", "duckdb"},
        "owners": OWNERS,
        "freshness_policy": FRESHNESS.get(table, DAILY_FRESHNESS),
        "metadata": {
            "dagster/table_name": f"{SOURCE_SCHEMA}.{table}",
            "dagster/column_schema": raw_schema(table),
        },
    }


def _asset_args(table: str) -> dict[str, Any]:
    return {
        "key": [GROUP, table],
        "pool": WRITER_POOL,
        "op_tags": RAW_PRIORITY,
        "retry_policy": RETRY_POLICY,
        "description": TABLE_DESCRIPTIONS[table],
        "tags": {"layer": "raw", "source": "flintt"},
        **_spec_args(table),
    }


def stream_asset_keys(stream: str) -> list[dg.AssetKey]:
    """The assets one stream's sync step materializes: its table and, if tracked, its history."""
    keys = [dg.AssetKey([GROUP, stream])]
    if stream in HISTORY_TABLES:
        keys.append(dg.AssetKey([GROUP, HISTORY_TABLES[stream]]))
    return keys


def _tracked_asset(table: str, *, deps: Sequence[dg.AssetKey] = ()) -> Any:
    """A multi-asset decorator: flintt.<table> and flintt.<table>_history, written by one merge in
    one transaction, so they are one step that cannot be split (the op keeps the name
    `flintt__<table>` a single asset would have)."""
    table_spec = dg.AssetSpec(
        [GROUP, table],
        deps=deps,
        description=TABLE_DESCRIPTIONS[table],
        tags={"layer": "raw", "source": "flintt"},
        **_spec_args(table),
    )
    history_spec = dg.AssetSpec(
        [GROUP, HISTORY_TABLES[table]],
        deps=deps,
        description=f"Every version of flintt.{table} (insert, update, delete, restore), "
        "valid from the sync that saw it; written in the same transaction as the table.",
        tags={"layer": "history", "source": "flintt"},
        **_spec_args(HISTORY_TABLES[table]),
    )
    return dg.multi_asset(
        name=f"{GROUP}__{table}",
        specs=[table_spec, history_spec],
        pool=WRITER_POOL,
        op_tags=RAW_PRIORITY,
        retry_policy=RETRY_POLICY,
        can_subset=False,
    )


def build_listing_asset(stream: ListedStream) -> dg.AssetsDefinition:
    """A table the API lists whole: read every record, merge by id, soft-delete the absent."""

    @_tracked_asset(stream)
    def _listing(
        context: dg.AssetExecutionContext,
        flintt: FlinttApiResource,
        warehouse: WarehouseResource,
    ) -> Iterator[dg.MaterializeResult]:
        started = time.monotonic()
        with sync_session(flintt=flintt, warehouse=warehouse) as (client, wh):
            batches = with_progress(client.iter_records(stream), stream=stream, stats=client.stats)
            merge = wh.merge_listing(stream, batches, max_delete_share=warehouse.max_delete_share)
            yield materialization(
                warehouse=wh,
                table=stream,
                merge=merge,
                stats=client.stats,
                started=started,
            )
            yield history_materialization(warehouse=wh, table=stream, merge=merge)

    return _listing


def _runs_with_rereads(
    client: FlinttClient, *, open_ids: list[str], final_ids: set[str], gone: list[str]
) -> Iterator[list[dict[str, Any]]]:
    """The runs listing — stopping at the first run already held in a final state, if any —
    then a re-read of the open runs it did not reach.

    Ids of open runs that no longer exist are appended to `gone` once the listing is consumed.
    """
    stop_at = (lambda run: run["id"] in final_ids) if final_ids else None
    seen: set[str] = set()
    for batch in client.iter_runs(stop_at=stop_at):
        seen.update(run["id"] for run in batch)
        yield batch
    reread: list[dict[str, Any]] = []
    for run_id, detail in client.get_runs([i for i in open_ids if i not in seen]):
        if detail is None:
            gone.append(run_id)
        else:
            # The listing's record has no results; keep `_raw` comparable between the two.
            reread.append({key: value for key, value in detail.items() if key != "results"})
    if reread:
        yield reread


@_tracked_asset("runs", deps=[dg.AssetKey([GROUP, "signals"])])
def runs(
    context: dg.AssetExecutionContext,
    config: RunsSyncConfig,
    flintt: FlinttApiResource,
    warehouse: WarehouseResource,
) -> Iterator[dg.MaterializeResult]:
    started = time.monotonic()
    with sync_session(flintt=flintt, warehouse=warehouse) as (client, wh):
        gone: list[str] = []
        final_ids = set() if config.full_refresh else wh.final_run_ids()
        batches = with_progress(
            _runs_with_rereads(client, open_ids=wh.open_run_ids(), final_ids=final_ids, gone=gone),
            stream="runs",
            stats=client.stats,
        )
        merge = wh.merge_runs(
            batches,
            complete=not final_ids,
            gone_ids=gone,
            max_delete_share=warehouse.max_delete_share,
        )
        yield materialization(
            warehouse=wh,
            table="runs",
            merge=merge,
            stats=client.stats,
            started=started,
        )
        yield history_materialization(warehouse=wh, table="runs", merge=merge)


def _details(client: FlinttClient, run_ids: Sequence[str]) -> Iterator[dict[str, Any]]:
    # A run deleted since it was listed answers 404; the next runs sync soft-deletes it.
    return (detail for _, detail in client.get_runs(run_ids) if detail is not None)


@dg.asset(deps=[dg.AssetKey([GROUP, "runs"])], **_asset_args("run_results"))
def run_results(
    context: dg.AssetExecutionContext, flintt: FlinttApiResource, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    started = time.monotonic()
    with sync_session(flintt=flintt, warehouse=warehouse) as (client, wh):
        pending = wh.runs_needing_results()
        PROGRESS_LOGGER.info(
            f"run_results: fetching results of {len(pending):,} newly completed runs"
        )
        merge = wh.replace_run_results(_details(client, pending))
        return materialization(
            warehouse=wh,
            table="run_results",
            merge=merge,
            stats=client.stats,
            started=started,
        )


raw_assets: list[dg.AssetsDefinition] = [
    *(build_listing_asset(stream) for stream in LISTED_STREAMS),
    runs,
    run_results,
]
