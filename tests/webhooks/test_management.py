"""`webhooks register/list/update/delete` against the sandbox's management API, and a delivery
from the sandbox through the receiver into the inbox."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result
from receiver_helpers import free_port, stored

from flintt_pipeline.cli.webhooks import webhooks
from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox
from flintt_pipeline.webhooks.app import WEBHOOK_PATH
from flintt_pipeline.webhooks.server import running_receiver

EXPORT = re.compile(r"^export FLINTT_WEBHOOK_TOKENS=(\S+)$", re.MULTILINE)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with running_sandbox(SandboxConfig(companies=5, prospects=5, signals=2, runs=3)) as handle:
        yield handle


def cli(sandbox: SandboxHandle, *args: str, token: str | None = None, **env: str) -> Result:
    environment = {
        "FLINTT_BASE_URL": sandbox.base_url,
        "FLINTT_MANAGEMENT_TOKEN": sandbox.management_token if token is None else token,
        "FLINTT_WEBHOOK_TOKENS": "",
        **env,
    }
    return CliRunner(env=environment).invoke(webhooks, list(args))


def assert_one_line_error(result: Result, *, mentions: str, hides: str = "") -> None:
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.strip().count("\n") == 0, result.output
    assert mentions in result.output
    assert "Traceback" not in result.output
    if hides:
        assert hides not in result.output


def register(sandbox: SandboxHandle, url: str, *args: str, **env: str) -> tuple[str, str, Result]:
    result = cli(sandbox, "register", "--url", url, *args, **env)
    assert result.exit_code == 0, result.output
    webhook_id = result.output.split()[1]
    match = EXPORT.search(result.output)
    return webhook_id, match.group(1) if match else "", result


def test_register_prints_the_token_once_and_list_never(sandbox: SandboxHandle) -> None:
    webhook_id, token, result = register(sandbox, "https://hooks.example.com/flintt")
    assert token.startswith("whk_")
    assert result.output.count(token) == 1
    listing = cli(sandbox, "list")
    assert listing.exit_code == 0
    [line] = [line for line in listing.output.splitlines() if line.startswith(webhook_id)]
    assert "https://hooks.example.com/flintt" in line
    assert "signal.run.completed" in line and "prospect.created" in line
    assert token not in listing.output


def test_register_appends_to_existing_tokens_without_printing_them(sandbox: SandboxHandle) -> None:
    existing = "whk_existing_secret"
    _, _, result = register(sandbox, "http://localhost:9/hook", FLINTT_WEBHOOK_TOKENS=existing)
    assert existing not in result.output
    assert 'export FLINTT_WEBHOOK_TOKENS="$FLINTT_WEBHOOK_TOKENS",whk_' in result.output


def test_update_then_delete(sandbox: SandboxHandle) -> None:
    webhook_id, _, _ = register(sandbox, "https://a.example.com/hook", "--event", "company.created")
    updated = cli(
        sandbox, "update", webhook_id, "--disable", "--name", "renamed",
        "--url", "https://b.example.com/hook", "--event", "prospect.created",
    )  # fmt: skip
    assert updated.exit_code == 0, updated.output
    line = next(ln for ln in cli(sandbox, "list").output.splitlines() if webhook_id in ln)
    assert "disabled" in line and "'renamed'" in line and "https://b.example.com/hook" in line
    assert "[prospect.created]" in line
    assert cli(sandbox, "update", webhook_id, "--enable").exit_code == 0
    assert " active " in next(
        ln for ln in cli(sandbox, "list").output.splitlines() if webhook_id in ln
    )
    assert cli(sandbox, "delete", webhook_id).exit_code == 0
    assert webhook_id not in cli(sandbox, "list").output


def test_unknown_id_ends_in_one_line(sandbox: SandboxHandle) -> None:
    missing = "00000000-0000-0000-0000-000000000000"
    assert_one_line_error(cli(sandbox, "delete", missing), mentions=missing)
    assert_one_line_error(cli(sandbox, "update", missing, "--disable"), mentions=missing)


def test_bad_expired_or_missing_jwt_ends_in_one_line(sandbox: SandboxHandle) -> None:
    bad = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.not-a-signature"
    expired = sandbox.control.management_token(expires_in=-60)
    for token in (bad, expired):
        result = cli(sandbox, "list", token=token)
        assert_one_line_error(result, mentions="FLINTT_MANAGEMENT_TOKEN", hides=token)
    assert_one_line_error(cli(sandbox, "list", token=""), mentions="FLINTT_MANAGEMENT_TOKEN")


def test_unreachable_api_ends_in_one_line(sandbox: SandboxHandle) -> None:
    result = cli(sandbox, "list", FLINTT_BASE_URL=f"http://127.0.0.1:{free_port()}")
    assert_one_line_error(result, mentions="cannot reach", hides=sandbox.management_token)


def test_plain_http_is_refused_except_loopback(sandbox: SandboxHandle) -> None:
    before = cli(sandbox, "list").output
    refused = cli(sandbox, "register", "--url", "http://hooks.example.com/flintt")
    assert_one_line_error(refused, mentions="https://")
    assert cli(sandbox, "list").output == before
    for loopback in ("http://127.0.0.1:9/hook", "http://[::1]:9/hook", "http://localhost/hook"):
        assert register(sandbox, loopback)[0]


def test_a_completed_run_lands_in_the_inbox(sandbox: SandboxHandle, tmp_path: Path) -> None:
    inbox_path = tmp_path / "inbox.sqlite3"
    placeholder = "https://placeholder.example.com/hook"
    webhook_id, token, _ = register(sandbox, placeholder, "--event", "signal.run.completed")
    try:
        with running_receiver(inbox_path=inbox_path, tokens=[token]) as base_url:
            url = base_url + WEBHOOK_PATH
            assert cli(sandbox, "update", webhook_id, "--url", url).exit_code == 0
            signal_id = sandbox.control.state("signals")[0]["id"]
            run = sandbox.control.trigger(signal_id)
            sandbox.control.complete(run["id"], results=2)
            deadline = time.monotonic() + 10.0
            while not stored(inbox_path) and time.monotonic() < deadline:
                time.sleep(0.05)
    finally:
        cli(sandbox, "delete", webhook_id)
    [event] = stored(inbox_path)
    assert event.event_type == "signal.run.completed"
    assert run["id"] in str(event.payload)


def hides_everywhere(result: Result, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.stdout and secret not in result.stderr, secret


CREDENTIAL_URLS = [
    "https://user:s3cret-pw@hooks.example.com/flintt",
    "http://user:s3cret-pw@hooks.example.com/flintt",
    "http://user:s3cret-pw@127.0.0.1:9/hook",
    "https://s3cret-pw@hooks.example.com/flintt",
    "HTTPS://user:s3cret-pw@hooks.example.com:8443",
]


def test_webhook_urls_with_credentials_are_refused_without_repeating_them(
    sandbox: SandboxHandle,
) -> None:
    webhook_id, _, _ = register(sandbox, "https://c.example.com/hook")
    before = cli(sandbox, "list").output
    for url in CREDENTIAL_URLS:
        for args in (("register", "--url", url), ("update", webhook_id, "--url", url)):
            refused = cli(sandbox, *args)
            assert_one_line_error(refused, mentions="credentials")
            hides_everywhere(refused, "s3cret-pw", "user:", sandbox.management_token)
    assert cli(sandbox, "list").output == before
    cli(sandbox, "delete", webhook_id)


def test_a_refused_plain_http_url_is_not_repeated_when_it_may_hold_a_credential(
    sandbox: SandboxHandle,
) -> None:
    refused = cli(sandbox, "register", "--url", "http://hooks.example.com/x@s3cret-pw")
    assert_one_line_error(refused, mentions="https://", hides="s3cret-pw")
    shown = cli(sandbox, "register", "--url", "http://hooks.example.com/plain")
    assert_one_line_error(shown, mentions="http://hooks.example.com/plain")


def test_stored_credentials_are_never_listed(sandbox: SandboxHandle) -> None:
    stored_url = "https://user:s3cret-pw@hooks.example.com/stored"
    created = httpx.post(
        sandbox.base_url + "/api/outbound-webhooks",
        headers={"Authorization": f"Bearer {sandbox.management_token}"},
        json={"name": "by-hand", "endpoint_url": stored_url, "event_types": ["company.created"]},
    ).json()
    try:
        listing = cli(sandbox, "list")
        assert listing.exit_code == 0, listing.output
        [line] = [ln for ln in listing.output.splitlines() if ln.startswith(created["id"])]
        assert "https://***@hooks.example.com/stored" in line
        hides_everywhere(listing, "s3cret-pw", "user:")
        updated = cli(sandbox, "update", created["id"], "--disable")
        assert updated.exit_code == 0 and "https://***@hooks.example.com/stored" in updated.output
        hides_everywhere(updated, "s3cret-pw", "user:")
    finally:
        cli(sandbox, "delete", created["id"])


def test_a_base_url_with_credentials_is_refused_without_showing_them(
    sandbox: SandboxHandle,
) -> None:
    with_credentials = sandbox.base_url.replace("http://", "http://admin:base-s3cret@")
    for args in (("list",), ("delete", "some-id"), ("register", "--url", "https://x.example")):
        result = cli(sandbox, *args, FLINTT_BASE_URL=with_credentials)
        assert_one_line_error(result, mentions="without credentials")
        hides_everywhere(result, "base-s3cret", "admin:", sandbox.management_token)


def test_an_id_cannot_reach_another_endpoint(sandbox: SandboxHandle) -> None:
    company_id = sandbox.control.state("companies")[0]["id"]
    webhook_id, _, _ = register(sandbox, "https://d.example.com/hook")
    before = cli(sandbox, "list").output
    v1_requests = sandbox.control.requests()["total"]
    for hostile in (f"../../v1/companies/{company_id}", "..", ".", "", f"{webhook_id}/.."):
        for args in (("delete", hostile), ("update", hostile, "--disable")):
            assert_one_line_error(cli(sandbox, *args), mentions="webhook")
    assert sandbox.control.requests()["total"] == v1_requests
    assert company_id in {company["id"] for company in sandbox.control.state("companies")}
    assert cli(sandbox, "list").output == before
    cli(sandbox, "delete", webhook_id)
