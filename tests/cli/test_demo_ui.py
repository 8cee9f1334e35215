"""The newcomer's path into the UI: after `demo`, a webserver started in the same directory finds
the demo's runs through the `.env` the demo wrote (no DAGSTER_HOME exported), and every asset is
there described, with its column schema and a materialization; no run failed, and no schedule or
sensor that needs an API key is running."""

from collections.abc import Iterator
from typing import Any

import pytest
from demo_support import DemoRun, clean_environment
from webserver_support import graphql, running_webserver

LOCATION = "flintt_pipeline.definitions"
COLUMN_SCHEMA = """
metadataEntries {
  label
  ... on TableSchemaMetadataEntry { schema { columns { name type description } } }
}
"""
REPOSITORY_QUERY = f"""
{{
  repositoryOrError(repositorySelector: {{
    repositoryLocationName: "{LOCATION}", repositoryName: "__repository__"
  }}) {{
    __typename
    ... on PythonError {{ message }}
    ... on Repository {{
      assetNodes {{
        assetKey {{ path }}
        description
        {COLUMN_SCHEMA}
        assetMaterializations(limit: 1) {{ runId {COLUMN_SCHEMA} }}
      }}
      schedules {{ name scheduleState {{ status }} }}
      sensors {{ name sensorState {{ status }} }}
    }}
  }}
  runsOrError {{ ... on Runs {{ results {{ runId jobName status }} }} }}
}}
"""


@pytest.fixture(scope="module")
def ui(demo_run: DemoRun) -> Iterator[dict[str, Any]]:
    with running_webserver(
        target=["-m", LOCATION],
        cwd=demo_run.directory,
        env=clean_environment(),
        log_path=demo_run.directory / "webserver.log",
    ) as base_url:
        yield graphql(base_url, REPOSITORY_QUERY)


def columns(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    [schema] = [entry["schema"] for entry in entries if entry["label"] == "dagster/column_schema"]
    return schema["columns"]


def test_every_asset_is_described_with_columns_and_materialized(ui: dict[str, Any]) -> None:
    repository = ui["repositoryOrError"]
    assert repository["__typename"] == "Repository", repository
    nodes = {"/".join(node["assetKey"]["path"]): node for node in repository["assetNodes"]}
    assert {key.split("/")[0] for key in nodes} == {"flintt", "analytics", "read_copy"}
    for key, node in nodes.items():
        assert (node["description"] or "").strip(), key
        materialization = node["assetMaterializations"]
        assert materialization, f"{key} was never materialized"
        if key == "read_copy":  # a copy of the whole file, not a table with columns
            continue
        defined = columns(node["metadataEntries"])
        assert defined, key
        assert all(column["description"] for column in defined), key
        built = columns(materialization[0]["metadataEntries"])
        assert [c["name"] for c in built] == [c["name"] for c in defined], key
        assert all(column["description"] for column in built), key


def test_the_demos_runs_all_succeeded(ui: dict[str, Any]) -> None:
    runs = ui["runsOrError"]["results"]
    assert {run["jobName"] for run in runs} >= {"flintt_sync_job", "flintt_runs_job"}
    assert [run for run in runs if run["status"] != "SUCCESS"] == []


def test_nothing_that_needs_an_api_key_runs_by_itself(ui: dict[str, Any]) -> None:
    repository = ui["repositoryOrError"]
    schedules = {item["name"]: item["scheduleState"]["status"] for item in repository["schedules"]}
    sensors = {item["name"]: item["sensorState"]["status"] for item in repository["sensors"]}
    assert set(schedules.values()) == {"STOPPED"}
    assert sensors["flintt_webhook_sensor"] == "STOPPED"
