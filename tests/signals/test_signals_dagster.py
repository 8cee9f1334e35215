"""In Dagster: the drift check on flintt/signals warns when the workspace left the file, and the
apply job plans (Markdown metadata), refuses a changed workspace, and applies."""

from pathlib import Path

import dagster as dg
import pytest
from signals_support import NEW_SIGNAL, Workspace, edit

from flintt_pipeline.defs.ingest.assets import raw_assets
from flintt_pipeline.defs.resources import FlinttApiResource, WarehouseResource
from flintt_pipeline.defs.signals.drift import signals_match_file

SIGNALS_KEY = dg.AssetKey(["flintt", "signals"])


@pytest.fixture
def env(exported: Workspace, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    for name, value in exported.env.items():
        monkeypatch.setenv(name, value)
    return exported


def _sync_and_check(workspace: Workspace) -> dg.AssetCheckEvaluation:
    [signals_asset] = [a for a in raw_assets if SIGNALS_KEY in a.keys]
    result = dg.materialize(
        [signals_asset, signals_match_file],
        resources={
            "flintt": FlinttApiResource(
                api_key=workspace.sandbox.api_key, base_url=workspace.sandbox.base_url
            ),
            "warehouse": WarehouseResource(database=workspace.env["FLINTT_DUCKDB_PATH"]),
        },
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    [evaluation] = [
        e for e in result.get_asset_check_evaluations() if e.check_name == "matches_signals_file"
    ]
    return evaluation


def test_drift_check_warns_when_the_workspace_left_the_file(env: Workspace) -> None:
    assert _sync_and_check(env).passed
    signal = env.signals()[0]
    env.sandbox.control.update("signals", signal["id"], name="Renamed in the Flintt UI")
    drifted = _sync_and_check(env)
    assert not drifted.passed
    assert drifted.severity == dg.AssetCheckSeverity.WARN
    plan = drifted.metadata["plan"].value
    assert '"Renamed in the Flintt UI" -> ' in plan
    assert drifted.metadata["changes"].value == 1


def test_drift_check_passes_without_a_file(env: Workspace, tmp_path: Path) -> None:
    env.file.unlink()
    evaluation = _sync_and_check(env)
    assert evaluation.passed and "No signals file" in (evaluation.description or "")


def test_apply_job_plans_refuses_and_applies(env: Workspace) -> None:
    from flintt_pipeline.definitions import defs

    job = defs().resolve_job_def("flintt_signals_apply_job")
    edit(env.file, lambda text: text + NEW_SIGNAL)

    def run(**config: object) -> dg.ExecuteInProcessResult:
        run_config = {"ops": {"apply_signals_file": {"config": config}}}
        return job.execute_in_process(
            run_config=run_config, instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
        )

    planned = run(dry_run=True)
    assert planned.success
    [output] = [e for e in planned.all_events if e.is_successful_output]
    metadata = output.step_output_data.metadata
    assert "**create** `funding-rounds`" in metadata["plan"].value
    assert "Funding rounds" not in {s["name"] for s in env.signals()}

    refused = run(expect_fingerprint="000000000000")
    assert not refused.success
    assert "Funding rounds" not in {s["name"] for s in env.signals()}

    applied = run(expect_fingerprint=metadata["fingerprint"].value)
    assert applied.success
    assert "Funding rounds" in {s["name"] for s in env.signals()}
