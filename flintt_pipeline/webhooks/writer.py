"""Group commit: one writer thread stores every event waiting at that moment in one transaction.

With synchronous=FULL each commit costs an fsync, so committing per request caps throughput;
batching what arrived during the previous commit keeps one fsync per batch while each request
still gets its answer only after the commit that holds its event.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from flintt_pipeline.webhooks.events import KNOWN_EVENT_TYPES, shown
from flintt_pipeline.webhooks.inbox import InboxWriteError, NewEvent
from flintt_pipeline.webhooks.inboxes import WebhookInbox

logger = logging.getLogger(__name__)

MAX_BATCH = 2000
PRUNE_INTERVAL_SECONDS = 3600.0


@dataclass(frozen=True)
class _Pending:
    event: NewEvent
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[bool]


_Outcome = tuple[asyncio.Future[bool], bool | BaseException]


def _settle(outcomes: list[_Outcome]) -> None:
    for future, outcome in outcomes:
        # A client that hung up cancelled its future; the event is stored all the same.
        if future.done():
            continue
        if isinstance(outcome, BaseException):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)


class GroupCommitWriter:
    """Owns all writes to the inbox from the receiver, logs one line per stored or duplicate
    event, and prunes processed events periodically."""

    def __init__(self, *, inbox: WebhookInbox, retention: timedelta) -> None:
        self._inbox = inbox
        self._retention = retention
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
        self._closed = False
        self._next_prune = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Commit what is queued, then end the thread; anything queued after that gets an error."""
        self._closed = True
        self._queue.put(None)
        self._thread.join()
        late: list[_Pending] = []
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if item is not None:
                late.append(item)
        if late:
            self._fail(late, InboxWriteError("the webhook inbox writer is shut down"))

    async def add(self, event: NewEvent) -> bool:
        """Resolves once the event is committed: True if new, False if a duplicate."""
        if self._closed:
            raise InboxWriteError("the webhook inbox writer is shut down")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._queue.put(_Pending(event, loop, future))
        return await future

    def _run(self) -> None:
        running = True
        while running:
            self._prune_if_due()
            try:
                first = self._queue.get(timeout=60.0)
            except queue.Empty:
                continue
            batch: list[_Pending] = []
            item = first
            while item is not None:
                batch.append(item)
                if len(batch) >= MAX_BATCH:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            running = item is not None
            if batch:
                self._commit(batch)

    def _commit(self, batch: list[_Pending]) -> None:
        try:
            added = self._inbox.add_many([pending.event for pending in batch])
        except InboxWriteError as error:
            logger.error("inbox write failed for %d event(s): %s", len(batch), error)
            self._fail(batch, error)
            return
        self._answer(batch, list(added))
        # Logged after the answers are on their way, so a slow log never delays a 2xx.
        for pending, is_new in zip(batch, added, strict=True):
            event = pending.event
            known = "" if event.event_type in KNOWN_EVENT_TYPES else " (unknown type)"
            outcome = "new" if is_new else "duplicate"
            logger.info(
                "event id=%r type=%r%s %s",
                shown(event.event_id),
                shown(event.event_type),
                known,
                outcome,
            )

    def _fail(self, batch: list[_Pending], error: InboxWriteError) -> None:
        self._answer(batch, [error] * len(batch))

    def _answer(self, batch: list[_Pending], outcomes: list[bool | BaseException]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
        for pending, outcome in zip(batch, outcomes, strict=True):
            by_loop.setdefault(pending.loop, []).append((pending.future, outcome))
        for loop, settled in by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle, settled)
            except RuntimeError:
                logger.warning("a request's event loop closed before its answer was ready")

    def _prune_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_INTERVAL_SECONDS
        try:
            removed = self._inbox.prune(older_than=self._retention)
        except InboxWriteError as error:
            logger.warning("inbox prune failed: %s", error)
            return
        if removed:
            logger.info("pruned %d processed event(s) older than %s", removed, self._retention)
