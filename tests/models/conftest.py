"""Fixtures: a small warehouse filled from `models_workspace`, and the models built on it."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
from models_workspace import fill, utc, whole_days_since

from flintt_pipeline.defs.models.assets import model_assets
from flintt_pipeline.defs.resources import WarehouseResource
from flintt_pipeline.lib.warehouse import Warehouse, open_warehouse


@pytest.fixture
def database(tmp_path: Path) -> str:
    path = str(tmp_path / "warehouse.duckdb")
    with open_warehouse(database=path) as warehouse:
        fill(warehouse)
    return path


@pytest.fixture
def resources(database: str) -> dict[str, WarehouseResource]:
    return {"warehouse": WarehouseResource(database=database)}


@pytest.fixture
def change(database: str) -> Callable[[Callable[[Warehouse], object]], None]:
    """Apply one change to the test warehouse between Dagster runs."""

    def apply(edit: Callable[[Warehouse], object]) -> None:
        with open_warehouse(database=database) as warehouse:
            edit(warehouse)

    return apply


@pytest.fixture
def built(
    database: str, resources: dict[str, WarehouseResource]
) -> tuple[dg.ExecuteInProcessResult, dict[str, list[tuple[Any, ...]]], int]:
    days_before = whole_days_since(utc("2024-03-03T06:00:00Z"))
    result = dg.materialize(model_assets, resources=resources)
    with duckdb.connect(database, read_only=True) as connection:
        connection.execute("SET TimeZone = 'UTC'")
        tables = {
            asset.key.path[1]: connection.execute(
                f"SELECT * FROM analytics.{asset.key.path[1]} ORDER BY ALL"
            ).fetchall()
            for asset in model_assets
        }
    return result, tables, days_before
