"""Run details travel over plain keep-alive connections (lib/plain_http): the same answers,
retries and errors as over httpx, connections reused, idle ones the server closed replaced."""

import logging
import time
from collections.abc import Iterator

import pytest
from client_helpers import client_for, list_requests, truth

from flintt_pipeline.lib.api.client import FlinttClient, ServerError, UnreachableError
from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox

# uvicorn closes a keep-alive connection after 5 s without a request.
SERVER_KEEP_ALIVE_SECONDS = 5


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    config = SandboxConfig(seed=3, companies=5, prospects=5, signals=3, runs=30)
    with running_sandbox(config) as handle:
        yield handle


def test_details_take_the_plain_path_and_match_the_listing(sandbox: SandboxHandle) -> None:
    runs = truth(sandbox, "runs")
    with client_for(sandbox, detail_concurrency=4) as client:
        assert client._transport._plain is not None
        listed = {run["id"]: run for batch in client.iter_runs() for run in batch}
        details = dict(client.get_runs(runs))
    assert list(details) == runs
    for run_id, detail in details.items():
        assert detail is not None
        assert {k: v for k, v in detail.items() if k != "results"} == listed[run_id]
        assert isinstance(detail["results"], list)


@pytest.mark.parametrize("fault", ["429", "500", "503", "drop", "truncate", "invalid_json"])
def test_each_transient_fault_on_a_detail_is_retried(sandbox: SandboxHandle, fault: str) -> None:
    runs = truth(sandbox, "runs")[:6]
    sandbox.control.settings(fault=fault, fault_count=2, fault_path="/v1/runs/")
    with client_for(sandbox, detail_concurrency=2) as client:
        got = dict(client.get_runs(runs))
        assert list(got) == runs and all(got.values())
        assert client.stats.retries == 2
        assert client.stats.requests == list_requests(sandbox, "/v1/runs/{id}") == 8


def test_a_server_dropping_every_detail_ends_in_a_server_error(sandbox: SandboxHandle) -> None:
    runs = truth(sandbox, "runs")[:1]
    sandbox.control.settings(fault="drop", fault_count=10, fault_path="/v1/runs/")
    with client_for(sandbox, max_attempts=3) as client, pytest.raises(ServerError) as caught:
        list(client.get_runs(runs))
    assert "connection dropped" in str(caught.value) and "3 attempts" in str(caught.value)


def test_connections_are_reused_and_replaced_once_the_server_closed_them(
    sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    runs = truth(sandbox, "runs")[:4]
    with client_for(sandbox, detail_concurrency=1) as client:
        assert all(detail for _, detail in client.get_runs(runs))
        plain = client._transport._plain
        assert plain is not None and len(plain._idle) == 1
        first = plain._idle[0]
        time.sleep(SERVER_KEEP_ALIVE_SECONDS + 1)
        caplog.set_level(logging.WARNING)
        assert all(detail for _, detail in client.get_runs(runs))
        # The stale connection was noticed before use: no failed attempt, no retry.
        assert client.stats.retries == 0 and not caplog.records
        assert len(plain._idle) == 1 and plain._idle[0] is not first
    assert client.stats.requests == list_requests(sandbox, "/v1/runs/{id}") == 8


def test_an_unreachable_host_is_unreachable_for_details_too() -> None:
    with running_sandbox(SandboxConfig(runs=2)) as sandbox:
        base_url = sandbox.base_url
        runs = truth(sandbox, "runs")[:1]
    # The sandbox is gone: nothing listens on its port any more.
    client = FlinttClient(base_url=base_url, api_key="flt_gone", max_attempts=2)
    with client, pytest.raises(UnreachableError):
        list(client.get_runs(runs))
    assert client.stats.requests == 2


def test_a_proxy_in_the_environment_keeps_details_on_httpx(
    sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with client_for(sandbox) as client:
        assert client._transport._plain is None
        runs = truth(sandbox, "runs")[:3]
        assert all(detail for _, detail in client.get_runs(runs))
