"""Fixtures for the sync engine's end-to-end tests: sandboxes served over loopback, warehouses
synced from them through Dagster, and the environment for `flintt-pipeline` subprocesses."""

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import dagster as dg
import pytest
from sync_support import SMALL, Synced, sync_job

from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def instance() -> dg.DagsterInstance:
    return dg.DagsterInstance.ephemeral()


@pytest.fixture
def sandboxes() -> Iterator[Callable[[SandboxConfig], SandboxHandle]]:
    """Start as many sandboxes as a test needs; all stop when it ends."""
    with ExitStack() as stack:
        yield lambda config: stack.enter_context(running_sandbox(config))


@pytest.fixture
def synced_from(
    tmp_path: Path,
    instance: dg.DagsterInstance,
    sandboxes: Callable[[SandboxConfig], SandboxHandle],
) -> Callable[[SandboxConfig], Synced]:
    """A sandbox with `config` and an empty warehouse file for it (not yet synced)."""
    made = 0

    def make(config: SandboxConfig) -> Synced:
        nonlocal made
        made += 1
        database = str(tmp_path / f"w{made}.duckdb")
        return Synced(sandbox=sandboxes(config), database=database, instance=instance)

    return make


@pytest.fixture
def synced(synced_from: Callable[[SandboxConfig], Synced]) -> Synced:
    return synced_from(SMALL)


@pytest.fixture
def job_without_step_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Callable[..., dg.JobExecutionResult]]:
    """Run the code location's sync job with Dagster's step retries turned off through run config.

    The raw assets' RetryPolicy tries a failed step again after 15 s and 30 s, and
    `execute_in_process` (so `dg.materialize` too) ignores executor config, so a sync failing
    with a server error is observed through `dg.execute_job`, with the real definitions."""
    with dg.instance_for_test() as instance:

        def run(synced: Synced, **flintt: object) -> dg.JobExecutionResult:
            monkeypatch.setenv("FLINTT_API_KEY", synced.sandbox.api_key)
            monkeypatch.setenv("FLINTT_BASE_URL", synced.sandbox.base_url)
            monkeypatch.setenv("FLINTT_DUCKDB_PATH", synced.database)
            api = {"api_key": {"env": "FLINTT_API_KEY"}, **flintt}
            run_config = {
                "execution": {"config": {"retries": {"disabled": {}}}},
                "resources": {"flintt": {"config": api}},
            }
            return dg.execute_job(
                dg.reconstructable(sync_job),
                instance=instance,
                run_config=run_config,
                raise_on_error=False,
            )

        yield run


@pytest.fixture
def cli_env(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """The environment of a `flintt-pipeline` process: a DAGSTER_HOME holding the project's
    dagster.yaml (pools, telemetry off) and the given FLINTT_* settings."""

    def make(*, home: str = "dagster_home", **settings: str) -> dict[str, str]:
        dagster_home = tmp_path / home
        dagster_home.mkdir(exist_ok=True)
        shutil.copy(REPO / "dagster_home" / "dagster.yaml", dagster_home / "dagster.yaml")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLINTT_", "DAGSTER_"))}
        # Compiled bytecode is shared through the environment tests/conftest.py sets.
        return env | {"DAGSTER_HOME": str(dagster_home), **settings}

    return make
