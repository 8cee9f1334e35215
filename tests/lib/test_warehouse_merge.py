"""Listing merges into a real DuckDB file: insert, update, soft delete, undelete, guard,
atomicity, type errors."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from flintt_pipeline.contract import HISTORY_TABLES, RAW_TABLES
from flintt_pipeline.lib.warehouse import (
    MassDeleteError,
    RecordTypeError,
    Warehouse,
    open_warehouse,
)


def company(number: int, **changes: Any) -> dict[str, Any]:
    record = {
        "id": f"c{number}",
        "name": f"Company {number}",
        "domain": f"c{number}.example",
        "linkedin_url": None,
        "created_at": f"2024-01-{number % 28 + 1:02d}T08:30:00Z",
        "industry": "Software",
    }
    return {**record, **changes}


def companies(count: int) -> list[dict[str, Any]]:
    return [company(number) for number in range(count)]


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    with open_warehouse(database=str(tmp_path / "warehouse.duckdb")) as opened:
        yield opened


def rows(warehouse: Warehouse) -> dict[str, tuple]:
    """Company id -> (name, _synced_at, _deleted_at)."""
    found = warehouse.connection.execute(
        "SELECT id, name, _synced_at, _deleted_at FROM flintt.companies"
    ).fetchall()
    return {row[0]: row[1:] for row in found}


def snapshot(warehouse: Warehouse) -> dict[str, list[tuple]]:
    """Every row of every table of schema flintt (raw and state), in a stable order."""
    tables = [
        row[0]
        for row in warehouse.connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'flintt' "
            "AND database_name = current_database() ORDER BY table_name"
        ).fetchall()
    ]
    # The write path's tables (signals as code, pushes) are created with the others.
    state = {"_sync_state", "_source", "_run_results_fetched", "signal_keys", "push_log"}
    assert set(RAW_TABLES) | set(HISTORY_TABLES.values()) | state == set(tables)
    return {
        table: warehouse.connection.execute(f"SELECT * FROM flintt.{table} ORDER BY ALL").fetchall()
        for table in tables
    }


def test_first_merge_stores_typed_columns_raw_and_state(warehouse: Warehouse) -> None:
    listing = companies(3)
    stats = warehouse.merge_listing("companies", [listing[:2], listing[2:]])
    assert (stats.inserted, stats.updated, stats.deleted, stats.undeleted, stats.rows) == (
        3,
        0,
        0,
        0,
        3,
    )
    name, created_at, raw, synced_at, deleted_at = warehouse.connection.execute(
        "SELECT name, created_at, _raw, _synced_at, _deleted_at FROM flintt.companies "
        "WHERE id = 'c1'"
    ).fetchone()
    assert name == "Company 1"
    assert created_at == datetime(2024, 1, 2, 8, 30, tzinfo=UTC)
    assert orjson.loads(raw) == listing[1]
    assert synced_at is not None and deleted_at is None
    state = warehouse.connection.execute(
        "SELECT records, inserted, last_complete_at IS NOT NULL FROM flintt._sync_state "
        "WHERE stream = 'companies'"
    ).fetchone()
    assert state == (3, 3, True)


def test_same_listing_again_changes_nothing(warehouse: Warehouse) -> None:
    warehouse.merge_listing("companies", [companies(5)])
    before = rows(warehouse)
    stats = warehouse.merge_listing("companies", [companies(5)])
    assert (stats.inserted, stats.updated, stats.deleted, stats.undeleted) == (0, 0, 0, 0)
    assert rows(warehouse) == before


def test_changed_record_is_updated_alone(warehouse: Warehouse) -> None:
    warehouse.merge_listing("companies", [companies(4)])
    before = rows(warehouse)
    listing = companies(4)
    listing[2] = company(2, name="Renamed")
    stats = warehouse.merge_listing("companies", [listing])
    after = rows(warehouse)
    assert (stats.inserted, stats.updated) == (0, 1)
    assert after["c2"][0] == "Renamed" and after["c2"][1] > before["c2"][1]
    assert {key: after[key] for key in ("c0", "c1", "c3")} == {
        key: before[key] for key in ("c0", "c1", "c3")
    }


def test_undocumented_field_change_counts_as_change(warehouse: Warehouse) -> None:
    warehouse.merge_listing("companies", [companies(2)])
    listing = [companies(2)[0], company(1, industry="Retail")]
    assert warehouse.merge_listing("companies", [listing]).updated == 1
    raw = warehouse.connection.execute(
        "SELECT _raw->>'industry' FROM flintt.companies WHERE id = 'c1'"
    ).fetchone()
    assert raw == ("Retail",)


def test_absent_rows_are_soft_deleted_and_come_back(warehouse: Warehouse) -> None:
    warehouse.merge_listing("companies", [companies(6)])
    stats = warehouse.merge_listing("companies", [companies(6)[:4]])
    assert (stats.deleted, stats.rows) == (2, 4)
    deleted = rows(warehouse)
    assert deleted["c4"][2] is not None and deleted["c5"][2] is not None
    assert deleted["c0"][2] is None
    assert warehouse.table_summary("companies").row_count == 4

    stats = warehouse.merge_listing("companies", [companies(6)[:5]])
    assert (stats.undeleted, stats.deleted, stats.rows) == (1, 0, 5)
    returned = rows(warehouse)
    assert returned["c4"][2] is None and returned["c4"][1] > deleted["c4"][1]
    assert returned["c5"] == deleted["c5"]


def test_mass_delete_is_refused_and_changes_nothing(warehouse: Warehouse) -> None:
    warehouse.merge_listing("companies", [companies(40)])
    before = snapshot(warehouse)
    with pytest.raises(MassDeleteError) as raised:
        warehouse.merge_listing("companies", [companies(15)])
    message = str(raised.value)
    assert "companies" in message and "25 of 40" in message
    assert "max_delete_share" in message and "\n" not in message
    assert snapshot(warehouse) == before

    stats = warehouse.merge_listing("companies", [companies(15)], max_delete_share=1.0)
    assert (stats.deleted, stats.rows) == (25, 15)


def test_small_deletions_pass_the_guard(warehouse: Warehouse) -> None:
    signals = [{"id": f"s{n}", "name": f"Signal {n}", "status": "active"} for n in range(12)]
    warehouse.merge_listing("signals", [signals[:2]])
    assert warehouse.merge_listing("signals", [signals[:1]]).deleted == 1
    warehouse.merge_listing("signals", [signals])
    assert warehouse.merge_listing("signals", [signals[10:]]).deleted == 10
    warehouse.merge_listing("signals", [signals])
    with pytest.raises(MassDeleteError, match="11 of 12"):
        warehouse.merge_listing("signals", [signals[:1]])


def test_failure_in_the_batches_leaves_every_table_as_before(warehouse: Warehouse) -> None:
    warehouse.merge_listing("companies", [companies(10)])
    before = snapshot(warehouse)

    def failing() -> Iterator[list[dict[str, Any]]]:
        yield [company(n, name="changed") for n in range(5)]
        yield [company(n) for n in range(20, 30)]
        raise ConnectionError("HTTP failed mid-listing")

    warehouse.bind_source("http://127.0.0.1:9/")
    with pytest.raises(ConnectionError):
        warehouse.merge_listing("companies", failing())
    with pytest.raises(RecordTypeError):
        warehouse.merge_listing("companies", [companies(12), [company(99, name=5)]])
    assert snapshot(warehouse) == before
    # The staging of the failed syncs is gone: the next one starts clean.
    assert warehouse.merge_listing("companies", [companies(11)]).inserted == 1


@pytest.mark.parametrize(
    ("stream", "record", "field", "record_id"),
    [
        ("companies", company(7, name=12), "name", "c7"),
        ("companies", company(7, created_at="last tuesday"), "created_at", "c7"),
        ("companies", company(7, created_at=1700000000), "created_at", "c7"),
        ("companies", company(7, domain=["a.example"]), "domain", "c7"),
        ("companies", {"name": "no id"}, "id", "#3"),
        ("companies", company(7, id=7), "id", "#3"),
        ("companies", ["not", "an", "object"], "(record)", "#3"),
        ("runs", {"id": "r1", "results_count": "3"}, "results_count", "r1"),
        ("runs", {"id": "r1", "results_count": 2.5}, "results_count", "r1"),
        ("runs", {"id": "r1", "results_count": 2**40}, "results_count", "r1"),
        ("signals", {"id": "s1", "status": True}, "status", "s1"),
    ],
)
def test_wrong_type_is_an_error_naming_stream_id_and_field(
    warehouse: Warehouse, stream: str, record: Any, field: str, record_id: str
) -> None:
    good = [{"id": "x1"}, {"id": "x2"}]
    with pytest.raises(RecordTypeError) as raised:
        if stream == "runs":
            warehouse.merge_runs([good, [record]], complete=False)
        else:
            warehouse.merge_listing(stream, [good, [record]])  # type: ignore[arg-type]
    error = raised.value
    assert (error.stream, error.field, error.record_id) == (stream, field, record_id)
    assert str(error).startswith(f"{stream} record ") and record_id in str(error)
    assert field.strip("()") in str(error)
    assert warehouse.table_summary(stream).row_count == 0


def test_wrong_type_message_counts_the_other_bad_records(warehouse: Warehouse) -> None:
    listing = [company(n, name=n) if n % 2 else company(n) for n in range(6)]
    with pytest.raises(RecordTypeError, match=r"record 'c1'.*got an integer 1 \(and 2 more"):
        warehouse.merge_listing("companies", [listing])


def test_undocumented_fields_kept_and_missing_fields_null(warehouse: Warehouse) -> None:
    record = {"id": "p1", "name": "Ada", "nickname": {"first": "A"}, "tags": [1, 2]}
    warehouse.merge_listing("prospects", [[record]])
    email, created_at, raw = warehouse.connection.execute(
        "SELECT email, created_at, _raw FROM flintt.prospects"
    ).fetchone()
    assert email is None and created_at is None
    assert orjson.loads(raw) == record


def test_repeated_id_keeps_the_record_read_last(warehouse: Warehouse) -> None:
    stats = warehouse.merge_listing(
        "companies", [[company(1, name="first"), company(2)], [company(1, name="last")]]
    )
    assert (stats.inserted, stats.rows) == (2, 2)
    assert rows(warehouse)["c1"][0] == "last"


def test_deleting_a_signal_soft_deletes_its_runs(warehouse: Warehouse) -> None:
    signals = [{"id": "s1", "name": "one"}, {"id": "s2", "name": "two"}]
    runs = [
        {"id": "r1", "signal_id": "s1", "status": "completed", "results_count": 1},
        {"id": "r2", "signal_id": "s1", "status": "running", "results_count": 0},
        {"id": "r3", "signal_id": "s2", "status": "completed", "results_count": 1},
    ]
    warehouse.merge_listing("signals", [signals])
    warehouse.merge_runs([runs], complete=True)
    stats = warehouse.merge_listing("signals", [signals[1:]])
    assert (stats.deleted, stats.cascade_deleted) == (1, 2)
    live = warehouse.connection.execute(
        "SELECT id FROM flintt.runs WHERE _deleted_at IS NULL"
    ).fetchall()
    assert live == [("r3",)]
    assert warehouse.final_run_ids() == {"r3"} and warehouse.open_run_ids() == []


def test_empty_listing_of_a_small_table_deletes_it_and_of_a_big_one_is_refused(
    warehouse: Warehouse,
) -> None:
    warehouse.merge_listing("prospects", [[{"id": "p1"}, {"id": "p2"}]])
    assert warehouse.merge_listing("prospects", []).deleted == 2
    warehouse.merge_listing("companies", [companies(30)])
    with pytest.raises(MassDeleteError, match="30 of 30"):
        warehouse.merge_listing("companies", [[]])
