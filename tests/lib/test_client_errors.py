"""Auth and reachability errors, and the API key never showing in logs or exceptions."""

import logging
import socket
import traceback

import pytest
from client_helpers import client_for, ids_of, list_requests

from flintt_pipeline.lib.api.client import (
    AuthenticationError,
    FlinttClient,
    FlinttError,
    ResponseError,
    ServerError,
    UnreachableError,
)
from flintt_pipeline.sandbox import SandboxConfig, running_sandbox

SMALL = SandboxConfig(seed=1, companies=15, prospects=15, signals=3, runs=12)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def everything_said(error: BaseException) -> str:
    """The error as a user or a log could see it: message, chain and formatted traceback."""
    parts = []
    current: BaseException | None = error
    while current is not None:
        parts += [str(current), repr(current), repr(vars(current))]
        current = current.__cause__ or current.__context__
    return "\n".join(parts + traceback.format_exception(error))


def test_a_wrong_key_is_named_not_shown() -> None:
    with running_sandbox(SMALL) as sandbox:
        wrong = "flt_wrong_" + sandbox.api_key[-8:]
        client = FlinttClient(base_url=sandbox.base_url, api_key=wrong)
        with client, pytest.raises(AuthenticationError) as caught:
            client.check()
        assert list_requests(sandbox, "/v1/runs") == 1
    assert "FLINTT_API_KEY" in str(caught.value) and "HTTP 401" in str(caught.value)
    assert wrong not in everything_said(caught.value)


@pytest.mark.parametrize("key", ["", "flt_with space", "flt_ünicode"])
def test_a_missing_or_malformed_key_fails_before_any_request(key: str) -> None:
    with pytest.raises(AuthenticationError, match="FLINTT_API_KEY"):
        FlinttClient(base_url="http://127.0.0.1:1", api_key=key)


def test_an_unreachable_url_names_the_url_and_the_setting() -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with FlinttClient(base_url=url, api_key="flt_x", max_attempts=2) as client:
        with pytest.raises(UnreachableError) as caught:
            client.check()
        assert client.stats.requests == 2
    assert url in str(caught.value) and "FLINTT_BASE_URL" in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "api.flintt.co",
        "ftp://api.flintt.co",
        "https://api.flintt.co/mcp?api_key=flt_secret",
        "https://user:flt_secret@api.flintt.co",
    ],
)
def test_a_malformed_base_url_is_refused_without_echoing_it(url: str) -> None:
    with pytest.raises(UnreachableError, match="FLINTT_BASE_URL") as caught:
        FlinttClient(base_url=url, api_key="flt_x")
    assert "flt_secret" not in str(caught.value)


def test_a_base_url_that_is_not_the_api_root_fails_at_once() -> None:
    with running_sandbox(SMALL) as sandbox:
        client = FlinttClient(base_url=sandbox.base_url + "/v1", api_key=sandbox.api_key)
        with client, pytest.raises(ResponseError) as caught:
            client.check()
        assert client.stats.requests == 1 and client.stats.retries == 0
    assert "HTTP 404" in str(caught.value) and "FLINTT_BASE_URL" in str(caught.value)


def test_the_key_never_appears_in_debug_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "h11", "flintt_pipeline", "tenacity", ""):
        logging.getLogger(name).setLevel(logging.DEBUG)
    errors: list[FlinttError] = []
    with running_sandbox(SMALL) as sandbox:
        key = sandbox.api_key
        with client_for(sandbox, page_size=5, max_attempts=2) as client:
            sandbox.control.settings(fault="drop", fault_count=1)
            assert ids_of(client.iter_runs())
            sandbox.control.settings(fault="503", fault_count=2)
            with pytest.raises(ServerError) as server_error:
                client.check()
            errors.append(server_error.value)
            sandbox.control.settings(fault="invalid_json", fault_count=2)
            with pytest.raises(ResponseError) as response_error:
                client.check()
            errors.append(response_error.value)
            sandbox.control.settings(fault=None, fault_count=0)
            assert dict(client.get_runs([ids_of(client.iter_runs())[0]]))
    assert any(record.name.startswith("httpcore") for record in caplog.records)
    assert any(record.name.startswith("httpx") for record in caplog.records)
    assert key not in caplog.text
    for record in caplog.records:
        assert key not in record.getMessage() and key not in repr(record.args)
    for error in errors:
        assert key not in everything_said(error)
