"""A `flintt-pipeline sync` killed with SIGKILL at any point leaves a warehouse that the next sync
makes equal to the workspace, and leaves nothing behind that stops the next sync from starting."""

import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from sync_support import SMALL, Synced, change_workspace, mirror_problems

# Seconds after the first progress line (the companies listing is read, its merge about to start).
KILL_AFTER = (0.0, 0.03, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3, 1.6, 2.0)
LATENCY_MS = 60
START_TIMEOUT = 60.0


@dataclass
class Killed:
    """What a killed sync had printed, and whether it was still running when killed."""

    lines: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def stage(self) -> str:
        progress = [line.split(":")[0].strip() for line in self.lines if line.startswith("  ")]
        return progress[-1] if progress else "starting"


def sync_killed_after(env: dict[str, str], delay: float) -> Killed:
    """Start `flintt-pipeline sync` in its own session; SIGKILL its process group `delay` seconds
    after its first progress line."""
    process = subprocess.Popen(
        ["uv", "run", "flintt-pipeline", "sync"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    killed = Killed()
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not any(line.startswith("  companies:") for line in killed.lines):
            killed.lines.append(lines.get(timeout=max(0.0, deadline - time.monotonic())))
        time.sleep(delay)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, _ = process.communicate()
        reader.join(timeout=5)
    while not lines.empty():
        killed.lines.append(lines.get())
    killed.interrupted = process.returncode == -signal.SIGKILL and "Synced" not in stdout
    return killed


def test_sync_killed_at_any_point(
    synced_from: Callable[..., Synced], cli_env: Callable[..., dict[str, str]]
) -> None:
    synced = synced_from(replace(SMALL, latency_ms=LATENCY_MS))
    control = synced.sandbox.control
    env = cli_env(
        FLINTT_API_KEY=synced.sandbox.api_key,
        FLINTT_BASE_URL=synced.sandbox.base_url,
        FLINTT_DUCKDB_PATH=synced.database,
    )
    synced.sync_ok()
    stages = []
    for delay in KILL_AFTER:
        change_workspace(synced)
        control.settings(latency_ms=LATENCY_MS)
        killed = sync_killed_after(env, delay)
        if killed.interrupted:
            stages.append(killed.stage)
        control.settings(latency_ms=0)
        synced.sync_ok()
        problems = mirror_problems(synced.database, synced.sandbox, deleted=synced.deleted)
        assert problems == [], (delay, killed.stage)
    assert len(stages) >= 10, stages
    assert len(set(stages)) >= 3, stages
    # The killed processes left their Dagster runs "started"; a sync must still go through.
    change_workspace(synced)
    done = subprocess.run(
        ["uv", "run", "flintt-pipeline", "sync"],
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    assert mirror_problems(synced.database, synced.sandbox, deleted=synced.deleted) == []
