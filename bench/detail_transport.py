"""Benchmark: ways of fetching run details (`GET /v1/runs/{id}`), at 0 ms and 30 ms of latency.

    uv run python bench/detail_transport.py [--runs 3000] [--rounds 3] [--latencies 0,30]

One sandbox process (`flintt-pipeline sandbox`, `--runs N`), its latency fault set through the
control API before each measurement. Each variant is its own child process that fetches the
detail of every run on 8 threads and decodes it with orjson; the child times the fetch alone
(wall, and CPU of all its threads with `time.process_time`), not its imports. Variants, run in a
rotated order within each round so that none always goes first on the shared cores:

- `httpx-shared`: one `httpx.Client` shared by the 8 threads (the client before plain_http);
- `httpx-per-thread`: one `httpx.Client` per worker thread;
- `plain`: keep-alive `http.client` connections, one per thread (what lib/plain_http did);
- `client`: the project's own `FlinttClient.get_runs` in the tree being measured.

Ratios are per round (variant / plain, wall time), then the median over the rounds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson
from sync_procs import ROOT, Sandbox, environ

from flintt_pipeline.sandbox import SandboxControl

VARIANTS = ("httpx-shared", "httpx-per-thread", "plain", "client")
THREADS = 8
CHILD_TIMEOUT = 300.0


def _httpx(base_url: str, key: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        headers={"X-API-Key": key, "Accept": "application/json"},
        timeout=30.0,
        limits=httpx.Limits(max_connections=THREADS + 1),
    )


def _fetcher(variant: str, base_url: str, key: str) -> tuple[Callable[[str], int], Callable]:
    """(fetch one run's detail -> number of results, close)."""
    if variant == "httpx-shared":
        shared = _httpx(base_url, key)
        return (lambda run_id: len(shared.get(f"/v1/runs/{run_id}").json()["results"])), (
            shared.close
        )
    local = threading.local()
    made: list = []
    lock = threading.Lock()

    def own(factory: Callable) -> object:
        if not hasattr(local, "value"):
            local.value = factory()
            with lock:
                made.append(local.value)
        return local.value

    def close() -> None:
        for each in made:
            each.close()

    if variant == "httpx-per-thread":

        def per_thread(run_id: str) -> int:
            client = own(lambda: _httpx(base_url, key))
            return len(client.get(f"/v1/runs/{run_id}").json()["results"])  # type: ignore[attr-defined]

        return per_thread, close
    parts = urlsplit(base_url)
    headers = {"X-API-Key": key, "Accept": "application/json"}

    def plain(run_id: str) -> int:
        connection = own(lambda: http.client.HTTPConnection(parts.hostname, parts.port, timeout=30))
        connection.request("GET", f"/v1/runs/{run_id}", headers=headers)  # type: ignore[attr-defined]
        response = connection.getresponse()  # type: ignore[attr-defined]
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        return len(orjson.loads(body)["results"])

    return plain, close


def child(variant: str, ids_file: str) -> None:
    base_url, key = os.environ["FLINTT_BASE_URL"], os.environ["FLINTT_API_KEY"]
    ids = json.loads(Path(ids_file).read_text())
    if variant == "client":
        from flintt_pipeline.lib.api import FlinttClient

        wall, cpu = time.perf_counter(), time.process_time()
        with FlinttClient(base_url=base_url, api_key=key, detail_concurrency=THREADS) as client:
            results = sum(len(detail["results"]) for _, detail in client.get_runs(ids) if detail)
    else:
        fetch, close = _fetcher(variant, base_url, key)
        wall, cpu = time.perf_counter(), time.process_time()
        with ThreadPoolExecutor(THREADS) as pool:
            results = sum(pool.map(fetch, ids))
        close()
    print(
        json.dumps(
            {
                "wall": time.perf_counter() - wall,
                "cpu": time.process_time() - cpu,
                "details": len(ids),
                "results": results,
            }
        )
    )


def measure(variant: str, ids_file: Path, sandbox: Sandbox) -> dict:
    process = subprocess.run(
        [sys.executable, __file__, "--child", variant, "--ids", str(ids_file)],
        env=environ(sandbox.env),
        capture_output=True,
        timeout=CHILD_TIMEOUT,
        cwd=ROOT,
        check=False,
    )
    if process.returncode != 0:
        raise RuntimeError(f"{variant} failed:\n{process.stderr.decode()[-2000:]}")
    return json.loads(process.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latencies", default="0,30")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--child", choices=VARIANTS)
    parser.add_argument("--ids")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.ids)
        return
    variants = args.variants.split(",")
    latencies = [int(value) for value in args.latencies.split(",")]
    figures: dict[int, dict[str, list[dict]]] = {ms: {v: [] for v in variants} for ms in latencies}
    with (
        tempfile.TemporaryDirectory() as work,
        Sandbox(Path(work), sizes=(10, 10, 20, args.runs), paged=False) as sandbox,
    ):
        with _httpx(sandbox.env["FLINTT_BASE_URL"], sandbox.env["FLINTT_API_KEY"]) as client:
            ids = [run["id"] for run in client.get("/v1/runs", params={"limit": 10**9}).json()]
        ids_file = Path(work) / "ids.json"
        ids_file.write_text(json.dumps(ids))
        control = SandboxControl(base_url=sandbox.env["FLINTT_BASE_URL"])
        for index in range(args.rounds):
            for ms in latencies:
                control.settings(latency_ms=ms)
                order = variants[index % len(variants) :] + variants[: index % len(variants)]
                for variant in order:
                    got = measure(variant, ids_file, sandbox)
                    figures[ms][variant].append(got)
                    print(
                        f"round {index + 1} {ms:>3} ms {variant:<17} wall {got['wall']:6.2f} s "
                        f"cpu {got['cpu']:6.2f} s",
                        file=sys.stderr,
                    )
        control.close()
    print(report(figures, details=len(ids)))


def report(figures: dict[int, dict[str, list[dict]]], *, details: int) -> str:
    lines = [
        f"{details:,} details, 8 threads; medians over rounds; ratio = wall / plain's wall in the "
        "same round (>1: slower than plain)",
        "",
        "| latency | variant | wall s | details/s | CPU s | CPU ms/detail | wall vs plain |",
        "|---|---|---|---|---|---|---|",
    ]
    for ms, by_variant in figures.items():
        plain = by_variant.get("plain")
        for variant, rounds in by_variant.items():
            wall = statistics.median(r["wall"] for r in rounds)
            cpu = statistics.median(r["cpu"] for r in rounds)
            ratios = [r["wall"] / p["wall"] for r, p in zip(rounds, plain or [], strict=False)]
            ratio = f"{statistics.median(ratios):.2f}" if ratios else "-"
            lines.append(
                f"| {ms} ms | {variant} | {wall:.2f} | {details / wall:,.0f} | {cpu:.2f} | "
                f"{1000 * cpu / details:.2f} | {ratio} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
