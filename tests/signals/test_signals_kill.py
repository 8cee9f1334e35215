"""An apply killed with SIGKILL half-way, then run again, ends with every declared signal once."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from signals_support import Workspace

COUNT = 6
LATENCY_MS = 250


def _declared() -> str:
    items = "".join(
        f"  - key: new-{i}\n    name: New signal {i}\n"
        f"    status: {'paused' if i % 2 else 'active'}\n    schedule: 0 {i} * * *\n"
        for i in range(COUNT)
    )
    return f"signals:\n{items}"


def _new(workspace: Workspace) -> Counter[str]:
    return Counter(s["name"] for s in workspace.signals() if s["name"].startswith("New signal"))


def test_killed_apply_then_rerun_creates_each_signal_once(workspace: Workspace) -> None:
    workspace.file.write_text(_declared(), encoding="utf-8")
    workspace.sandbox.control.settings(latency_ms=LATENCY_MS)
    command = [sys.executable, "-m", "flintt_pipeline.cli", "signals", "apply", "--yes"]
    env = {**os.environ, **workspace.env}
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while sum(_new(workspace).values()) < 2 and process.poll() is None:
            assert time.monotonic() < deadline, "the apply never started creating"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
    assert process.returncode == -signal.SIGKILL
    # A create sent just before the kill is still applied by the server after its latency.
    time.sleep(3 * LATENCY_MS / 1000)
    made_before_kill = sum(_new(workspace).values())
    assert 2 <= made_before_kill < COUNT
    workspace.sandbox.control.settings(latency_ms=0)
    rerun = workspace.ok("signals", "apply", "--yes")
    assert "Apply complete" in rerun
    created = _new(workspace)
    assert created == Counter({f"New signal {i}": 1 for i in range(COUNT)})
    statuses = {s["name"]: s["status"] for s in workspace.signals()}
    assert all(
        statuses[f"New signal {i}"] == ("paused" if i % 2 else "active") for i in range(COUNT)
    )
    assert "No changes" in workspace.ok("signals", "plan")
