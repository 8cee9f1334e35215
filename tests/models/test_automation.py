"""The models' eager conditions: a raw table's update requests exactly the models reading it."""

import warnings

import dagster as dg

from flintt_pipeline.contract import HISTORY_TABLES, RAW_TABLES
from flintt_pipeline.defs.ingest.checks import flintt_checks
from flintt_pipeline.defs.models.assets import model_assets, model_checks
from flintt_pipeline.defs.models.automation import automation_sensor
from flintt_pipeline.defs.resources import WarehouseResource

SOURCES = (*RAW_TABLES, *HISTORY_TABLES.values())


def requested(result: dg.EvaluateAutomationConditionsResult, defs: dg.Definitions) -> list[str]:
    keys = defs.resolve_asset_graph().get_all_asset_keys()
    return sorted(key.to_user_string() for key in keys if result.get_num_requested(key))


def test_models_are_requested_when_the_tables_they_read_change(tmp_path: object) -> None:
    defs = dg.Definitions(
        assets=[*model_assets, *(dg.AssetSpec(["flintt", table]) for table in SOURCES)],
        asset_checks=[*flintt_checks, *model_checks],
        sensors=[automation_sensor],
        resources={"warehouse": WarehouseResource(database=f"{tmp_path}/unused.duckdb")},
    )
    assert defs.resolve_sensor_def("analytics_models_automation").default_status == (
        dg.DefaultSensorStatus.RUNNING
    )
    instance = dg.DagsterInstance.ephemeral()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        result = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        assert result.total_requested == 0

        for table in SOURCES:
            instance.report_runless_asset_event(dg.AssetMaterialization(["flintt", table]))
        result = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=result.cursor
        )
        assert requested(result, defs) == sorted(a.key.to_user_string() for a in model_assets)

        for asset in model_assets:
            instance.report_runless_asset_event(dg.AssetMaterialization(asset.key))
        result = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=result.cursor
        )
        assert result.total_requested == 0

        instance.report_runless_asset_event(dg.AssetMaterialization(["flintt", "companies"]))
        result = dg.evaluate_automation_conditions(
            defs=defs, instance=instance, cursor=result.cursor
        )
        assert requested(result, defs) == [
            "analytics/company_signal_activity",
            "analytics/prospects_enriched",
            "analytics/sync_health",
        ]
