"""`signals apply` without --yes, on a terminal: it asks; when the workspace changed while the
plan was on screen, it shows the new plan and asks again, and applies only that one."""

import os
import pty
import select
import subprocess
import sys
import time

from signals_support import NEW_SIGNAL, Workspace, edit

TIMEOUT = 120.0


def _read_until(fd: int, marker: str, seen: list[str], *, times: int = 1) -> None:
    deadline = time.monotonic() + TIMEOUT
    while "".join(seen).count(marker) < times:
        assert time.monotonic() < deadline, "".join(seen)
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen.append(os.read(fd, 4096).decode(errors="replace"))
            except OSError:
                break


def test_a_changed_workspace_is_planned_and_asked_again(exported: Workspace) -> None:
    edit(exported.file, lambda text: text + NEW_SIGNAL)
    signal = next(s for s in exported.signals() if s["status"] == "active")
    main, child = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "flintt_pipeline.cli", "signals", "apply"],
        env={**os.environ, **exported.env},
        stdin=child,
        stdout=child,
        stderr=child,
        close_fds=True,
    )
    os.close(child)
    seen: list[str] = []
    try:
        _read_until(main, "Apply this plan?", seen)
        exported.sandbox.control.update("signals", signal["id"], status="paused")
        os.write(main, b"y\n")
        # The notice and the new plan's question may arrive in one read: count, don't clear.
        _read_until(main, "Apply this plan?", seen, times=2)
        _, changed, replanned = "".join(seen).partition(
            "The workspace changed since this plan was shown"
        )
        assert changed and 'status: "paused" -> "active"' in replanned, "".join(seen)
        os.write(main, b"y\n")
        _read_until(main, "Apply complete", seen)
        assert process.wait(timeout=TIMEOUT) == 0
    finally:
        process.kill()
        os.close(main)
    names = {s["name"]: s["status"] for s in exported.signals()}
    assert names["Funding rounds"] == "paused" and names[signal["name"]] == "active"
