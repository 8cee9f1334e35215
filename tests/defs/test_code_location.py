"""The code location as the UI sees it: `dagster-webserver -w workspace.yaml` loads it with no
error and lists every asset, check, job, schedule and sensor, each described; importing the
definitions raises no deprecation warning from our code."""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flintt_pipeline.definitions import defs
from flintt_pipeline.defs.models.automation import automation_sensor

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 90.0

RAW_ASSETS = [
    "flintt/companies",
    "flintt/prospects",
    "flintt/signals",
    "flintt/runs",
    "flintt/run_results",
]
JOBS = ["flintt_runs_job", "flintt_sync_job"]
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


def graphql(base_url: str, query: str) -> dict[str, Any]:
    request = urllib.request.Request(
        base_url + "/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.load(response)
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


def webserver_command(port: int) -> list[str]:
    # The environment's own script: what `uv run dagster-webserver` runs, minus uv's start-up.
    script = Path(sys.executable).parent / "dagster-webserver"
    executable = str(script) if script.exists() else shutil.which("dagster-webserver")
    assert executable, "dagster-webserver is not installed"
    return [executable, "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]


@pytest.fixture(scope="module")
def webserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """dagster-webserver on a free port, from the repository root, with a fresh DAGSTER_HOME
    holding the project's instance settings and no Flintt settings at all: loading the code
    location must need no secret."""
    home = tmp_path_factory.mktemp("dagster_home")
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {key: value for key, value in os.environ.items() if not key.startswith("FLINTT_")}
    env["DAGSTER_HOME"] = str(home)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = home / "webserver.log"
    with log_path.open("wb") as log:
        # Its own session: Dagster ignores SIGINT/SIGTERM when backgrounded, and its code server
        # is a child process, so the whole group is killed at the end.
        process = subprocess.Popen(
            webserver_command(port),
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"dagster-webserver exited with {process.returncode}:\n"
                    f"{log_path.read_text(errors='replace')}"
                )
            try:
                json.loads(get(base_url + "/server_info"))
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(
                        "dagster-webserver did not answer /server_info in time:\n"
                        f"{log_path.read_text(errors='replace')}"
                    )
                time.sleep(0.2)
        yield base_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


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
