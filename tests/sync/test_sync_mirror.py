"""After every sync the live rows of each flintt table equal the sandbox's state, whatever the
workspace did in between, however the server lists, and whatever transient faults it threw."""

import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from sync_support import (
    SMALL,
    Synced,
    change_workspace,
    ids_of,
    live_ids,
    mirror_problems,
    retries_reported,
)

from flintt_pipeline.sandbox import SandboxConfig

MakeSynced = Callable[[SandboxConfig], Synced]


def assert_mirrors(synced: Synced) -> None:
    assert mirror_problems(synced.database, synced.sandbox, deleted=synced.deleted) == []


def test_first_sync_then_creates_renames_and_deletes(synced: Synced) -> None:
    synced.sync_ok()
    assert_mirrors(synced)
    for _ in range(2):
        change_workspace(synced)
        synced.sync_ok()
        assert_mirrors(synced)
    assert len(synced.deleted["runs"]) > 0
    # A final run deleted on its own sits below where incremental syncs stop: a full refresh
    # re-reads every run and soft-deletes it.
    control = synced.sandbox.control
    final = next(r for r in control.state("runs") if r["status"] in ("completed", "failed"))
    control.delete("runs", final["id"])
    synced.deleted["runs"].add(final["id"])
    synced.sync_ok(full_refresh=True)
    assert_mirrors(synced)


@pytest.mark.parametrize(
    ("shape", "max_page_size", "page_all_lists", "ignore_paging", "page_size"),
    [
        ("array", 10, True, False, 1000),
        ("data", 7, False, False, 25),
        ("items", None, True, True, 10),
        ("results", 10, True, False, 4),
    ],
)
def test_every_list_shape_and_paging(
    synced_from: MakeSynced,
    shape: str,
    max_page_size: int | None,
    page_all_lists: bool,
    ignore_paging: bool,
    page_size: int,
) -> None:
    config = replace(
        SMALL,
        list_shape=shape,
        max_page_size=max_page_size,
        page_all_lists=page_all_lists,
        ignore_paging=ignore_paging,
    )
    synced = synced_from(config)
    synced.sync_ok(page_size=page_size)
    assert_mirrors(synced)
    change_workspace(synced)
    synced.sync_ok(page_size=page_size)
    assert_mirrors(synced)


def test_runs_appearing_while_the_listing_is_paged(synced_from: MakeSynced) -> None:
    synced = synced_from(replace(SMALL, max_page_size=10))
    control = synced.sandbox.control
    for _ in range(2):
        before = ids_of(control.state("runs"))
        control.settings(drift_runs=2)
        synced.sync_ok()
        control.settings(drift_runs=0)
        after = ids_of(control.state("runs"))
        assert len(after) > len(before)
        held = live_ids(synced.database, "runs")
        # Every run that existed when the sync began is held; nothing held is unknown.
        assert before <= held <= after
        change_workspace(synced)
    synced.sync_ok()
    assert_mirrors(synced)


# Each fault hits the next request to its path; a `drop` the next two, as it alternates between
# closing the connection before the answer and half-way through it.
FAULTS = [
    ("429", "1", "/v1/runs"),
    ("429", "date:2", "/v1/companies"),
    ("500", None, "/v1/prospects"),
    ("502", None, "/v1/signals"),
    ("503", None, "/v1/runs/"),
    ("504", None, "/v1/runs"),
    ("drop", None, "/v1/runs/"),
    ("truncate", None, "/v1/companies"),
    ("invalid_json", None, "/v1/runs/"),
]


def test_every_transient_fault(synced_from: MakeSynced) -> None:
    synced = synced_from(replace(SMALL, max_page_size=20, page_all_lists=True))
    control = synced.sandbox.control
    synced.sync_ok()
    for fault, retry_after, path in FAULTS:
        change_workspace(synced)
        count = 2 if fault == "drop" else 1
        control.settings(fault=fault, fault_count=count, fault_path=path, retry_after=retry_after)
        started = time.monotonic()
        result = synced.sync_ok()
        assert control.settings()["fault_count"] == 0, fault
        assert retries_reported(result) == count, fault
        # The client waited as long as Retry-After asked.
        assert retry_after is None or time.monotonic() - started >= 1.0, fault
        assert mirror_problems(synced.database, synced.sandbox, deleted=synced.deleted) == [], fault
