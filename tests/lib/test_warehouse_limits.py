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
    assert "\n" not in message and "out of memory" in message and "shorten that record" in message
    with open_warehouse(database=path) as warehouse:
        rows = warehouse.connection.execute("SELECT id, name FROM flintt.companies").fetchall()
        assert rows == [("c1", "Acme")]
        assert warehouse.merge_listing("companies", [[*listing, {"id": "c2"}]]).inserted == 1
