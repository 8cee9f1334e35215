"""The code location as the UI sees it: `dagster-webserver -w workspace.yaml` loads it with no
error and lists every asset, check, job, schedule and sensor, each described; importing the
definitions raises no deprecation warning from our code."""

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webserver_support import graphql, running_webserver

from flintt_pipeline.definitions import defs
from flintt_pipeline.defs.models.automation import automation_sensor

REPO = Path(__file__).resolve().parents[2]

RAW_ASSETS = [
    "flintt/companies",
    "flintt/prospects",
    "flintt/signals",
    "flintt/runs",
    "flintt/companies_history",
    "flintt/prospects_history",
    "flintt/signals_history",
    "flintt/runs_history",
    "flintt/run_results",
]
JOBS = [
    "flintt_runs_job",
    "flintt_runs_reconcile_job",
    "flintt_signals_apply_job",
    "flintt_sync_job",
]
SCHEDULES = ["flintt_daily_sync", "flintt_runs_reconcile"]

WORKSPACE_QUERY = """
{
  workspaceOrError {
    __typename
    ... on PythonError { message }
    ... on Workspace {
      locationEntries {
        name
        loadStatus
        locationOrLoadError {
          __typename
          ... on PythonError { message stack }
          ... on RepositoryLocation {
            repositories {
              assetNodes {
                assetKey { path }
                description
                assetChecksOrError {
                  __typename
                  ... on AssetChecks { checks { name } }
                }
              }
              jobs { name description }
              schedules { name description }
              sensors { name description }
            }
          }
        }
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """dagster-webserver on a free port, from the repository root, with a fresh DAGSTER_HOME
    holding the project's instance settings and no Flintt settings at all: loading the code
    location must need no secret."""
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLINTT_")}
    env["DAGSTER_HOME"] = str(home)
    with running_webserver(
        target=["-w", "workspace.yaml"], cwd=REPO, env=env, log_path=home / "webserver.log"
    ) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def repository(webserver: str) -> dict[str, Any]:
    """The one repository of the one code location, which must have loaded without error."""
    workspace = graphql(webserver, WORKSPACE_QUERY)["workspaceOrError"]
    assert workspace["__typename"] == "Workspace", workspace
    [entry] = workspace["locationEntries"]
    assert entry["name"] == "flintt_pipeline.definitions"
    location = entry["locationOrLoadError"]
    assert location["__typename"] == "RepositoryLocation", location
    assert entry["loadStatus"] == "LOADED"
    [repo] = location["repositories"]
    return repo


def test_every_asset_is_listed_with_a_description(repository: dict[str, Any]) -> None:
    models = sorted(
        f"analytics/{path.stem}" for path in (REPO / "flintt_pipeline" / "sql").glob("*.sql")
    )
    assert models
    nodes = {"/".join(node["assetKey"]["path"]): node for node in repository["assetNodes"]}
    assert sorted(nodes) == sorted([*RAW_ASSETS, *models, "read_copy"])
    undescribed = [key for key, node in nodes.items() if not (node["description"] or "").strip()]
    assert undescribed == []


def test_every_asset_check_is_listed(repository: dict[str, Any]) -> None:
    listed = set()
    for node in repository["assetNodes"]:
        checks = node["assetChecksOrError"]
        assert checks["__typename"] == "AssetChecks", checks
        listed |= {("/".join(node["assetKey"]["path"]), c["name"]) for c in checks["checks"]}
    expected = {
        (key.asset_key.to_user_string(), key.name)
        for key in defs().resolve_asset_graph().asset_check_keys
    }
    assert expected
    assert listed == expected


def test_jobs_schedules_and_sensors_are_listed_with_descriptions(
    repository: dict[str, Any],
) -> None:
    jobs = {job["name"]: job["description"] for job in repository["jobs"]}
    schedules = {item["name"]: item["description"] for item in repository["schedules"]}
    sensors = {item["name"]: item["description"] for item in repository["sensors"]}
    # Dagster adds its implicit `__ASSET_JOB`; ours are the others.
    assert sorted(name for name in jobs if not name.startswith("__")) == JOBS
    assert sorted(schedules) == SCHEDULES
    assert sorted(sensors) == sorted(["flintt_webhook_sensor", automation_sensor.name])
    for kind, described in (("job", jobs), ("schedule", schedules), ("sensor", sensors)):
        for name, description in described.items():
            if not name.startswith("__"):
                assert (description or "").strip(), f"{kind} {name} has no description"


def test_the_whole_table_checks_run_on_the_schedules_not_on_webhook_runs() -> None:
    definitions = defs()
    steps = {
        name: set(definitions.resolve_job_def(name).graph.node_names())
        for name in ("flintt_runs_job", "flintt_runs_reconcile_job", "flintt_sync_job")
    }
    assert "flintt_data_checks" not in steps["flintt_runs_job"]
    assert {"flintt__runs_id_unique_not_null", "flintt__run_results_key_unique_not_null"} <= steps[
        "flintt_runs_job"
    ]
    assert steps["flintt_runs_reconcile_job"] == steps["flintt_runs_job"] | {"flintt_data_checks"}
    assert "flintt_data_checks" in steps["flintt_sync_job"]
    schedule = definitions.resolve_schedule_def("flintt_runs_reconcile")
    assert schedule.job_name == "flintt_runs_reconcile_job"


def test_loading_the_definitions_warns_of_nothing_deprecated() -> None:
    # A fresh interpreter (in this one the definitions are already imported), recording every
    # warning raised while importing and resolving them, as the code server does.
    script = (
        "import json, warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    from flintt_pipeline.definitions import defs\n"
        "    defs().get_repository_def()\n"
        "print(json.dumps([{'categories': [c.__name__ for c in w.category.__mro__],\n"
        "                   'where': f'{w.filename}:{w.lineno}', 'message': str(w.message)}\n"
        "                  for w in caught]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    deprecations = {"DeprecationWarning", "PendingDeprecationWarning", "FutureWarning"}
    # Ours: raised in our package, or by Dagster about how our package calls it.
    ours = [
        warning
        for warning in json.loads(result.stdout)
        if deprecations & set(warning["categories"])
        and any(part in warning["where"] for part in ("flintt_pipeline", "dagster"))
    ]
    assert ours == []
