"""Concurrent arrivals, a SIGKILL mid-burst, token rotation and start-up refusals."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from click.testing import CliRunner
from receiver_helpers import (
    TOKEN,
    event_body,
    free_port,
    post,
    start_receiver_process,
    stop_process,
    stored,
)

from flintt_pipeline.cli.webhooks import webhooks
from flintt_pipeline.webhooks.app import WEBHOOK_PATH
from flintt_pipeline.webhooks.inbox import Inbox
from flintt_pipeline.webhooks.server import running_receiver

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def _post_all(url: str, bodies: list[bytes]) -> list[int]:
    limits = httpx.Limits(max_connections=len(bodies))
    async with httpx.AsyncClient(limits=limits, timeout=20.0) as client:
        answers = await asyncio.gather(*(client.post(url, content=b, headers=AUTH) for b in bodies))
    return [answer.status_code for answer in answers]


def test_100_concurrent_posts_are_all_stored_once(receiver: str, inbox_path: Path) -> None:
    distinct = asyncio.run(_post_all(receiver, [event_body(f"evt_{n}") for n in range(100)]))
    same = asyncio.run(_post_all(receiver, [event_body("evt_same")] * 100))
    assert distinct == [202] * 100
    assert all(200 <= status < 300 for status in same)
    assert same.count(202) == 1
    ids = [event.event_id for event in stored(inbox_path)]
    assert sorted(ids) == sorted([f"evt_{n}" for n in range(100)] + ["evt_same"])


async def _burst(url: str, count: int) -> list[str]:
    """`count` posts, 500 in flight at a time; the ids that got a 2xx."""
    acknowledged: list[str] = []
    gate = asyncio.Semaphore(500)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=500), timeout=20.0) as client:

        async def send(event_id: str) -> None:
            async with gate:
                try:
                    answer = await client.post(url, content=event_body(event_id), headers=AUTH)
                except httpx.TransportError:
                    return
            if answer.is_success:
                acknowledged.append(event_id)

        await asyncio.gather(*(send(f"evt_{n}") for n in range(count)))
    return acknowledged


def _kill_once_committed(process: subprocess.Popen[bytes], inbox_path: Path, events: int) -> None:
    # Watch the inbox from outside the load's event loop, so the kill lands while posts still fly.
    with Inbox(inbox_path) as inbox:
        deadline = time.monotonic() + 30.0
        while not inbox.read_after(events - 1, limit=1) and time.monotonic() < deadline:
            time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)


def test_every_acknowledged_event_survives_sigkill_mid_burst(inbox_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    total = 3000
    process = start_receiver_process(inbox_path=inbox_path, tokens=TOKEN, port=port)
    killer = threading.Thread(target=_kill_once_committed, args=(process, inbox_path, 300))
    killer.start()
    try:
        acknowledged = asyncio.run(_burst(url, total))
    finally:
        killer.join()
        process.wait(timeout=10.0)
    assert process.returncode == -signal.SIGKILL
    assert 0 < len(acknowledged) < total, "the kill should land mid-burst"
    restarted = start_receiver_process(inbox_path=inbox_path, tokens=TOKEN, port=port)
    try:
        assert post(url, event_body("evt_after_restart")).status_code == 202
    finally:
        stop_process(restarted)
    ids = [event.event_id for event in stored(inbox_path)]
    assert len(ids) == len(set(ids))
    assert set(acknowledged) <= set(ids)
    assert "evt_after_restart" in ids


def test_two_tokens_are_accepted_and_a_removed_one_is_rejected(inbox_path: Path) -> None:
    old, new = "whk_old_token", "whk_new_token"
    with running_receiver(inbox_path=inbox_path, tokens=[old, new]) as base_url:
        assert post(base_url + WEBHOOK_PATH, event_body("evt_old"), token=old).status_code == 202
        assert post(base_url + WEBHOOK_PATH, event_body("evt_new"), token=new).status_code == 202
    with running_receiver(inbox_path=inbox_path, tokens=[new]) as base_url:
        assert post(base_url + WEBHOOK_PATH, event_body("evt_old2"), token=old).status_code == 401
        assert post(base_url + WEBHOOK_PATH, event_body("evt_new2"), token=new).status_code == 202
    assert [e.event_id for e in stored(inbox_path)] == ["evt_old", "evt_new", "evt_new2"]


def _start_and_fail(env_changes: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_changes}
    return subprocess.run(
        [sys.executable, "-m", "flintt_pipeline.webhooks", "--port", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_refuses_to_start_without_a_token(inbox_path: Path) -> None:
    result = _start_and_fail({"FLINTT_WEBHOOK_TOKENS": " , ", "FLINTT_INBOX_PATH": str(inbox_path)})
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1
    assert "FLINTT_WEBHOOK_TOKENS" in result.stderr
    assert not inbox_path.exists()


def test_refuses_to_start_when_the_inbox_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    secret = "whk_do_not_print_me"
    result = _start_and_fail(
        {"FLINTT_WEBHOOK_TOKENS": secret, "FLINTT_INBOX_PATH": str(blocker / "inbox.sqlite3")}
    )
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1
    assert "inbox" in result.stderr
    assert secret not in result.stderr + result.stdout


def test_serve_command_refuses_without_a_token(inbox_path: Path) -> None:
    environment = {"FLINTT_WEBHOOK_TOKENS": "", "FLINTT_INBOX_PATH": str(inbox_path)}
    result = CliRunner(env=environment).invoke(webhooks, ["serve", "--port", str(free_port())])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "FLINTT_WEBHOOK_TOKENS" in result.output
