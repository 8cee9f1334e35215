"""The gateway in front of /v1: request counting, latency and injected faults.

It is plain ASGI, outermost, because a dropped connection needs uvicorn's own `send` (whose
owner holds the transport) and because truncation rewrites the response on its way out.
"""

import asyncio
import time
from dataclasses import replace
from typing import Any

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flintt_pipeline.sandbox.formats import http_date
from flintt_pipeline.sandbox.listing import JsonResponse
from flintt_pipeline.sandbox.state import SandboxState
from flintt_pipeline.sandbox.write_faults import apply_then_fail, draw_write_fault

INVALID_JSON = b'[{"id": "0b1c",, "name": }' + b"\xff"
BAD_GATEWAY_HTML = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


class FaultGateway:
    def __init__(self, app: ASGIApp, *, state: SandboxState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/v1" or path.startswith("/v1/")):
            await self.app(scope, receive, send)
            return
        self.state.requests.record(path, scope.get("method", "GET"))
        settings = self.state.settings
        if settings.latency_ms:
            await asyncio.sleep(settings.latency_ms / 1000)
        fault = self._draw(path)
        method = scope.get("method", "")
        write_fault = None if fault else draw_write_fault(self.state, method=method, path=path)
        if write_fault is not None:
            await apply_then_fail(
                self.app,
                scope,
                receive,
                send,
                fault=write_fault,
                state=self.state,
                close_connection=_close_connection,
            )
        elif fault is None:
            await self.app(scope, receive, send)
        elif fault == "drop":
            self.state.drops += 1
            mid_body = settings.drop_mode == "mid_body" or (
                settings.drop_mode == "alternate" and self.state.drops % 2 == 0
            )
            if mid_body:
                await self.app(scope, receive, _Cutter(send, mode="drop"))
            else:
                await _close_connection(send)
        elif fault in ("truncate", "invalid_json"):
            await self.app(scope, receive, _Cutter(send, mode=fault))
        else:
            await _error_response(fault, retry_after=settings.retry_after)(scope, receive, send)

    def _draw(self, path: str) -> str | None:
        """The fault for this request, if any: the next `fault_count` matching requests, else
        each matching request with probability `fault_rate`."""
        settings = self.state.settings
        if settings.fault is None or not path.startswith(settings.fault_path or "/"):
            return None
        if settings.fault_count > 0:
            self.state.settings = replace(settings, fault_count=settings.fault_count - 1)
            return settings.fault
        if settings.fault_rate and self.state.fault_rng.random() < settings.fault_rate:
            return settings.fault
        return None


def _error_response(fault: str, *, retry_after: str | None) -> Response:
    if fault == "502":
        return Response(BAD_GATEWAY_HTML, status_code=502, media_type="text/html")
    headers: dict[str, str] = {}
    if fault == "429" and retry_after is not None:
        headers["Retry-After"] = _retry_after_value(retry_after)
    detail = "Too many requests" if fault == "429" else "Upstream error"
    return JsonResponse({"detail": detail}, status_code=int(fault), headers=headers)


def _retry_after_value(setting: str) -> str:
    """ "2" -> "2"; "date" / "date:N" -> an HTTP-date N seconds (default 2) from now."""
    if setting == "date" or setting.startswith("date:"):
        seconds = float(setting.partition(":")[2] or 2)
        return http_date(time.time() + seconds)
    return setting


async def _close_connection(send: Send) -> None:
    """Close the TCP connection at once, before or in the middle of a response."""
    cycle: Any = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise RuntimeError("the drop fault needs uvicorn's HTTP protocol")
    transport.close()
    # Wait until uvicorn has noticed, so it does not try to answer on the closed connection.
    for _ in range(100):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0.001)


class _Cutter:
    """Wraps `send` to spoil a response: cut it short (truncate), replace it (invalid_json), or
    close the connection half-way through the body (drop)."""

    def __init__(self, send: Send, *, mode: str) -> None:
        self._send = send
        self._mode = mode
        self._budget: int | None = None
        self._done = False
        self._bodies = 0

    async def __call__(self, message: Message) -> None:
        if self._done:
            return
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k != b"content-length"]
            length = dict(message.get("headers", [])).get(b"content-length")
            if self._mode == "invalid_json":
                headers.append((b"content-length", str(len(INVALID_JSON)).encode()))
            elif length is not None:
                self._budget = int(length) // 2
                kept = self._budget if self._mode == "truncate" else int(length)
                headers.append((b"content-length", str(kept).encode()))
            await self._send({**message, "headers": headers})
            return
        body: bytes = message.get("body", b"")
        if self._mode == "invalid_json":
            await self._finish(INVALID_JSON)
            return
        if not body and message.get("more_body", False):
            return
        self._bodies += 1
        if self._budget is None and self._bodies == 1 and message.get("more_body", False):
            await self._send(message)  # streamed: keep the opening chunk, spoil the next one
            return
        limit = len(body) // 2 if self._budget is None else self._budget
        if self._mode == "drop":
            await self._send(
                {"type": "http.response.body", "body": body[: max(limit, 1)], "more_body": True}
            )
            self._done = True
            await _close_connection(self._send)
            return
        if self._budget is not None and len(body) < self._budget:
            self._budget -= len(body)
            await self._send({**message, "more_body": True})
            return
        await self._finish(body[:limit])

    async def _finish(self, body: bytes) -> None:
        self._done = True
        await self._send({"type": "http.response.body", "body": body, "more_body": False})
