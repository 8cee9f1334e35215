"""Benchmark: updating the models by their change against rebuilding them whole, side by side.

    uv run python bench/model_updates.py [--scale 1.0] [--rounds 3]

Fills a warehouse through the warehouse API with the large workspace's shape (200k companies,
500k prospects, 2k signals, 50k runs with 8 results each; `--scale` shrinks it), builds every
model, then per round: one new completed run with 8 results and one company renamed (what a
webhook brings), and every model brought up to date incrementally; then the same models rebuilt
whole (the model's SELECT into a table) over the same warehouse. Prints seconds per model,
medians over rounds.
"""

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from flintt_pipeline.lib.sql_models import build_model, load_models, shipped_models_dir
from flintt_pipeline.lib.warehouse import Warehouse, open_warehouse

T0 = "2025-01-01T00:00:00Z"
RESULTS_PER_RUN = 8


def company(index: int, name: str | None = None) -> dict:
    return {
        "id": f"c{index}",
        "name": name or f"Company {index}",
        "domain": f"c{index}.example",
        "linkedin_url": None,
        "created_at": T0,
    }


def run_detail(index: int, *, signals: int, companies: int) -> dict:
    return {
        "id": f"r{index}",
        "signal_id": f"s{index % signals}",
        "status": "completed",
        "results_count": RESULTS_PER_RUN,
        "completed_at": f"2025-{1 + index % 12:02d}-{1 + index % 28:02d}T10:00:00Z",
        "created_at": T0,
        "results": [
            {
                "id": f"res{index}-{position}",
                "company_id": f"c{(index * 7 + position) % companies}",
                "title": f"News {index}-{position}",
                "url": f"https://news.example/{index}/{position}",
                "score": 0.5,
                "found_at": "2025-01-01T09:00:00Z",
            }
            for position in range(RESULTS_PER_RUN)
        ],
    }


def chunks(records: list[dict], size: int = 5_000) -> list[list[dict]]:
    """Listing pages, as the client yields them: one huge batch would not fit DuckDB's memory."""
    return [records[start : start + size] for start in range(0, len(records), size)]


def fill(warehouse: Warehouse, *, scale: float) -> tuple[int, int, int]:
    companies, prospects = int(200_000 * scale), int(500_000 * scale)
    signals, runs = max(2, int(2_000 * scale)), int(50_000 * scale)
    warehouse.merge_listing("companies", chunks([company(i) for i in range(companies)]))
    warehouse.merge_listing(
        "prospects",
        chunks(
            [
                {
                    "id": f"p{i}",
                    "name": f"Prospect {i}",
                    "email": None,
                    "title": "CTO",
                    "linkedin_url": None,
                    "company_id": f"c{i % companies}",
                    "created_at": T0,
                }
                for i in range(prospects)
            ]
        ),
    )
    warehouse.merge_listing(
        "signals",
        [
            [
                {
                    "id": f"s{i}",
                    "name": f"Signal {i}",
                    "description": None,
                    "status": "active",
                    "schedule": None,
                    "created_at": T0,
                }
                for i in range(signals)
            ]
        ],
    )
    details = [run_detail(i, signals=signals, companies=companies) for i in range(runs)]
    listing = [{k: v for k, v in detail.items() if k != "results"} for detail in details]
    warehouse.merge_runs(chunks(listing), complete=True)
    warehouse.replace_run_results(details)
    return companies, signals, runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    models = load_models(shipped_models_dir())
    seconds: dict[tuple[str, str], list[float]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as folder:
        database = str(Path(folder) / "warehouse.duckdb")
        with open_warehouse(database=database) as warehouse:
            started = time.perf_counter()
            companies, signals, runs = fill(warehouse, scale=options.scale)
            print(f"filled in {time.perf_counter() - started:.1f} s")
            for model in models:
                build_model(warehouse.connection, model)
            for round_no in range(options.rounds):
                new = runs + round_no
                detail = run_detail(new, signals=signals, companies=companies)
                warehouse.merge_runs(
                    [[{k: v for k, v in detail.items() if k != "results"}]], complete=False
                )
                warehouse.replace_run_results([detail])
                renamed = [company(i) for i in range(companies)]
                renamed[round_no] = company(round_no, name=f"Renamed {round_no}")
                warehouse.merge_listing("companies", chunks(renamed))
                for model in models:
                    started = time.perf_counter()
                    update = build_model(warehouse.connection, model)
                    seconds[(model.name, "incremental")].append(time.perf_counter() - started)
                    if round_no == 0:
                        print(
                            f"  {model.name}: incremental={update.incremental} "
                            f"keys={update.keys_replaced}"
                        )
                # What a whole rebuild costs, without resetting the state the next round uses.
                for model in models:
                    started = time.perf_counter()
                    warehouse.connection.execute(
                        f"CREATE OR REPLACE TEMP TABLE whole AS {model.sql}\n"
                    )
                    seconds[(model.name, "full")].append(time.perf_counter() - started)
                warehouse.connection.execute("DROP TABLE temp.main.whole")
    print(f"\n{'model':<26}{'incremental s':>14}{'full s':>10}{'ratio':>8}")
    totals = {"incremental": 0.0, "full": 0.0}
    for model in models:
        inc = statistics.median(seconds[(model.name, "incremental")])
        full = statistics.median(seconds[(model.name, "full")])
        totals["incremental"] += inc
        totals["full"] += full
        print(f"{model.name:<26}{inc:>14.3f}{full:>10.3f}{inc / full:>8.2f}")
    inc, full = totals["incremental"], totals["full"]
    print(f"{'all models':<26}{inc:>14.3f}{full:>10.3f}{inc / full:>8.2f}")


if __name__ == "__main__":
    main()
