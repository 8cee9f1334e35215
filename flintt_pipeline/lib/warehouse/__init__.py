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

__all__ = [
    "PUBLISHED_TABLE",
    "MassDeleteError",
    "MergeStats",
    "PublishStats",
    "RecordTypeError",
    "SourceMismatchError",
    "TableSummary",
    "Warehouse",
    "WarehouseError",
    "WarehouseLockedError",
    "open_read_only",
    "open_warehouse",
    "read_copy_beside",
    "read_copy_path",
]
