"""A sync that fails changes nothing it did not finish: the failing stream's table and its state
are exactly as before, and the next sync without the fault makes everything right."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import httpx
import pytest
import uvicorn
from sync_support import (
    CONTRACT,
    SMALL,
    Synced,
    change_workspace,
    failures,
    fingerprint,
    mirror_problems,
    stream_state,
)

from flintt_pipeline.sandbox import Sandbox, SandboxControl, SandboxHandle, bind

STREAMS = (*CONTRACT, "run_results")
GIVE_UP_FAST = {"max_attempts": 2, "max_total_wait_seconds": 1.0}


def failed_sync(synced: Synced, **options: Any) -> list[str]:
    """A sync ended by an error Dagster does not retry (all but server errors)."""
    result = synced.sync(**options)
    assert not result.success
    return failures(result)


def failed_job(run_job: Callable[..., dg.JobExecutionResult], synced: Synced) -> list[str]:
    """A sync ended by a server error: the client gives up quickly, Dagster does not retry."""
    result = run_job(synced, **GIVE_UP_FAST)
    assert not result.success
    return failures(result)


def assert_unchanged(before: dict[str, Any], synced: Synced, streams: tuple[str, ...]) -> None:
    after = fingerprint(synced.database)
    for stream in streams:
        assert stream_state(after, stream) == stream_state(before, stream), stream


@pytest.fixture
def changed(synced: Synced) -> tuple[Synced, dict[str, Any]]:
    """A synced warehouse, then changes in every stream that a sync would bring in."""
    synced.sync_ok()
    change_workspace(synced)
    return synced, fingerprint(synced.database)


def test_server_errors_outlasting_the_retries(
    changed: tuple[Synced, dict[str, Any]],
    job_without_step_retries: Callable[..., dg.JobExecutionResult],
) -> None:
    synced, before = changed
    synced.sandbox.control.settings(fault="503", fault_count=1_000)
    reasons = failed_job(job_without_step_retries, synced)
    assert len(reasons) == 3 and all("HTTP 503 after 2 attempts" in r for r in reasons), reasons
    assert_unchanged(before, synced, STREAMS)


def test_invalid_json_outlasting_the_retries(changed: tuple[Synced, dict[str, Any]]) -> None:
    synced, before = changed
    synced.sandbox.control.settings(fault="invalid_json", fault_count=1_000)
    reasons = failed_sync(synced, **GIVE_UP_FAST)
    assert len(reasons) == 3 and all("invalid or truncated JSON" in r for r in reasons), reasons
    assert_unchanged(before, synced, STREAMS)


def test_run_details_failing_leave_the_results_to_the_next_sync(
    changed: tuple[Synced, dict[str, Any]],
    job_without_step_retries: Callable[..., dg.JobExecutionResult],
) -> None:
    synced, before = changed
    synced.sandbox.control.settings(fault="503", fault_count=1_000, fault_path="/v1/runs/")
    reasons = failed_job(job_without_step_retries, synced)
    assert [reason.split(":")[0] for reason in reasons] == ["flintt__run_results"]
    assert_unchanged(before, synced, ("run_results",))
    synced.sandbox.control.settings(fault=None)
    synced.sync_ok()
    assert mirror_problems(synced.database, synced.sandbox, deleted=synced.deleted) == []


def test_a_regenerated_key(changed: tuple[Synced, dict[str, Any]]) -> None:
    synced, before = changed
    sandbox = synced.sandbox
    headers = {"Authorization": f"Bearer {sandbox.management_token}"}
    answer = httpx.post(f"{sandbox.base_url}/api/api-key/regenerate", headers=headers)
    answer.raise_for_status()
    reasons = failed_sync(synced)
    assert reasons and all("FLINTT_API_KEY" in reason for reason in reasons), reasons
    assert all(sandbox.api_key not in reason for reason in reasons)
    assert_unchanged(before, synced, STREAMS)
    synced.sync_ok(api_key=answer.json()["raw_key"])
    assert mirror_problems(synced.database, synced.sandbox, deleted=synced.deleted) == []


def change_only(control: SandboxControl, stream: str) -> None:
    """Changes a sync would bring into `stream` alone (deleting a signal would touch runs)."""
    if stream == "companies":
        control.create("companies", name="Yonder Labs", domain="yonder.example")
        first = control.state("companies")[0]
        control.update("companies", first["id"], name=f"{first['name']} (renamed)")
    else:
        signal = control.state("signals")[0]["id"]
        control.complete(control.trigger(signal)["id"], results=3)
        control.trigger(signal)


@contextmanager
def serving(sandbox: Sandbox) -> Iterator[SandboxHandle]:
    """Serve a sandbox built here, so the test can reach into its records."""
    listener = bind(host="127.0.0.1", port=0)
    server = uvicorn.Server(uvicorn.Config(sandbox.app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        threading.Event().wait(0.005)
    base_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    with SandboxControl(base_url=base_url) as control:
        try:
            yield SandboxHandle(
                base_url=base_url,
                api_key=sandbox.api_key,
                management_token=sandbox.management_token,
                control=control,
            )
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            listener.close()


@pytest.mark.parametrize(
    ("stream", "field", "value", "unchanged"),
    [
        ("companies", "created_at", 1_700_000_000, ("companies",)),
        ("runs", "results_count", "seven", ("runs", "run_results")),
    ],
)
def test_a_documented_field_of_the_wrong_type(
    tmp_path: Path,
    instance: dg.DagsterInstance,
    stream: str,
    field: str,
    value: Any,
    unchanged: tuple[str, ...],
) -> None:
    sandbox = Sandbox(config=SMALL)
    with serving(sandbox) as handle:
        synced = Synced(sandbox=handle, database=str(tmp_path / "w.duckdb"), instance=instance)
        synced.sync_ok()
        change_only(handle.control, stream)
        before = fingerprint(synced.database)
        store = sandbox.state.workspace.stores[stream]
        record = store.get(store.ids()[0])
        store.put({**record, field: value})
        reasons = failed_sync(synced)
        assert len(reasons) == 1, reasons
        assert f"field {field!r} should be" in reasons[0] and record["id"] in reasons[0]
        assert_unchanged(before, synced, unchanged)
        store.put(record)
        synced.sync_ok()
        assert mirror_problems(synced.database, handle, deleted=synced.deleted) == []
