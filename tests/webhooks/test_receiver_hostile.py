"""Hostile clients against a real receiver process: an endless head, too many headers, slow
heads and bodies, more connections than allowed, and SIGTERM while a client stalls mid-body."""

from __future__ import annotations

import os
import select
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from receiver_helpers import (
    TOKEN,
    event_body,
    free_port,
    post,
    start_receiver_process,
    stop_process,
    stored,
)

from flintt_pipeline.webhooks.app import WEBHOOK_PATH

HEAD_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
MAX_CONNECTIONS = 60
# The receiver's own memory is ~100 MiB; an unbounded head parser grew by 500+ MiB.
RSS_GROWTH_BOUND_MIB = 40
HEAD = f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS line")


def _read_answer(sock: socket.socket) -> bytes:
    answer = b""
    sock.settimeout(5.0)
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            return answer
        if not data:
            return answer
        answer += data


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, Path]]:
    """(webhook URL, receiver pid, inbox path) of a receiver with 1 s read deadlines."""
    inbox_path = tmp_path_factory.mktemp("hostile") / "inbox.sqlite3"
    port = free_port()
    args = ["--head-timeout", str(HEAD_TIMEOUT), "--body-timeout", str(BODY_TIMEOUT)]
    args += ["--max-connections", str(MAX_CONNECTIONS)]
    process = start_receiver_process(inbox_path=inbox_path, tokens=TOKEN, port=port, args=args)
    try:
        yield f"http://127.0.0.1:{port}{WEBHOOK_PATH}", process.pid, inbox_path
    finally:
        stop_process(process)


def _connect(url: str) -> socket.socket:
    port = int(url.split(":")[2].split("/")[0])
    return socket.create_connection(("127.0.0.1", port), timeout=5.0)


def test_an_endless_header_gets_431_at_16_kib_and_memory_stays_bounded(
    hostile: tuple[str, int, Path],
) -> None:
    url, pid, _ = hostile
    before = peak = _rss_mib(pid)
    sent = 0
    with _connect(url) as sock:
        sock.sendall(HEAD.encode() + b"X-Endless: ")
        # Up to 64 MiB on offer; only the receiver answering (or hanging up) stops it.
        while sent < 64 * 1024 * 1024 and not select.select([sock], [], [], 0)[0]:
            try:
                sock.sendall(b"a" * 65536)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 65536
            peak = max(peak, _rss_mib(pid))
        answer = _read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:80]
    assert b"request head over 16384 bytes" in answer
    # What the kernel's socket buffers absorbed before the answer came back, no more.
    assert sent < 16 * 1024 * 1024
    assert peak - before < RSS_GROWTH_BOUND_MIB
    assert post(url, event_body("evt_after_endless_header")).status_code == 202


def test_more_than_100_headers_get_431(hostile: tuple[str, int, Path]) -> None:
    url, _, inbox_path = hostile
    headers = "".join(f"X-Header-{n}: v\r\n" for n in range(101))
    body = event_body("evt_many_headers")
    with _connect(url) as sock:
        sock.sendall((HEAD + headers + f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
        answer = _read_answer(sock)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:80]
    assert "evt_many_headers" not in [event.event_id for event in stored(inbox_path)]


def _trickle_until_closed(socks: list[socket.socket], payload: bytes, *, seconds: float) -> dict:
    """Send `payload` a byte at a time on every socket, every 0.1 s, for up to `seconds`; the
    answer each socket got when the receiver closed it (missing: never closed)."""
    answers: dict[int, bytes] = {}
    deadline = time.monotonic() + seconds
    position = 0
    while len(answers) < len(socks) and time.monotonic() < deadline:
        for index, sock in enumerate(socks):
            if index in answers:
                continue
            if select.select([sock], [], [], 0)[0]:
                answers[index] = _read_answer(sock)
                continue
            try:
                sock.sendall(payload[position % len(payload) : position % len(payload) + 1])
            except (BrokenPipeError, ConnectionResetError):
                answers[index] = b""
        position += 1
        time.sleep(0.1)
    return answers


def test_fifty_slow_heads_are_closed_while_a_real_webhook_gets_202(
    hostile: tuple[str, int, Path],
) -> None:
    url, _, inbox_path = hostile
    socks = [_connect(url) for _ in range(50)]
    try:
        for sock in socks:
            sock.sendall(HEAD[:1].encode())
        started = time.monotonic()
        answer = httpx.post(
            url,
            content=event_body("evt_during_slowloris"),
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=HEAD_TIMEOUT / 2,
        )
        assert answer.status_code == 202
        answers = _trickle_until_closed(socks, HEAD[1:].encode(), seconds=HEAD_TIMEOUT + 2.0)
        elapsed = time.monotonic() - started
    finally:
        for sock in socks:
            sock.close()
    assert len(answers) == 50, f"{50 - len(answers)} slow connections were never closed"
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers.values())
    assert elapsed >= HEAD_TIMEOUT * 0.9
    assert "evt_during_slowloris" in [event.event_id for event in stored(inbox_path)]


def test_a_slow_body_is_closed_with_408_and_nothing_stored(
    hostile: tuple[str, int, Path],
) -> None:
    url, _, inbox_path = hostile
    body = event_body("evt_slow_body")
    with _connect(url) as sock:
        sock.sendall((HEAD + f"Content-Length: {len(body)}\r\n\r\n").encode())
        started = time.monotonic()
        answers = _trickle_until_closed([sock], body[:-1], seconds=BODY_TIMEOUT + 2.0)
    assert answers and answers[0].startswith(b"HTTP/1.1 408"), answers
    assert time.monotonic() - started >= BODY_TIMEOUT * 0.9
    assert "evt_slow_body" not in [event.event_id for event in stored(inbox_path)]


def test_past_the_connection_cap_requests_get_503_until_connections_close(
    hostile: tuple[str, int, Path],
) -> None:
    url, _, _ = hostile
    idle = [_connect(url) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.1)
        assert post(url, event_body("evt_over_cap")).status_code == 503
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.2)
    assert post(url, event_body("evt_under_cap")).status_code == 202


def test_sigterm_with_a_client_stalled_mid_body_exits_within_the_grace(tmp_path: Path) -> None:
    inbox_path, log_path = tmp_path / "inbox.sqlite3", tmp_path / "receiver.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    # A body deadline far past the grace, so only the grace can end the stalled request.
    args = ["--shutdown-grace", "1", "--body-timeout", "60"]
    process = start_receiver_process(
        inbox_path=inbox_path, tokens=TOKEN, port=port, args=args, log_path=log_path
    )
    try:
        assert post(url, event_body("evt_acknowledged")).status_code == 202
        with _connect(url) as stalled:
            stalled.sendall((HEAD + "Content-Length: 1000\r\n\r\n").encode() + b'{"id": ')
            time.sleep(0.2)
            os.killpg(process.pid, signal.SIGTERM)
            started = time.monotonic()
            process.wait(timeout=10.0)
            elapsed = time.monotonic() - started
    finally:
        stop_process(process)
    # uvicorn re-raises the signal once its shutdown is done.
    assert process.returncode in (0, -signal.SIGTERM)
    assert elapsed < 1 + 2.0
    log = log_path.read_text()
    assert "timeout graceful shutdown exceeded" in log
    assert "receiver stopped; every acknowledged event is committed" in log
    assert [event.event_id for event in stored(inbox_path)] == ["evt_acknowledged"]
