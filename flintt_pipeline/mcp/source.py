"""Which DuckDB file the MCP server reads, how it is opened (read-only, locked down), and how fresh
its data is.

The analysts' read copy is preferred; without one the live warehouse is read, read-only. Each
answer opens the file afresh and closes it at once: a republished read copy is seen on the next
answer, and a sync waiting for the live file's lock waits at most one query.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb

from flintt_pipeline.contract import MODEL_SCHEMA, RAW_TABLES, SOURCE_SCHEMA
from flintt_pipeline.lib.warehouse import PUBLISHED_TABLE

# Set when the file is opened, then frozen by lock_configuration so no statement can undo them:
# no file, network or extension access beyond the database itself.
LOCKED_CONFIG: dict[str, Any] = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}
# How long an answer waits for a sync to release the live warehouse before saying it is busy.
LOCK_WAIT_SECONDS = 10.0
_LOCK_RETRY_SECONDS = 0.2


class SourceError(Exception):
    """The data cannot be read right now; str() says why and what to do."""


@dataclass(frozen=True, kw_only=True)
class Sources:
    """The two files the server may read, as configured."""

    read_copy: Path
    live: Path

    def choose(self) -> "Source":
        check_name(self.read_copy)
        check_name(self.live)
        if self.read_copy.is_file():
            return Source(path=self.read_copy, kind="read copy")
        if self.live.is_file():
            return Source(path=self.live, kind="live warehouse")
        raise SourceError(
            f"nothing to read: neither the read copy {self.read_copy} nor the warehouse "
            f"{self.live} exists; run `flintt-pipeline sync` (or set FLINTT_READ_DUCKDB_PATH / "
            "FLINTT_DUCKDB_PATH)"
        )


@dataclass(frozen=True, kw_only=True)
class Source:
    path: Path
    kind: Literal["read copy", "live warehouse"]


def check_name(path: Path) -> None:
    """DuckDB names the catalog after the file: a file named like a schema would make
    `flintt.companies` ambiguous (the same rule the warehouse applies)."""
    if path.stem.lower() in {SOURCE_SCHEMA, MODEL_SCHEMA, "main"}:
        raise SourceError(
            f"{path} is named like a schema ({path.stem}); DuckDB names its catalog after the "
            "file, which makes flintt.<table> ambiguous: use another name"
        )


@contextmanager
def opened(source: Source) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only, locked-down connection to `source`, closed on exit."""
    connection = _connect(source)
    try:
        yield connection
    finally:
        connection.close()


def _connect(source: Source) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        try:
            return duckdb.connect(str(source.path), read_only=True, config=LOCKED_CONFIG)
        except duckdb.Error as error:
            if "Could not set lock" not in str(error):
                raise SourceError(
                    f"cannot open {source.kind} {source.path}: {_first(error)}"
                ) from None
            if time.monotonic() >= deadline:
                raise SourceError(
                    f"the {source.kind} {source.path} is being written (a sync holds its lock) "
                    f"and stayed busy for {LOCK_WAIT_SECONDS:g}s: try again shortly, or publish "
                    "the read copy so questions never wait for a sync"
                ) from None
            time.sleep(_LOCK_RETRY_SECONDS)


def describe_source(connection: duckdb.DuckDBPyConnection, source: Source) -> dict[str, Any]:
    """Which file answered and how fresh it is: the publication time when the read copy records
    one, else the latest `_synced_at` of the raw tables."""
    as_of, basis = _published_at(connection)
    if as_of is None:
        as_of, basis = _last_synced_at(connection), "latest _synced_at of the flintt tables"
    return {
        "database": str(source.path),
        "kind": source.kind,
        "data_as_of": as_of.isoformat() if as_of else None,
        "data_as_of_from": basis if as_of else "no synced rows yet",
        "age_seconds": round((datetime.now(UTC) - as_of).total_seconds()) if as_of else None,
    }


def table_names(connection: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """(schema, table) of every table in the file."""
    rows = connection.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = "
        "current_database()"
    ).fetchall()
    return {(schema, table) for schema, table in rows}


def _published_at(connection: duckdb.DuckDBPyConnection) -> tuple[datetime | None, str]:
    """When the read copy was taken, from `flintt._published`."""
    schema, table = PUBLISHED_TABLE.split(".")
    if (schema, table) not in table_names(connection):
        return None, ""
    row = connection.execute(f"SELECT max(published_at) FROM {PUBLISHED_TABLE}").fetchone()
    return _aware(row[0] if row else None), PUBLISHED_TABLE


def _last_synced_at(connection: duckdb.DuckDBPyConnection) -> datetime | None:
    present = [t for t in RAW_TABLES if (SOURCE_SCHEMA, t) in table_names(connection)]
    if not present:
        return None
    union = " UNION ALL ".join(
        f"SELECT max(_synced_at) AS synced FROM {SOURCE_SCHEMA}.{table}" for table in present
    )
    row = connection.execute(f"SELECT max(synced) FROM ({union})").fetchone()
    return _aware(row[0] if row else None)


def _aware(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _first(error: BaseException) -> str:
    return str(error).strip().splitlines()[0]
