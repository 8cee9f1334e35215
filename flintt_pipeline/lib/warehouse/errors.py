"""Errors the warehouse raises; each str() is one line a user can act on."""


class WarehouseError(Exception):
    """Base class of every warehouse error."""


class MassDeleteError(WarehouseError):
    """A listing would soft-delete more of a table than the guard allows (truncated listing?)."""


class SourceMismatchError(WarehouseError):
    """The warehouse was filled from another API URL."""


class ForeignWarehouseError(WarehouseError):
    """The file is not a warehouse this project made: not DuckDB, or another program's schemas."""


class WarehouseUnusableError(WarehouseError):
    """DuckDB cannot go on with the file: damaged, disk full, or out of memory on a record."""


class WarehouseLockedError(WarehouseError):
    """Another process held the DuckDB file for longer than the lock timeout."""


class RecordTypeError(WarehouseError):
    """A record has no string id or a documented field of the wrong JSON type."""

    def __init__(self, *, stream: str, record_id: str, field: str, message: str) -> None:
        super().__init__(message)
        self.stream = stream
        self.record_id = record_id
        self.field = field
