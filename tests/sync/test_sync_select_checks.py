"""`sync --select` does what the chosen streams need, like the webhook's runs job: the key checks
of what it synced and the models downstream, not the checks that scan whole tables, which the
full sync runs."""

import shutil
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
from sync_support import Synced

from flintt_pipeline.cli.sync import run_sync
from flintt_pipeline.sandbox import SandboxConfig

REPO = Path(__file__).resolve().parents[2]

WHOLE_TABLE = {
    ("flintt/runs", "results_count_matches"),
    ("flintt/runs", "signal_id_known"),
    ("flintt/run_results", "company_id_known"),
    ("flintt/runs_history", "current_version_matches"),
}


def checked(result: dg.ExecuteInProcessResult) -> set[tuple[str, str]]:
    return {
        (evaluation.asset_key.to_user_string(), evaluation.check_name)
        for evaluation in result.get_asset_check_evaluations()
    }


def test_a_selected_sync_leaves_the_whole_table_checks_to_the_full_sync(
    synced_from: Callable[..., Synced], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced = synced_from(SandboxConfig(seed=5, companies=12, prospects=20, signals=3, runs=15))
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("FLINTT_BASE_URL", synced.sandbox.base_url)
    monkeypatch.setenv("FLINTT_API_KEY", synced.sandbox.api_key)
    monkeypatch.setenv("FLINTT_DUCKDB_PATH", synced.database)

    # The raw tables first, as a full sync leaves them (that the full sync runs the whole-table
    # checks, tests/defs/test_code_location.py shows on the job).
    assert synced.sync().success

    control = synced.sandbox.control
    run = control.trigger(control.state("signals")[0]["id"])
    control.complete(run["id"], results=3)
    selected = run_sync(streams=("runs",))
    assert selected.success
    materialized = {
        e.asset_key.to_user_string() for e in selected.get_asset_materialization_events()
    }
    assert {"flintt/runs", "flintt/run_results", "read_copy"} <= materialized
    assert {
        ("flintt/runs", "id_unique_not_null"),
        ("flintt/run_results", "key_unique_not_null"),
    } <= (checked(selected))
    assert not checked(selected) & WHOLE_TABLE
