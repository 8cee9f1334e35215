"""`read_copy`: the step every run that changed the warehouse ends with, publishing the analysts'
read copy (`lib.warehouse.read_copy`).

It depends on every raw table and model, so it is in both jobs and any CLI selection, runs after
everything else in the run and only when all of it succeeded; the automation sensor requests it
after model-only builds and after webhook runs that coalesced it (`coalescing`). A failure to
publish fails the step and leaves the previous copy.
"""

import time
from collections.abc import Iterator

import dagster as dg
import duckdb

from flintt_pipeline.defs.consistency import RAW_KEYS, held_back, writers_midway
from flintt_pipeline.defs.models import assets as models
from flintt_pipeline.defs.publish.coalescing import coalesced
from flintt_pipeline.defs.resources import ReadCopyResource, WarehouseResource
from flintt_pipeline.defs.writers import LOCK_RETRY, WRITER_POOL
from flintt_pipeline.lib.warehouse import WarehouseError, WarehouseLockedError

GROUP = "publish"
READ_COPY_KEY = dg.AssetKey(["read_copy"])
# After every other ready step of the run, whatever its place in the graph.
LAST = {"dagster/priority": "-10"}


@dg.asset(
    key=READ_COPY_KEY,
    deps=sorted(RAW_KEYS | {spec.key for model in models.model_assets for spec in model.specs}),
    group_name=GROUP,
    kinds={"duckdb"},
    pool=WRITER_POOL,
    op_tags=LAST,
    retry_policy=LOCK_RETRY,
    output_required=False,
    owners=["team:data-engineering"],
    tags={"layer": "publish"},
    automation_condition=dg.AutomationCondition.eager(),
    description="The analysts' read-only copy of the whole warehouse (flintt.* and analytics.*, "
    "with flintt._published saying how fresh it is) at $FLINTT_READ_DUCKDB_PATH, replaced "
    "atomically after every run that changed the warehouse; the webhook runs job coalesces "
    "dear copies (at most every $FLINTT_READ_COPY_COALESCE_SECONDS, default 30).",
)
def publish_read_copy(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, read_copy: ReadCopyResource
) -> Iterator[dg.MaterializeResult]:
    if reason := held_back(context):
        context.log.warning(f"read copy not published, it keeps its last state: {reason}")
        return
    if midway := writers_midway(context, publish_step=READ_COPY_KEY.to_python_identifier()):
        context.log.info(
            f"read copy not published now: run {', '.join(midway)} is part-way through writing "
            "the warehouse and publishes when it ends"
        )
        return
    try:
        coalesce_seconds = read_copy.resolved_coalesce_seconds()
    except ValueError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    if reason := coalesced(
        context,
        key=READ_COPY_KEY,
        coalesce_seconds=coalesce_seconds,
        cheap_copy_seconds=read_copy.cheap_copy_seconds,
    ):
        context.log.info(f"read copy not published by this run: {reason}")
        return
    started = time.perf_counter()
    try:
        with warehouse.open(log=context.log.info) as opened:
            target = read_copy.resolved_path(warehouse=warehouse.resolved_database)
            stats = opened.publish(target=target, published_by=context.run.run_id)
    except WarehouseLockedError:
        raise  # LOCK_RETRY tries again later
    except (WarehouseError, duckdb.Error, OSError) as error:
        raise dg.Failure(
            description=f"publishing the read copy failed, the previous copy is unchanged: {error}",
            allow_retries=False,
        ) from None
    yield dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(stats.path),
            "bytes": stats.bytes,
            "seconds": round(time.perf_counter() - started, 3),
            # The copy alone (checkpoint, copy, flush, rename): what coalescing weighs.
            "copy_seconds": round(stats.seconds, 3),
            "rows": dg.MetadataValue.json(stats.rows),
            "dagster/row_count": sum(stats.rows.values()),
        }
    )
