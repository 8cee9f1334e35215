"""The API key never shows in what a write reports: Flintt's refusal echoing it, the retries'
log lines, the CLI's output or flintt.push_log."""

import logging

import pytest
from push_support import Pushing

from flintt_pipeline.lib.api import FlinttClient, RejectedError, UncertainWriteError
from tests.lib.hostile_server import Exchange, HostileServer, fixed

KEY = "flt_" + "0123456789abcdef" * 3


def _leaks(text: str) -> bool:
    return any(KEY[i : i + 8] in text for i in range(len(KEY) - 7))


@pytest.mark.parametrize("offset", [0, 1, 30, 60, 75, 79, 80, 200])
def test_a_refusal_echoing_the_key_never_shows_it(offset: int) -> None:
    body = b'{"message": "' + b"x" * offset + KEY.encode() + b' is not allowed"}'
    with HostileServer(fixed("422 Unprocessable Entity", body)) as server:
        client = FlinttClient(base_url=server.base_url, api_key=KEY, max_attempts=1)
        with pytest.raises(RejectedError) as caught:
            client.writer().create_once("companies", {"name": "A"}, matches=lambda _: False)
        client.close()
    assert caught.value.status == 422
    assert not _leaks(str(caught.value)) and not _leaks(caught.value.message)
    assert str(caught.value).startswith("Flintt refused POST /v1/companies (HTTP 422): ")


def test_a_lost_create_reports_no_body(caplog: pytest.LogCaptureFixture) -> None:
    answers = iter([b"500 Internal Server Error", b"200 OK", b"500 Internal Server Error"] * 3)

    def answer(exchange: Exchange) -> None:
        status = next(answers).decode()
        body = b"[]" if status == "200 OK" else b'{"detail": "' + KEY.encode() + b'"}'
        fixed(status, body)(exchange)

    caplog.set_level(logging.DEBUG)
    with HostileServer(answer) as server:
        client = FlinttClient(base_url=server.base_url, api_key=KEY, max_attempts=2)
        with pytest.raises(UncertainWriteError) as caught:
            client.writer().create_once("companies", {"name": "A"}, matches=lambda _: False)
        client.close()
    # Three creates, each followed by a look that found nothing.
    assert [t for t in server.targets if "limit" not in t] == ["/v1/companies"] * 3
    assert "may or may not have applied it" in str(caught.value)
    assert not _leaks(str(caught.value)) and not _leaks(caplog.text)


def test_push_with_faults_leaks_nothing(pushing: Pushing, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    pushing.sandbox.control.settings(
        write_fault="500", write_fault_rate=0.5, fault="429", fault_rate=0.2, retry_after="0"
    )
    result = pushing.cli("push", "companies", "--query", "SELECT name, domain FROM main.targets")
    assert result.exit_code == 0, result.output
    key = pushing.sandbox.api_key
    assert key not in result.output and key not in caplog.text
    assert all(key not in str(row) for row in pushing.log())
