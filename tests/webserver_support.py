"""A real `dagster-webserver` for tests: started on a free loopback port, asked through GraphQL,
and killed with its code server at the end."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

STARTUP_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


def graphql(base_url: str, query: str) -> dict[str, Any]:
    request = urllib.request.Request(
        base_url + "/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


def webserver_command(port: int, *target: str) -> list[str]:
    # The environment's own script: what `uv run dagster-webserver` runs, minus uv's start-up.
    script = Path(sys.executable).parent / "dagster-webserver"
    executable = str(script) if script.exists() else shutil.which("dagster-webserver")
    assert executable, "dagster-webserver is not installed"
    return [executable, *target, "-h", "127.0.0.1", "-p", str(port)]


@contextlib.contextmanager
def running_webserver(
    *, target: Sequence[str], cwd: Path, env: Mapping[str, str], log_path: Path
) -> Iterator[str]:
    """The webserver's base URL once it answers `/server_info`."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        # Its own session: Dagster ignores SIGINT/SIGTERM when backgrounded, and its code server
        # is a child process, so the whole group is killed at the end.
        process = subprocess.Popen(
            webserver_command(port, *target),
            cwd=cwd,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"dagster-webserver exited with {process.returncode}:\n"
                    f"{log_path.read_text(errors='replace')}"
                )
            try:
                json.loads(get(base_url + "/server_info"))
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        "dagster-webserver did not answer /server_info in time:\n"
                        f"{log_path.read_text(errors='replace')}"
                    )
                time.sleep(0.2)
        yield base_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
