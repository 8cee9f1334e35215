"""Fixtures for the Dagster definitions tests."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest


@pytest.fixture(scope="session")
def instance() -> Iterator[dg.DagsterInstance]:
    """One ephemeral instance for the session: building one costs a schema migration."""
    with dg.DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


@pytest.fixture
def inbox_path(tmp_path: Path) -> Path:
    return tmp_path / "inbox.sqlite3"
