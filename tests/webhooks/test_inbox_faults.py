"""The inbox under real file-system faults: deleted or replaced while the receiver runs (503 and a
failing /healthz, never `202 stored` into a lost file), and unwritable at start (one line)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from receiver_helpers import TOKEN, event_body, post, stored

from flintt_pipeline.webhooks.app import WEBHOOK_PATH
from flintt_pipeline.webhooks.inbox import Inbox
from flintt_pipeline.webhooks.server import running_receiver


def _replace_with_a_fresh_inbox(inbox_path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        moved = inbox_path.with_name(inbox_path.name + suffix)
        if moved.exists():
            moved.rename(inbox_path.with_name("old-" + inbox_path.name + suffix))
    Inbox(inbox_path).close()


@pytest.mark.parametrize("fault", ["directory deleted", "file replaced"])
def test_a_lost_inbox_answers_503_and_fails_healthz(
    tmp_path: Path, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    inbox_path = tmp_path / "inbox" / "inbox.sqlite3"
    with running_receiver(inbox_path=inbox_path, tokens=[TOKEN]) as base_url:
        url = base_url + WEBHOOK_PATH
        assert httpx.get(base_url + "/healthz").status_code == 200
        assert post(url, event_body("evt_before")).status_code == 202
        if fault == "directory deleted":
            shutil.rmtree(inbox_path.parent)
        else:
            _replace_with_a_fresh_inbox(inbox_path)
        answer = post(url, event_body("evt_after"))
        health = httpx.get(base_url + "/healthz")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert health.status_code == 503
    assert "was deleted or replaced while open" in caplog.text
    if fault == "file replaced":
        assert stored(inbox_path) == []
        old = inbox_path.with_name("old-" + inbox_path.name)
        assert [event.event_id for event in stored(old)] == ["evt_before"]


@contextmanager
def _unwritable(path: Path) -> Iterator[None]:
    """`path` unwritable even for root (immutable), or by its mode for anyone else."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(mode)


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_an_unwritable_inbox_refuses_to_start_with_one_line(tmp_path: Path, suffix: str) -> None:
    inbox_path = tmp_path / "inbox.sqlite3"
    # Held open so the -wal and -shm files exist, as they do while the sensor reads the inbox.
    with Inbox(inbox_path) as holder:
        holder.add(event_id="evt_kept", event_type="company.created", body=b'{"id": "evt_kept"}')
        target = inbox_path.with_name(inbox_path.name + suffix)
        with _unwritable(target):
            result = subprocess.run(
                [sys.executable, "-m", "flintt_pipeline.webhooks", "--port", "0"],
                env={
                    **os.environ,
                    "FLINTT_WEBHOOK_TOKENS": TOKEN,
                    "FLINTT_INBOX_PATH": str(inbox_path),
                },
                capture_output=True,
                text=True,
                timeout=30.0,
            )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0] == (
        f"error: cannot open the webhook inbox {inbox_path}: {target} is not writable"
    )
    assert [event.event_id for event in stored(inbox_path)] == ["evt_kept"]
