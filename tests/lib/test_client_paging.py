"""Every record exactly once, whatever the server's list shape, paging behaviour or churn."""

import math
from collections.abc import Iterator

import pytest
from client_helpers import client_for, ids_of, list_requests, truth

from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox

SMALL = {"seed": 3, "companies": 45, "prospects": 70, "signals": 6, "runs": 57}
STREAMS = ("companies", "prospects", "signals")


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with running_sandbox(SandboxConfig(**SMALL)) as handle:
        yield handle


def assert_exactly_once(got: list[str], expected: list[str]) -> None:
    assert len(got) == len(set(got)), "an id came out twice"
    assert set(got) == set(expected)


@pytest.mark.parametrize("shape", ["array", "data", "items", "results"])
@pytest.mark.parametrize("page_all_lists", [False, True])
def test_each_list_shape_whole_or_paged(shape: str, page_all_lists: bool) -> None:
    config = SandboxConfig(**SMALL, list_shape=shape, page_all_lists=page_all_lists)
    with running_sandbox(config) as sandbox, client_for(sandbox, page_size=10) as client:
        for stream in STREAMS:
            assert_exactly_once(ids_of(client.iter_records(stream)), truth(sandbox, stream))
        assert ids_of(client.iter_runs()) == truth(sandbox, "runs")


def test_whole_list_longer_than_the_limit_is_read_in_one_request(sandbox: SandboxHandle) -> None:
    with client_for(sandbox, page_size=10, batch_size=20) as client:
        batches = list(client.iter_records("companies"))
    assert [len(batch) for batch in batches] == [20, 20, 5]
    assert_exactly_once(ids_of(batches), truth(sandbox, "companies"))
    assert list_requests(sandbox, "/v1/companies") == 1


def test_capped_page_size_does_not_end_the_listing_early(sandbox: SandboxHandle) -> None:
    sandbox.control.settings(max_page_size=7, page_all_lists=True)
    with client_for(sandbox, page_size=50) as client:
        assert ids_of(client.iter_runs()) == truth(sandbox, "runs")
        assert_exactly_once(ids_of(client.iter_records("prospects")), truth(sandbox, "prospects"))
    # Pages of 7 overlapping by one: 57 runs need ceil((57 - 1) / 6) = 10 requests.
    assert list_requests(sandbox, "/v1/runs") == 10


@pytest.mark.parametrize("page_size", [10, 100])
def test_ignored_paging_is_detected_instead_of_looping(
    sandbox: SandboxHandle, page_size: int
) -> None:
    sandbox.control.settings(ignore_paging=True)
    with client_for(sandbox, page_size=page_size) as client:
        assert ids_of(client.iter_runs()) == truth(sandbox, "runs")
    # Longer than asked: one request. Shorter: once more, then a probe to confirm the repeat.
    assert list_requests(sandbox, "/v1/runs") == (1 if page_size < 57 else 3)


def test_an_honest_short_list_costs_one_extra_request(sandbox: SandboxHandle) -> None:
    with client_for(sandbox, page_size=100) as client:
        assert ids_of(client.iter_runs()) == truth(sandbox, "runs")
    assert list_requests(sandbox, "/v1/runs") == 2


@pytest.mark.parametrize("drift", [1, 4, 9])
def test_runs_added_while_paging_neither_duplicate_nor_hide_others(
    sandbox: SandboxHandle, drift: int
) -> None:
    before = truth(sandbox, "runs")
    sandbox.control.settings(drift_runs=drift)
    with client_for(sandbox, page_size=10) as client:
        got = ids_of(client.iter_runs())
    assert len(got) == len(set(got))
    assert set(before) <= set(got)
    assert set(got) <= set(truth(sandbox, "runs"))


def test_records_deleted_between_pages_do_not_hide_their_neighbours(
    sandbox: SandboxHandle,
) -> None:
    sandbox.control.settings(page_all_lists=True)
    before = truth(sandbox, "companies")
    with client_for(sandbox, page_size=10, batch_size=1) as client:
        batches = client.iter_records("companies")
        got = ids_of([next(batches)])
        # Deleting records already read shifts the unread ones up past the next offset.
        deleted = before[2:5]
        for company_id in deleted:
            sandbox.control.delete("companies", company_id)
        got += ids_of(batches)
    assert len(got) == len(set(got))
    assert set(got) == set(before)


@pytest.mark.parametrize("new_runs", [0, 3, 25])
def test_incremental_read_stops_at_known_runs_within_the_request_budget(
    sandbox: SandboxHandle, new_runs: int
) -> None:
    known = set(truth(sandbox, "runs"))
    signal_id = truth(sandbox, "signals")[0]
    added = [sandbox.control.trigger(signal_id)["id"] for _ in range(new_runs)]
    sandbox.control.reset_requests()
    with client_for(sandbox, page_size=10) as client:
        got = ids_of(client.iter_runs(stop_at=lambda run: run["id"] in known))
    assert got[:new_runs] == added[::-1]
    assert len(got) == len(set(got))
    assert list_requests(sandbox, "/v1/runs") <= math.ceil(new_runs / 10) + 2
    if new_runs < 10:
        assert list_requests(sandbox, "/v1/runs") == 1


def test_stop_at_ends_after_the_page_where_it_first_holds(sandbox: SandboxHandle) -> None:
    runs = truth(sandbox, "runs")
    with client_for(sandbox, page_size=10, batch_size=1) as client:
        got = ids_of(client.iter_runs(stop_at=lambda run: run["id"] == runs[12]))
    # Pages overlap by one: [0, 10), [9, 19) holds runs[12], and the rest of that page comes too.
    assert got == runs[:19]
    assert client.stats.pages == 2
