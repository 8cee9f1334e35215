"""The synthetic workspace (deterministic, realistic) and the control API that changes it."""

import httpx
import pytest

from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox

STREAMS = ("companies", "prospects", "signals", "runs", "run_results")


def _snapshot(config: SandboxConfig) -> dict[str, bytes]:
    with running_sandbox(config) as sandbox, httpx.Client(base_url=sandbox.base_url) as http:
        return {stream: http.get(f"/_sandbox/state/{stream}").content for stream in STREAMS}


def test_same_seed_same_bytes_other_seed_other_data() -> None:
    config = SandboxConfig(seed=11, companies=40, prospects=80, signals=6, runs=30)
    first = _snapshot(config)
    assert first == _snapshot(config)
    other = _snapshot(SandboxConfig(seed=12, companies=40, prospects=80, signals=6, runs=30))
    assert all(first[stream] != other[stream] for stream in STREAMS)


def test_workspace_looks_real(sandbox: SandboxHandle) -> None:
    companies = sandbox.control.state("companies")
    prospects = sandbox.control.state("prospects")
    signals = sandbox.control.state("signals")
    runs = sandbox.control.state("runs")
    names = [record["name"] for record in companies + prospects]
    assert any(not name.isascii() for name in names)
    assert any(name.isascii() for name in names)
    for field in ("domain", "linkedin_url"):
        assert {company[field] is None for company in companies} == {True, False}
    for field in ("email", "title", "linkedin_url", "company_id"):
        assert {prospect[field] is None for prospect in prospects} == {True, False}
    company_ids = {company["id"] for company in companies}
    assert {p["company_id"] for p in prospects if p["company_id"]} <= company_ids
    combos = {(signal["status"], signal["schedule"] is None) for signal in signals}
    assert combos == {
        (status, bare) for status in ("active", "paused", "draft") for bare in (True, False)
    }
    assert {run["status"] for run in runs} == {"pending", "running", "completed", "failed"}
    assert {run["signal_id"] for run in runs} <= {signal["id"] for signal in signals}
    for run in runs:
        assert (run["completed_at"] is None) == (run["status"] in ("pending", "running"))
    for record in companies + prospects + signals + runs:
        assert record["created_at"].endswith("Z")


def test_create_update_delete_through_control(sandbox: SandboxHandle, api: httpx.Client) -> None:
    control = sandbox.control
    company = control.create("companies", name="Müller & Söhne GmbH", domain="mueller.de")
    assert company in api.get("/v1/companies").json()
    renamed = control.update("companies", company["id"], name="Müller AG")
    assert renamed == {**company, "name": "Müller AG"}
    assert renamed in control.state("companies")
    signal = control.create("signals", name="Hiring", schedule="0 6 * * 1")
    assert control.update("signals", signal["id"], status="paused")["status"] == "paused"
    control.delete("companies", company["id"])
    assert company["id"] not in {c["id"] for c in api.get("/v1/companies").json()}
    with pytest.raises(httpx.HTTPStatusError) as raised:
        control.delete("companies", company["id"])
    assert raised.value.response.status_code == 404
    with pytest.raises(httpx.HTTPStatusError) as raised:
        control.create("prospects", email="no-name@example.com")
    assert raised.value.response.json()["field"] == "name"


def test_run_lifecycle(sandbox: SandboxHandle, api: httpx.Client) -> None:
    control = sandbox.control
    signal_id = control.state("signals")[2]["id"]
    run = control.trigger(signal_id)
    assert run["status"] == "pending" and run["completed_at"] is None
    assert api.get("/v1/runs", params={"limit": 1}).json() == [run]
    assert control.start(run["id"])["status"] == "running"
    done = control.complete(run["id"], results=4)
    assert done["status"] == "completed" and done["results_count"] == 4
    assert done["completed_at"] >= done["created_at"]
    detail = api.get(f"/v1/runs/{run['id']}").json()
    assert len(detail["results"]) == 4
    assert control.state("run_results")[run["id"]] == detail["results"]
    for action in (control.start, control.fail):
        with pytest.raises(httpx.HTTPStatusError) as raised:
            action(run["id"])
        assert raised.value.response.status_code == 409
    failed = control.fail(control.trigger(signal_id)["id"])
    assert failed["status"] == "failed" and failed["completed_at"] is not None
    assert failed["id"] not in control.state("run_results")
    with pytest.raises(httpx.HTTPStatusError) as raised:
        control.trigger("no-such-signal")
    assert raised.value.response.status_code == 404


def test_control_deletes_a_signal_with_its_runs(sandbox: SandboxHandle) -> None:
    runs = sandbox.control.state("runs")
    signal_id = runs[-1]["signal_id"]
    sandbox.control.delete("signals", signal_id)
    assert all(run["signal_id"] != signal_id for run in sandbox.control.state("runs"))
    assert not set(sandbox.control.state("run_results")) & {
        run["id"] for run in runs if run["signal_id"] == signal_id
    }


def test_unknown_streams_are_404(sandbox: SandboxHandle) -> None:
    with pytest.raises(httpx.HTTPStatusError) as raised:
        sandbox.control.state("deals")
    assert raised.value.response.status_code == 404
    with pytest.raises(httpx.HTTPStatusError) as raised:
        sandbox.control.create("runs", name="x")
    assert raised.value.response.status_code == 404
