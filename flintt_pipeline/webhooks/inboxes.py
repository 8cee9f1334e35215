"""Which inbox to open: `FLINTT_INBOX_URL` (a `postgresql://` URL, shared by receivers on several
hosts) or else the SQLite file at `FLINTT_INBOX_PATH`. The receiver, the sensor and the CLI open
inboxes only through here and use only the methods of `WebhookInbox`, so neither knows which
implementation it holds."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from flintt_pipeline.contract import DEFAULT_INBOX_PATH
from flintt_pipeline.webhooks.inbox import Inbox, InboxEvent, NewEvent

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


class WebhookInbox(Protocol):
    def add_many(self, events: Sequence[NewEvent]) -> list[bool]: ...
    def read_after(self, position: int, *, limit: int = 1000) -> list[InboxEvent]: ...
    def last_position(self) -> int: ...
    def mark_processed(self, *, up_to: int) -> None: ...
    def prune(self, *, older_than: timedelta) -> int: ...
    def verify(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...


def inbox_location_from_env() -> str:
    """FLINTT_INBOX_URL when set, else FLINTT_INBOX_PATH, else the default file."""
    return (
        os.environ.get("FLINTT_INBOX_URL", "").strip()
        or os.environ.get("FLINTT_INBOX_PATH", "").strip()
        or DEFAULT_INBOX_PATH
    )


def is_postgres(location: str | Path) -> bool:
    return str(location).startswith(POSTGRES_SCHEMES)


def open_inbox(location: str | Path) -> WebhookInbox:
    """The inbox at `location`; InboxWriteError (one line, no password) if it cannot open."""
    if is_postgres(location):
        # Imported here so an install that never uses Postgres never loads its driver.
        from flintt_pipeline.webhooks.postgres_inbox import PostgresInbox

        return PostgresInbox(str(location))
    return Inbox(location)
