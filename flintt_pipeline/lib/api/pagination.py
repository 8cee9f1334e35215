"""Reading an offset-paged list so that every record comes out once, whatever the server does.

The hazards, and the answer to each:
- the server ignores `limit`: the first page is longer than asked, so it was the whole list;
- the server ignores `offset`: a later page repeats the first page's ids; after one probe at the
  next offset (drift can make an honest server repeat a page once), stop instead of looping;
- the server caps `limit` below what was asked: a short page is the end only once the server's real
  page size is known; until then ask once more (an answer with nothing new is the end);
- a newest-first list grows while being read: items shift down, so pages repeat a few records,
  which the id set drops, and the next offset moves on by the shift seen per request;
- records are deleted while being read: items shift up and one could slip between two pages, so
  consecutive pages overlap by one record and a page must contain an id of the page before it;
  when it does not, step back a page and re-read until the two meet again.
"""

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from typing import Any

from flintt_pipeline.lib.api.json_stream import MalformedResponse

Record = dict[str, Any]
# (offset, limit) -> the page's records, in one or several batches.
FetchPage = Callable[[int, int], Iterator[list[Record]]]
# Consecutive requests that bring nothing new, or that cannot be joined to the page before, after
# which the list is deemed to change faster than it can be read.
MAX_IDLE_PAGES = 20


def _fresh(batch: list[Record], *, seen: set[Hashable], page_ids: list[Hashable]) -> list[Record]:
    """The records of `batch` not seen before, recording every id of the page in order."""
    try:
        batch_ids = [record["id"] for record in batch]
        page_ids.extend(batch_ids)
        before = len(seen)
        # Fast path in C for the usual batch of all-new ids; the loop only runs on overlaps.
        if seen.isdisjoint(batch_ids):
            seen.update(batch_ids)
            if len(seen) - before == len(batch_ids):
                return batch
            seen.difference_update(batch_ids)
        fresh = []
        for record, record_id in zip(batch, batch_ids, strict=True):
            if record_id not in seen:
                seen.add(record_id)
                fresh.append(record)
        return fresh
    except (KeyError, TypeError):
        raise MalformedResponse("a listed record has no usable id") from None


@dataclass
class _Anchor:
    """The last page known to join up with everything read before it."""

    positions: dict[Hashable, int] = field(default_factory=dict)
    offset: int = 0
    requests: int = 0

    def shift(self, page_ids: list[Hashable], *, offset: int) -> int | None:
        """How far the list moved down per request since the anchor page (up: negative), from
        the first id the two pages share; None when they share none."""
        for position, record_id in enumerate(page_ids):
            before = self.positions.get(record_id)
            if before is not None:
                moved = offset + position - (self.offset + before)
                return moved // max(1, self.requests)
        return None


def paginate(
    fetch: FetchPage, *, page_size: int, stop_at: Callable[[Record], bool] | None = None
) -> Iterator[list[Record]]:
    """Batches of records never yielded before, page after page, until the list is read.

    With `stop_at`, stops after the page holding the first new record for which it is true.
    """
    seen: set[Hashable] = set()
    first_ids: list[Hashable] = []
    anchor = _Anchor()
    real_size: int | None = None
    pending_short: int | None = None
    offset = idle = 0
    probing = False
    while True:
        page_ids: list[Hashable] = []
        new = 0
        stopping = False
        for batch in fetch(offset, page_size):
            fresh = _fresh(batch, seen=seen, page_ids=page_ids)
            if fresh:
                new += len(fresh)
                stopping = stopping or (stop_at is not None and any(map(stop_at, fresh)))
                yield fresh
        size = len(page_ids)
        anchor.requests += 1
        if stopping:
            return
        if offset == 0:
            if size == 0 or size > page_size:
                return
            first_ids = page_ids
        elif page_ids == first_ids and not probing:
            probing = True
            offset += 1
            continue
        elif page_ids == first_ids:
            return
        probing = False
        idle = 0 if new else idle + 1
        if idle > MAX_IDLE_PAGES:
            raise MalformedResponse("the list changed faster than it could be paged through")
        joined = offset == 0 or len(anchor.positions) <= 1
        shift = 0 if joined else anchor.shift(page_ids, offset=offset)
        if shift is not None:
            anchor = _Anchor({record_id: i for i, record_id in enumerate(page_ids)}, offset)
            if real_size is None:
                if size >= page_size:
                    real_size = page_size
                elif pending_short is None:
                    pending_short = size
                elif new == 0:
                    return
                else:
                    real_size = pending_short
            if real_size is not None and size < real_size:
                return
            # Overlap by one record, plus however far the list has been moving down per request.
            offset += (size - 1 if size > 1 else size) + max(0, shift)
        elif size and not new:
            offset += size
        else:
            offset = max(0, offset - (real_size or page_size) + 1)


def rebatch(batches: Iterator[list[Record]], *, size: int) -> Iterator[list[Record]]:
    """Pages joined into batches of about `size`, so consumers pay their per-batch cost rarely."""
    pending: list[Record] = []
    for batch in batches:
        pending.extend(batch)
        if len(pending) >= size:
            yield pending
            pending = []
    if pending:
        yield pending
