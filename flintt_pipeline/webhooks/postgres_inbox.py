"""The webhook inbox in PostgreSQL, for several receivers on several hosts: the same contract as
the SQLite inbox (`inbox.Inbox`), through psycopg2 (which dagster-postgres already brings) and
its thread-safe pool.

Positions: a reader's cursor follows `position`, so a position must never become visible after
a higher one. Sequence values are handed out at insert time but become visible at commit, and
two receivers' transactions commit in any order. Every insert therefore holds one transaction
advisory lock from taking its positions until its commit: transactions that add events commit
in position order, and a reader that sees position N has seen every event below it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import orjson
import psycopg2
import psycopg2.extensions
import psycopg2.extras
import psycopg2.pool

from flintt_pipeline.webhooks.inbox import InboxEvent, InboxWriteError
from flintt_pipeline.webhooks.redelivery import NewEvent, Version, plan_rows

# Any fixed number; it names the inbox's lock among the database's advisory locks.
_WRITE_LOCK = 7_346_201_903
_SCHEMA = """
CREATE TABLE IF NOT EXISTS flintt_inbox_events (
    position BIGSERIAL PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    body BYTEA NOT NULL,
    processed_at TIMESTAMPTZ,
    redelivered_changed BOOLEAN NOT NULL DEFAULT false
);
-- Inboxes made before the column existed get it in place; old rows read as false.
ALTER TABLE flintt_inbox_events
    ADD COLUMN IF NOT EXISTS redelivered_changed BOOLEAN NOT NULL DEFAULT false;
CREATE INDEX IF NOT EXISTS flintt_inbox_events_processed_at
    ON flintt_inbox_events (processed_at) WHERE processed_at IS NOT NULL;
"""


def shown_url(url: str) -> str:
    """The URL without its user and password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class PostgresInbox:
    """Events keyed by event id in table `flintt_inbox_events`, in commit order."""

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 4,
        connect_timeout: int = 5,
        statement_timeout_ms: int = 10_000,
    ) -> None:
        self.location = shown_url(url)
        try:
            self._pool = psycopg2.pool.ThreadedConnectionPool(
                1,
                max_connections,
                url,
                connect_timeout=connect_timeout,
                # A write waits at most this long (for the lock, or a stalled server), so a
                # receiver answers 503 rather than hanging its clients.
                options=f"-c statement_timeout={statement_timeout_ms}",
            )
            with self._transaction() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
                cursor.execute(_SCHEMA)
        except psycopg2.Error as error:
            raise InboxWriteError(self._message("open", error)) from None

    @contextmanager
    def _transaction(self) -> Iterator[psycopg2.extensions.cursor]:
        """One transaction on a pooled connection."""
        connection = self._pool.getconn()
        failed = True
        try:
            with connection, connection.cursor() as cursor:
                yield cursor
            failed = False
        finally:
            # After a failure the connection may be dead (the server restarted): close it, so
            # the next call connects afresh instead of failing on it again.
            self._pool.putconn(connection, close=failed)

    def _message(self, verb: str, error: psycopg2.Error) -> str:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return f"cannot {verb} the webhook inbox {self.location}: {first}"

    def add(self, *, event_id: str, event_type: str, body: bytes) -> bool:
        return self.add_many([NewEvent(event_id=event_id, event_type=event_type, body=body)])[0]

    def add_many(self, events: Sequence[NewEvent]) -> list[bool]:
        """Store events in one transaction; per event True if it got a row (new, or a changed
        redelivery: see `redelivery`), False for a duplicate (of this call, an earlier one, or
        another receiver's)."""
        if not events:
            return []
        try:
            with self._transaction() as cursor:
                # Held to the commit, so what `plan_rows` read is still true when rows go in.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))

                def stored(keys: list[str]) -> dict[str, Version]:
                    cursor.execute(
                        "SELECT event_id, event_type, body FROM flintt_inbox_events"
                        " WHERE event_id = ANY(%s)",
                        (keys,),
                    )
                    return {row[0]: (row[1], bytes(row[2])) for row in cursor.fetchall()}

                added, rows = plan_rows(events, stored=stored)
                if rows:
                    psycopg2.extras.execute_values(
                        cursor,
                        "INSERT INTO flintt_inbox_events"
                        " (event_id, event_type, body, redelivered_changed) VALUES %s",
                        [
                            (
                                row.key,
                                row.event.event_type,
                                psycopg2.Binary(row.event.body),
                                row.redelivered_changed,
                            )
                            for row in rows
                        ],
                        page_size=len(rows),
                    )
        except psycopg2.Error as error:
            raise InboxWriteError(self._message("write", error)) from None
        return added

    def verify(self) -> None:
        """InboxWriteError (one line) unless a pooled connection reaches the inbox's table."""
        self._query("SELECT 1 FROM flintt_inbox_events LIMIT 1", ())

    def read_after(self, position: int, *, limit: int = 1000) -> list[InboxEvent]:
        rows = self._query(
            "SELECT position, event_id, event_type, received_at, body, redelivered_changed"
            " FROM flintt_inbox_events WHERE position > %s ORDER BY position LIMIT %s",
            (position, limit),
        )
        return [
            InboxEvent(
                position=row[0],
                event_id=row[1],
                event_type=row[2],
                received_at=row[3],
                payload=orjson.loads(bytes(row[4])),
                redelivered_changed=row[5],
            )
            for row in rows
        ]

    def last_position(self) -> int:
        """The highest position ever given (pruning does not lower it); 0 for a new inbox."""
        rows = self._query(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END"
            " FROM flintt_inbox_events_position_seq",
            (),
        )
        return int(rows[0][0])

    def mark_processed(self, *, up_to: int) -> None:
        self._write(
            "UPDATE flintt_inbox_events SET processed_at = now()"
            " WHERE position <= %s AND processed_at IS NULL",
            (up_to,),
        )

    def prune(self, *, older_than: timedelta) -> int:
        return self._write(
            "DELETE FROM flintt_inbox_events"
            " WHERE processed_at IS NOT NULL AND processed_at < now() - %s",
            (older_than,),
        )

    def _query(self, sql: str, parameters: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        try:
            with self._transaction() as cursor:
                cursor.execute(sql, parameters)
                return cursor.fetchall()
        except psycopg2.Error as error:
            raise InboxWriteError(self._message("read", error)) from None

    def _write(self, sql: str, parameters: tuple[Any, ...]) -> int:
        try:
            with self._transaction() as cursor:
                cursor.execute(sql, parameters)
                return cursor.rowcount
        except psycopg2.Error as error:
            raise InboxWriteError(self._message("write", error)) from None

    def close(self) -> None:
        self._pool.closeall()

    def __enter__(self) -> PostgresInbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
