"""Opening the warehouse's DuckDB database from its one connection string: refusing names that
clash with our schemas, creating parent folders, and waiting out another process's lock."""

import re
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from flintt_pipeline.contract import DEFAULT_READ_DUCKDB_PATH
from flintt_pipeline.lib.warehouse import duckdb_errors, ownership
from flintt_pipeline.lib.warehouse.errors import (
    WarehouseError,
    WarehouseLockedError,
    WarehouseUnusableError,
)

# DuckDB names the catalog after the file, so these names would make flintt.companies ambiguous.
RESERVED_NAMES = frozenset({"flintt", "analytics", "_analytics", "main"})
LOCK_RETRY_SECONDS = 0.5
_LOCK_HOLDER = re.compile(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


def shown(database: str) -> str:
    """The connection string as it may appear in messages: its options may hold a token."""
    return database.split("?")[0]


def prepare(database: str) -> str:
    """The connection string to open: a path gets its parents created (and ~ expanded); a
    schema-like name is refused; `md:` and `:memory:` strings pass as they are."""
    if database == ":memory:":
        return database
    is_path = not database.startswith("md:")
    name = Path(database).stem if is_path else shown(database)[3:]
    if name.lower() in RESERVED_NAMES:
        raise WarehouseError(
            f"warehouse {shown(database)!r} is named like a schema ({name}); DuckDB names its "
            "catalog after the file, which makes flintt.<table> ambiguous: use another name, "
            "e.g. data/warehouse.duckdb"
        )
    if not is_path:
        return database
    path = Path(database).expanduser()
    ownership.check_header(path, shown=shown(database))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise WarehouseError(
            f"cannot create the folder of warehouse {shown(database)} ({error.strerror}): point "
            "FLINTT_DUCKDB_PATH at a writable place"
        ) from None
    return str(path)


def connect(
    database: str,
    *,
    lock_timeout: float,
    on_wait: Callable[[str], None] | None,
    read_only: bool = False,
) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, retrying every LOCK_RETRY_SECONDS while another process holds the file;
    `on_wait` hears once that we wait, then WarehouseLockedError after `lock_timeout` seconds."""
    deadline = time.monotonic() + lock_timeout
    waiting = False
    while True:
        try:
            return duckdb.connect(database, read_only=read_only)
        except duckdb.Error as error:
            if "Could not set lock" not in str(error):
                raise duckdb_errors.unusable(error, shown=shown(database)) from None
            match = _LOCK_HOLDER.search(str(error))
            holder = f"process {match['pid']} ({match['program']})" if match else "another process"
            if time.monotonic() >= deadline:
                # The usual holder is a person's session on the live file, and the fix is theirs.
                raise WarehouseLockedError(
                    f"warehouse {shown(database)} is still locked by {holder} after "
                    f"{lock_timeout:g}s: if it is a reader, point it at the read copy "
                    f"(FLINTT_READ_DUCKDB_PATH, default {DEFAULT_READ_DUCKDB_PATH}) instead; "
                    "else wait for it to finish or stop it, then retry"
                ) from None
            if not waiting and on_wait is not None:
                on_wait(
                    f"warehouse {shown(database)} is locked by {holder}; waiting up to "
                    f"{lock_timeout:g}s for it"
                )
            waiting = True
            time.sleep(max(0.0, min(LOCK_RETRY_SECONDS, deadline - time.monotonic())))


def check_complete(connection: duckdb.DuckDBPyConnection, database: str, *, shown: str) -> None:
    """Refuse a file too short to hold the blocks its header says are in use (a truncated copy or
    download): DuckDB opens it and fails only when a merge reaches a missing block.

    Used blocks, not total ones: DuckDB cuts free blocks off the end of the file. Skipped while a
    WAL is pending, whose replay may have allocated blocks not yet in the file."""
    if database == ":memory:" or database.startswith("md:") or Path(f"{database}.wal").exists():
        return
    (block_size, used) = connection.execute(
        "SELECT block_size, used_blocks FROM pragma_database_size()"
    ).fetchall()[0]
    size = Path(database).stat().st_size
    if size < block_size * used:
        raise WarehouseUnusableError(
            f"warehouse {shown} is truncated ({size:,} bytes, too short for its {used} blocks "
            f"of {block_size:,} in use): {duckdb_errors.NEW_FILE}"
        )
