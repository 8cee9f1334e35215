"""The raw tables' column schema as the asset definitions announce it: every column of the real
warehouse, with DuckDB's type and a description."""

import dagster as dg
import pytest

from flintt_pipeline.contract import RAW_TABLES
from flintt_pipeline.definitions import defs
from flintt_pipeline.lib.warehouse import open_warehouse


def raw_spec(table: str) -> dg.AssetSpec:
    key = dg.AssetKey(["flintt", table])
    return defs().resolve_assets_def(key).specs_by_key[key]


@pytest.fixture(scope="module")
def warehouse_columns(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, str]]]:
    database = str(tmp_path_factory.mktemp("columns") / "warehouse.duckdb")
    with open_warehouse(database=database) as warehouse:
        return {
            table: [
                (name, str(kind))
                for name, kind, *_ in warehouse.connection.execute(
                    f"DESCRIBE flintt.{table}"
                ).fetchall()
            ]
            for table in RAW_TABLES
        }


@pytest.mark.parametrize("table", RAW_TABLES)
def test_raw_assets_announce_the_warehouse_columns_described(
    table: str, warehouse_columns: dict[str, list[tuple[str, str]]]
) -> None:
    spec = raw_spec(table)
    schema = spec.metadata["dagster/column_schema"]
    assert [(column.name, column.type) for column in schema.columns] == warehouse_columns[table]
    assert all((column.description or "").strip() for column in schema.columns)
    assert spec.metadata["dagster/table_name"] == f"flintt.{table}"


def test_the_bookkeeping_columns_are_explained() -> None:
    spec = raw_spec("companies")
    described = {c.name: c.description for c in spec.metadata["dagster/column_schema"].columns}
    assert "exactly as Flintt sent it" in described["_raw"]
    assert "NULL while it exists" in described["_deleted_at"]
