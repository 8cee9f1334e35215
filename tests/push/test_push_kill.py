"""A push killed with SIGKILL half-way, then run again, leaves every row in Flintt exactly once,
and the re-run logs the rows the killed one created as already present."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from push_support import Pushing

ROWS = 16
LATENCY_MS = 150


def test_killed_push_then_rerun_creates_each_row_once(pushing: Pushing) -> None:
    pushing.table(
        "many",
        "name VARCHAR, domain VARCHAR",
        [(f"Many {i}", f"many{i}.example") for i in range(ROWS)],
    )
    pushing.sandbox.control.settings(latency_ms=LATENCY_MS)
    command = [
        sys.executable, "-m", "flintt_pipeline.cli", "push", "companies",
        "--query", "SELECT name, domain FROM main.many", "--concurrency", "2",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        env={**os.environ, **pushing.env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )

    def made() -> Counter[str]:
        return Counter(name for name in pushing.names() if name.startswith("Many "))

    try:
        deadline = time.monotonic() + 120
        while sum(made().values()) < 3 and process.poll() is None:
            assert time.monotonic() < deadline, "the push never started creating"
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    # A create sent just before the kill is still applied by the server after its latency.
    time.sleep(3 * LATENCY_MS / 1000)
    before = sum(made().values())
    assert 3 <= before < ROWS
    pushing.sandbox.control.settings(latency_ms=0)
    result = pushing.cli("push", "companies", "--query", "SELECT name, domain FROM main.many")
    assert result.exit_code == 0, result.output
    assert made() == Counter({f"Many {i}": 1 for i in range(ROWS)})
    assert f"{ROWS - before} created, {before} already present" in result.output
