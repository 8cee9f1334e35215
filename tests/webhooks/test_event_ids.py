"""Event ids as an attacker picks them: non-strings, oversized, logged; and a second delivery of an
id with another body, which is stored flagged instead of being dropped as a duplicate."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import orjson
import pytest
from receiver_helpers import post, stored

from flintt_pipeline.webhooks.events import MAX_ID_CHARS
from flintt_pipeline.webhooks.inbox import Inbox


def _body(event_id: object, **fields: object) -> bytes:
    return orjson.dumps({"id": event_id, "type": "company.created", **fields})


def test_ids_must_be_strings_so_5_and_quoted_5_never_collide(
    receiver: str, inbox_path: Path
) -> None:
    assert post(receiver, _body(5)).status_code == 400
    assert post(receiver, orjson.dumps({"event_id": 5.0})).status_code == 400
    assert post(receiver, _body(["5"])).status_code == 400
    answer = post(receiver, _body(5))
    assert answer.json() == {"error": "`id` must be a non-empty string"}
    assert post(receiver, _body("5")).status_code == 202
    assert [event.event_id for event in stored(inbox_path)] == ["5"]


def test_ids_over_the_cap_are_refused_and_logs_carry_only_a_prefix(
    receiver: str, inbox_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    longest = "evt_" + "x" * (MAX_ID_CHARS - 4)
    assert post(receiver, _body(longest + "y")).status_code == 400
    assert post(receiver, _body(longest, data="body-marker-never-logged")).status_code == 202
    assert [event.event_id for event in stored(inbox_path)] == [longest]
    assert longest[:40] + "..." in caplog.text
    assert longest not in caplog.text
    assert "body-marker-never-logged" not in caplog.text


def test_a_changed_redelivery_is_stored_flagged_and_its_retries_are_duplicates(
    receiver: str, inbox_path: Path
) -> None:
    first, changed = _body("evt_r", data=1), _body("evt_r", data=2)
    assert post(receiver, first).status_code == 202
    assert post(receiver, first).status_code == 200
    assert post(receiver, changed).status_code == 202
    assert post(receiver, changed).status_code == 200
    # Another type with the first body is a change too.
    retyped = orjson.dumps({"id": "evt_r", "type": "prospect.created", "data": 1})
    assert post(receiver, retyped).status_code == 202
    events = stored(inbox_path)
    assert [event.redelivered_changed for event in events] == [False, True, True]
    assert events[0].event_id == "evt_r"
    assert all(event.event_id.startswith("evt_r#changed:") for event in events[1:])
    assert events[1].event_id != events[2].event_id
    assert [event.payload.get("data") for event in events] == [1, 2, 1]


def test_an_inbox_from_before_the_flag_is_upgraded_in_place(tmp_path: Path) -> None:
    inbox_path = tmp_path / "old.sqlite3"
    with sqlite3.connect(inbox_path) as old:
        old.executescript(
            "CREATE TABLE events (position INTEGER PRIMARY KEY AUTOINCREMENT,"
            " event_id TEXT NOT NULL UNIQUE, event_type TEXT NOT NULL, received_at TEXT NOT NULL,"
            " body BLOB NOT NULL, processed_at TEXT);"
        )
        old.execute(
            "INSERT INTO events (event_id, event_type, received_at, body) VALUES (?, ?, ?, ?)",
            ("evt_old", "company.created", "2026-01-01T00:00:00.000000+00:00", b'{"id": 1}'),
        )
    old.close()
    with Inbox(inbox_path) as inbox:
        assert inbox.add(event_id="evt_old", event_type="company.created", body=b"{}") is True
        events = inbox.read_after(0)
    assert [(e.position, e.event_id, e.redelivered_changed) for e in events] == [
        (1, "evt_old", False),
        (2, events[1].event_id, True),
    ]
    assert events[1].event_id.startswith("evt_old#changed:")
