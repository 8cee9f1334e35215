"""The README's first command as a user would run it: from the package built as a wheel and
installed in a fresh virtual environment outside the checkout, in a directory of its own."""

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Installed:
    wheel: Path
    bin: Path  # the virtual environment's scripts


@dataclass(frozen=True)
class DemoRun:
    directory: Path
    done: subprocess.CompletedProcess[str]


def clean_environment() -> dict[str, str]:
    """This environment without any Flintt, Dagster or virtualenv setting, as on a new user's
    machine."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLINTT_", "DAGSTER"))
        and key not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
    }


def _uv(*args: str, cwd: Path) -> str:
    uv = os.environ.get("UV") or shutil.which("uv")
    assert uv, "uv is not installed"
    done = subprocess.run(
        [uv, *args], cwd=cwd, env=clean_environment(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"uv {' '.join(args)}:\n{done.stderr[-3000:]}"
    return done.stdout


def install_wheel(directory: Path) -> Installed:
    """`uv build --wheel`, then a new virtualenv in `directory` holding that wheel and the
    locked versions of its dependencies (uv's cache makes this take seconds)."""
    _uv("build", "--wheel", "--out-dir", str(directory / "dist"), cwd=REPO)
    [wheel] = (directory / "dist").glob("flintt_pipeline-*.whl")
    constraints = directory / "constraints.txt"
    constraints.write_text(
        _uv("export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", cwd=REPO)
    )
    venv = directory / "venv"
    # The interpreter running the tests: the version CI tests and the one the lock was used with.
    _uv("venv", "--quiet", "--python", sys.executable, str(venv), cwd=directory)
    python = venv / "bin" / "python"
    _uv(
        "pip", "install", "--python", str(python), str(wheel), "-c", str(constraints), cwd=directory
    )
    return Installed(wheel=wheel, bin=python.parent)


def wheel_files(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def run_demo(directory: Path, *, installed: Installed) -> DemoRun:
    env = clean_environment()
    env["DAGSTER_HOME"] = str(directory / "dagster_home")
    done = subprocess.run(
        [str(installed.bin / "flintt-pipeline"), "demo"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return DemoRun(directory=directory, done=done)
