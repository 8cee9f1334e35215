"""Fixtures for push: a sandbox and a warehouse holding a table of target rows."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from push_support import CONFIG, TARGETS, Pushing

from flintt_pipeline.lib.warehouse import open_warehouse
from flintt_pipeline.sandbox import running_sandbox


@pytest.fixture
def pushing(tmp_path: Path) -> Iterator[Pushing]:
    with running_sandbox(CONFIG) as sandbox:
        database = str(tmp_path / "warehouse.duckdb")
        env = {
            "FLINTT_BASE_URL": sandbox.base_url,
            "FLINTT_API_KEY": sandbox.api_key,
            "FLINTT_DUCKDB_PATH": database,
        }
        made = Pushing(sandbox=sandbox, database=database, env=env)
        with open_warehouse(database=database):
            pass
        made.table("targets", "name VARCHAR, domain VARCHAR, linkedin_url VARCHAR", TARGETS)
        yield made
