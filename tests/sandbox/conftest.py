"""Fixtures for the sandbox tests: small sandboxes served over loopback, clients for each of
its APIs, and a webhook receiver that can be told to fail."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox
from tests.sandbox.receiver import Receiver

SMALL = SandboxConfig(seed=7, companies=30, prospects=60, signals=8, runs=40)


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with running_sandbox(SMALL) as handle:
        yield handle


@pytest.fixture
def api(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    """A /v1 client with the sandbox's API key."""
    with httpx.Client(
        base_url=sandbox.base_url,
        headers={"X-API-Key": sandbox.api_key},
        timeout=10,
        trust_env=False,
    ) as client:
        yield client


@pytest.fixture
def management(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    """An /api client with the sandbox's management JWT."""
    headers = {"Authorization": f"Bearer {sandbox.management_token}"}
    with httpx.Client(
        base_url=sandbox.base_url, headers=headers, timeout=10, trust_env=False
    ) as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                attempt = state.attempts.get(body["id"], 0) + 1
                state.attempts[body["id"]] = attempt
                failing = state.always_fail or (state.fail_first and attempt == 1)
                if not failing:
                    state.received.append(
                        {"authorization": self.headers["Authorization"], "body": body}
                    )
            self.send_response(503 if failing else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request log lines."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
