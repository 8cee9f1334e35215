"""The DuckDB warehouse: contract tables, staging, merge, soft deletes and sync state.

Knows DuckDB, nothing of HTTP or Dagster: records arrive as batches of dicts made elsewhere.
"""

from flintt_pipeline.lib.warehouse.errors import (
    MassDeleteError,
    RecordTypeError,
    SourceMismatchError,
    WarehouseError,
    WarehouseLockedError,
)
from flintt_pipeline.lib.warehouse.merge import MergeStats
from flintt_pipeline.lib.warehouse.warehouse import TableSummary, Warehouse, open_warehouse
from flintt_pipeline.lib.warehouse.writes import (
    PushEntry,
    SignalKeys,
    append_push_log,
    query_rows,
    synced_signals,
)

__all__ = [
    "MassDeleteError",
    "MergeStats",
    "PushEntry",
    "RecordTypeError",
    "SignalKeys",
    "SourceMismatchError",
    "TableSummary",
    "Warehouse",
    "WarehouseError",
    "WarehouseLockedError",
    "append_push_log",
    "open_warehouse",
    "query_rows",
    "synced_signals",
]
