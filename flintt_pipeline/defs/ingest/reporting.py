"""How a sync step reports itself: progress lines while it runs, metadata when it lands."""

import time
from collections.abc import Iterable, Iterator
from typing import Any

import dagster as dg

from flintt_pipeline.contract import HISTORY_TABLES, SOURCE_SCHEMA
from flintt_pipeline.defs.columns import raw_descriptions
from flintt_pipeline.defs.table_metadata import table_metadata
from flintt_pipeline.lib.api.client import ClientStats
from flintt_pipeline.lib.warehouse import MergeStats, Warehouse

PROGRESS_EVERY_SECONDS = 2.0
# A logger rather than `context.log`: Dagster captures it into the run's events, and the CLI
# can show these lines alone while hiding the rest of Dagster's console output.
PROGRESS_LOGGER = dg.get_dagster_logger("flintt.progress")


def with_progress(
    batches: Iterable[list[dict[str, Any]]],
    *,
    stream: str,
    stats: ClientStats,
) -> Iterator[list[dict[str, Any]]]:
    """Pass batches through, logging rows, pages and seconds every few seconds and at the end."""
    rows = 0
    started = last = time.monotonic()
    for batch in batches:
        rows += len(batch)
        yield batch
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_SECONDS:
            PROGRESS_LOGGER.info(
                f"{stream}: {rows:,} rows read, {stats.pages:,} pages, {now - started:.1f} s"
            )
            last = now
    PROGRESS_LOGGER.info(
        f"{stream}: {rows:,} rows read, {stats.pages:,} pages, {time.monotonic() - started:.1f} s"
    )


def materialization(
    *, warehouse: Warehouse, table: str, merge: MergeStats, stats: ClientStats, started: float
) -> dg.MaterializeResult:
    """Table metadata and a preview, what the merge changed, and what it cost the API."""
    metadata = table_metadata(
        warehouse.connection,
        table=f"flintt.{table}",
        row_count=warehouse.table_summary(table).row_count,
        descriptions=raw_descriptions(table),
    )
    metadata.update(
        {
            "inserted": merge.inserted,
            "updated": merge.updated,
            "deleted": merge.deleted,
            "undeleted": merge.undeleted,
            "requests": stats.requests,
            "retries": stats.retries,
            "pages": stats.pages,
            "seconds": round(time.monotonic() - started, 3),
        }
    )
    return dg.MaterializeResult(asset_key=["flintt", table], metadata=metadata)


def history_materialization(
    *, warehouse: Warehouse, table: str, merge: MergeStats
) -> dg.MaterializeResult:
    """The history table beside its table: its size, a preview, and the versions just added."""
    history = f"{SOURCE_SCHEMA}.{HISTORY_TABLES[table]}"
    metadata = table_metadata(
        warehouse.connection,
        table=history,
        row_count=warehouse.table_summary(history).row_count,
        descriptions=raw_descriptions(history),
    )
    metadata["versions_added"] = merge.versions
    return dg.MaterializeResult(asset_key=history.split("."), metadata=metadata)
