"""Serving a sandbox: in a background thread for tests and demos (`running_sandbox`), or in the
foreground for the CLI (`serve`)."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from flintt_pipeline.sandbox.app import Sandbox
from flintt_pipeline.sandbox.config import SandboxConfig
from flintt_pipeline.sandbox.control_client import SandboxControl

LOOPBACK = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0


@dataclass(frozen=True, kw_only=True)
class SandboxHandle:
    base_url: str
    api_key: str
    management_token: str
    control: SandboxControl

    def __repr__(self) -> str:
        # The handle is printed by test failures and debuggers; its secrets must not be.
        return f"SandboxHandle(base_url={self.base_url!r})"


def _uvicorn_config(sandbox: Sandbox, **options: Any) -> uvicorn.Config:
    return uvicorn.Config(
        sandbox.app,
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=2,
        **options,
    )


@contextmanager
def running_sandbox(config: SandboxConfig | None = None) -> Iterator[SandboxHandle]:
    """Build a sandbox and serve it on a free 127.0.0.1 port until the block ends."""
    sandbox = Sandbox(config=config or SandboxConfig())
    listener = bind(host=LOOPBACK, port=0)
    port = listener.getsockname()[1]
    server = uvicorn.Server(_uvicorn_config(sandbox))
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [listener]},
        name=f"flintt-sandbox-{port}",
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            listener.close()
            raise RuntimeError(f"the sandbox did not start on {LOOPBACK}:{port}")
        time.sleep(0.005)
    base_url = f"http://{LOOPBACK}:{port}"
    control = SandboxControl(base_url=base_url)
    try:
        yield SandboxHandle(
            base_url=base_url,
            api_key=sandbox.api_key,
            management_token=sandbox.management_token,
            control=control,
        )
    finally:
        control.close()
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def bind(*, host: str, port: int) -> socket.socket:
    """A listening socket (port 0: any free port); OSError when the port is taken. It listens at
    once, so clients that connect before the server has started wait instead of being refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(2048)
    except OSError:
        listener.close()
        raise
    return listener


def serve(sandbox: Sandbox, *, listener: socket.socket) -> None:
    """Serve in the foreground until interrupted (Ctrl-C)."""
    try:
        uvicorn.Server(_uvicorn_config(sandbox)).run(sockets=[listener])
    finally:
        listener.close()
