"""An incremental sync costs what changed: list pages in proportion to the new runs, and one
detail request per run that needs one."""

from collections.abc import Callable
from dataclasses import replace
from math import ceil

import pytest
from sync_support import SMALL, Synced, mirror_problems


@pytest.mark.parametrize(
    ("max_page_size", "page_size", "new_runs"),
    [(10, 1000, 23), (None, 7, 12)],
)
def test_new_runs_cost_pages_and_details_in_proportion(
    synced_from: Callable[..., Synced], max_page_size: int | None, page_size: int, new_runs: int
) -> None:
    synced = synced_from(replace(SMALL, max_page_size=max_page_size))
    control = synced.sandbox.control
    synced.sync_ok(page_size=page_size)
    # Finish the generated open runs, so that the open runs held are exactly the two below.
    for run in control.state("runs"):
        if run["status"] in ("pending", "running"):
            control.fail(run["id"])
    signal = control.state("signals")[0]["id"]
    waiting, working = control.trigger(signal), control.trigger(signal)
    control.start(working["id"])
    # A page and more of final runs above them: the incremental listing stops before them.
    for _ in range(12):
        control.complete(control.trigger(signal)["id"], results=1)
    synced.sync_ok(page_size=page_size)

    control.complete(waiting["id"], results=2)
    for _ in range(new_runs):
        control.complete(control.trigger(signal)["id"], results=3)
    control.reset_requests()
    synced.sync_ok(page_size=page_size)

    requests = control.requests()["by_path"]
    page = min(page_size, max_page_size or page_size)
    assert requests["/v1/runs"] <= ceil(new_runs / page) + 2
    # The new runs' results, the re-read of both open runs, and the results of the one that
    # completed: nothing else.
    assert requests.get("/v1/runs/{id}", 0) == new_runs + 2 + 1
    assert mirror_problems(synced.database, synced.sandbox) == []
