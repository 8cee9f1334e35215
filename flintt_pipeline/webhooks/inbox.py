"""The durable webhook inbox: the only code that opens its SQLite file (seam for Postgres later)."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from flintt_pipeline.webhooks.redelivery import NewEvent, Version, plan_rows

__all__ = ["Inbox", "InboxEvent", "InboxWriteError", "NewEvent"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    received_at TEXT NOT NULL,
    body BLOB NOT NULL,
    processed_at TEXT,
    redelivered_changed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS events_processed_at ON events (processed_at)
    WHERE processed_at IS NOT NULL;
"""
# Inboxes made before the column existed get it in place; old rows read as 0 (not a redelivery).
_UPGRADE = "ALTER TABLE events ADD COLUMN redelivered_changed INTEGER NOT NULL DEFAULT 0"
# 5 parameters per row stays well under SQLite's 32,766 bound parameters per statement.
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
    # A later delivery of an id already stored, with another body or type (see changed_key).
    redelivered_changed: bool = False


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
            self._prove_writable()
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
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(events)")}
            if "redelivered_changed" not in columns:
                self._db.execute(_UPGRADE)
            self._identity = self._file_identity()
        except (OSError, sqlite3.Error) as error:
            raise InboxWriteError(f"cannot open the webhook inbox {self.path}: {error}") from None

    def _files(self) -> tuple[Path, Path, Path]:
        return (
            self.path,
            self.path.with_name(self.path.name + "-wal"),
            self.path.with_name(self.path.name + "-shm"),
        )

    def _prove_writable(self) -> None:
        # SQLite opens a read-only -shm or -wal without complaint and later dies of SIGBUS with no
        # line logged. access(), not open(): closing any descriptor of a file would drop the
        # POSIX locks SQLite holds on it, and with them what keeps other connections safe.
        for file in (self.path.parent, *self._files()):
            if file.exists() and not os.access(file, os.W_OK):
                raise PermissionError(f"{file} is not writable")

    def _file_identity(self) -> tuple[tuple[int, int], ...]:
        # The database and its -wal (which exists while any connection is open): if either was
        # deleted or replaced, commits land in a file nobody at the configured path will read.
        identity = []
        for file in self._files()[:2]:
            status = os.stat(file)
            identity.append((status.st_dev, status.st_ino))
        return tuple(identity)

    def _check_identity(self) -> None:
        try:
            same = self._file_identity() == self._identity
        except FileNotFoundError:
            same = False
        if not same:
            raise InboxWriteError(
                f"the webhook inbox {self.path} was deleted or replaced while open: "
                "restart the receiver"
            )

    def verify(self) -> None:
        """InboxWriteError (one line) unless the inbox is still the writable file at its path."""
        with self._lock:
            self._check_identity()
            try:
                self._prove_writable()
                self._db.execute("SELECT 1 FROM events LIMIT 1").fetchall()
            except (OSError, sqlite3.Error) as error:
                raise self._write_error(error) from None

    def add(self, *, event_id: str, event_type: str, body: bytes) -> bool:
        """Store one event; False when it is a duplicate (see `redelivery` for the rule)."""
        return self.add_many([NewEvent(event_id=event_id, event_type=event_type, body=body)])[0]

    def add_many(self, events: Sequence[NewEvent]) -> list[bool]:
        """Store events in ONE transaction (one fsync); per event: True when it got a row (new, or
        a changed redelivery), False for a duplicate (also of an event earlier in the call)."""
        received_at = _now()
        with self._lock:
            self._check_identity()
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
        added, rows = plan_rows(events, stored=self._stored)
        if rows:
            values = ", ".join(["(?, ?, ?, ?, ?)"] * len(rows))
            parameters: list[object] = []
            for row in rows:
                event = row.event
                parameters += (
                    row.key,
                    event.event_type,
                    received_at,
                    event.body,
                    row.redelivered_changed,
                )
            self._db.execute(
                "INSERT INTO events (event_id, event_type, received_at, body, redelivered_changed)"
                f" VALUES {values}",
                parameters,
            )
        return added

    def _stored(self, keys: list[str]) -> dict[str, Version]:
        rows = self._db.execute(
            "SELECT event_id, event_type, body FROM events"
            f" WHERE event_id IN ({','.join('?' * len(keys))})",
            keys,
        )
        return {key: (event_type, bytes(body)) for key, event_type, body in rows}

    def read_after(self, position: int, *, limit: int = 1000) -> list[InboxEvent]:
        """Events with a position greater than `position`, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT position, event_id, event_type, received_at, body, redelivered_changed"
                " FROM events WHERE position > ? ORDER BY position LIMIT ?",
                (position, limit),
            ).fetchall()
        return [
            InboxEvent(
                position=row[0],
                event_id=row[1],
                event_type=row[2],
                received_at=datetime.fromisoformat(row[3]),
                payload=orjson.loads(row[4]),
                redelivered_changed=bool(row[5]),
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

    def _write_error(self, error: sqlite3.Error | OSError) -> InboxWriteError:
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
