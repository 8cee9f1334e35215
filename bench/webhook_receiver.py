"""Benchmark: the webhook receiver under paced concurrent load, then a check that nothing
acknowledged was lost.

    uv run python bench/webhook_receiver.py [--rate 2000] [--seconds 30] [--connections 64]
        [--baseline REF] [--rounds 1]

The receiver runs as its own process (`python -m flintt_pipeline.webhooks`) on 127.0.0.1 over a
fresh inbox; this process drives the load over keep-alive HTTP/1.1 connections. Each connection
sends at fixed times (open loop), so a slow answer delays the next send and latency is measured
from when the request was due, not from when it went out. Bounded: rate x seconds events, and
nothing is sent after 35 s.

Side by side: with `--baseline REF` (e.g. `main`), the receiver's package as of git REF is
extracted to a temporary directory, which becomes the receiver's working directory and
PYTHONPATH; baseline and this tree then run alternately, `--rounds` times each, under the same
load, and the last lines give each one's figures and the ratios (this tree / baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import orjson

from flintt_pipeline.webhooks.inbox import Inbox

TOKEN = "whk_benchmark_token"
HARD_STOP_SECONDS = 35.0
# (event id, HTTP status, seconds from due time to answer, perf_counter at answer)
Outcome = tuple[str, int, float, float]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_receiver(
    inbox_path: Path, port: int, log_path: Path, code: Path | None
) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FLINTT_WEBHOOK_TOKENS": TOKEN, "FLINTT_INBOX_PATH": str(inbox_path)}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    process = subprocess.Popen(
        [sys.executable, "-m", "flintt_pipeline.webhooks", "--port", str(port)],
        env=env,
        # `python -m` puts the working directory first on sys.path, ahead of PYTHONPATH.
        cwd=code,
        stdout=subprocess.DEVNULL,
        stderr=log_path.open("wb"),
        start_new_session=True,
    )
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).is_success:
                return process
        except httpx.TransportError:
            time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    raise SystemExit("the receiver did not start; see " + str(log_path))


def _request(event_id: str) -> bytes:
    body = orjson.dumps(
        {
            "id": event_id,
            "type": "signal.run.result",
            "created_at": "2026-11-29T12:00:00.000Z",
            "data": {"run_id": "run_" + event_id, "result": {"title": "x" * 120, "score": 0.87}},
        }
    )
    head = (
        "POST /webhooks/flintt HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(
    port: int, index: int, *, connections: int, count: int, rate: float, start: float,
    results: list[Outcome],
) -> None:  # fmt: skip
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for number in range(index, count, connections):
            due = start + number / rate
            if due - start > HARD_STOP_SECONDS:
                return
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            event_id = f"bench-{number}"
            writer.write(_request(event_id))
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.lower().split(b"\r\n")
                if line.startswith(b"content-length:")
            )
            await reader.readexactly(length)
            done = time.perf_counter()
            results.append((event_id, status, done - due, done))
    finally:
        writer.close()


async def _drive(
    port: int, *, count: int, rate: float, connections: int
) -> tuple[list[Outcome], float]:
    results: list[Outcome] = []
    start = time.perf_counter() + 0.2
    await asyncio.gather(
        *(
            _connection(
                port,
                index,
                connections=connections,
                count=count,
                rate=rate,
                start=start,
                results=results,
            )
            for index in range(connections)
        )
    )
    return results, start


def _stored_ids(inbox_path: Path) -> set[str]:
    ids: set[str] = set()
    with Inbox(inbox_path) as inbox:
        position = 0
        while batch := inbox.read_after(position, limit=10_000):
            ids.update(event.event_id for event in batch)
            position = batch[-1].position
    return ids


def _run(options: argparse.Namespace, code: Path | None) -> dict[str, float]:
    """One run against the receiver of `code` (None: this tree); prints and returns its figures."""
    count = int(options.rate * options.seconds)
    with tempfile.TemporaryDirectory(prefix="webhook-bench-") as workdir:
        inbox_path = Path(workdir) / "inbox.sqlite3"
        port = _free_port()
        receiver = _start_receiver(inbox_path, port, Path(workdir) / "receiver.log", code)
        try:
            results, start = asyncio.run(
                _drive(port, count=count, rate=options.rate, connections=options.connections)
            )
        finally:
            os.killpg(receiver.pid, signal.SIGTERM)
            receiver.wait(timeout=30)
        stored = _stored_ids(inbox_path)
    accepted = [r for r in results if 200 <= r[1] < 300]
    latencies_ms = sorted(r[2] * 1000 for r in accepted)
    elapsed = max(r[3] for r in results) - start
    per_second = [0] * int(elapsed + 1)
    for result in accepted:
        per_second[int(result[3] - start)] += 1
    full_seconds = per_second[: int(elapsed)] or per_second
    lost = [r[0] for r in accepted if r[0] not in stored]
    quantiles = statistics.quantiles(latencies_ms, n=100)
    refused = len(results) - len(accepted)
    print(f"[{'this tree' if code is None else 'baseline'}]")
    print(f"offered {count} events at {options.rate:.0f}/s over {options.connections} connections")
    print(f"answered {len(results)}, accepted (2xx) {len(accepted)}, other {refused}")
    print(f"elapsed {elapsed:.1f} s, accepted {len(accepted) / elapsed:,.0f} events/s sustained")
    print(f"slowest full second: {min(full_seconds)} accepted; fastest: {max(full_seconds)}")
    print(
        f"latency ms: p50 {quantiles[49]:.1f}  p99 {quantiles[98]:.1f}  max {latencies_ms[-1]:.1f}"
    )
    print(f"acknowledged events missing from the inbox: {len(lost)} (inbox holds {len(stored)})")
    return {
        "rate": len(accepted) / elapsed,
        "p50": quantiles[49],
        "p99": quantiles[98],
        "bad": float(len(lost) + refused),
    }


def _extract(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "archive", ref, "flintt_pipeline"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=2000.0, help="events per second offered")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--baseline", help="git ref whose receiver runs side by side")
    parser.add_argument("--rounds", type=int, default=1)
    options = parser.parse_args()
    if options.baseline is None:
        if _run(options, None)["bad"]:
            sys.exit(1)
        return
    with tempfile.TemporaryDirectory(prefix="webhook-bench-baseline-") as baseline_dir:
        code = _extract(options.baseline, Path(baseline_dir))
        runs: dict[str, list[dict[str, float]]] = {"baseline": [], "this tree": []}
        for _ in range(options.rounds):
            runs["baseline"].append(_run(options, code))
            runs["this tree"].append(_run(options, None))
    medians = {
        name: {key: statistics.median(run[key] for run in results) for key in results[0]}
        for name, results in runs.items()
    }
    for name, figures in medians.items():
        print(
            f"{name} ({options.rounds} round(s), median): {figures['rate']:,.0f} events/s,"
            f" p50 {figures['p50']:.1f} ms, p99 {figures['p99']:.1f} ms"
        )
    new, old = medians["this tree"], medians["baseline"]
    print(
        f"this tree / baseline: throughput {new['rate'] / old['rate']:.2f},"
        f" p50 {new['p50'] / old['p50']:.2f}, p99 {new['p99'] / old['p99']:.2f}"
    )
    if any(run["bad"] for results in runs.values() for run in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
