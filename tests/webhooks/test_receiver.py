"""Every row of the receiver's answer table, over real HTTP against a real SQLite inbox."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import httpx
import orjson
from receiver_helpers import TOKEN, event_body, post, stored

from flintt_pipeline.webhooks.app import WEBHOOK_PATH
from flintt_pipeline.webhooks.server import running_receiver


def test_valid_event_is_stored_then_answered_202(receiver: str, inbox_path: Path) -> None:
    response = post(receiver, event_body("evt_1"))
    assert response.status_code == 202
    [event] = stored(inbox_path)
    assert (event.event_id, event.event_type) == ("evt_1", "signal.run.completed")
    assert event.payload["data"] == {"run_id": "r1"}


def test_content_type_is_not_trusted(receiver: str, inbox_path: Path) -> None:
    assert (
        post(receiver, event_body("evt_text"), **{"Content-Type": "text/plain"}).status_code == 202
    )
    assert post(receiver, b"{not json", **{"Content-Type": "application/json"}).status_code == 400
    assert [e.event_id for e in stored(inbox_path)] == ["evt_text"]


def test_the_same_event_again_is_acknowledged_and_stored_once(
    receiver: str, inbox_path: Path
) -> None:
    first = post(receiver, event_body("evt_dup"))
    again = post(receiver, event_body("evt_dup"))
    assert first.status_code == 202
    assert again.is_success
    assert again.json()["status"] == "duplicate"
    assert [e.event_id for e in stored(inbox_path)] == ["evt_dup"]


def test_event_id_and_type_fall_back_to_other_keys_then_to_a_body_hash(
    receiver: str, inbox_path: Path
) -> None:
    alternate = orjson.dumps({"event_id": "evt_alt", "event_type": "company.created"})
    anonymous = orjson.dumps({"event": "prospect.created", "data": {"id": "p1"}})
    assert post(receiver, alternate).status_code == 202
    assert post(receiver, anonymous).status_code == 202
    assert post(receiver, anonymous).is_success
    events = {(e.event_id, e.event_type) for e in stored(inbox_path)}
    hashed = "sha256:" + hashlib.sha256(anonymous).hexdigest()
    assert events == {("evt_alt", "company.created"), (hashed, "prospect.created")}


def test_missing_or_wrong_bearer_is_401_stores_nothing_echoes_nothing(
    receiver: str, inbox_path: Path
) -> None:
    body = event_body("evt_secret_marker")
    answers = [
        post(receiver, body, token=None),
        post(receiver, body, token="wrong-token"),
        post(receiver, body, token=TOKEN + "x"),
        post(receiver, body, token=None, Authorization=f"Basic {TOKEN}"),
        post(receiver, body, token=None, Authorization=f"Bearer{TOKEN}"),
    ]
    assert [a.status_code for a in answers] == [401] * 5
    for answer in answers:
        assert b"evt_secret_marker" not in answer.content
        assert b"wrong-token" not in answer.content
        assert TOKEN.encode() not in answer.content
    assert stored(inbox_path) == []


def test_not_json_or_not_an_object_is_400_and_not_stored(receiver: str, inbox_path: Path) -> None:
    for body in [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[1, 2]",
        b'"text"',
        b"42",
        b"null",
        b'{"a": NaN}',
    ]:
        assert post(receiver, body).status_code == 400, body
    assert stored(inbox_path) == []


def test_unknown_event_type_is_202_and_stored(receiver: str, inbox_path: Path) -> None:
    assert post(receiver, event_body("evt_new", "workspace.renamed")).status_code == 202
    assert post(receiver, orjson.dumps({"id": "evt_untyped"})).status_code == 202
    events = {(e.event_id, e.event_type) for e in stored(inbox_path)}
    assert events == {("evt_new", "workspace.renamed"), ("evt_untyped", "unknown")}


def test_inbox_that_cannot_be_written_answers_503_never_2xx(tmp_path: Path) -> None:
    inbox_path = tmp_path / "locked.sqlite3"
    with running_receiver(inbox_path=inbox_path, tokens=[TOKEN], busy_timeout=0.2) as base_url:
        url = base_url + WEBHOOK_PATH
        # Another writer holding the database's write lock makes every insert fail.
        holder = sqlite3.connect(inbox_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            blocked = post(url, event_body("evt_blocked"))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert blocked.status_code == 503
        assert post(url, event_body("evt_after")).status_code == 202
    assert [e.event_id for e in stored(inbox_path)] == ["evt_after"]


def test_healthz_answers_ok(receiver: str) -> None:
    health = httpx.get(receiver.removesuffix(WEBHOOK_PATH) + "/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
