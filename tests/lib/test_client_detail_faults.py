"""Run details over the one httpx path: the listing's runs, each transient fault retried, and
the same errors as any other request."""

from collections.abc import Iterator

import pytest
from client_helpers import client_for, list_requests, truth

from flintt_pipeline.lib.api.client import FlinttClient, ServerError, UnreachableError
from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    config = SandboxConfig(seed=3, companies=5, prospects=5, signals=3, runs=30)
    with running_sandbox(config) as handle:
        yield handle


def test_details_match_the_listing(sandbox: SandboxHandle) -> None:
    runs = truth(sandbox, "runs")
    with client_for(sandbox, detail_concurrency=4) as client:
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


def test_an_unreachable_host_is_unreachable_for_details_too() -> None:
    with running_sandbox(SandboxConfig(runs=2)) as sandbox:
        base_url = sandbox.base_url
        runs = truth(sandbox, "runs")[:1]
    # The sandbox is gone: nothing listens on its port any more.
    client = FlinttClient(base_url=base_url, api_key="flt_gone", max_attempts=2)
    with client, pytest.raises(UnreachableError):
        list(client.get_runs(runs))
    assert client.stats.requests == 2
