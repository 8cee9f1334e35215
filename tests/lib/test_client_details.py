"""Run details fetched concurrently, and whole lists read in flat memory."""

import time
import tracemalloc
from collections.abc import Iterator

import httpx
import orjson
import pytest
from client_helpers import client_for, list_requests, truth

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


def test_details_are_fetched_concurrently(sandbox: SandboxHandle) -> None:
    runs = truth(sandbox, "runs")[:16]
    sandbox.control.settings(latency_ms=200)
    with client_for(sandbox, detail_concurrency=8) as client:
        started = time.monotonic()
        assert all(detail is not None for _, detail in client.get_runs(runs))
        elapsed = time.monotonic() - started
    # 16 requests of 200 ms each: 3.2 s one at a time, about 0.4 s eight at a time.
    assert elapsed < 1.6
    assert list_requests(sandbox, "/v1/runs/{id}") == 16


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
