"""DuckDB's errors as one line a user can act on.

Nothing DuckDB raises while the warehouse is open would be fixed by trying again a few seconds
later (another process's lock is waited out when connecting): a damaged file stays damaged, a
record too large for the memory limit stays too large. So each becomes a WarehouseUnusableError,
which callers treat as permanent, worded for the person who has to act.
"""

import duckdb

from flintt_pipeline.lib.warehouse.errors import WarehouseUnusableError

NEW_FILE = "restore it from a backup, or point FLINTT_DUCKDB_PATH at a new file (a sync refills it)"
# Markers of a file DuckDB cannot read back: truncated, overwritten, or of another format.
_DAMAGE = (
    "could not read enough bytes",
    "not a valid duckdb database",
    "corrupt",
    "checksum",
    "serialization",
    "invalidated",
)


def first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def unusable(error: duckdb.Error, *, shown: str) -> WarehouseUnusableError:
    """The WarehouseUnusableError for a DuckDB error met while using warehouse `shown`."""
    text = first_line(error)
    lowered = text.lower()
    if isinstance(error, duckdb.OutOfMemoryException):
        # DuckDB's own line says how much it held of its limit (lib/warehouse/memory.py).
        return WarehouseUnusableError(
            f"warehouse {shown}: DuckDB ran out of memory ({text}): a record too large to load "
            "(a field of many MB? shorten it in Flintt) or a machine with less free memory than "
            "the warehouse's indexes need; then sync again"
        )
    if "permission denied" in lowered or "read-only file system" in lowered:
        return WarehouseUnusableError(
            f"warehouse {shown} cannot be written ({text}): fix its permissions, or point "
            "FLINTT_DUCKDB_PATH at a writable place"
        )
    if "no space left" in lowered or "disk full" in lowered:
        return WarehouseUnusableError(
            f"warehouse {shown}: the disk is full ({text}): free space, then sync again"
        )
    if isinstance(error, duckdb.SerializationException | duckdb.FatalException) or any(
        marker in lowered for marker in _DAMAGE
    ):
        return WarehouseUnusableError(
            f"warehouse {shown} is damaged or truncated ({text}): {NEW_FILE}"
        )
    return WarehouseUnusableError(f"warehouse {shown}: DuckDB failed ({text})")
