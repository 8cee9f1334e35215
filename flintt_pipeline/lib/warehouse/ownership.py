"""Whether a file is a warehouse this project made, decided before any DDL touches it.

A file that is not DuckDB at all is refused from its first bytes, before DuckDB opens it: DuckDB
would otherwise try to download an extension to read a SQLite file. A DuckDB file is ours when it
holds `flintt._source` (created with the first tables, in the same commit) or nothing in schemas
`flintt`, `analytics` and `_analytics` (the models' update state) yet; another program's
`flintt.companies` is never written into.
"""

from pathlib import Path

import duckdb

from flintt_pipeline.lib.warehouse.errors import ForeignWarehouseError
from flintt_pipeline.lib.warehouse.model_changes import STATE_SCHEMA

# A DuckDB file starts with an 8-byte checksum, then this magic.
DUCKDB_MAGIC = b"DUCK"
_KNOWN_FORMATS = {b"SQLite format 3\x00": "a SQLite database"}
_OUR_SCHEMAS = ("flintt", "analytics", STATE_SCHEMA)
_ADVICE = "point FLINTT_DUCKDB_PATH at this project's warehouse or at a new file"


def check_header(path: Path, *, shown: str) -> None:
    """Refuse an existing file that is not a DuckDB database (a missing file will be created)."""
    if path.is_dir():
        raise ForeignWarehouseError(f"warehouse {shown} is a directory: {_ADVICE}")
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except FileNotFoundError:
        return
    except OSError as error:
        raise ForeignWarehouseError(
            f"cannot read warehouse {shown} ({error.strerror}): fix its permissions or {_ADVICE}"
        ) from None
    if head[8:12] == DUCKDB_MAGIC:
        return
    what = next(
        (name for magic, name in _KNOWN_FORMATS.items() if head.startswith(magic)),
        "an empty file" if not head else "not a DuckDB database",
    )
    raise ForeignWarehouseError(f"warehouse {shown} is {what}: {_ADVICE}")


def check_objects(connection: duckdb.DuckDBPyConnection, *, shown: str) -> None:
    """Refuse a DuckDB file with objects in our schemas but no `flintt._source`: another
    program's file, which our DDL would mix our tables into."""
    rows = connection.execute(
        """
        SELECT schema_name || '.' || name FROM (
            SELECT schema_name, table_name AS name, database_name FROM duckdb_tables()
            UNION ALL SELECT schema_name, view_name, database_name FROM duckdb_views()
                WHERE NOT internal
            UNION ALL SELECT schema_name, sequence_name, database_name FROM duckdb_sequences()
        )
        WHERE database_name = current_database() AND schema_name IN ?
        ORDER BY schema_name <> 'flintt', name""",
        [list(_OUR_SCHEMAS)],
    ).fetchall()
    names = [name for (name,) in rows]
    if names and "flintt._source" not in names:
        listed = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        raise ForeignWarehouseError(
            f"warehouse {shown} was not made by flintt-pipeline (it holds {listed} but no "
            f"flintt._source), refusing to write into it: {_ADVICE}"
        )
