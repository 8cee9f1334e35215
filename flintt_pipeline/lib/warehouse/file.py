"""Opening the warehouse's DuckDB database from its one connection string: refusing names that
clash with our schemas, creating parent folders, and waiting out another process's lock."""

import re
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from flintt_pipeline.contract import DEFAULT_READ_DUCKDB_PATH
from flintt_pipeline.lib.warehouse.errors import WarehouseError, WarehouseLockedError

# DuckDB names the catalog after the file, so these names would make flintt.companies ambiguous.
RESERVED_NAMES = frozenset({"flintt", "analytics", "main"})
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
    path.parent.mkdir(parents=True, exist_ok=True)
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
        except duckdb.IOException as error:
            if "Could not set lock" not in str(error):
                raise WarehouseError(f"cannot open warehouse {shown(database)}: {error}") from None
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
