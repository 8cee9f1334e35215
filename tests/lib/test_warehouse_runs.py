"""Runs merges, gone runs, results replaced per run, and which runs still need their results."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from flintt_pipeline.lib.warehouse import (
    MassDeleteError,
    RecordTypeError,
    Warehouse,
    open_warehouse,
)


def run(number: int, status: str = "completed", **changes: Any) -> dict[str, Any]:
    done = status in ("completed", "failed")
    record = {
        "id": f"r{number}",
        "signal_id": "s1",
        "status": status,
        "results_count": 2 if status == "completed" else 0,
        "completed_at": f"2024-03-01T10:{number:02d}:00Z" if done else None,
        "created_at": f"2024-03-01T09:{number:02d}:00Z",
    }
    return {**record, **changes}


def detail(record: dict[str, Any], results: list[dict[str, Any]]) -> dict[str, Any]:
    return {**record, "results": results}


def result(number: int, **changes: Any) -> dict[str, Any]:
    record = {
        "id": f"x{number}",
        "company_id": None,
        "title": f"News {number}",
        "url": f"https://news.example/{number}",
        "score": 0.5,
        "found_at": "2024-03-01T10:00:00Z",
    }
    return {**record, **changes}


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    with open_warehouse(database=str(tmp_path / "warehouse.duckdb")) as opened:
        yield opened


def live_runs(warehouse: Warehouse) -> dict[str, str]:
    return dict(
        warehouse.connection.execute(
            "SELECT id, status FROM flintt.runs WHERE _deleted_at IS NULL"
        ).fetchall()
    )


def results_of(warehouse: Warehouse, run_id: str) -> list[tuple]:
    return warehouse.connection.execute(
        "SELECT position, signal_id, result_id, _raw, _synced_at FROM flintt.run_results "
        "WHERE run_id = ? ORDER BY position",
        [run_id],
    ).fetchall()


def test_incremental_listing_upserts_without_deleting(warehouse: Warehouse) -> None:
    warehouse.merge_runs([[run(1), run(2, "running"), run(3, "pending")]], complete=True)
    stats = warehouse.merge_runs([[run(4, "running"), run(2)]], complete=False)
    assert (stats.inserted, stats.updated, stats.deleted, stats.rows) == (1, 1, 0, 4)
    assert live_runs(warehouse) == {
        "r1": "completed",
        "r2": "completed",
        "r3": "pending",
        "r4": "running",
    }
    assert warehouse.final_run_ids() == {"r1", "r2"}
    assert warehouse.open_run_ids() == ["r3", "r4"]
    results_count, completed_at = warehouse.connection.execute(
        "SELECT results_count, completed_at FROM flintt.runs WHERE id = 'r2'"
    ).fetchone()
    assert results_count == 2 and completed_at.isoformat() == "2024-03-01T10:02:00+00:00"


def test_complete_listing_and_gone_ids_soft_delete(warehouse: Warehouse) -> None:
    warehouse.merge_runs([[run(n) for n in range(1, 6)]], complete=True)
    stats = warehouse.merge_runs([[run(n) for n in range(1, 5)]], complete=True)
    assert (stats.deleted, stats.rows) == (1, 4)
    stats = warehouse.merge_runs([], complete=False, gone_ids=["r2", "r3", "unknown"])
    assert (stats.deleted, stats.rows) == (2, 2)
    assert set(live_runs(warehouse)) == {"r1", "r4"}
    assert warehouse.merge_runs([[run(3)]], complete=False).undeleted == 1


def test_gone_ids_found_while_the_listing_is_read_are_deleted(warehouse: Warehouse) -> None:
    warehouse.merge_runs([[run(1, "running"), run(2, "running"), run(3)]], complete=True)
    gone: list[str] = []

    def listing_then_rereads() -> Iterator[list[dict[str, Any]]]:
        yield [run(4, "pending")]
        gone.append("r2")  # the re-read of an open run answered 404
        yield [run(1)]

    stats = warehouse.merge_runs(listing_then_rereads(), complete=False, gone_ids=gone)
    assert (stats.inserted, stats.updated, stats.deleted) == (1, 1, 1)
    assert live_runs(warehouse) == {"r1": "completed", "r3": "completed", "r4": "pending"}


def test_complete_runs_listing_is_guarded(warehouse: Warehouse) -> None:
    warehouse.merge_runs([[run(n) for n in range(30)]], complete=True)
    with pytest.raises(MassDeleteError, match=r"runs: .*20 of 30"):
        warehouse.merge_runs([[run(n) for n in range(10)]], complete=True)
    assert len(live_runs(warehouse)) == 30
    # An incremental listing of the same ten runs deletes nothing.
    assert warehouse.merge_runs([[run(n) for n in range(10)]], complete=False).deleted == 0


def test_results_are_replaced_as_one_unit_per_run(warehouse: Warehouse) -> None:
    warehouse.merge_runs([[run(1), run(2)]], complete=True)
    first = [result(1), {"title": "no id here"}, result(3)]
    stats = warehouse.replace_run_results([detail(run(1), first), detail(run(2), [result(9)])])
    assert (stats.inserted, stats.deleted, stats.rows) == (4, 0, 4)
    held = results_of(warehouse, "r1")
    assert [(row[0], row[1], row[2]) for row in held] == [
        (0, "s1", "x1"),
        (1, "s1", None),
        (2, "s1", "x3"),
    ]
    assert [orjson.loads(row[3]) for row in held] == first

    stats = warehouse.replace_run_results([detail(run(1), [result(1), result(7)])])
    assert (stats.inserted, stats.updated, stats.deleted, stats.rows) == (0, 1, 1, 3)
    again = results_of(warehouse, "r1")
    assert [row[2] for row in again] == ["x1", "x7"]
    assert again[0][4] == held[0][4]  # unchanged position keeps its _synced_at
    assert again[1][4] > held[1][4]
    assert [row[2] for row in results_of(warehouse, "r2")] == ["x9"]

    stats = warehouse.replace_run_results([detail(run(1), [])])
    assert (stats.deleted, stats.rows) == (2, 1)
    assert results_of(warehouse, "r1") == []


def test_one_bad_detail_fails_the_whole_call(warehouse: Warehouse) -> None:
    warehouse.merge_runs([[run(1), run(2)]], complete=True)
    warehouse.replace_run_results([detail(run(1), [result(1)])])
    before = warehouse.connection.execute(
        "SELECT * FROM flintt.run_results ORDER BY ALL"
    ).fetchall()
    cases = [
        (detail(run(2), [result(2, id=42)]), "results[0].id"),
        (detail(run(2), [result(2), "text"]), "results[1]"),
        (run(2), "results"),
        (detail(run(2, results_count="2"), []), "results_count"),
    ]
    for bad, field in cases:
        with pytest.raises(RecordTypeError) as raised:
            warehouse.replace_run_results([detail(run(1), [result(5)]), bad])
        assert (raised.value.stream, raised.value.record_id, raised.value.field) == (
            "run_results",
            "r2",
            field,
        )
        assert "'r2'" in str(raised.value)
    after = warehouse.connection.execute("SELECT * FROM flintt.run_results ORDER BY ALL").fetchall()
    assert after == before
    assert warehouse.runs_needing_results() == ["r2"]


def test_runs_needing_results_follows_completions(warehouse: Warehouse) -> None:
    warehouse.merge_runs(
        [[run(1), run(2), run(3, "running"), run(4, "failed"), run(5, results_count=0)]],
        complete=True,
    )
    assert warehouse.runs_needing_results() == ["r1", "r2"]

    warehouse.replace_run_results([detail(run(1), [result(1), result(2)])])
    assert warehouse.runs_needing_results() == ["r2"]

    # r3 completes; r1 is re-run and completes again later: both need (re)fetching.
    warehouse.merge_runs([[run(3), run(1, completed_at="2024-03-02T00:00:00Z")]], complete=False)
    assert warehouse.runs_needing_results() == ["r2", "r3", "r1"]

    warehouse.merge_runs([], complete=False, gone_ids=["r2"])
    warehouse.replace_run_results(
        [detail(run(3), [result(3)]), detail(run(1, completed_at="2024-03-02T00:00:00Z"), [])]
    )
    assert warehouse.runs_needing_results() == []
    state = warehouse.connection.execute(
        "SELECT run_id, results_count FROM flintt._run_results_fetched ORDER BY run_id"
    ).fetchall()
    assert state == [("r1", 2), ("r3", 2)]
