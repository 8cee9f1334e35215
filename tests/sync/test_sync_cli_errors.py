"""Every error a user can cause ends `flintt-pipeline sync` / `check` with one line naming what to
fix, a non-zero exit, the API key nowhere in the output, and the warehouse as it was."""

import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sync_support import SMALL, Synced, fingerprint, mirror_problems, stream_state

from flintt_pipeline.cli import main
from flintt_pipeline.sandbox import SandboxHandle

WRONG_KEY = "flt_" + "Wr0ngKeyWr0ngKeyWr0ngKey"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def error_line(stderr: str, *, secrets: tuple[str, ...]) -> str:
    """The one `Error:` line; besides it stderr may hold only progress lines (indented) and the
    client's retry notes."""
    lines = stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    retry_notes = [line for line in lines if line.startswith("Flintt: ") and "retrying in" in line]
    others = [line for line in lines if not line.startswith(("Error: ", "  ", "Flintt: "))]
    assert len(retry_notes) == sum(line.startswith("Flintt: ") for line in lines), stderr
    assert len(errors) == 1 and others == [], stderr
    assert lines[-1] == errors[0]
    assert not any(secret in stderr for secret in secrets)
    return errors[0]


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., Result]:
    """`flintt-pipeline ARGS` in this process with exactly the given FLINTT_* settings."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")

    def run(*args: str, **settings: str) -> Result:
        names = ("FLINTT_API_KEY", "FLINTT_BASE_URL", "FLINTT_DUCKDB_PATH")
        env: dict[str, str | None] = dict.fromkeys(names) | settings
        env["DAGSTER_HOME"] = str(home)
        return CliRunner().invoke(main, list(args), env=env)

    return run


def settings_for(sandbox: SandboxHandle, database: str, **changes: str) -> dict[str, str]:
    return {
        "FLINTT_API_KEY": sandbox.api_key,
        "FLINTT_BASE_URL": sandbox.base_url,
        "FLINTT_DUCKDB_PATH": database,
    } | changes


@pytest.mark.parametrize("command", ["sync", "check"])
def test_no_api_key(run_cli: Callable[..., Result], synced: Synced, command: str) -> None:
    settings = settings_for(synced.sandbox, synced.database)
    del settings["FLINTT_API_KEY"]
    result = run_cli(command, **settings)
    assert result.exit_code == 1
    assert error_line(result.stderr, secrets=()).startswith("Error: FLINTT_API_KEY is not set")
    assert not Path(synced.database).exists()


@pytest.mark.parametrize("command", ["sync", "check"])
def test_a_wrong_key(run_cli: Callable[..., Result], synced: Synced, command: str) -> None:
    settings = settings_for(synced.sandbox, synced.database, FLINTT_API_KEY=WRONG_KEY)
    result = run_cli(command, **settings)
    assert result.exit_code == 1
    line = error_line(result.stderr, secrets=(WRONG_KEY, synced.sandbox.api_key))
    assert "refused the API key" in line and "FLINTT_API_KEY" in line
    assert WRONG_KEY not in result.stdout
    assert not Path(synced.database).exists()


def test_a_warehouse_filled_from_another_url(
    run_cli: Callable[..., Result], synced: Synced, sandboxes: Callable[..., SandboxHandle]
) -> None:
    synced.sync_ok()
    before = fingerprint(synced.database)
    other = sandboxes(SMALL)
    result = run_cli("sync", **settings_for(other, synced.database))
    assert result.exit_code == 1
    line = error_line(result.stderr, secrets=(other.api_key,))
    assert "refusing to sync" in line and "FLINTT_DUCKDB_PATH" in line
    assert fingerprint(synced.database) == before


def test_a_warehouse_named_like_a_schema(
    run_cli: Callable[..., Result], synced: Synced, tmp_path: Path
) -> None:
    database = tmp_path / "flintt.duckdb"
    result = run_cli("sync", **settings_for(synced.sandbox, str(database)))
    assert result.exit_code == 1
    line = error_line(result.stderr, secrets=(synced.sandbox.api_key,))
    assert "named like a schema" in line
    assert not database.exists()


def test_a_mass_delete(run_cli: Callable[..., Result], synced: Synced) -> None:
    synced.sync_ok()
    before = fingerprint(synced.database)
    control = synced.sandbox.control
    companies = control.state("companies")
    for company in companies[:30]:
        control.delete("companies", company["id"])
        synced.deleted["companies"].add(company["id"])
    settings = settings_for(synced.sandbox, synced.database)
    result = run_cli("sync", **settings)
    assert result.exit_code == 1
    line = error_line(result.stderr, secrets=(synced.sandbox.api_key,))
    assert "flintt/companies" in line and "would soft-delete 30 of 40" in line
    after = fingerprint(synced.database)
    assert stream_state(after, "companies") == stream_state(before, "companies")
    # What the message says to do, when the rows really are gone.
    allowed = run_cli("sync", "--select", "companies", "--max-delete-share", "1.0", **settings)
    assert allowed.exit_code == 0, allowed.stderr
    assert mirror_problems(synced.database, synced.sandbox, deleted=synced.deleted) == []


def test_the_console_script_with_a_wrong_key_and_an_unreachable_url(
    synced: Synced, cli_env: Callable[..., dict[str, str]]
) -> None:
    """Both through `uv run flintt-pipeline sync`, side by side (the client's retries against a
    closed port take seconds)."""
    url = f"http://127.0.0.1:{closed_port()}"
    cases = {
        "wrong key": settings_for(synced.sandbox, synced.database, FLINTT_API_KEY=WRONG_KEY),
        "unreachable": settings_for(synced.sandbox, synced.database, FLINTT_BASE_URL=url),
    }
    processes = {
        case: subprocess.Popen(
            ["uv", "run", "flintt-pipeline", "sync"],
            env=cli_env(home=case.replace(" ", "_"), **settings),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for case, settings in cases.items()
    }
    answers = {case: process.communicate(timeout=120) for case, process in processes.items()}
    secrets = (WRONG_KEY, synced.sandbox.api_key)
    for case, (stdout, _) in answers.items():
        assert processes[case].returncode == 1, case
        assert not any(secret in stdout for secret in secrets)
    assert "FLINTT_API_KEY" in error_line(answers["wrong key"][1], secrets=secrets)
    line = error_line(answers["unreachable"][1], secrets=secrets)
    assert f"cannot reach Flintt at {url}" in line and "FLINTT_BASE_URL" in line
    assert not Path(synced.database).exists()
