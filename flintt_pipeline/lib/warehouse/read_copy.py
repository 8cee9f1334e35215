"""The analysts' read copy: the whole warehouse copied into a new file, then renamed over the old.

Readers never share a file with the writer: a reader holding the previous copy keeps reading that
complete snapshot (the rename leaves its inode alone) and the next open sees the new one. The new
file (a byte copy of the checkpointed warehouse, plus `flintt._published`) is written under a
name beside the target, flushed to disk, then moved with `os.replace`,
so a crash at any point leaves the previous copy whole and, at worst, a leftover that the next
publish removes.
"""

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from flintt_pipeline.contract import DEFAULT_READ_DUCKDB_PATH, MODEL_SCHEMA, SOURCE_SCHEMA
from flintt_pipeline.lib.warehouse.errors import WarehouseError
from flintt_pipeline.lib.warehouse.file import RESERVED_NAMES
from flintt_pipeline.lib.warehouse.model_changes import STATE_SCHEMA

PUBLISHED_TABLE = f"{SOURCE_SCHEMA}._published"
_ALIAS = "_read_copy_new"
# The new copy's name while it is written; only a run holding the live warehouse publishes, so
# one fixed name per target is enough, and it tells a leftover from a killed publish.
_PARTIAL_SUFFIX = ".publishing"


@dataclass(frozen=True)
class PublishStats:
    path: str
    bytes: int
    seconds: float
    rows: dict[str, int]


def read_copy_beside(database: str) -> str:
    """The read copy's default place: `<warehouse>_read.duckdb` beside a warehouse file (the
    default warehouse data/warehouse.duckdb gives data/warehouse_read.duckdb), so two warehouses
    never share a copy; DEFAULT_READ_DUCKDB_PATH for a warehouse that is not a local file."""
    if database.startswith("md:") or database == ":memory:":
        return DEFAULT_READ_DUCKDB_PATH
    path = Path(database.split("?")[0])
    return str(path.with_name(f"{path.stem}_read{path.suffix or '.duckdb'}"))


def read_copy_path(path: str) -> Path:
    """The read copy's file, refused when DuckDB would name its catalog like one of our schemas
    (as for the warehouse) or when it is not a plain file path."""
    if path.startswith("md:") or path == ":memory:" or "?" in path:
        raise WarehouseError(
            f"read copy {path!r} must be a local file path, e.g. data/warehouse_read.duckdb"
        )
    resolved = Path(path).expanduser()
    if resolved.stem.lower() in RESERVED_NAMES:
        raise WarehouseError(
            f"read copy {path!r} is named like a schema ({resolved.stem}); DuckDB names its "
            "catalog after the file, which makes flintt.<table> ambiguous: use another name, "
            "e.g. data/warehouse_read.duckdb"
        )
    return resolved


def publish(
    connection: duckdb.DuckDBPyConnection, *, target: str, published_by: str = ""
) -> PublishStats:
    """Copy every schema of the open warehouse behind `connection` to `target` (but the models'
    internal update state), replacing it atomically, with `flintt._published` saying when and
    how fresh each table is."""
    started = time.perf_counter()
    final = read_copy_path(target)
    if final.resolve() == Path(_database_file(connection)).resolve():
        raise WarehouseError(
            f"read copy {target} is the warehouse itself: point FLINTT_READ_DUCKDB_PATH at "
            "another file"
        )
    final.parent.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(final.name + _PARTIAL_SUFFIX)
    _remove_partial(partial)
    live_file = _database_file(connection)
    byte_copy = Path(live_file).is_file()
    if byte_copy:
        # Checkpointed, the file holds every committed change, and nothing writes it while this
        # connection (the only writer) copies it: a byte copy is the database, at disk speed.
        connection.execute("CHECKPOINT")
        shutil.copyfile(live_file, partial)
    connection.execute(f"ATTACH {_literal(str(partial))} AS {_ALIAS}")
    try:
        if not byte_copy:  # a warehouse that is not a local file (MotherDuck): table by table
            live = _quoted(_current_database(connection))
            connection.execute(f"COPY FROM DATABASE {live} TO {_ALIAS}")
        # The models' update state serves the writer only; readers see the models themselves.
        connection.execute(f"DROP SCHEMA IF EXISTS {_ALIAS}.{STATE_SCHEMA} CASCADE")
        rows = _write_published(connection, published_by=published_by)
        connection.execute(f"CHECKPOINT {_ALIAS}")
    finally:
        connection.execute(f"DETACH DATABASE IF EXISTS {_ALIAS}")
    if Path(f"{partial}.wal").exists():
        raise WarehouseError(f"publishing {target}: DuckDB left a WAL beside the new copy")
    _fsync(partial)
    os.replace(partial, final)
    _fsync(final.parent)
    return PublishStats(
        path=str(final),
        bytes=final.stat().st_size,
        seconds=time.perf_counter() - started,
        rows=rows,
    )


def _write_published(connection: duckdb.DuckDBPyConnection, *, published_by: str) -> dict[str, int]:
    """Fill `_published` in the new copy: one row per table of flintt and analytics with its row
    count, the last sync that changed it (raw tables) and the moment of this copy."""
    tables = [
        (schema, name)
        for schema, name in connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ? "
            "AND schema_name IN (?, ?) ORDER BY ALL",
            [_ALIAS, SOURCE_SCHEMA, MODEL_SCHEMA],
        ).fetchall()
    ]
    counts = {
        f"{schema}.{name}": _count(connection, f'{_ALIAS}."{schema}"."{name}"')
        for schema, name in tables
    }
    connection.execute(
        f"CREATE TABLE {_ALIAS}.{PUBLISHED_TABLE} (table_name VARCHAR PRIMARY KEY, "
        "row_count BIGINT NOT NULL, last_synced_at TIMESTAMPTZ, published_at TIMESTAMPTZ NOT NULL, "
        "published_by VARCHAR NOT NULL)"
    )
    # Sync state lives in the warehouse, so the copy's freshness is exactly what was copied.
    connection.execute(
        f"INSERT INTO {_ALIAS}.{PUBLISHED_TABLE} "
        "SELECT t.table_name, t.row_count, s.synced_at, now(), ? "
        "FROM (SELECT unnest(?::VARCHAR[]) AS table_name, unnest(?::BIGINT[]) AS row_count) t "
        f"LEFT JOIN {_ALIAS}.{SOURCE_SCHEMA}._sync_state s "
        f"ON t.table_name = '{SOURCE_SCHEMA}.' || s.stream",
        [published_by, list(counts), list(counts.values())],
    )
    return counts


def _count(connection: duckdb.DuckDBPyConnection, table: str) -> int:
    row = connection.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


def _current_database(connection: duckdb.DuckDBPyConnection) -> str:
    row = connection.execute("SELECT current_database()").fetchone()
    assert row is not None
    return str(row[0])


def _database_file(connection: duckdb.DuckDBPyConnection) -> str:
    row = connection.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return str(row[0]) if row and row[0] else ":memory:"


def _remove_partial(partial: Path) -> None:
    for leftover in (partial, Path(f"{partial}.wal")):
        leftover.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
