"""Helpers shared by the webhook tests: posting, raw-socket exchanges, reading the inbox."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import orjson

from flintt_pipeline.webhooks.inbox import Inbox, InboxEvent

TOKEN = "whk_test_token_primary"


def event_body(event_id: str, event_type: str = "signal.run.completed") -> bytes:
    return orjson.dumps({"id": event_id, "type": event_type, "data": {"run_id": "r1"}})


def post(url: str, body: bytes, *, token: str | None = TOKEN, **headers: str) -> httpx.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(url, content=body, headers=headers, timeout=10.0)


def stored(inbox_path: Path) -> list[InboxEvent]:
    with Inbox(inbox_path) as inbox:
        return inbox.read_after(0, limit=1_000_000)


def raw_exchange(url: str, head: bytes, chunks: list[bytes]) -> tuple[bytes, int]:
    """Send a request head, then body chunks over a plain socket until the server answers (never
    finishing the body); return the answer's head and how many body bytes went out before it."""
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    with socket.create_connection((host, int(port)), timeout=10.0) as sock:
        sock.sendall(head)
        sent = 0
        for chunk in chunks:
            if select.select([sock], [], [], 0.005)[0]:
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    return answer, sent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_receiver_process(
    *,
    inbox_path: Path,
    tokens: str,
    port: int,
    args: Sequence[str] = (),
    log_path: Path | None = None,
) -> subprocess.Popen[bytes]:
    """`python -m flintt_pipeline.webhooks` in its own session, once /healthz answers; its
    stderr (the log) goes to `log_path` when given."""
    env = {**os.environ, "FLINTT_WEBHOOK_TOKENS": tokens, "FLINTT_INBOX_PATH": str(inbox_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "flintt_pipeline.webhooks", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log_path.open("wb") if log_path else subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20.0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the receiver exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).is_success:
                return process
        except httpx.TransportError:
            time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError("the receiver did not answer /healthz in 20 s")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=10.0)
