"""Faults that fire after a write was applied: the record is stored, then the answer is lost.

A client cannot tell these from a failure before the write, which is the point: a create must be
followed by a look at the workspace before it is tried again. Only writes (POST, PATCH, PUT,
DELETE under /v1) that succeeded are spoiled; the gateway decides which, this module how.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flintt_pipeline.sandbox.listing import JsonResponse
from flintt_pipeline.sandbox.state import SandboxState

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
CloseConnection = Callable[[Send], Awaitable[None]]


def draw_write_fault(state: SandboxState, *, method: str, path: str) -> str | None:
    """The after-write fault for this request, if any: the next `write_fault_count` matching
    writes, else each with probability `write_fault_rate`."""
    settings = state.settings
    if settings.write_fault is None or method not in WRITE_METHODS:
        return None
    if not path.startswith(settings.write_fault_path or "/"):
        return None
    if settings.write_fault_count > 0:
        state.settings = replace(settings, write_fault_count=settings.write_fault_count - 1)
        return settings.write_fault
    if settings.write_fault_rate and state.fault_rng.random() < settings.write_fault_rate:
        return settings.write_fault
    return None


async def apply_then_fail(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    fault: str,
    state: SandboxState,
    close_connection: CloseConnection,
) -> None:
    """Run the write to completion with its answer held back, then deliver the fault instead
    (a write the app refused, e.g. with a 422, is answered as it was)."""
    held: list[Message] = []

    async def hold(message: Message) -> None:
        held.append(message)

    await app(scope, receive, hold)
    status = next((m["status"] for m in held if m["type"] == "http.response.start"), 500)
    if not 200 <= status < 300:
        await _replay(held, send)
        return
    state.write_faults_fired += 1
    if fault == "drop":
        await close_connection(send)
    elif fault == "delay":
        await asyncio.sleep(state.settings.write_delay_ms / 1000)
        await _replay(held, send)
    else:
        response = JsonResponse({"detail": "Upstream error"}, status_code=int(fault))
        await response(scope, receive, send)


async def _replay(held: list[Message], send: Send) -> None:
    for message in held:
        await send(message)
