"""Processes for `bench/sync.py`: a sandbox served by the CLI, and commands measured with wait4."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CLI = str(BIN / "flintt-pipeline")
# Set by `use_environment`: what every process started here gets on top of os.environ.
ENV: dict[str, str] = {}
SANDBOX_START_SECONDS = 180.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Measured:
    """One process's run: wall seconds, CPU seconds (user + system), peak RSS in MiB."""

    wall: float
    cpu: float
    rss_mib: float
    server_cpu: float
    stdout: str


def use_environment(work: Path, *, tree: Path | None, bytecode_cache: bool) -> None:
    """Run flintt-pipeline from `tree` (an exported commit) instead of the working copy; with
    `bytecode_cache`, let Python cache compiled modules under `work` (this machine sets
    PYTHONDONTWRITEBYTECODE, which makes every process compile Dagster afresh, ~3 s) and warm it."""
    if tree is not None:
        ENV["PYTHONPATH"] = str(tree.resolve())
    if bytecode_cache:
        ENV["PYTHONPYCACHEPREFIX"] = str(work / "pycache")
        ENV["PYTHONDONTWRITEBYTECODE"] = ""
        warm = "import flintt_pipeline.definitions, flintt_pipeline.cli, httpx"
        subprocess.run([sys.executable, "-c", warm], env=environ(), check=True, cwd=ROOT)


def environ(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, **ENV, **(extra or {})}
    if env.get("PYTHONDONTWRITEBYTECODE") == "":
        del env["PYTHONDONTWRITEBYTECODE"]
    return env


class Sandbox:
    """`flintt-pipeline sandbox --port 0 ...` as its own process, stopped on exit."""

    def __init__(self, workdir: Path, *, sizes: Sequence[int], paged: bool) -> None:
        companies, prospects, signals, runs = sizes
        args = [
            CLI,
            "sandbox",
            "--port",
            "0",
            "--companies",
            str(companies),
            "--prospects",
            str(prospects),
            "--signals",
            str(signals),
            "--runs",
            str(runs),
        ]
        if paged:
            args.append("--page-all-lists")
        self.log = workdir / f"sandbox-{'paged' if paged else 'whole'}-{prospects}.log"
        self.process = subprocess.Popen(
            args,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=environ(),
            cwd=ROOT,
        )
        self.env = self._wait_for_env()

    def _wait_for_env(self) -> dict[str, str]:
        deadline = time.monotonic() + SANDBOX_START_SECONDS
        while time.monotonic() < deadline:
            text = self.log.read_text(errors="replace")
            found = dict(re.findall(r"^(FLINTT_BASE_URL|FLINTT_API_KEY)=(\S+)$", text, re.M))
            if len(found) == 2:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the sandbox did not start: {self.log.read_text(errors='replace')}")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


def measure(
    args: Sequence[str], *, env: dict[str, str], sandbox: Sandbox, timeout: float, log: Path
) -> Measured:
    """Run `args` to its end and measure it (its own rusage from wait4, so nothing else counts);
    kill it after `timeout` seconds. Raises when it fails."""
    server_before = sandbox.cpu_seconds()
    started = time.perf_counter()
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            args,
            env=environ(env),
            stdout=subprocess.PIPE,
            stderr=stderr,
            start_new_session=True,
            cwd=ROOT,
        )
        timer = threading.Timer(timeout, os.killpg, (process.pid, signal.SIGKILL))
        timer.start()
        try:
            assert process.stdout is not None
            stdout = process.stdout.read().decode(errors="replace")
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
        finally:
            timer.cancel()
    wall = time.perf_counter() - started
    server_cpu = sandbox.cpu_seconds() - server_before
    if process.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(args[:3])} exited {process.returncode}:\n{tail}")
    return Measured(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        rss_mib=usage.ru_maxrss / 1024,
        server_cpu=server_cpu,
        stdout=stdout,
    )


def sync_env(workdir: Path, sandbox: Sandbox, name: str) -> dict[str, str]:
    """Environment of a sync into a fresh warehouse and a fresh DAGSTER_HOME under `workdir`."""
    home = workdir / f"{name}-home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    tree = Path(ENV.get("PYTHONPATH") or ROOT)
    shutil.copy(tree / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    database = workdir / f"{name}.duckdb"
    for stale in workdir.glob(f"{name}.duckdb*"):
        stale.unlink()
    return {**sandbox.env, "FLINTT_DUCKDB_PATH": str(database), "DAGSTER_HOME": str(home)}


def rows_landed(database: str) -> dict[str, int]:
    import duckdb

    with duckdb.connect(database, read_only=True) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM flintt.{table}").fetchone()[0]
            for table in ("companies", "prospects", "signals", "runs", "run_results")
        }
