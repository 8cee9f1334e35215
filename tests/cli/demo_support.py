"""Running the README's first command as a new user would, in a directory of its own."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DemoRun:
    directory: Path
    done: subprocess.CompletedProcess[str]


def clean_environment() -> dict[str, str]:
    """This environment without any Flintt or Dagster setting, as on a new user's machine."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("FLINTT_", "DAGSTER"))}


def run_demo(directory: Path) -> DemoRun:
    env = clean_environment()
    env["DAGSTER_HOME"] = str(directory / "dagster_home")
    done = subprocess.run(
        [sys.executable, "-m", "flintt_pipeline.cli", "demo"],
        cwd=directory,
        env={**env, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return DemoRun(directory=directory, done=done)
