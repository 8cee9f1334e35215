"""What the signals tests share: a sandbox, a warehouse file and a signals file, and the CLI run
in-process against them (real HTTP, real DuckDB)."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from flintt_pipeline.cli import main
from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle

NEW_SIGNAL = """- key: funding-rounds
  name: Funding rounds
  description: Series A and later
  status: paused
  schedule: 0 9 * * 1
"""
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


def edit(file: Path, change: Callable[[str], str]) -> None:
    file.write_text(change(file.read_text(encoding="utf-8")), encoding="utf-8")
