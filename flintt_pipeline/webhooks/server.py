"""Serving the receiver: its settings from the environment, the foreground server, a test helper."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from flintt_pipeline.webhooks.app import DEFAULT_RETENTION, create_app
from flintt_pipeline.webhooks.guard import ReadLimits, guarded_protocol
from flintt_pipeline.webhooks.inbox import Inbox
from flintt_pipeline.webhooks.inboxes import is_postgres, open_inbox

_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ReceiverConfigError(Exception):
    """The receiver cannot start as configured; str() is one line saying what to set."""


@dataclass(frozen=True, kw_only=True)
class ServerLimits:
    read: ReadLimits = field(default_factory=ReadLimits)
    # Connections plus requests in progress; past it uvicorn answers 503. Each may hold up to a
    # 1 MiB body, so this also bounds the memory bodies can take.
    max_connections: int = 256
    # After SIGTERM, requests still in progress get this long before they are cancelled.
    shutdown_grace_seconds: int = 5


def _uvicorn_config(
    app: Starlette, *, limits: ServerLimits, log_level: str, host: str = "127.0.0.1", port: int = 0
) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=guarded_protocol(limits.read),
        limit_concurrency=limits.max_connections,
        timeout_graceful_shutdown=limits.shutdown_grace_seconds,
        # No access log: the app writes one line per event and never logs headers.
        access_log=False,
        lifespan="on",
        log_level=log_level,
    )


def tokens_from_env() -> tuple[str, ...]:
    """FLINTT_WEBHOOK_TOKENS, comma-separated: several at once so tokens rotate without downtime."""
    raw = os.environ.get("FLINTT_WEBHOOK_TOKENS", "")
    tokens = tuple(token.strip() for token in raw.split(",") if token.strip())
    if not tokens:
        raise ReceiverConfigError(
            "FLINTT_WEBHOOK_TOKENS is not set: set it to the token(s) printed by "
            "`flintt-pipeline webhooks register` (comma-separated)"
        )
    return tokens


def serve(
    *,
    host: str,
    port: int,
    inbox_location: str | Path,
    tokens: Sequence[str],
    retention: timedelta = DEFAULT_RETENTION,
    limits: ServerLimits = ServerLimits(),
) -> None:
    """Serve in the foreground until interrupted; InboxWriteError if the inbox cannot open."""
    logging.basicConfig(level=logging.INFO, format=_LOG_FORMAT)
    with open_inbox(inbox_location) as inbox:
        app = create_app(inbox=inbox, tokens=tokens, retention=retention)
        shown = "Postgres" if is_postgres(inbox_location) else Path(inbox_location).resolve()
        logging.getLogger(__name__).info("storing webhook events in %s", shown)
        config = _uvicorn_config(app, limits=limits, log_level="info", host=host, port=port)
        uvicorn.Server(config).run()


@contextmanager
def running_receiver(
    *,
    inbox_path: str | Path,
    tokens: Sequence[str],
    retention: timedelta = DEFAULT_RETENTION,
    busy_timeout: float = 5.0,
    limits: ServerLimits = ServerLimits(),
) -> Iterator[str]:
    """The receiver on 127.0.0.1 (free port) in a background thread; yields its base URL
    ("http://127.0.0.1:PORT"; events go to base URL + WEBHOOK_PATH)."""
    with Inbox(inbox_path, busy_timeout=busy_timeout) as inbox:
        app = create_app(inbox=inbox, tokens=tokens, retention=retention)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(_uvicorn_config(app, limits=limits, log_level="warning"))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="webhook-receiver", daemon=True
        )
        thread.start()
        try:
            deadline = time.monotonic() + 10.0
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("the webhook receiver did not start")
                time.sleep(0.01)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10.0)
            sock.close()
