"""What the write path keeps in the warehouse: the signal keys, the push log, and the rows of a
user's query to push. Each write is its own small transaction, so a process killed mid-way keeps
everything recorded before."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from flintt_pipeline.lib.warehouse.errors import WarehouseError
from flintt_pipeline.lib.warehouse.warehouse import Warehouse


@dataclass(frozen=True, kw_only=True)
class PushEntry:
    push_id: str
    stream: str
    source_key: str
    flintt_id: str | None
    status: str
    error: str | None


class SignalKeys:
    """flintt.signal_keys: key -> the Flintt signal id it means (the apply's `KeyBook`)."""

    def __init__(self, warehouse: Warehouse) -> None:
        self._connection = warehouse.connection

    def load(self) -> dict[str, str]:
        rows = self._connection.execute("SELECT key, signal_id FROM flintt.signal_keys").fetchall()
        return {key: signal_id for key, signal_id in rows}

    def record(self, key: str, signal_id: str) -> None:
        with _transaction(self._connection):
            self._connection.execute(
                "DELETE FROM flintt.signal_keys WHERE key = ? OR signal_id = ?", [key, signal_id]
            )
            self._connection.execute(
                "INSERT INTO flintt.signal_keys VALUES (?, ?, ?)", [key, signal_id, _now()]
            )

    def record_all(self, keys: dict[str, str]) -> None:
        for key, signal_id in keys.items():
            self.record(key, signal_id)

    def forget_signal(self, signal_id: str) -> None:
        self._connection.execute("DELETE FROM flintt.signal_keys WHERE signal_id = ?", [signal_id])


def append_push_log(warehouse: Warehouse, entries: Iterable[PushEntry]) -> int:
    rows = [
        [e.push_id, e.stream, e.source_key, e.flintt_id, e.status, e.error, _now()] for e in entries
    ]
    if rows:
        with _transaction(warehouse.connection):
            warehouse.connection.executemany(
                "INSERT INTO flintt.push_log VALUES (?, ?, ?, ?, ?, ?, ?)", rows
            )
    return len(rows)


def query_rows(warehouse: Warehouse, sql: str) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and rows of a user's SELECT, run in a read-only transaction so that it cannot
    change the warehouse; WarehouseError with DuckDB's first line when it fails."""
    connection = warehouse.connection
    connection.execute("BEGIN TRANSACTION READ ONLY")
    try:
        cursor = connection.execute(sql)
        if cursor.description is None:
            raise WarehouseError("the query returned no rows: give a SELECT")
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise WarehouseError(f"the query failed: {first}") from None
    finally:
        connection.execute("ROLLBACK")
    return columns, rows


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    connection.execute("BEGIN")
    try:
        yield
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def synced_signals(warehouse: Warehouse) -> list[dict[str, Any]]:
    """The live signals of the last sync, as Flintt listed them: `description` only when the
    listing carried it (a NULL column would otherwise read as an emptied description)."""
    rows = warehouse.connection.execute(
        "SELECT id, name, description, status, schedule, "
        "json_exists(_raw, '$.description') FROM flintt.signals WHERE _deleted_at IS NULL"
    ).fetchall()
    signals = []
    for signal_id, name, description, status, schedule, described in rows:
        record = {"id": signal_id, "name": name, "status": status, "schedule": schedule}
        if described:
            record["description"] = description
        signals.append(record)
    return signals
