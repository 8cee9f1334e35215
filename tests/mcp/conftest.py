"""Fixtures: one sandbox and one warehouse synced from it per test module."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_support import WORKSPACE, sync

from flintt_pipeline.sandbox import SandboxHandle, running_sandbox


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with running_sandbox(WORKSPACE) as handle:
        yield handle


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mcp")


@pytest.fixture(scope="module")
def live(data_dir: Path, sandbox: SandboxHandle) -> str:
    """The live warehouse, synced with its models built."""
    database = str(data_dir / "warehouse.duckdb")
    assert sync(database, sandbox).success
    return database
