"""A sync killed with SIGKILL at any point leaves a file that opens with the old or new state."""

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from flintt_pipeline.lib.warehouse import Warehouse, open_warehouse

COUNT = 40_000
SHIFT = COUNT // 10  # version b drops the first SHIFT ids and adds SHIFT new ones

MERGE = """
import sys, time
from flintt_pipeline.lib.warehouse import open_warehouse

path, version, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

def batches():
    for start in range(first, first + count, 10_000):
        yield [{"id": f"c{n}", "name": f"{version}-{n}", "domain": f"d{n}.example",
                "created_at": "2024-01-01T00:00:00Z"} for n in range(start, start + 10_000)]
    # Staging is done once the listing is exhausted: what follows is checks, merge and commit.
    global staged
    staged = time.monotonic()
    print("staged", flush=True)

with open_warehouse(database=path) as warehouse:
    warehouse.merge_listing("companies", batches())
    print(time.monotonic() - staged, flush=True)
"""


def listing(version: str, first: int) -> list[list[dict]]:
    return [
        [
            {
                "id": f"c{n}",
                "name": f"{version}-{n}",
                "domain": f"d{n}.example",
                "created_at": "2024-01-01T00:00:00Z",
            }
            for n in range(start, start + 10_000)
        ]
        for start in range(first, first + COUNT, 10_000)
    ]


def state(warehouse: Warehouse) -> tuple:
    """(live rows per version, soft-deleted rows, sync state's records and inserted)."""
    live = warehouse.connection.execute(
        "SELECT split_part(name, '-', 1), count(*) FROM flintt.companies "
        "WHERE _deleted_at IS NULL GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    deleted = warehouse.connection.execute(
        "SELECT count(*) FROM flintt.companies WHERE _deleted_at IS NOT NULL"
    ).fetchall()
    sync = warehouse.connection.execute(
        "SELECT records, inserted FROM flintt._sync_state WHERE stream = 'companies'"
    ).fetchall()
    return live, deleted[0][0], sync


OLD = ([("a", COUNT)], 0, [(COUNT, COUNT)])
NEW = ([("b", COUNT)], SHIFT, [(COUNT, SHIFT)])


def merge_in_child(path: Path, *, kill_after: float | None) -> tuple[int, float | None]:
    """Run version b's merge in a subprocess; SIGKILL it `kill_after` s after staging ended.
    Returns the exit code and, when it finished, how long the merge after staging took."""
    child = subprocess.Popen(
        [sys.executable, "-c", MERGE, str(path), "b", str(SHIFT), str(COUNT)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "staged"
    if kill_after is not None:
        time.sleep(kill_after)
        child.send_signal(signal.SIGKILL)
    output = child.stdout.read().strip()
    return child.wait(), float(output) if output else None


def test_sigkill_during_merge_leaves_old_or_new_state(tmp_path: Path) -> None:
    base = tmp_path / "base.duckdb"
    with open_warehouse(database=str(base)) as warehouse:
        warehouse.merge_listing("companies", listing("a", 0))
        assert state(warehouse) == OLD

    calibration = tmp_path / "calibration.duckdb"
    shutil.copy(base, calibration)
    code, seconds = merge_in_child(calibration, kill_after=None)
    assert code == 0 and seconds is not None
    with open_warehouse(database=str(calibration)) as warehouse:
        assert state(warehouse) == NEW

    outcomes = []
    for share in (0.0, 0.3, 0.6, 0.9, 1.2, 3.0):
        path = tmp_path / f"killed-{share}.duckdb"
        shutil.copy(base, path)
        code, _ = merge_in_child(path, kill_after=seconds * share)
        with open_warehouse(database=str(path)) as warehouse:
            found = state(warehouse)
            assert found in (OLD, NEW), f"mixed state after SIGKILL at {share:.0%}: {found}"
            outcomes.append((code, found == NEW))
            # The next sync after the crash lands correctly from whichever state was left.
            stats = warehouse.merge_listing("companies", listing("c", 0))
            assert (stats.inserted, stats.updated + stats.undeleted) == (0, COUNT)
            assert stats.deleted == (SHIFT if found == NEW else 0)
            assert state(warehouse)[0] == [("c", COUNT)]
    # Most kills landed before the commit; a late one may find the merge done (new state).
    assert sum(code == -signal.SIGKILL for code, _ in outcomes) >= 3, outcomes
