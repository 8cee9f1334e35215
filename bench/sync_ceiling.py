"""The ceiling for `bench/sync.py`: the sync's requests made with plain httpx and decoded with
`response.json()`, then discarded. Run as its own process; prints one JSON line of counts.

    FLINTT_BASE_URL=... FLINTT_API_KEY=... python bench/sync_ceiling.py [--page-size 1000]

Same requests as the client: `limit=<page size>` from offset 0; a page longer than asked is the
whole list, a full page is followed by the next one overlapping it by one record (as the client
pages), a short page ends the list. Then `GET /v1/runs/{id}` for every completed run with results,
on 8 threads sharing one pooled client (as the client's detail fetch).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

TRANSPORT_ATTEMPTS = 5


def _get(client: httpx.Client, path: str, params: dict[str, int] | None = None) -> Any:
    # The client retries transport errors; so does the ceiling, or it would just stop.
    for attempt in range(TRANSPORT_ATTEMPTS):
        try:
            response = client.get(path, params=params)
            response.raise_for_status()
            return response.json()
        except httpx.TransportError:
            if attempt == TRANSPORT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def listing(client: httpx.Client, path: str, *, page_size: int, keep: bool) -> tuple[int, list]:
    """(distinct ids listed, the records when `keep`) of a list read as the client reads it."""
    seen: set[str] = set()
    kept: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = _get(client, path, {"limit": page_size, "offset": offset})
        for record in page:
            if record["id"] not in seen:
                seen.add(record["id"])
                if keep:
                    kept.append(record)
        if len(page) != page_size:
            return len(seen), kept
        offset += page_size - 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    client = httpx.Client(
        base_url=os.environ["FLINTT_BASE_URL"],
        headers={"X-API-Key": os.environ["FLINTT_API_KEY"], "Accept": "application/json"},
        timeout=60.0,
        limits=httpx.Limits(max_connections=args.concurrency + 1),
    )
    counts: dict[str, int] = {}
    for stream in ("companies", "prospects", "signals"):
        counts[stream], _ = listing(client, f"/v1/{stream}", page_size=args.page_size, keep=False)
    counts["runs"], runs = listing(client, "/v1/runs", page_size=args.page_size, keep=True)
    done = [run for run in runs if run.get("status") == "completed" and run.get("results_count")]
    done.sort(key=lambda run: (run.get("completed_at") or "", run["id"]))
    ids = [run["id"] for run in done]
    del runs, done

    def results(run_id: str) -> int:
        return len(_get(client, f"/v1/runs/{run_id}")["results"])

    with ThreadPoolExecutor(args.concurrency) as pool:
        counts["run_results"] = sum(pool.map(results, ids))
    counts["details"] = len(ids)
    client.close()
    json.dump(counts, sys.stdout)
    print()


if __name__ == "__main__":
    main()
