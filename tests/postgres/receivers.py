"""Receivers on a Postgres inbox for the tests: real `python -m flintt_pipeline.webhooks`
processes, and bounded concurrent posting that records which events were acknowledged."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson

from flintt_pipeline.webhooks.app import WEBHOOK_PATH

TOKEN = "whk_postgres_test_token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def event_body(event_id: str) -> bytes:
    return orjson.dumps({"id": event_id, "type": "signal.run.completed", "data": {"run_id": "r"}})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_receiver(
    inbox_url: str, *, log: Path, tokens: str = TOKEN
) -> tuple[subprocess.Popen[bytes], str]:
    """A receiver process on a free port, once /healthz answers; returns it and its event URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLINTT_")}
    env |= {"FLINTT_WEBHOOK_TOKENS": tokens, "FLINTT_INBOX_URL": inbox_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "flintt_pipeline.webhooks", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        # A file, not a pipe: one log line per event would fill a pipe nobody reads and stall it.
        stderr=log.open("ab"),
        start_new_session=True,
    )
    for _ in range(400):
        if process.poll() is not None:
            raise RuntimeError(f"the receiver exited: {log.read_text()[-500:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).is_success:
                return process, f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
        except httpx.TransportError:
            time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    raise RuntimeError("the receiver did not answer /healthz")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=15.0)


async def post_all(targets: list[tuple[str, str]], *, in_flight: int = 200) -> dict[str, int]:
    """POST each (url, event id); per id the best status seen (0 for no answer at all)."""
    best: dict[str, int] = {}
    gate = asyncio.Semaphore(in_flight)
    limits = httpx.Limits(max_connections=in_flight)
    async with httpx.AsyncClient(limits=limits, timeout=20.0) as client:

        async def send(url: str, event_id: str) -> None:
            async with gate:
                try:
                    answer = await client.post(url, content=event_body(event_id), headers=AUTH)
                    status = answer.status_code
                except httpx.TransportError:
                    status = 0
            previous = best.get(event_id, 0)
            best[event_id] = status if 200 <= status < 300 else max(previous, status)
            if 200 <= previous < 300:
                best[event_id] = previous

        await asyncio.gather(*(send(url, event_id) for url, event_id in targets))
    return best
