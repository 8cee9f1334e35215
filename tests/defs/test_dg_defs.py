"""`dg` sees the code location as the folder holds it: a file added with `dg scaffold defs` is
listed by `dg list defs` next to every shipped definition, and `dg check defs` passes.

`dg` runs on a copy of the project (so the checkout is never touched) with this environment's
interpreter: PYTHONPATH puts the copy's package ahead of the installed one.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flintt_pipeline.contract import HISTORY_TABLES, RAW_TABLES

REPO = Path(__file__).resolve().parents[2]
DG = Path(sys.executable).parent / "dg"


def dg(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLINTT_")}
    env.update(
        VIRTUAL_ENV=sys.prefix,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(project),
    )
    done = subprocess.run(
        [str(DG), *args], cwd=project, env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, f"dg {' '.join(args)}:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with one asset scaffolded into its defs folder."""
    copy = tmp_path_factory.mktemp("project")
    shutil.copy(REPO / "pyproject.toml", copy)
    shutil.copytree(
        REPO / "flintt_pipeline",
        copy / "flintt_pipeline",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    dg(copy, "scaffold", "defs", "dagster.asset", "scaffolded/extra_asset.py")
    assert (copy / "flintt_pipeline" / "defs" / "scaffolded" / "extra_asset.py").exists()
    return copy


def test_dg_lists_the_scaffolded_asset_and_every_shipped_definition(project: Path) -> None:
    listed: dict[str, Any] = json.loads(dg(project, "list", "defs", "--json").stdout)
    assets = {asset["asset_key"] for asset in listed["assets"]}
    models = {f"analytics/{path.stem}" for path in (REPO / "flintt_pipeline" / "sql").glob("*.sql")}
    raw = {f"flintt/{table}" for table in (*RAW_TABLES, *HISTORY_TABLES.values())}
    assert assets == {"extra_asset", "read_copy", *raw, *models}
    checks = {check["key"] for check in listed["asset_checks"]}
    assert {"flintt/companies:id_unique_not_null", "flintt/prospects:company_id_known"} <= checks
    assert {job["name"] for job in listed["jobs"]} == {
        "flintt_sync_job",
        "flintt_runs_job",
        "flintt_runs_reconcile_job",
        "flintt_signals_apply_job",
    }
    assert {item["name"] for item in listed["schedules"]} == {
        "flintt_daily_sync",
        "flintt_runs_reconcile",
    }
    assert {item["name"] for item in listed["sensors"]} == {
        "flintt_webhook_sensor",
        "analytics_models_automation",
    }
    assert {item["name"] for item in listed["resources"]} >= {"flintt", "warehouse", "inbox"}


def test_dg_check_defs_passes(project: Path) -> None:
    done = dg(project, "check", "defs")
    assert "All definitions loaded successfully" in done.stdout + done.stderr
