"""The Postgres inbox: the SQLite inbox's contract, positions a cursor can follow whatever order
receivers commit in, two receivers sharing it through a SIGKILL, and a database restart."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg2
import pytest
from pg_server import PostgresServer, running_postgres
from receivers import AUTH, event_body, post_all, start_receiver, stop

from flintt_pipeline.webhooks.inbox import InboxWriteError, NewEvent
from flintt_pipeline.webhooks.inboxes import open_inbox
from flintt_pipeline.webhooks.postgres_inbox import PostgresInbox
from flintt_pipeline.webhooks.redelivery import changed_key


def _events(*ids: str) -> list[NewEvent]:
    return [
        NewEvent(event_id=i, event_type="signal.run.completed", body=event_body(i)) for i in ids
    ]


def test_postgres_inbox_keeps_the_inbox_contract(postgres: PostgresServer) -> None:
    url = postgres.create_database("inbox_contract")
    with open_inbox(url) as inbox:
        assert isinstance(inbox, PostgresInbox)
        assert inbox.last_position() == 0
        assert inbox.add_many(_events("a", "b", "a")) == [True, True, False]
        assert inbox.add_many(_events("b", "c")) == [False, True]
        events = inbox.read_after(0)
        assert [e.event_id for e in events] == ["a", "b", "c"]
        assert [e.payload["id"] for e in events] == ["a", "b", "c"]
        positions = [e.position for e in events]
        assert positions == sorted(positions)
        assert [e.event_id for e in inbox.read_after(positions[0], limit=1)] == ["b"]
        inbox.mark_processed(up_to=positions[-1])
        assert inbox.prune(older_than=timedelta(0)) == 3
        # Pruning never lowers the last position, so a cursor stays valid.
        assert inbox.last_position() == positions[-1]
        assert inbox.read_after(0) == []


def test_postgres_inbox_positions_never_appear_out_of_order(postgres: PostgresServer) -> None:
    """A receiver stalled between taking its position and committing holds back every later
    insert, so a reader never sees a position past one that is still to appear."""
    url = postgres.create_database("inbox_order")
    with PostgresInbox(url) as inbox, psycopg2.connect(url) as stalled:
        cursor = stalled.cursor()
        # What a receiver's insert does, stopped before its commit.
        cursor.execute("SELECT pg_advisory_xact_lock(7346201903)")
        cursor.execute(
            "INSERT INTO flintt_inbox_events (event_id, event_type, body)"
            " VALUES ('first', 'signal.run.completed', '\\x7b7d')"
        )
        later = threading.Thread(target=inbox.add_many, args=(_events("second"),))
        later.start()
        later.join(timeout=1.0)
        assert later.is_alive(), "the second insert must wait for the first to commit"
        assert inbox.read_after(0) == []
        stalled.commit()
        later.join(timeout=10.0)
        assert [e.event_id for e in inbox.read_after(0)] == ["first", "second"]


def _follow(url: str, stop_reading: threading.Event, seen: list[str]) -> None:
    """Read as the sensor does (everything after the cursor, cursor to the last one read)."""
    with PostgresInbox(url) as inbox:
        cursor = 0
        while True:
            done = stop_reading.is_set()
            events = inbox.read_after(cursor, limit=5000)
            seen.extend(e.event_id for e in events)
            cursor = events[-1].position if events else cursor
            if done and not events:
                return
            time.sleep(0.01)


def test_two_postgres_receivers_store_every_acknowledged_event_once(
    postgres: PostgresServer, tmp_path: Path
) -> None:
    url = postgres.create_database("inbox_two_receivers")
    PostgresInbox(url).close()
    first, first_url = start_receiver(url, log=tmp_path / "first.log")
    second, second_url = start_receiver(url, log=tmp_path / "second.log")
    seen: list[str] = []
    stop_reading = threading.Event()
    reader = threading.Thread(target=_follow, args=(url, stop_reading, seen))
    reader.start()
    try:
        ids = [f"evt_{n}" for n in range(1000)]
        # Every event to one receiver, every fifth to both (a redelivery racing the first).
        targets = [(first_url if n % 2 else second_url, i) for n, i in enumerate(ids)]
        targets += [
            (second_url if n % 2 else first_url, i) for n, i in enumerate(ids) if n % 5 == 0
        ]
        killer = threading.Timer(0.5, os.killpg, args=(first.pid, signal.SIGKILL))
        killer.start()
        statuses = asyncio.run(post_all(targets))
        killer.join()
    finally:
        stop_reading.set()
        reader.join(timeout=60.0)
        stop(first)
        stop(second)
    acknowledged = {i for i, status in statuses.items() if 200 <= status < 300}
    assert first.returncode == -signal.SIGKILL
    assert len(acknowledged) > 500
    with PostgresInbox(url) as inbox:
        stored = [e.event_id for e in inbox.read_after(0, limit=10_000)]
    assert len(stored) == len(set(stored)), "an event id was stored twice"
    assert acknowledged <= set(stored), "an acknowledged event was lost"
    # The follower, reading while both receivers committed, skipped nothing.
    assert seen == stored


def test_a_postgres_restart_mid_burst_gets_503_then_recovers(tmp_path: Path) -> None:
    with running_postgres() as server:
        url = server.url()
        receiver, event_url = start_receiver(url, log=tmp_path / "receiver.log")
        try:
            before = asyncio.run(post_all([(event_url, f"before_{n}") for n in range(50)]))
            server.stop()
            during = asyncio.run(post_all([(event_url, f"during_{n}") for n in range(50)]))
            health = httpx.get(event_url.rsplit("/webhooks", 1)[0] + "/healthz", timeout=10.0)
            server.start()
            after = asyncio.run(post_all([(event_url, f"after_{n}") for n in range(50)]))
        finally:
            stop(receiver)
        assert set(before.values()) == {202}
        assert set(during.values()) == {503}, during
        # /healthz asks the database, so it fails while the database is down.
        assert health.status_code == 503
        # The same receiver process stores again once the database is back.
        assert set(after.values()) == {202}
        with PostgresInbox(url) as inbox:
            stored = {e.event_id for e in inbox.read_after(0, limit=1000)}
        assert stored == {i for i in {**before, **after}}


def test_an_unreachable_postgres_inbox_is_one_line_without_the_password() -> None:
    url = "postgresql://flintt:s3cret-pw@127.0.0.1:1/inbox"
    with pytest.raises(InboxWriteError) as raised:
        open_inbox(url)
    message = str(raised.value)
    assert "s3cret-pw" not in message and "\n" not in message
    assert "postgresql://127.0.0.1:1/inbox" in message
    assert AUTH  # the shared token constant is what receivers are started with


def test_postgres_inbox_stores_a_changed_redelivery_flagged(postgres: PostgresServer) -> None:
    url = postgres.create_database("inbox_redelivery")
    first = NewEvent(event_id="evt_r", event_type="company.created", body=b'{"v": 1}')
    changed = NewEvent(event_id="evt_r", event_type="company.created", body=b'{"v": 2}')
    retyped = NewEvent(event_id="evt_r", event_type="prospect.created", body=b'{"v": 1}')
    with open_inbox(url) as inbox:
        assert inbox.add_many([first, first, changed]) == [True, False, True]
        assert inbox.add_many([changed, retyped, first]) == [False, True, False]
        events = inbox.read_after(0)
    assert [e.redelivered_changed for e in events] == [False, True, True]
    assert events[0].event_id == "evt_r"
    assert all(e.event_id.startswith("evt_r#changed:") for e in events[1:])
    assert [e.payload["v"] for e in events] == [1, 2, 1]
    # The same rule, so the same keys, as the SQLite inbox.
    assert events[1].event_id == changed_key(changed)


def test_postgres_inbox_from_before_the_flag_is_upgraded_in_place(
    postgres: PostgresServer,
) -> None:
    url = postgres.create_database("inbox_upgrade")
    with psycopg2.connect(url) as old:
        old.cursor().execute(
            "CREATE TABLE flintt_inbox_events (position BIGSERIAL PRIMARY KEY,"
            " event_id TEXT NOT NULL UNIQUE, event_type TEXT NOT NULL,"
            " received_at TIMESTAMPTZ NOT NULL DEFAULT now(), body BYTEA NOT NULL,"
            " processed_at TIMESTAMPTZ);"
            "INSERT INTO flintt_inbox_events (event_id, event_type, body)"
            " VALUES ('evt_old', 'company.created', '\\x7b7d')"
        )
    old.close()
    with open_inbox(url) as inbox:
        assert inbox.add_many(_events("evt_old", "evt_new")) == [True, True]
        events = inbox.read_after(0)
    assert [(e.event_id == "evt_old", e.redelivered_changed) for e in events] == [
        (True, False),
        (False, True),
        (False, False),
    ]


def test_postgres_inbox_verify_fails_once_its_table_is_gone(postgres: PostgresServer) -> None:
    url = postgres.create_database("inbox_verify")
    with open_inbox(url) as inbox:
        inbox.verify()
        with psycopg2.connect(url) as admin:
            admin.cursor().execute("DROP TABLE flintt_inbox_events")
        admin.close()
        with pytest.raises(InboxWriteError, match="cannot read the webhook inbox"):
            inbox.verify()
