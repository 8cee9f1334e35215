"""Run details fetched concurrently, and whole lists read in flat memory."""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import orjson
import pytest
from client_helpers import client_for, truth

from flintt_pipeline.lib.api import FlinttClient
from flintt_pipeline.sandbox import SandboxConfig, SandboxHandle, running_sandbox


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    config = SandboxConfig(seed=9, companies=10, prospects=10, signals=4, runs=40)
    with running_sandbox(config) as handle:
        yield handle


def test_details_come_back_in_order_with_none_for_missing_runs(sandbox: SandboxHandle) -> None:
    runs = truth(sandbox, "runs")[:24]
    signal_id = sandbox.control.state("signals")[0]["id"]
    doomed = {run["id"] for run in sandbox.control.state("runs") if run["signal_id"] == signal_id}
    sandbox.control.delete("signals", signal_id)
    with client_for(sandbox, detail_concurrency=4) as client:
        got = list(client.get_runs(runs))
    assert [run_id for run_id, _ in got] == runs
    for run_id, detail in got:
        if run_id in doomed:
            assert detail is None
        else:
            assert detail is not None and detail["id"] == run_id and "results" in detail
    assert doomed & set(runs), "the deleted signal had no run among those asked for"


class _HeldDetails(BaseHTTPRequestHandler):
    """Answers a run's detail only once `server.barrier.parties` requests are in flight at once
    (or 404 when they never are), counting requests, connections and the most in flight."""

    protocol_version = "HTTP/1.1"
    server: _DetailServer

    def do_GET(self) -> None:
        server = self.server
        with server.lock:
            server.requests += 1
            server.peers.add(self.client_address)
            server.in_flight += 1
            server.peak = max(server.peak, server.in_flight)
        try:
            server.barrier.wait()
            status, body = 200, orjson.dumps({"id": self.path.rsplit("/", 1)[1], "results": []})
        except threading.BrokenBarrierError:
            status, body = 404, b"{}"
        with server.lock:
            server.in_flight -= 1
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


class _DetailServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, parties: int) -> None:
        super().__init__(("127.0.0.1", 0), _HeldDetails)
        # The timeout only ends a failing test; a passing one never waits for it.
        self.barrier = threading.Barrier(parties, timeout=30)
        self.lock = threading.Lock()
        self.requests = self.in_flight = self.peak = 0
        self.peers: set[tuple[str, int]] = set()


def test_details_are_fetched_concurrently() -> None:
    server = _DetailServer(parties=8)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.start()
    base_url = f"http://127.0.0.1:{server.server_address[1]}"
    runs = [f"run-{i}" for i in range(16)]
    try:
        with FlinttClient(base_url=base_url, api_key="flt_test", detail_concurrency=8) as client:
            got = list(client.get_runs(runs))
    finally:
        server.shutdown()
        server.server_close()
    assert got == [(run_id, {"id": run_id, "results": []}) for run_id in runs]
    # Eight held at once, twice over: concurrency counted, not timed.
    assert (server.requests, server.peak) == (16, 8)
    # Kept alive and never more than the client's connections (concurrency + 1).
    assert len(server.peers) <= 9


def test_details_survive_transient_faults(sandbox: SandboxHandle) -> None:
    runs = truth(sandbox, "runs")[:10]
    sandbox.control.settings(fault="502", fault_count=3, fault_path="/v1/runs/")
    with client_for(sandbox, detail_concurrency=4) as client:
        assert [run_id for run_id, detail in client.get_runs(runs) if detail] == runs
        assert client.stats.retries == 3


def test_a_whole_list_is_read_without_holding_it_in_memory() -> None:
    count = 100_000
    config = SandboxConfig(companies=count, prospects=0, signals=0, runs=0)
    with running_sandbox(config) as sandbox:
        sample = httpx.get(
            sandbox.base_url + "/v1/companies", headers={"X-API-Key": sandbox.api_key}
        ).content[:2_000_000]
        sample = sample[: sample.rindex(b"},{") + 1] + b"]"
        tracemalloc.start()
        records = orjson.loads(sample)
        per_record = tracemalloc.get_traced_memory()[0] / len(records)
        del records
        # The client keeps one id per record to drop duplicates; everything else must stay flat.
        before = tracemalloc.get_traced_memory()[0]
        ids = {f"{i:036d}" for i in range(count)}
        id_set = tracemalloc.get_traced_memory()[0] - before
        del ids
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        seen = 0
        with client_for(sandbox, batch_size=5_000) as client:
            for batch in client.iter_records("companies"):
                seen += len(batch)
            peak = tracemalloc.get_traced_memory()[1] - baseline
        tracemalloc.stop()
    full_parse = per_record * count
    assert seen == count
    assert client.stats.requests == 1
    # What is left is fixed: the 4 MB in-memory body limit, one batch, the in-process sandbox's
    # buffers; a full parse of even this modest list is four times that.
    beyond_ids = peak - id_set
    assert beyond_ids < full_parse / 4, (
        f"{beyond_ids / 1e6:.0f} MB beyond the id set vs {full_parse / 1e6:.0f} MB parsed"
    )
