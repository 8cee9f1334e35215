"""The receiver's Starlette app: POST /webhooks/flintt stores an event, GET /healthz answers ok."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flintt_pipeline.webhooks.events import InvalidEventError, parse_event
from flintt_pipeline.webhooks.inbox import InboxWriteError, NewEvent
from flintt_pipeline.webhooks.inboxes import WebhookInbox
from flintt_pipeline.webhooks.writer import GroupCommitWriter

WEBHOOK_PATH = "/webhooks/flintt"
MAX_BODY_BYTES = 1024 * 1024
DEFAULT_RETENTION = timedelta(days=7)
_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer", "Connection": "close"}
_UNAVAILABLE_HEADERS = {"Retry-After": "5"}
logger = logging.getLogger(__name__)


class BodyTooLargeError(Exception):
    pass


def _error(status: int, message: str, *, close: bool = False) -> Response:
    # Closing drops whatever body the client still has in flight instead of reading it.
    headers = {"Connection": "close"} if close else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _authorized(header: str | None, tokens: Sequence[bytes]) -> bool:
    scheme, _, presented = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        return False
    candidate = presented.strip().encode()
    matched = False
    # Compare against every token, without stopping early, so timing says nothing about which.
    for token in tokens:
        matched |= hmac.compare_digest(candidate, token)
    return matched


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLargeError
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    *, inbox: WebhookInbox, tokens: Sequence[str], retention: timedelta = DEFAULT_RETENTION
) -> Starlette:
    """The caller owns `inbox` (opens and closes it); the app runs the writer thread while up."""
    accepted = tuple(token.encode() for token in tokens if token)
    if not accepted:
        raise ValueError("the receiver needs at least one webhook token")
    writer = GroupCommitWriter(inbox=inbox, retention=retention)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        writer.start()
        try:
            yield
        finally:
            writer.stop()
            logger.info("receiver stopped; every acknowledged event is committed")

    async def receive(request: Request) -> Response:
        if not _authorized(request.headers.get("authorization"), accepted):
            return Response(status_code=401, headers=_UNAUTHORIZED_HEADERS)
        try:
            body = await _read_body(request)
        except BodyTooLargeError:
            return _error(413, f"body over {MAX_BODY_BYTES} bytes", close=True)
        except ClientDisconnect:
            # Gone mid-body (or closed by the read deadline): nothing to store, no one to answer.
            return Response(status_code=400)
        try:
            parsed = parse_event(body)
        except InvalidEventError as error:
            return _error(400, str(error))
        event = NewEvent(event_id=parsed.event_id, event_type=parsed.event_type, body=body)
        try:
            is_new = await writer.add(event)
        except InboxWriteError:
            return Response(status_code=503, headers=_UNAVAILABLE_HEADERS)
        return JSONResponse(
            {"status": "stored" if is_new else "duplicate", "id": parsed.event_id},
            status_code=202 if is_new else 200,
        )

    async def healthz(request: Request) -> Response:
        try:
            # In a thread: the SQLite check waits for a commit in progress, Postgres for a query.
            await run_in_threadpool(inbox.verify)
        except InboxWriteError as error:
            logger.error("health check failed: %s", error)
            return JSONResponse(
                {"status": "inbox unavailable"}, status_code=503, headers=_UNAVAILABLE_HEADERS
            )
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, receive, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
