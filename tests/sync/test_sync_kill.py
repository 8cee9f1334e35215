"""A `flintt-pipeline sync` killed with SIGKILL at any point leaves a warehouse whose history
tables agree with their tables, that the next sync makes equal to the workspace, and nothing
behind that stops the next sync from starting."""

import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from sync_support import SMALL, Synced, change_workspace, history_problems, mirror_problems

# Where to kill: this long after a stream's progress line. A listing's line comes once it is read,
# just before its merge; run_results' line comes before the details are fetched, and the models
# are built after its merge.
KILL_POINTS = (
    ("companies", 0.0),
    ("prospects", 0.0),
    ("prospects", 0.1),
    ("signals", 0.0),
    ("signals", 0.05),
    ("runs", 0.0),
    ("runs", 0.1),
    ("run_results", 0.0),
    ("run_results", 0.3),
    ("run_results", 0.6),
)
LATENCY_MS = 40
LANES = 3
SYNC = ["uv", "run", "flintt-pipeline", "sync"]
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


def sync_killed_after(env: dict[str, str], stream: str, delay: float) -> Killed:
    """Start `flintt-pipeline sync` in its own session; SIGKILL its process group `delay` seconds
    after its progress line for `stream`."""
    process = subprocess.Popen(
        SYNC,
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
        while not any(line.startswith(f"  {stream}:") for line in killed.lines):
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


def kill_repeatedly(
    synced: Synced,
    env: dict[str, str],
    points: tuple[tuple[str, float], ...],
    dagster: threading.Lock,
) -> list[str]:
    """For each point: change the workspace, kill a sync there (the first one fills an empty
    warehouse), sync in-process and compare. Returns the stage each interrupted sync reached."""
    control = synced.sandbox.control
    stages = []
    for stream, delay in points:
        change_workspace(synced)
        control.settings(latency_ms=LATENCY_MS)
        killed = sync_killed_after(env, stream, delay)
        if killed.interrupted:
            stages.append(killed.stage)
        assert history_problems(synced.database) == [], (stream, delay, killed.stage)
        control.settings(latency_ms=0)
        with dagster:
            synced.sync_ok()
        problems = mirror_problems(synced.database, synced.sandbox, deleted=synced.deleted)
        problems += history_problems(synced.database)
        assert problems == [], (stream, delay, killed.stage)
    return stages


def test_sync_killed_at_any_point(
    synced_from: Callable[..., Synced], cli_env: Callable[..., dict[str, str]]
) -> None:
    # Lanes (a sandbox, warehouse and DAGSTER_HOME each) so that process start-ups overlap.
    lanes = []
    for lane in range(LANES):
        synced = synced_from(replace(SMALL, seed=SMALL.seed + lane))
        env = cli_env(
            home=f"dagster_home_{lane}",
            FLINTT_API_KEY=synced.sandbox.api_key,
            FLINTT_BASE_URL=synced.sandbox.base_url,
            FLINTT_DUCKDB_PATH=synced.database,
        )
        lanes.append((synced, env, KILL_POINTS[lane::LANES]))
    dagster = threading.Lock()
    with ThreadPoolExecutor(LANES) as pool:
        futures = [pool.submit(kill_repeatedly, *lane, dagster) for lane in lanes]
        stages = [stage for future in futures for stage in future.result()]
    assert len(stages) >= 10, stages
    assert set(stages) == {stream for stream, _ in KILL_POINTS}, stages
    # The killed processes left their Dagster runs "started", holding pool slots: a sync of one
    # stream in the same DAGSTER_HOME shows that they no longer stop the next one.
    _, env, _ = lanes[0]
    done = subprocess.run(
        [*SYNC, "--select", "companies"], env=env, capture_output=True, text=True, timeout=90
    )
    assert done.returncode == 0, done.stderr
