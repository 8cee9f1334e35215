"""The 1 MiB limit is enforced while reading: 413 before the body is read in full."""

from __future__ import annotations

from pathlib import Path

from receiver_helpers import TOKEN, post, raw_exchange, stored

from flintt_pipeline.webhooks.app import MAX_BODY_BYTES

CHUNK = 64 * 1024


def _head(url: str, *, framing: str) -> bytes:
    path = "/" + url.split("//", 1)[1].split("/", 1)[1]
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\n\r\n"
    ).encode()


def test_declared_length_over_the_limit_is_refused_before_any_body(
    receiver: str, inbox_path: Path
) -> None:
    head = _head(receiver, framing=f"Content-Length: {5 * MAX_BODY_BYTES}")
    answer, sent = raw_exchange(receiver, head, [])
    assert answer.startswith(b"HTTP/1.1 413")
    assert sent == 0
    assert stored(inbox_path) == []


def test_chunked_upload_without_length_is_cut_off_after_the_limit(
    receiver: str, inbox_path: Path
) -> None:
    piece = b'{"id": "big", "padding": "' + b"x" * (CHUNK - 27)
    chunk = f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    # 8 MiB on offer and the terminating chunk never sent: only an early answer ends this.
    answer, sent = raw_exchange(
        receiver, _head(receiver, framing="Transfer-Encoding: chunked"), [chunk] * 128
    )
    assert answer.startswith(b"HTTP/1.1 413")
    assert MAX_BODY_BYTES < sent < 2 * MAX_BODY_BYTES
    assert stored(inbox_path) == []


def test_exactly_the_limit_is_accepted(receiver: str, inbox_path: Path) -> None:
    prefix = b'{"id": "evt_max", "padding": "'
    body = prefix + b"x" * (MAX_BODY_BYTES - len(prefix) - 2) + b'"}'
    assert len(body) == MAX_BODY_BYTES
    assert post(receiver, body).status_code == 202
    assert [e.event_id for e in stored(inbox_path)] == ["evt_max"]
