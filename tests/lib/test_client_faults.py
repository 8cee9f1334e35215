"""Retries: what is retried, how long it waits, and the one-line error when it gives up."""

import time
from collections.abc import Iterator

import pytest
from client_helpers import client_for, ids_of, list_requests, truth

from flintt_pipeline.lib.api.client import ResponseError, ServerError
from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    config = SandboxConfig(seed=5, companies=20, prospects=20, signals=4, runs=30)
    with running_sandbox(config) as handle:
        yield handle


@pytest.mark.parametrize(
    "fault", ["429", "500", "502", "503", "504", "drop", "truncate", "invalid_json"]
)
def test_transient_faults_are_retried_until_the_listing_completes(
    sandbox: SandboxHandle, fault: str
) -> None:
    sandbox.control.settings(fault=fault, fault_count=2, fault_path="/v1/runs")
    with client_for(sandbox, page_size=10) as client:
        assert ids_of(client.iter_runs()) == truth(sandbox, "runs")
        assert client.stats.retries == 2
        assert client.stats.requests == list_requests(sandbox, "/v1/runs")


def test_mid_body_drops_of_a_streamed_whole_list_are_retried() -> None:
    config = SandboxConfig(companies=20_000, prospects=0, signals=0, runs=0, drop_mode="mid_body")
    with running_sandbox(config) as sandbox, client_for(sandbox) as client:
        sandbox.control.settings(fault="drop", fault_count=1)
        got = ids_of(client.iter_records("companies"))
        assert got == truth(sandbox, "companies")
        assert client.stats.retries == 1


@pytest.mark.parametrize("retry_after", ["2", "date:2"])
def test_retry_after_is_never_cut_short(sandbox: SandboxHandle, retry_after: str) -> None:
    sandbox.control.settings(fault="429", fault_count=1, retry_after=retry_after)
    with client_for(sandbox) as client:
        started = time.monotonic()
        client.check()
        # An HTTP-date has whole seconds, so "2 s from now" may be written as 1.x s from now.
        assert time.monotonic() - started >= (2.0 if retry_after == "2" else 1.0)
        assert client.stats.retries == 1


@pytest.mark.parametrize("retry_after", ["0", "soon", "-5"])
def test_retry_after_zero_or_garbage_means_no_hint(
    sandbox: SandboxHandle, retry_after: str
) -> None:
    # How long it waits is tests/lib/test_retries.py's (no clock here): here, that it retries.
    sandbox.control.settings(fault="429", fault_count=1, retry_after=retry_after)
    with client_for(sandbox) as client:
        client.check()
        assert client.stats.retries == 1
    assert list_requests(sandbox, "/v1/runs") == 2


def test_a_retry_after_beyond_the_budget_fails_at_once(sandbox: SandboxHandle) -> None:
    sandbox.control.settings(fault="429", fault_count=5, retry_after="3600")
    with client_for(sandbox, max_total_wait=60) as client:
        with pytest.raises(ServerError) as caught:
            client.check()
        assert client.stats.retries == 0
    message = str(caught.value)
    assert "GET /v1/runs?limit=1" in message and "3600 s" in message and "60 s" in message
    assert "\n" not in message
    assert list_requests(sandbox, "/v1/runs") == 1


def test_a_server_that_keeps_failing_ends_in_a_server_error(sandbox: SandboxHandle) -> None:
    sandbox.control.settings(fault="503", fault_count=100)
    with client_for(sandbox, max_attempts=3) as client, pytest.raises(ServerError) as caught:
        list(client.iter_records("signals"))
    message = str(caught.value)
    assert "GET /v1/signals" in message and "HTTP 503" in message and "3 attempts" in message
    assert list_requests(sandbox, "/v1/signals") == 3


def test_json_that_stays_invalid_ends_in_a_response_error(sandbox: SandboxHandle) -> None:
    sandbox.control.settings(fault="invalid_json", fault_count=100)
    with client_for(sandbox, max_attempts=2) as client, pytest.raises(ResponseError) as caught:
        list(client.iter_records("companies"))
    message = str(caught.value)
    assert "GET /v1/companies" in message and "HTTP 200" in message and "2 attempts" in message
    assert 'body starts b\'[{"id"' in message
