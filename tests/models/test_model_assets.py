"""The model assets as Dagster sees them: specs derived from the SQL files, and their metadata."""

from typing import Any

import dagster as dg

from flintt_pipeline.defs.models.assets import model_assets
from flintt_pipeline.defs.models.automation import automation_sensor


def specs_by_name() -> dict[str, dg.AssetSpec]:
    return {spec.key.path[1]: spec for asset in model_assets for spec in asset.specs}


def test_every_model_column_is_typed_and_described_from_its_file() -> None:
    for name, spec in specs_by_name().items():
        columns = spec.metadata["dagster/column_schema"].columns
        assert columns, name
        undescribed = [column.name for column in columns if not column.description]
        assert undescribed == [], f"{name}.sql lists no description for {undescribed}"
    stats = {
        c.name: c
        for c in specs_by_name()["signal_run_stats"].metadata["dagster/column_schema"].columns
    }
    assert stats["failure_rate"].type == "DOUBLE"
    assert stats["failure_rate"].description == (
        "failed / (completed + failed), 4 decimals; NULL before any run finished"
    )
    # An entry naming several columns describes each; a wrapped line continues its entry.
    results = {
        c.name: c
        for c in specs_by_name()["signal_results"].metadata["dagster/column_schema"].columns
    }
    assert results["position"].description == results["run_id"].description
    assert (results["found_at"].description or "").endswith("NULL when missing or malformed)")


def test_assets_are_derived_from_the_sql_files() -> None:
    specs = {spec.key.to_user_string(): spec for asset in model_assets for spec in asset.specs}
    assert sorted(specs) == [
        "analytics/company_signal_activity",
        "analytics/daily_signal_activity",
        "analytics/prospect_changes",
        "analytics/prospects_enriched",
        "analytics/signal_changes",
        "analytics/signal_results",
        "analytics/signal_run_stats",
        "analytics/sync_health",
    ]
    spec = specs["analytics/company_signal_activity"]
    assert {dep.asset_key.to_user_string() for dep in spec.deps} == {
        "analytics/signal_results",
        "flintt/companies",
    }
    assert spec.group_name == "analytics"
    assert spec.kinds == {"sql", "duckdb"}
    assert spec.owners == ["team:analytics"]
    assert spec.description is not None
    assert spec.description.startswith("Per live company:")
    assert spec.automation_condition is not None
    assert spec.freshness_policy is not None
    assert {asset.op.pool for asset in model_assets} == {"duckdb_writer"}
    assert automation_sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_materializations_carry_table_metadata(built: Any) -> None:
    result, _, _ = built
    assert result.success
    events = {
        event.asset_key.path[1]: event.metadata
        for event in result.get_asset_materialization_events()
        for event in [event.materialization]
    }
    metadata = events["signal_results"]
    assert metadata["dagster/row_count"].value == 5
    assert metadata["dagster/table_name"].value == "analytics.signal_results"
    columns = [(c.name, c.type) for c in metadata["dagster/column_schema"].schema.columns]
    assert columns[:3] == [("run_id", "VARCHAR"), ("position", "INTEGER"), ("signal_id", "VARCHAR")]
    assert ("score", "DOUBLE") in columns
    assert ("found_at", "TIMESTAMP WITH TIME ZONE") in columns
    # Every column reaches the UI described, with the schema the definition announced.
    described = metadata["dagster/column_schema"].schema
    assert all(column.description for column in described.columns)
    assert described == specs_by_name()["signal_results"].metadata["dagster/column_schema"]
    assert metadata["seconds"].value >= 0
    preview = metadata["preview"].value
    assert preview.splitlines()[0].startswith("| run_id | position | signal_id |")
    assert "| r1 | 0 | s1 | Funding |" in preview
    assert events["sync_health"]["dagster/row_count"].value == 5
