"""Injected faults on /v1: each mode, its count/rate/path selection, latency and drift."""

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import pytest

from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox


def test_429_with_retry_after_in_seconds(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(fault="429", fault_count=1, retry_after="3")
    response = api.get("/v1/runs")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"
    assert api.get("/v1/runs").status_code == 200


def test_429_with_retry_after_as_an_http_date(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(fault="429", fault_count=2, retry_after="date:30")
    before = datetime.now(UTC)
    response = api.get("/v1/runs")
    after = datetime.now(UTC)
    assert response.status_code == 429
    # 30 s after the moment it answered, in whole seconds: bounded by the clock read on either
    # side of the request, so however long the request took.
    moment = parsedate_to_datetime(response.headers["Retry-After"])
    assert before + timedelta(seconds=29) <= moment <= after + timedelta(seconds=30)
    sandbox.control.settings(retry_after=None)
    assert "Retry-After" not in api.get("/v1/runs").headers


@pytest.mark.parametrize("status", ["500", "502", "503", "504"])
def test_server_errors_hit_exactly_fault_count_requests(
    sandbox: SandboxHandle, api: httpx.Client, status: str
) -> None:
    sandbox.control.settings(fault=status, fault_count=2)
    codes = [api.get("/v1/signals").status_code for _ in range(4)]
    assert codes == [int(status), int(status), 200, 200]
    assert sandbox.control.settings()["fault_count"] == 0


def test_drop_before_the_response(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(fault="drop", fault_count=1, drop_mode="before_response")
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        api.get("/v1/companies")
    assert api.get("/v1/companies").status_code == 200


def test_drop_in_the_middle_of_the_body(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(fault="drop", fault_count=1, drop_mode="mid_body")
    with pytest.raises(httpx.RemoteProtocolError, match=r"incomplete|complete message body"):
        api.get("/v1/companies")
    assert api.get("/v1/companies").status_code == 200


def test_drop_alternates_by_default(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(fault="drop", fault_count=2)
    messages = []
    for _ in range(2):
        with pytest.raises(httpx.RemoteProtocolError) as raised:
            api.get("/v1/prospects")
        messages.append(str(raised.value))
    assert "without sending a response" in messages[0]
    assert "without sending a response" not in messages[1]


def test_truncated_json(sandbox: SandboxHandle, api: httpx.Client) -> None:
    whole = api.get("/v1/companies").content
    sandbox.control.settings(fault="truncate", fault_count=1)
    response = api.get("/v1/companies")
    assert response.status_code == 200
    assert 0 < len(response.content) < len(whole)
    assert whole.startswith(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_invalid_json(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(fault="invalid_json", fault_count=1)
    response = api.get("/v1/runs")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        json.loads(response.content)


def test_fault_path_limits_the_fault(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(fault="503", fault_count=1, fault_path="/v1/runs/")
    assert api.get("/v1/runs").status_code == 200
    run_id = sandbox.control.state("runs")[0]["id"]
    assert api.get(f"/v1/runs/{run_id}").status_code == 503
    assert api.get(f"/v1/runs/{run_id}").status_code == 200


def test_faults_never_touch_control_or_management(
    sandbox: SandboxHandle, management: httpx.Client
) -> None:
    sandbox.control.settings(fault="500", fault_rate=1.0)
    assert management.get("/api/outbound-webhooks").status_code == 200
    assert sandbox.control.state("signals")


def _rate_pattern(seed: int) -> list[int]:
    config = SandboxConfig(
        seed=seed, companies=2, prospects=2, signals=1, runs=1, fault="500", fault_rate=0.5
    )
    with (
        running_sandbox(config) as sandbox,
        httpx.Client(base_url=sandbox.base_url, headers={"X-API-Key": sandbox.api_key}) as api,
    ):
        return [api.get("/v1/signals").status_code for _ in range(24)]


def test_fault_rate_is_seeded() -> None:
    pattern = _rate_pattern(1)
    assert set(pattern) == {200, 500}
    assert _rate_pattern(1) == pattern
    assert _rate_pattern(2) != pattern


def test_latency(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(latency_ms=250)
    started = time.perf_counter()
    api.get("/v1/signals")
    assert time.perf_counter() - started >= 0.25
    # The control API is never delayed: with an hour of latency it still answers, where a delayed
    # call would hit the control client's 30 s timeout, a bound no busy machine comes near.
    sandbox.control.settings(latency_ms=3_600_000)
    assert sandbox.control.state("signals")
    sandbox.control.settings(latency_ms=0)


def test_drift_inserts_runs_at_the_top_while_paging(
    sandbox: SandboxHandle, api: httpx.Client
) -> None:
    sandbox.control.settings(drift_runs=3)
    before = len(sandbox.control.state("runs"))
    first = api.get("/v1/runs", params={"limit": 10}).json()
    assert len(sandbox.control.state("runs")) == before
    second = api.get("/v1/runs", params={"limit": 10, "offset": 10}).json()
    truth = sandbox.control.state("runs")
    assert len(truth) == before + 3
    assert all(run["status"] == "pending" for run in truth[:3])
    assert second[:3] == first[-3:]
    assert truth[3:13] == first


def test_request_counters(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.reset_requests()
    run_ids = [run["id"] for run in sandbox.control.state("runs")[:2]]
    api.get("/v1/runs")
    for run_id in run_ids:
        api.get(f"/v1/runs/{run_id}")
    httpx.get(sandbox.base_url + "/v1/companies")
    assert sandbox.control.requests() == {
        "total": 4,
        "by_path": {"/v1/runs": 1, "/v1/runs/{id}": 2, "/v1/companies": 1},
        "by_method": {"GET /v1/runs": 1, "GET /v1/runs/{id}": 2, "GET /v1/companies": 1},
        "write_faults_fired": 0,
    }
    sandbox.control.reset_requests()
    assert sandbox.control.requests() == {
        "total": 0,
        "by_path": {},
        "by_method": {},
        "write_faults_fired": 0,
    }


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"fault": "418"}, "fault"),
        ({"fault_rate": 2}, "fault_rate"),
        ({"bogus": 1}, "bogus"),
        ({"max_page_size": 0}, "max_page_size"),
        ({"list_shape": "rows"}, "list_shape"),
    ],
)
def test_bad_settings_are_422_naming_the_setting(
    sandbox: SandboxHandle, changes: dict[str, object], field: str
) -> None:
    with pytest.raises(httpx.HTTPStatusError) as raised:
        sandbox.control.settings(**changes)
    assert raised.value.response.status_code == 422
    assert raised.value.response.json()["field"] == field
    assert sandbox.control.settings()["fault"] is None
