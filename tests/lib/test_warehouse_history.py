"""History tables in a real DuckDB file: a version per change and none without, the kinds, the
start from an older warehouse's rows, atomicity with the merge, and the runs of deleted signals."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flintt_pipeline.lib.warehouse import (
    MassDeleteError,
    Warehouse,
    disagreeing_ids_sql,
    open_warehouse,
)


def company(number: int, **changes: Any) -> dict[str, Any]:
    return {
        "id": f"c{number}",
        "name": f"Company {number}",
        "domain": f"c{number}.example",
        "linkedin_url": None,
        "created_at": "2024-01-01T08:30:00Z",
        **changes,
    }


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "warehouse.duckdb")


@pytest.fixture
def warehouse(path: str) -> Iterator[Warehouse]:
    with open_warehouse(database=path) as opened:
        yield opened


def versions(warehouse: Warehouse, table: str = "companies") -> list[tuple[Any, ...]]:
    """(id, name or status, _change, open?, _seeded) per version, oldest first per id."""
    column = "name" if table == "companies" else "status"
    return warehouse.connection.execute(
        f"SELECT id, {column}, _change, _valid_to IS NULL, _seeded FROM flintt.{table}_history "
        "ORDER BY id, _valid_from"
    ).fetchall()


def consistent(warehouse: Warehouse) -> bool:
    return all(
        warehouse.connection.execute(disagreeing_ids_sql(table)).fetchall() == []
        for table in ("companies", "prospects", "signals", "runs")
    )


def test_a_version_per_change_and_none_without(warehouse: Warehouse) -> None:
    listing = [company(1), company(2), company(3)]
    assert warehouse.merge_listing("companies", [listing]).versions == 3
    assert warehouse.merge_listing("companies", [listing]).versions == 0
    # An undocumented field is a change too: it lives in _raw.
    changed = [company(1, name="Renamed"), company(2, industry="Software")]
    stats = warehouse.merge_listing("companies", [changed])
    assert (stats.updated, stats.deleted, stats.versions) == (2, 1, 3)
    assert warehouse.merge_listing("companies", [changed]).versions == 0
    assert warehouse.merge_listing("companies", [[*changed, company(3)]]).versions == 1
    assert versions(warehouse) == [
        ("c1", "Company 1", "insert", False, False),
        ("c1", "Renamed", "update", True, False),
        ("c2", "Company 2", "insert", False, False),
        ("c2", "Company 2", "update", True, False),
        ("c3", "Company 3", "insert", False, False),
        ("c3", "Company 3", "delete", False, False),
        ("c3", "Company 3", "restore", True, False),
    ]
    chained = warehouse.connection.execute(
        "SELECT count(*) FROM flintt.companies_history h JOIN flintt.companies_history n "
        "ON n.id = h.id AND n._valid_from = h._valid_to"
    ).fetchone()
    assert chained == (4,)  # every closed version ends where the next one starts
    assert consistent(warehouse)


def test_a_refused_merge_records_nothing(warehouse: Warehouse) -> None:
    warehouse.merge_listing("companies", [[company(n) for n in range(30)]])
    before = versions(warehouse)
    with pytest.raises(MassDeleteError):
        warehouse.merge_listing("companies", [[company(0, name="Changed")]])
    assert versions(warehouse) == before


def test_deleting_a_signal_records_its_runs_deletion(warehouse: Warehouse) -> None:
    signal = {"id": "s1", "name": "Hiring", "status": "active", "created_at": None}
    runs = [
        {"id": f"r{n}", "signal_id": "s1", "status": "completed", "results_count": 0}
        for n in range(2)
    ]
    warehouse.merge_listing("signals", [[signal]])
    warehouse.merge_runs([runs], complete=True)
    assert warehouse.merge_listing("signals", [[]], max_delete_share=1.0).cascade_deleted == 2
    assert [row[2] for row in versions(warehouse, "runs")] == ["insert", "delete"] * 2
    assert consistent(warehouse)


def test_an_older_warehouse_starts_its_history_from_its_rows(path: str) -> None:
    with open_warehouse(database=path) as warehouse:
        warehouse.merge_listing("companies", [[company(1), company(2), company(3)]])
        warehouse.merge_listing("companies", [[company(1), company(2)]])
        # What a warehouse filled before history existed looks like.
        for table in ("companies", "prospects", "signals", "runs"):
            warehouse.connection.execute(f"DROP TABLE flintt.{table}_history")
    with open_warehouse(database=path) as warehouse:
        assert versions(warehouse) == [
            ("c1", "Company 1", "insert", True, True),
            ("c2", "Company 2", "insert", True, True),
            ("c3", "Company 3", "delete", True, True),
        ]
        assert consistent(warehouse)
        warehouse.merge_listing("companies", [[company(1, name="Moved"), company(2), company(3)]])
        assert versions(warehouse) == [
            ("c1", "Company 1", "insert", False, True),
            ("c1", "Moved", "update", True, False),
            ("c2", "Company 2", "insert", True, True),
            ("c3", "Company 3", "delete", False, True),
            ("c3", "Company 3", "restore", True, False),
        ]
    with open_warehouse(database=path) as warehouse:
        assert len(versions(warehouse)) == 5  # started once, not on every open


def test_the_consistency_query_names_a_disagreeing_id(warehouse: Warehouse) -> None:
    warehouse.merge_listing("companies", [[company(1), company(2), company(3)]])
    connection = warehouse.connection
    connection.execute("UPDATE flintt.companies_history SET _raw = '{}' WHERE id = 'c1'")
    connection.execute(
        "UPDATE flintt.companies_history SET _valid_from = _valid_from - INTERVAL 1 SECOND "
        "WHERE id = 'c2'"
    )
    connection.execute("DELETE FROM flintt.companies_history WHERE id = 'c3'")
    full = connection.execute(disagreeing_ids_sql("companies")).fetchall()
    cheap = connection.execute(disagreeing_ids_sql("companies", values=False)).fetchall()
    assert sorted(full) == [("c1",), ("c2",), ("c3",)]
    assert sorted(cheap) == [("c2",), ("c3",)]
