"""The DuckDB warehouse: contract tables, staging, merge, soft deletes and sync state.

Knows DuckDB, nothing of HTTP or Dagster: records arrive as batches of dicts made elsewhere.
"""

from flintt_pipeline.lib.warehouse.errors import (
    ForeignWarehouseError,
    MassDeleteError,
    RecordTypeError,
    SourceMismatchError,
    WarehouseError,
    WarehouseLockedError,
    WarehouseUnusableError,
)
from flintt_pipeline.lib.warehouse.history import disagreeing_ids_sql
from flintt_pipeline.lib.warehouse.merge import MergeStats
from flintt_pipeline.lib.warehouse.read_copy import (
    PUBLISHED_TABLE,
    PublishStats,
    read_copy_beside,
    read_copy_path,
)
from flintt_pipeline.lib.warehouse.warehouse import (
    TableSummary,
    Warehouse,
    open_read_only,
    open_warehouse,
)
from flintt_pipeline.lib.warehouse.writes import (
    PushEntry,
    SignalKeys,
    append_push_log,
    query_rows,
    synced_signals,
)

__all__ = [
    "PUBLISHED_TABLE",
    "ForeignWarehouseError",
    "MassDeleteError",
    "MergeStats",
    "PublishStats",
    "PushEntry",
    "RecordTypeError",
    "SignalKeys",
    "SourceMismatchError",
    "TableSummary",
    "Warehouse",
    "WarehouseError",
    "WarehouseLockedError",
    "WarehouseUnusableError",
    "append_push_log",
    "disagreeing_ids_sql",
    "open_read_only",
    "open_warehouse",
    "query_rows",
    "read_copy_beside",
    "read_copy_path",
    "synced_signals",
]
