"""The durable webhook inbox: the only code that opens its SQLite file (seam for Postgres later)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    received_at TEXT NOT NULL,
    body BLOB NOT NULL,
    processed_at TEXT
);
CREATE INDEX IF NOT EXISTS events_processed_at ON events (processed_at)
    WHERE processed_at IS NOT NULL;
"""
# 4 parameters per row stays well under SQLite's 32,766 bound parameters per statement.
_ROWS_PER_STATEMENT = 2000


class InboxWriteError(Exception):
    """The inbox cannot be opened or written; str() is one line naming the file and the cause."""


@dataclass(frozen=True)
class InboxEvent:
    position: int
    event_id: str
    event_type: str
    received_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class NewEvent:
    event_id: str
    event_type: str
    body: bytes


def _now() -> str:
    # One fixed ISO format (UTC, microseconds) so timestamps compare correctly as text.
    return datetime.now(UTC).isoformat(timespec="microseconds")


class Inbox:
    """Events keyed by event id, in arrival order; `position` only grows (AUTOINCREMENT never reuses
    a pruned position), so a reader's cursor stays valid across prunes."""

    def __init__(self, path: str | Path, *, busy_timeout: float = 5.0) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves so one call is one transaction.
            self._db = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            self._db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            mode = self._db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise sqlite3.OperationalError(f"journal mode is {mode}, WAL is required")
            # FULL: a commit is on disk before the receiver answers 2xx, even after power loss.
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as error:
            raise InboxWriteError(f"cannot open the webhook inbox {self.path}: {error}") from None

    def add(self, *, event_id: str, event_type: str, body: bytes) -> bool:
        """Store one event; False when its id is already stored (it is then left as it was)."""
        return self.add_many([NewEvent(event_id=event_id, event_type=event_type, body=body)])[0]

    def add_many(self, events: Sequence[NewEvent]) -> list[bool]:
        """Store events in ONE transaction (one fsync); per event: True new, False duplicate
        (also for a repeat of an id earlier in the same call)."""
        received_at = _now()
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    added: list[bool] = []
                    for start in range(0, len(events), _ROWS_PER_STATEMENT):
                        chunk = events[start : start + _ROWS_PER_STATEMENT]
                        added += self._insert_new(chunk, received_at=received_at)
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as error:
                raise self._write_error(error) from None
        return added

    def _insert_new(self, events: Sequence[NewEvent], *, received_at: str) -> list[bool]:
        # Whole-chunk statements rather than one per event: each statement hands the GIL to the
        # event loop and back, and under load every hand-back can wait a switch interval.
        ids = [event.event_id for event in events]
        known = {
            row[0]
            for row in self._db.execute(
                f"SELECT event_id FROM events WHERE event_id IN ({','.join('?' * len(ids))})", ids
            )
        }
        added: list[bool] = []
        fresh: list[object] = []
        for event in events:
            is_new = event.event_id not in known
            added.append(is_new)
            if is_new:
                known.add(event.event_id)
                fresh += (event.event_id, event.event_type, received_at, event.body)
        if fresh:
            rows = ", ".join(["(?, ?, ?, ?)"] * (len(fresh) // 4))
            self._db.execute(
                f"INSERT INTO events (event_id, event_type, received_at, body) VALUES {rows}", fresh
            )
        return added

    def read_after(self, position: int, *, limit: int = 1000) -> list[InboxEvent]:
        """Events with a position greater than `position`, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT position, event_id, event_type, received_at, body FROM events"
                " WHERE position > ? ORDER BY position LIMIT ?",
                (position, limit),
            ).fetchall()
        return [
            InboxEvent(
                position=row[0],
                event_id=row[1],
                event_type=row[2],
                received_at=datetime.fromisoformat(row[3]),
                payload=orjson.loads(row[4]),
            )
            for row in rows
        ]

    def last_position(self) -> int:
        """The highest position ever given (pruning does not lower it); 0 for a new inbox."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'events'"
            ).fetchall()
        return rows[0][0] if rows else 0

    def mark_processed(self, *, up_to: int) -> None:
        """Mark every event up to and including position `up_to` as processed (prunable later)."""
        with self._lock:
            self._write(
                "UPDATE events SET processed_at = ? WHERE position <= ? AND processed_at IS NULL",
                (_now(), up_to),
            )

    def prune(self, *, older_than: timedelta) -> int:
        """Delete events processed more than `older_than` ago; returns how many were deleted."""
        cutoff = (datetime.now(UTC) - older_than).isoformat(timespec="microseconds")
        with self._lock:
            return self._write(
                "DELETE FROM events WHERE processed_at IS NOT NULL AND processed_at < ?", (cutoff,)
            )

    def _write(self, sql: str, parameters: tuple[object, ...]) -> int:
        try:
            return self._db.execute(sql, parameters).rowcount
        except sqlite3.Error as error:
            raise self._write_error(error) from None

    def _write_error(self, error: sqlite3.Error) -> InboxWriteError:
        return InboxWriteError(f"cannot write the webhook inbox {self.path}: {error}")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Inbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
