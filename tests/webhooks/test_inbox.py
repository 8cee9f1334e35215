"""The SQLite inbox on its own: dedup, ordered reads, processed marks, pruning, failures."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
from receiver_helpers import TOKEN, event_body

from flintt_pipeline.webhooks.inbox import Inbox, InboxWriteError, NewEvent
from flintt_pipeline.webhooks.server import running_receiver


def _fill(inbox: Inbox, count: int) -> None:
    for number in range(count):
        inbox.add(
            event_id=f"evt_{number}", event_type="company.created", body=event_body(f"evt_{number}")
        )


def test_add_stores_once_and_survives_reopening(inbox_path: Path) -> None:
    with Inbox(inbox_path) as inbox:
        assert inbox.add(event_id="a", event_type="company.created", body=b'{"id": "a"}') is True
        assert inbox.add(event_id="a", event_type="company.created", body=b'{"id": "a"}') is False
    with Inbox(inbox_path) as reopened:
        [event] = reopened.read_after(0)
    assert (event.position, event.event_id, event.payload) == (1, "a", {"id": "a"})
    assert event.redelivered_changed is False
    assert event.received_at.tzinfo is not None
    journal = sqlite3.connect(inbox_path).execute("PRAGMA journal_mode").fetchone()[0]
    assert journal == "wal"


def test_read_after_pages_in_position_order(inbox_path: Path) -> None:
    with Inbox(inbox_path) as inbox:
        _fill(inbox, 5)
        first = inbox.read_after(0, limit=2)
        rest = inbox.read_after(first[-1].position)
    assert [e.event_id for e in first + rest] == [f"evt_{n}" for n in range(5)]
    assert [e.position for e in first + rest] == sorted(e.position for e in first + rest)


def test_prune_removes_only_processed_events_past_retention(inbox_path: Path) -> None:
    with Inbox(inbox_path) as inbox:
        _fill(inbox, 4)
        inbox.mark_processed(up_to=inbox.read_after(0)[1].position)
        assert inbox.prune(older_than=timedelta(days=1)) == 0
        assert inbox.prune(older_than=timedelta(0)) == 2
        assert [e.event_id for e in inbox.read_after(0)] == ["evt_2", "evt_3"]
        # Positions are never reused, so a reader's cursor stays valid after a prune.
        inbox.add(event_id="evt_4", event_type="company.created", body=b"{}")
        assert inbox.read_after(0)[-1].position == 5


def test_receiver_prunes_processed_events_on_its_retention(inbox_path: Path) -> None:
    with Inbox(inbox_path) as inbox:
        _fill(inbox, 3)
        inbox.mark_processed(up_to=2)
    with running_receiver(inbox_path=inbox_path, tokens=[TOKEN], retention=timedelta(0)):
        deadline = time.monotonic() + 5.0
        with Inbox(inbox_path) as inbox:
            while len(inbox.read_after(0)) != 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert [e.event_id for e in inbox.read_after(0)] == ["evt_2"]


def test_unopenable_inbox_raises_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(InboxWriteError) as raised:
        Inbox(blocker / "inbox.sqlite3")
    assert "\n" not in str(raised.value)
    assert str(blocker) in str(raised.value)


def test_locked_inbox_raises_write_error(inbox_path: Path) -> None:
    with Inbox(inbox_path, busy_timeout=0.1) as inbox:
        holder = sqlite3.connect(inbox_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(InboxWriteError, match="locked"):
                inbox.add(event_id="a", event_type="company.created", body=b"{}")
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert inbox.read_after(0) == []


def test_add_many_commits_a_batch_and_marks_repeats_within_it(inbox_path: Path) -> None:
    batch = [
        NewEvent(event_id=event_id, event_type="company.created", body=b"{}")
        for event_id in ["a", "b", "a", "c", "b"]
    ]
    with Inbox(inbox_path) as inbox:
        inbox.add(event_id="c", event_type="company.created", body=b"{}")
        assert inbox.add_many(batch) == [True, True, False, False, False]
        assert [e.event_id for e in inbox.read_after(0)] == ["c", "a", "b"]
