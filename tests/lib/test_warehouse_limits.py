"""A record DuckDB cannot hold within the warehouse's memory limit: one line, nothing changed, and
the warehouse goes on working."""

from pathlib import Path

import pytest

from flintt_pipeline.lib.warehouse import WarehouseUnusableError, open_warehouse


def test_a_record_too_large_for_memory(tmp_path: Path) -> None:
    path = str(tmp_path / "warehouse.duckdb")
    listing = [{"id": "c1", "name": "Acme"}]
    with open_warehouse(database=path) as warehouse:
        warehouse.merge_listing("companies", [listing])
    with (
        pytest.raises(WarehouseUnusableError) as raised,
        open_warehouse(database=path) as warehouse,
    ):
        warehouse.merge_listing("companies", [[*listing, {"id": "c2", "name": "x" * 30_000_000}]])
    message = str(raised.value)
    assert "\n" not in message and "out of memory" in message and "shorten it in Flintt" in message
    with open_warehouse(database=path) as warehouse:
        rows = warehouse.connection.execute("SELECT id, name FROM flintt.companies").fetchall()
        assert rows == [("c1", "Acme")]
        assert warehouse.merge_listing("companies", [[*listing, {"id": "c2"}]]).inserted == 1


def test_the_limit_leaves_room_for_the_primary_key_indexes(tmp_path: Path) -> None:
    """A loaded primary-key index stays in memory: 3.3M keys ran a flat 160 MiB out. The limit
    grows with the rows of the tables that have one, from the catalog's counts."""
    path = str(tmp_path / "warehouse.duckdb")
    companies = [{"id": f"company-{number:07d}", "name": "Acme"} for number in range(100_000)]
    limit = "SELECT current_setting('memory_limit')"
    with open_warehouse(database=path) as warehouse:
        (empty,) = warehouse.connection.execute(limit).fetchone() or ("",)
        warehouse.merge_listing("companies", [companies])
    with open_warehouse(database=path) as warehouse:
        (held,) = warehouse.connection.execute(limit).fetchone() or ("",)
    assert empty == "160.0 MiB"
    # 160 MiB + 200 B for each of the 100,000 keys (plus the sync state's few rows).
    assert held == "179.0 MiB", held
