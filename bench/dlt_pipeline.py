"""The same five Flintt streams loaded by dlt's `rest_api` source, for bench/dlt_compare.py.

dlt is never a dependency of the project: run this in a throwaway environment, e.g.

    uv run --no-project --with 'dlt[duckdb]==1.31.0' --with httpx \
        python bench/dlt_pipeline.py --duckdb /tmp/dlt.duckdb --pipelines-dir /tmp/dlt

with FLINTT_BASE_URL / FLINTT_API_KEY set (or --base-url / --api-key). The configuration is what
a dlt user would write for this API after reading the rest_api docs:

- companies, prospects, signals: one GET each (the API lists them whole), or the offset paginator
  (limit/offset, stop after an empty page) with --paged-lists, for a sandbox run with
  --page-all-lists;
- runs: the offset paginator, with `dlt.sources.incremental` on `created_at` (row_order "desc",
  since the API lists runs newest first): the API has no created_at filter, so dlt filters on the
  client and stops paging at the first run older than its cursor;
- run_results: a child resource of runs, `GET /v1/runs/{resources.runs.id}` (parallelized), the
  run detail exploded by a yield_map into one row per result: run_id, position, signal_id,
  result_id and the result's fields;
- write_disposition "merge", primary_key "id" (run_results: run_id, position), into this
  script's own DuckDB file and pipelines dir.

`--select runs --select run_results` is the incremental sync (same pipelines dir as before).
`EXTRACT__WORKERS` defaults to 8 here, the same detail concurrency as flintt-pipeline's client.
Prints one JSON line with the rows extracted per table and the timings of dlt's three steps.
"""

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

# Before dlt is imported: no telemetry (the machine has no network but the loopback) and the
# same detail concurrency as flintt-pipeline (8 requests in flight).
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
os.environ.setdefault("EXTRACT__WORKERS", "8")

import dlt
from dlt.sources.rest_api import rest_api_source

STREAMS = ("companies", "prospects", "signals", "runs", "run_results")
PIPELINE_NAME = "flintt_dlt"
DATASET = "flintt_dlt"


def offset_paginator(page_size: int) -> dict[str, Any]:
    return {
        "type": "offset",
        "limit": page_size,
        "offset_param": "offset",
        "limit_param": "limit",
        "total_path": None,
        "stop_after_empty_page": True,
    }


def explode_results(detail: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per result of a run detail: (run_id, position) and the result's fields."""
    for position, result in enumerate(detail.get("results") or []):
        row = {
            "run_id": detail["id"],
            "position": position,
            "signal_id": detail.get("signal_id"),
            "result_id": result.get("id"),
        }
        row.update((key, value) for key, value in result.items() if key != "id")
        yield row


def source_config(
    *, base_url: str, api_key: str, paged_lists: bool, page_size: int
) -> dict[str, Any]:
    def listing(name: str) -> dict[str, Any]:
        endpoint: dict[str, Any] = {"path": f"v1/{name}", "data_selector": "$"}
        if paged_lists:
            endpoint["paginator"] = offset_paginator(page_size)
        else:
            endpoint["paginator"] = {"type": "single_page"}
        return {"name": name, "endpoint": endpoint}

    return {
        "client": {
            "base_url": base_url.rstrip("/") + "/",
            "auth": {
                "type": "api_key",
                "name": "X-API-Key",
                "api_key": api_key,
                "location": "header",
            },
        },
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "merge",
        },
        "resources": [
            listing("companies"),
            listing("prospects"),
            listing("signals"),
            {
                "name": "runs",
                "endpoint": {
                    "path": "v1/runs",
                    "data_selector": "$",
                    "paginator": offset_paginator(page_size),
                    # No server-side filter exists: client-side cursor, stop at the first older run.
                    "incremental": {"cursor_path": "created_at", "row_order": "desc"},
                },
            },
            {
                "name": "run_results",
                "primary_key": ["run_id", "position"],
                "parallelized": True,
                "endpoint": {
                    "path": "v1/runs/{resources.runs.id}",
                    "data_selector": "$",
                    "paginator": {"type": "single_page"},
                },
                "processing_steps": [{"yield_map": explode_results}],
            },
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=os.environ.get("FLINTT_BASE_URL"))
    parser.add_argument("--api-key", default=os.environ.get("FLINTT_API_KEY"))
    parser.add_argument("--duckdb", required=True, help="dlt's own DuckDB file")
    parser.add_argument("--pipelines-dir", required=True, help="dlt's pipeline state folder")
    parser.add_argument("--select", action="append", choices=STREAMS, default=None)
    parser.add_argument(
        "--paged-lists",
        action="store_true",
        help="companies/prospects/signals are paged (sandbox --page-all-lists)",
    )
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args(argv)
    if not args.base_url or not args.api_key:
        parser.error("FLINTT_BASE_URL and FLINTT_API_KEY (or --base-url/--api-key) are needed")

    source = rest_api_source(
        source_config(
            base_url=args.base_url,
            api_key=args.api_key,
            paged_lists=args.paged_lists,
            page_size=args.page_size,
        )
    )
    if args.select:
        source = source.with_resources(*args.select)
    pipeline = dlt.pipeline(
        pipeline_name=PIPELINE_NAME,
        pipelines_dir=args.pipelines_dir,
        destination=dlt.destinations.duckdb(args.duckdb),
        dataset_name=DATASET,
        progress=None,
    )
    timings: dict[str, float] = {}
    started = time.perf_counter()
    pipeline.extract(source)
    timings["extract_s"] = time.perf_counter() - started
    step = time.perf_counter()
    pipeline.normalize()
    timings["normalize_s"] = time.perf_counter() - step
    step = time.perf_counter()
    load_info = pipeline.load()
    timings["load_s"] = time.perf_counter() - step
    load_info.raise_on_failed_jobs()
    extracted = pipeline.last_trace.last_extract_info.metrics
    rows: dict[str, int] = {}
    for metrics in extracted.values():
        for job in metrics:
            for table, table_metrics in job["table_metrics"].items():
                if not table.startswith("_dlt"):
                    rows[table] = rows.get(table, 0) + table_metrics.items_count
    print(
        json.dumps(
            {"rows": rows, "dataset": DATASET, "total_s": time.perf_counter() - started, **timings}
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
