"""paginate and rebatch over an in-memory list served by offset and limit: every hazard the
module names, driven request by request, with no HTTP and no waiting."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import count
from typing import Any

import pytest

from flintt_pipeline.lib.api.json_stream import MalformedResponse
from flintt_pipeline.lib.api.pagination import MAX_IDLE_PAGES, paginate, rebatch

Record = dict[str, Any]


def records(n: int, *, prefix: str = "r") -> list[Record]:
    return [{"id": f"{prefix}{i}"} for i in range(n)]


@dataclass
class Listing:
    """A list served the way a server might: `change` edits it before every request but the
    first (the list moving while it is read); `cap` is a server-side page-size limit."""

    items: list[Record]
    cap: int | None = None
    ignore_limit: bool = False
    ignore_offset: bool = False
    batch: int | None = None
    change: Callable[[list[Record]], None] | None = None
    requests: list[tuple[int, int]] = field(default_factory=list)

    def fetch(self, offset: int, limit: int) -> Iterator[list[Record]]:
        if self.requests and self.change is not None:
            self.change(self.items)
        self.requests.append((offset, limit))
        assert len(self.requests) < 500, "paginate does not end"
        start = 0 if self.ignore_offset else offset
        size = len(self.items) if self.ignore_limit else min(limit, self.cap or limit)
        page = list(self.items[start : start + size])
        step = self.batch or max(1, len(page))
        for first in range(0, len(page), step):
            yield page[first : first + step]

    def read(self, *, page_size: int, stop_at: Callable[[Record], bool] | None = None) -> list[str]:
        pages = paginate(self.fetch, page_size=page_size, stop_at=stop_at)
        return [record["id"] for batch in pages for record in batch]


def ids(items: list[Record]) -> list[str]:
    return [record["id"] for record in items]


@pytest.mark.parametrize(
    ("n", "offsets"),
    [
        (0, [0]),
        # A short first page may be a server's cap on limit: one more request tells.
        (1, [0, 1]),
        (9, [0, 8]),
        (10, [0, 9]),
        (11, [0, 9]),
        (90, list(range(0, 82, 9))),
        (95, list(range(0, 91, 9))),
    ],
)
def test_an_honest_server_is_read_once_with_pages_overlapping_by_one(
    n: int, offsets: list[int]
) -> None:
    listing = Listing(records(n))
    assert listing.read(page_size=10) == ids(listing.items)
    assert listing.requests == [(offset, 10) for offset in offsets]


def test_pages_in_several_batches_are_joined_by_id() -> None:
    listing = Listing(records(47), batch=3)
    assert listing.read(page_size=10) == ids(listing.items)


def test_a_server_that_ignores_limit_is_asked_once() -> None:
    listing = Listing(records(25), ignore_limit=True)
    assert listing.read(page_size=10) == ids(listing.items)
    assert listing.requests == [(0, 10)]


def test_a_server_that_ignores_offset_is_probed_once_then_left() -> None:
    listing = Listing(records(50), ignore_offset=True)
    assert listing.read(page_size=10) == ids(listing.items[:10])
    assert listing.requests == [(0, 10), (9, 10), (10, 10)]


@pytest.mark.parametrize("cap", [1, 3, 4, 9])
@pytest.mark.parametrize("n", [0, 1, 3, 4, 5, 8, 13, 40])
def test_a_capped_page_size_still_reads_everything_once(cap: int, n: int) -> None:
    listing = Listing(records(n), cap=cap)
    assert listing.read(page_size=10) == ids(listing.items)
    # Pages of `cap` records that overlap by one: no more requests than that takes, plus two
    # (the probe that finds the real page size, and the short page that ends the list).
    assert len(listing.requests) <= n // max(1, cap - 1) + 2


@pytest.mark.parametrize("per_request", [1, 3, 9, 15])
def test_a_list_growing_at_the_top_yields_every_old_record_once(per_request: int) -> None:
    fresh = count()

    def grow(items: list[Record]) -> None:
        items[:0] = [{"id": f"new{next(fresh)}"} for _ in range(per_request)]

    old = records(60)
    listing = Listing(list(old), change=grow)
    got = listing.read(page_size=10)
    assert len(got) == len(set(got))
    assert [i for i in got if not i.startswith("new")] == ids(old)
    assert len(listing.requests) <= 12


@pytest.mark.parametrize(
    "pick",
    [
        lambda items, rng: items[:1],
        lambda items, rng: items[:3],
        lambda items, rng: rng.sample(items, min(2, len(items))),
        lambda items, rng: items[8:11],
    ],
    ids=["first", "first-three", "random-two", "around-the-page-edge"],
)
def test_deletions_while_reading_lose_no_surviving_record(
    pick: Callable[[list[Record], random.Random], list[Record]],
) -> None:
    rng = random.Random(7)

    def delete(items: list[Record]) -> None:
        for record in pick(items, rng):
            items.remove(record)

    old = records(80)
    listing = Listing(list(old), change=delete)
    got = listing.read(page_size=10)
    assert len(got) == len(set(got))
    assert set(ids(listing.items)) <= set(got) <= set(ids(old))
    assert len(listing.requests) <= 80


def test_pages_that_never_bring_anything_new_end_in_an_error() -> None:
    first = records(10)

    def fetch(offset: int, limit: int) -> Iterator[list[Record]]:
        requests.append(offset)
        # Later pages hold only ids already seen, never the first page exactly.
        yield first if offset == 0 else first[::-1]

    requests: list[int] = []
    with pytest.raises(MalformedResponse, match="changed faster than it could be paged"):
        list(paginate(fetch, page_size=10))
    assert len(requests) == MAX_IDLE_PAGES + 2


def test_stop_at_ends_after_the_page_holding_the_first_match() -> None:
    listing = Listing(records(100))
    got = listing.read(page_size=10, stop_at=lambda record: record["id"] == "r31")
    assert got == ids(listing.items[:37])
    assert len(listing.requests) == 4


def test_a_record_without_an_id_is_malformed() -> None:
    listing = Listing([{"id": "a"}, {"name": "no id"}])
    with pytest.raises(MalformedResponse, match="no usable id"):
        listing.read(page_size=10)


@pytest.mark.parametrize(
    ("sizes", "size", "expected"),
    [
        ([], 5, []),
        ([3, 3, 3, 3], 5, [6, 6]),
        ([2, 0, 2], 5, [4]),
        ([7, 1], 5, [7, 1]),
        ([5, 5, 1], 5, [5, 5, 1]),
    ],
)
def test_rebatch_joins_pages_into_batches_of_about_size(
    sizes: list[int], size: int, expected: list[int]
) -> None:
    numbers = count()
    pages = [[{"id": next(numbers)} for _ in range(n)] for n in sizes]
    batches = list(rebatch(iter(pages), size=size))
    assert [len(batch) for batch in batches] == expected
    assert [r["id"] for batch in batches for r in batch] == list(range(sum(sizes)))
