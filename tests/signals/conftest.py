"""Fixtures for signals as code: a sandbox with its env, and a workspace already exported."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from signals_support import CONFIG, Workspace

from flintt_pipeline.sandbox import running_sandbox


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with running_sandbox(CONFIG) as sandbox:
        env = {
            "FLINTT_BASE_URL": sandbox.base_url,
            "FLINTT_API_KEY": sandbox.api_key,
            "FLINTT_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"),
            "FLINTT_SIGNALS_FILE": str(tmp_path / "signals.yaml"),
            "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        }
        yield Workspace(sandbox=sandbox, env=env, file=tmp_path / "signals.yaml")


@pytest.fixture
def exported(workspace: Workspace) -> Workspace:
    """The workspace with its signals exported (keys recorded) and the draft paused."""
    workspace.ok("signals", "export")
    workspace.ok("signals", "apply", "--yes")
    return workspace
