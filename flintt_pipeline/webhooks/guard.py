"""Bounds on what one connection may make the receiver read, for what uvicorn 0.54 lacks.

uvicorn's httptools protocol (its fastest, and the default) caps neither the request head's size
nor its header count, and has no deadline for a head or a body: an endless header costs 100 %
CPU and unbounded memory, and a client sending a byte at a time holds a connection forever.
`guarded_protocol` adds those four bounds to it and nothing else; concurrency, keep-alive and
the shutdown grace period are uvicorn's own settings (see `server`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

logger = logging.getLogger(__name__)
# After a refusal the connection is half-closed and what the client still sends is read and
# dropped for this long: closing with unread data sends a reset, which can destroy the answer
# in the client's buffer before it reads it.
LINGER_SECONDS = 1.0


@dataclass(frozen=True, kw_only=True)
class ReadLimits:
    max_head_bytes: int = 16 * 1024
    max_headers: int = 100
    # From a connection's opening (on a kept-alive one, a request's first byte) to the head's end.
    head_timeout: float = 10.0
    # From the end of the head to the end of the body (1 MiB at most).
    body_timeout: float = 30.0


def guarded_protocol(limits: ReadLimits) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with `limits` enforced; pass it as `uvicorn.Config(http=)`."""

    class GuardedHttpTools(HttpToolsProtocol):
        _in_head = True
        _head_bytes = 0
        _header_count = 0
        _rejected = False
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm(limits.head_timeout, "request head")

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._rejected:
                return
            room = limits.max_head_bytes - self._head_bytes
            if not self._in_head or len(data) <= room:
                self._head_bytes += len(data) if self._in_head else 0
                super().data_received(data)
                return
            # Parse only what the head may still take: the rest is either body or a head too big.
            self._head_bytes = limits.max_head_bytes
            super().data_received(data[:room])
            if self._rejected or self.transport.is_closing():
                return
            if self._in_head:
                self._reject(431, f"request head over {limits.max_head_bytes} bytes")
            else:
                self.data_received(data[room:])

        def on_message_begin(self) -> None:
            if self._deadline is None:
                self._arm(limits.head_timeout, "request head")
            super().on_message_begin()

        def on_header(self, name: bytes, value: bytes) -> None:
            self._header_count += 1
            if self._header_count > limits.max_headers:
                if not self._rejected:
                    self._reject(431, f"more than {limits.max_headers} headers")
                return
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            if self._rejected:
                return
            self._in_head = False
            self._arm(limits.body_timeout, "request body")
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            if not self._rejected:
                super().on_body(body)

        def on_message_complete(self) -> None:
            if self._rejected:
                return
            self._disarm()
            self._in_head, self._head_bytes, self._header_count = True, 0, 0
            super().on_message_complete()

        def _arm(self, seconds: float, what: str) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._expired, seconds, what)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self, seconds: float, what: str) -> None:
            self._deadline = None
            self._reject(408, f"{what} not received within {seconds:g} s")

        def _reject(self, status: int, reason: str) -> None:
            """Answer `status` (unless a response has begun) and close the connection."""
            self._rejected = True
            self._disarm()
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            logger.warning("closing the connection from %s: %s", client, reason)
            if self.transport.is_closing():
                return
            # While a head is read, any earlier response is complete; a body's request may have
            # been answered already (413), and then a second answer would corrupt the stream.
            if not self._in_head and self.cycle.response_started:
                self.transport.close()
                return
            body = orjson.dumps({"error": reason})
            self.transport.write(
                STATUS_LINE[status]
                + b"content-type: application/json\r\nconnection: close\r\n"
                + b"content-length: %d\r\n\r\n" % len(body)
                + body
            )
            if self.transport.can_write_eof():
                self.transport.write_eof()
            self._deadline = self.loop.call_later(LINGER_SECONDS, self.transport.close)

    return GuardedHttpTools
