"""Asset checks on the raw tables, executed by Dagster against good and deliberately broken data."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest
from models_workspace import PROSPECTS, details, result, run

from flintt_pipeline.defs.ingest.checks import flintt_checks, key_checks
from flintt_pipeline.defs.models.assets import build_model_assets, model_assets, model_checks
from flintt_pipeline.defs.resources import WarehouseResource
from flintt_pipeline.lib.warehouse import Warehouse

Change = Callable[[Callable[[Warehouse], object]], None]


def run_checks(
    checks: list[Any], resources: dict[str, WarehouseResource], **kwargs: Any
) -> dict[str, dg.AssetCheckEvaluation]:
    outcome = dg.materialize(
        checks,
        resources=resources,
        selection=dg.AssetSelection.all_asset_checks(),
        raise_on_error=False,
        **kwargs,
    )
    return {
        evaluation.asset_check_key.to_user_string(): evaluation
        for evaluation in outcome.get_asset_check_evaluations()
    }


def failing(evaluations: dict[str, dg.AssetCheckEvaluation]) -> dict[str, list[str]]:
    return {
        key: evaluation.metadata["examples"].value
        for key, evaluation in evaluations.items()
        if not evaluation.passed
    }


def duplicate_keys(warehouse: Warehouse, *, table: str, copy_of: str) -> None:
    """Copy the rows matching `copy_of`, then one of them again with a NULL key."""
    key_column = "run_id" if table == "run_results" else "id"
    # The warehouse's primary keys forbid this, so copy the table without them first.
    sql = warehouse.connection.execute
    sql(f"CREATE TABLE flintt.loose AS SELECT * FROM flintt.{table}")
    sql(f"DROP TABLE flintt.{table}")
    sql(f"ALTER TABLE flintt.loose RENAME TO {table}")
    sql(f"INSERT INTO flintt.{table} SELECT * FROM flintt.{table} WHERE {copy_of}")
    sql(
        f"INSERT INTO flintt.{table} SELECT * REPLACE (NULL AS {key_column}) "
        f"FROM flintt.{table} WHERE {copy_of} ORDER BY ALL LIMIT 1"
    )


def test_every_raw_table_is_checked_and_good_data_passes(
    resources: dict[str, WarehouseResource], change: Change
) -> None:
    evaluations = run_checks(flintt_checks, resources)
    assert len(evaluations) == 22
    for table in ("companies", "prospects", "signals", "runs", "run_results"):
        assert f"flintt/{table}:column_schema_change" in evaluations
    for table in ("companies", "prospects", "signals", "runs"):
        assert f"flintt/{table}_history:column_schema_change" in evaluations
        assert f"flintt/{table}_history:current_version_matches" in evaluations
    # p3's company c3 was deleted from Flintt: a warning until p3 goes too.
    assert failing(evaluations) == {"flintt/prospects:company_id_known": ["p3"]}
    warning = evaluations["flintt/prospects:company_id_known"]
    assert warning.severity == dg.AssetCheckSeverity.WARN
    assert warning.metadata["failing_rows"].value == 1

    change(lambda warehouse: warehouse.merge_listing("prospects", [PROSPECTS[:2]]))
    assert failing(run_checks(flintt_checks, resources)) == {}


@pytest.mark.parametrize(
    ("table", "check", "copy_of", "expected"),
    [
        ("companies", "id_unique_not_null", "id = 'c1'", ["<null>", "c1"]),
        ("prospects", "id_unique_not_null", "id = 'p2'", ["<null>", "p2"]),
        ("signals", "id_unique_not_null", "id = 's3'", ["<null>", "s3"]),
        ("runs", "id_unique_not_null", "id = 'r4'", ["<null>", "r4"]),
        ("run_results", "key_unique_not_null", "run_id = 'r5'", ["<null>#0", "r5#0", "r5#1"]),
    ],
)
def test_duplicate_and_null_keys_fail(
    resources: dict[str, WarehouseResource],
    change: Change,
    table: str,
    check: str,
    copy_of: str,
    expected: list[str],
) -> None:
    change(lambda warehouse: duplicate_keys(warehouse, table=table, copy_of=copy_of))
    evaluations = run_checks(flintt_checks, resources)
    evaluation = evaluations[f"flintt/{table}:{check}"]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert evaluation.metadata["examples"].value == expected
    assert evaluation.metadata["failing_rows"].value == len(expected)


def test_a_duplicate_key_keeps_the_models_that_read_the_table_from_building(
    resources: dict[str, WarehouseResource], change: Change, database: str
) -> None:
    change(lambda warehouse: duplicate_keys(warehouse, table="companies", copy_of="id = 'c1'"))
    outcome = dg.materialize(
        [*model_assets, *key_checks],
        resources=resources,
        selection=dg.AssetSelection.all() | dg.AssetSelection.all_asset_checks(),
        raise_on_error=False,
    )
    assert not outcome.success
    [evaluation] = [e for e in outcome.get_asset_check_evaluations() if not e.passed]
    assert evaluation.asset_check_key.to_user_string() == "flintt/companies:id_unique_not_null"
    built = {event.asset_key.path[1] for event in outcome.get_asset_materialization_events()}
    # These read flintt.companies; the others do not (the change models read its history), and
    # still build.
    assert built == {
        "signal_run_stats",
        "daily_signal_activity",
        "signal_results",
        "prospect_changes",
        "signal_changes",
    }
    with duckdb.connect(database, read_only=True) as connection:
        held = connection.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'analytics'"
        ).fetchall()
    assert ("prospects_enriched",) not in held


def test_orphans_fail_with_their_severity(
    resources: dict[str, WarehouseResource], change: Change
) -> None:
    orphan_result = result("res9", "c404", "unknown-co", 0.4, "2024-03-02T21:00:00Z")
    change(
        lambda warehouse: warehouse.merge_runs(
            [[run("r9", "s404", "pending", 0, None)]], complete=False
        )
    )
    change(
        lambda warehouse: warehouse.replace_run_results(
            details("r2", results={"r2": [orphan_result]})
        )
    )
    evaluations = run_checks(flintt_checks, resources)
    assert failing(evaluations) == {
        "flintt/prospects:company_id_known": ["p3"],
        "flintt/runs:signal_id_known": ["r9"],
        "flintt/run_results:company_id_known": ["r2#0"],
    }
    assert evaluations["flintt/runs:signal_id_known"].severity == dg.AssetCheckSeverity.ERROR
    assert evaluations["flintt/run_results:company_id_known"].severity == (
        dg.AssetCheckSeverity.WARN
    )


def test_a_fetched_run_with_fewer_rows_than_its_results_count_fails(
    resources: dict[str, WarehouseResource], change: Change
) -> None:
    # r8 (results_count 3) is not fetched yet: its missing rows are expected, so the check passes.
    assert run_checks(flintt_checks, resources)["flintt/runs:results_count_matches"].passed
    only_one = result("res8", "c1", "acme-once", 0.2, "2024-03-03T05:00:00Z")
    change(
        lambda warehouse: warehouse.replace_run_results(details("r8", results={"r8": [only_one]}))
    )
    evaluation = run_checks(flintt_checks, resources)["flintt/runs:results_count_matches"]
    assert not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert evaluation.metadata["examples"].value == ["r8"]


def test_model_schema_checks_pass_on_rebuilds_and_fail_when_columns_change(
    resources: dict[str, WarehouseResource], tmp_path: Path
) -> None:
    instance = dg.DagsterInstance.ephemeral()
    for _ in range(2):
        dg.materialize([*model_assets, *model_checks], resources=resources, instance=instance)
    evaluations = run_checks(model_checks, resources, instance=instance)
    assert len(evaluations) == len(model_assets)
    assert all(evaluation.passed for evaluation in evaluations.values())

    model = tmp_path / "company_names.sql"
    model.write_text("SELECT id FROM flintt.companies")
    dg.materialize(build_model_assets(sql_dir=tmp_path), resources=resources, instance=instance)
    model.write_text("SELECT id, name FROM flintt.companies")
    changed = build_model_assets(sql_dir=tmp_path)
    dg.materialize(changed, resources=resources, instance=instance)
    with pytest.warns(dg.BetaWarning):
        checks = dg.build_column_schema_change_checks(assets=changed)
    evaluation = run_checks(list(checks), resources, instance=instance)[
        "analytics/company_names:column_schema_change"
    ]
    assert not evaluation.passed
    assert "Added columns: name" in (evaluation.description or "")
