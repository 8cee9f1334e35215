"""End to end: the sandbox sends webhooks to the receiver, the sensor turns them into run
requests, and the requested job, executed in-process, lands the new rows in the warehouse."""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import orjson
import pytest
from defs_helpers import evaluate, summary

from flintt_pipeline.definitions import defs
from flintt_pipeline.lib.api.management import ManagementClient
from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox
from flintt_pipeline.webhooks.app import WEBHOOK_PATH
from flintt_pipeline.webhooks.inbox import Inbox, InboxEvent
from flintt_pipeline.webhooks.server import running_receiver

EVENTS = ["signal.run.completed", "signal.run.result", "company.created", "prospect.created"]
WORKSPACE = SandboxConfig(seed=11, companies=12, prospects=20, signals=3, runs=15, mean_results=4)
RESULTS = 5


@dataclass(frozen=True)
class Pipeline:
    sandbox: SandboxHandle
    database: str
    inbox_path: Path
    instance: dg.DagsterInstance

    def wait_for_events(self, count: int) -> list[InboxEvent]:
        deadline = time.monotonic() + 15.0
        while True:
            with Inbox(self.inbox_path) as inbox:
                events = inbox.read_after(0, limit=10_000)
            if len(events) >= count or time.monotonic() > deadline:
                return events
            time.sleep(0.05)

    def execute(self, request: dg.RunRequest) -> dg.ExecuteInProcessResult:
        """Launch a run request as the daemon would, but in-process."""
        assert request.job_name
        return (
            defs()
            .resolve_job_def(request.job_name)
            .execute_in_process(
                instance=self.instance,
                tags=request.tags,
                run_config=request.run_config,
                asset_selection=request.asset_selection,
            )
        )

    def query(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with duckdb.connect(self.database, read_only=True) as connection:
            return connection.execute(sql, list(args)).fetchall()


@pytest.fixture
def pipeline(
    tmp_path: Path, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Pipeline]:
    """A sandbox, a warehouse fully synced from it, and a receiver registered with it.

    The jobs run with the resources `defs` binds, configured through the environment as in a
    deployment (Dagster refuses a resource override on a job run with an asset selection)."""
    with running_sandbox(WORKSPACE) as sandbox:
        database = str(tmp_path / "warehouse.duckdb")
        monkeypatch.setenv("FLINTT_API_KEY", sandbox.api_key)
        monkeypatch.setenv("FLINTT_BASE_URL", sandbox.base_url)
        monkeypatch.setenv("FLINTT_DUCKDB_PATH", database)
        # A first full sync, so the syncs the webhooks start are incremental ones.
        full = defs().resolve_job_def("flintt_sync_job").execute_in_process(instance=instance)
        assert full.success

        # Registered as a user does: the token exists only once the endpoint does, so it starts
        # inactive on a placeholder and points at the receiver once that is up.
        inbox_path = tmp_path / "inbox.sqlite3"
        with ManagementClient(base_url=sandbox.base_url, token=sandbox.management_token) as api:
            hook, token = api.create_webhook(
                url="https://placeholder.example.com/hook",
                name="tests",
                events=EVENTS,
                active=False,
            )
            with running_receiver(inbox_path=inbox_path, tokens=[token]) as receiver:
                api.update_webhook(hook["id"], url=receiver + WEBHOOK_PATH, active=True)
                yield Pipeline(sandbox, database, inbox_path, instance)


def test_a_completed_run_reaches_the_warehouse_through_the_sensor(pipeline: Pipeline) -> None:
    control = pipeline.sandbox.control
    runs_before = pipeline.query("SELECT count(*) FROM flintt.runs")[0][0]
    assert runs_before == WORKSPACE.runs

    signal_id = control.state("signals")[0]["id"]
    run = control.trigger(signal_id)
    control.complete(run["id"], results=RESULTS)
    events = pipeline.wait_for_events(1 + RESULTS)
    assert sorted(event.event_type for event in events) == sorted(
        ["signal.run.completed", *["signal.run.result"] * RESULTS]
    )
    assert all(run["id"] in orjson.dumps(event.payload).decode() for event in events)

    tick = evaluate(pipeline.inbox_path, None, instance=pipeline.instance)
    assert summary(tick.run_requests) == [("flintt_runs_job", None)]
    assert tick.cursor == str(events[-1].position)

    control.reset_requests()
    result = pipeline.execute(tick.run_requests[0])
    assert result.success
    assert result.dagster_run.tags["flintt/trigger"] == "webhook"

    # Exactly the new run's results, fetched with one detail request: the sync was incremental.
    expected = control.state("run_results")[run["id"]]
    assert len(expected) == RESULTS
    rows = pipeline.query(
        "SELECT signal_id, _raw FROM flintt.run_results WHERE run_id = ? ORDER BY position",
        run["id"],
    )
    assert [orjson.loads(raw) for _, raw in rows] == expected
    assert {signal for signal, _ in rows} == {signal_id}
    assert pipeline.query(
        "SELECT status, results_count FROM flintt.runs WHERE id = ?", run["id"]
    ) == [("completed", RESULTS)]
    assert pipeline.query("SELECT count(*) FROM flintt.runs")[0][0] == runs_before + 1
    assert control.requests()["by_path"].get("/v1/runs/{id}") == 1
    # The models downstream of the runs were rebuilt by the same run.
    materialized = {
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    }
    assert {"flintt/runs", "flintt/run_results"} <= materialized
    assert any(key.startswith("analytics/") for key in materialized)
    # Rows first: the step committing the results ended before any model or publishing step began.
    steps = [(e.event_type, e.step_key) for e in result.all_events if e.step_key]
    results_done = steps.index((dg.DagsterEventType.STEP_SUCCESS, "flintt__run_results"))
    downstream_starts = [
        position
        for position, (kind, step) in enumerate(steps)
        if kind == dg.DagsterEventType.STEP_START
        and (step.startswith("analytics__") or step == "read_copy")
    ]
    assert downstream_starts
    assert results_done < min(downstream_starts)
    # The blocking key checks on the rows just written ran; the whole-table checks did not.
    checked = {
        (e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations()
    }
    assert {
        ("flintt/runs", "id_unique_not_null"),
        ("flintt/run_results", "key_unique_not_null"),
    } <= checked
    whole_table = {
        ("flintt/runs", "results_count_matches"),
        ("flintt/runs", "signal_id_known"),
        ("flintt/runs_history", "current_version_matches"),
        ("flintt/run_results", "company_id_known"),
    }
    assert not checked & whole_table

    # Nothing new: the next tick skips.
    assert evaluate(pipeline.inbox_path, tick.cursor, instance=pipeline.instance).skip_message


def test_a_new_company_syncs_only_the_companies(pipeline: Pipeline) -> None:
    company = pipeline.sandbox.control.create(
        "companies", name="Webhook Test GmbH", domain="webhook-test.example.com"
    )
    [event] = pipeline.wait_for_events(1)
    assert event.event_type == "company.created"

    tick = evaluate(pipeline.inbox_path, None, instance=pipeline.instance)
    assert summary(tick.run_requests) == [
        ("flintt_sync_job", ["flintt/companies", "flintt/companies_history"])
    ]
    result = pipeline.execute(tick.run_requests[0])
    assert result.success
    assert [
        event.asset_key.to_user_string() for event in result.get_asset_materialization_events()
    ] == ["flintt/companies", "flintt/companies_history"]
    assert pipeline.query(
        "SELECT name, domain FROM flintt.companies WHERE id = ?", company["id"]
    ) == [("Webhook Test GmbH", "webhook-test.example.com")]
