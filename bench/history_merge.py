"""Benchmark: the merge alone (the hot path), the tree before history against this one.

    uv run python bench/history_merge.py --before DIR [--rounds 3] [--records 500000]

Each measurement is its own process (`PYTHONPATH=DIR` for the tree before history), alternating
between the trees: `merge_listing("prospects", ...)` of N synthetic prospects (~330 bytes of JSON
each) into a fresh warehouse (the full sync's merge), then the same listing with 0.5% of the
records changed (the daily merge). Wall and CPU seconds (all threads: DuckDB's too) of each merge.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = """
import json, sys, time
from flintt_pipeline.lib.warehouse import open_warehouse

records, database = int(sys.argv[1]), sys.argv[2]

def listing(changed: int) -> list[list[dict]]:
    rows = [
        {"id": f"p{n:08d}", "name": f"Person {n}", "email": f"p{n}@example.com",
         "title": "Head of Data" if n < changed else "Engineer",
         "linkedin_url": f"https://linkedin.com/in/p{n}", "company_id": f"c{n % 9973}",
         "created_at": "2024-03-01T09:30:00Z", "seniority": "senior", "tags": ["a", "b"]}
        for n in range(records)
    ]
    return [rows[start:start + 10_000] for start in range(0, records, 10_000)]

out = {}
with open_warehouse(database=database) as warehouse:
    for name, changed in (("full", 0), ("daily", records // 200)):
        batches = listing(changed)
        wall, cpu = time.perf_counter(), time.process_time()
        warehouse.merge_listing("prospects", batches)
        out[name] = {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
print(json.dumps(out))
"""


def run(tree: Path | None, records: int, work: Path, name: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    database = work / f"{name}.duckdb"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(records), str(database)],
        env=env,
        cwd=work,  # `python -c` puts the current directory first on sys.path, before PYTHONPATH
        capture_output=True,
        text=True,
        check=True,
        timeout=900,
    )
    for stale in work.glob(f"{name}.duckdb*"):
        stale.unlink()
    # DuckDB may print a progress bar on stdout before the figures.
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the tree before history")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--records", type=int, default=500_000)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": None}
    results: dict[str, list[dict]] = {side: [] for side in trees}
    with tempfile.TemporaryDirectory(prefix="flintt-bench-merge-") as folder:
        for index in range(args.rounds):
            order = ("before", "after") if index % 2 == 0 else ("after", "before")
            for side in order:
                started = time.perf_counter()
                results[side].append(run(trees[side], args.records, Path(folder), side))
                print(
                    f"round {index + 1} {side}: {time.perf_counter() - started:.1f} s",
                    file=sys.stderr,
                )
    print(f"{args.records:,} prospects, {args.rounds} rounds (medians)")
    print("| merge | before: wall / CPU | after: wall / CPU | after vs before (wall, CPU) |")
    print("|---|---|---|---|")
    for kind in ("full", "daily"):
        med = {
            (side, field): statistics.median(r[kind][field] for r in results[side])
            for side in trees
            for field in ("wall", "cpu")
        }
        ratio = {f: med[("after", f)] / med[("before", f)] - 1 for f in ("wall", "cpu")}
        print(
            f"| {kind} | {med[('before', 'wall')]:.2f} s / {med[('before', 'cpu')]:.2f} s "
            f"| {med[('after', 'wall')]:.2f} s / {med[('after', 'cpu')]:.2f} s "
            f"| {ratio['wall']:+.1%}, {ratio['cpu']:+.1%} |"
        )


if __name__ == "__main__":
    main()
