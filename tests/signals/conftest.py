"""Fixtures for signals as code: a sandbox, a warehouse file and a signals file, and the CLI run
in-process against them (real HTTP, real DuckDB)."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from flintt_pipeline.cli import main
from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox

CONFIG = SandboxConfig(seed=5, companies=5, prospects=5, signals=4, runs=12)


@dataclass
class Workspace:
    sandbox: SandboxHandle
    env: dict[str, str]
    file: Path

    def run(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env=self.env, input=input)

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.exit_code == 0, result.output
        return result.output

    def signals(self) -> list[dict]:
        return self.sandbox.control.state("signals")


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


def edit(file: Path, change: Callable[[str], str]) -> None:
    file.write_text(change(file.read_text(encoding="utf-8")), encoding="utf-8")
