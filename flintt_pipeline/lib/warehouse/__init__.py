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
from flintt_pipeline.lib.warehouse.warehouse import TableSummary, Warehouse, open_warehouse

__all__ = [
    "ForeignWarehouseError",
    "MassDeleteError",
    "MergeStats",
    "RecordTypeError",
    "SourceMismatchError",
    "TableSummary",
    "Warehouse",
    "WarehouseError",
    "WarehouseLockedError",
    "WarehouseUnusableError",
    "disagreeing_ids_sql",
    "open_warehouse",
]
