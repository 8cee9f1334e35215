"""Faults after a write was applied: the record is stored, and the client never hears so."""

import httpx
import pytest

from flintt_pipeline.sandbox import SandboxHandle


def _names(sandbox: SandboxHandle) -> list[str]:
    return [company["name"] for company in sandbox.control.state("companies")]


@pytest.mark.parametrize("fault", ["500", "503"])
def test_error_after_create_keeps_the_record(
    sandbox: SandboxHandle, api: httpx.Client, fault: str
) -> None:
    sandbox.control.settings(
        write_fault=fault, write_fault_count=1, write_fault_path="/v1/companies"
    )
    answer = api.post("/v1/companies", json={"name": "Stored Anyway"})
    assert answer.status_code == int(fault)
    assert _names(sandbox).count("Stored Anyway") == 1
    assert sandbox.control.requests()["write_faults_fired"] == 1
    # The count is spent: the next create is answered normally.
    assert api.post("/v1/companies", json={"name": "Next"}).status_code == 201


def test_drop_after_create_keeps_the_record(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(write_fault="drop", write_fault_count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/v1/prospects", json={"name": "Dropped Answer"})
    names = [prospect["name"] for prospect in sandbox.control.state("prospects")]
    assert names.count("Dropped Answer") == 1


def test_delay_after_create_outlasts_the_client(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(write_fault="delay", write_fault_count=1, write_delay_ms=1500)
    with pytest.raises(httpx.ReadTimeout):
        api.post("/v1/companies", json={"name": "Slow Answer"}, timeout=0.3)
    assert _names(sandbox).count("Slow Answer") == 1


def test_reads_and_refused_writes_are_untouched(sandbox: SandboxHandle, api: httpx.Client) -> None:
    sandbox.control.settings(write_fault="500", write_fault_count=2)
    assert api.get("/v1/companies").status_code == 200
    refused = api.post("/v1/companies", json={"domain": "no-name.example"})
    assert refused.status_code == 422
    assert sandbox.control.requests()["write_faults_fired"] == 0
    assert sandbox.control.settings()["write_fault_count"] == 1
    assert sandbox.control.requests()["by_method"]["POST /v1/companies"] == 1


def test_bad_write_fault_is_refused(sandbox: SandboxHandle) -> None:
    with pytest.raises(httpx.HTTPStatusError) as raised:
        sandbox.control.settings(write_fault="timeout")
    assert raised.value.response.json()["field"] == "write_fault"
