"""Benchmark: what publishing the read copy adds to a full sync and to a webhook-triggered run.

    uv run python bench/publish.py [--scale 1.0] [--repeat 3]

A sandbox of 200k companies, 500k prospects, 2k signals and 50k runs (times `--scale`) is served
by its own process. Then, each in its own process with the project's `dagster.yaml`:
1. `flintt-pipeline sync` into a fresh warehouse (it ends by publishing the read copy);
2. one run triggered and completed in the sandbox, then `sync --select runs --select
   run_results`, what the webhook sensor's `flintt_runs_job` runs (it publishes too);
3. `--repeat` publishes of the filled warehouse alone (`Warehouse.publish`).
Publishing's share is the `read_copy` step's own `seconds` metadata over the sync's wall time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sync_procs import CLI, Sandbox, measure, sync_env, use_environment

FULL = (200_000, 500_000, 2_000, 50_000)


def publish_seconds(home: Path) -> list[float]:
    """The `read_copy` materializations' `seconds`, oldest first."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.fetch_materializations(
            dg.AssetKey(["read_copy"]), limit=100, ascending=True
        ).records
        return [
            float(record.asset_materialization.metadata["seconds"].value)  # type: ignore[union-attr]
            for record in records
            if record.asset_materialization is not None
        ]


def publish_alone(database: str, target: str, *, repeat: int) -> list[float]:
    from flintt_pipeline.lib.warehouse import open_warehouse

    seconds = []
    with open_warehouse(database=database) as warehouse:
        for _ in range(repeat):
            started = time.perf_counter()
            warehouse.publish(target=target, published_by="bench")
            seconds.append(time.perf_counter() - started)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sizes = [max(1, int(n * args.scale)) for n in FULL]
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        work = Path(tmp)
        use_environment(work, tree=None, bytecode_cache=True)
        with Sandbox(work, sizes=sizes, paged=False) as sandbox:
            env = sync_env(work, sandbox, "publish")
            read_path = work / "publish_read.duckdb"
            env["FLINTT_READ_DUCKDB_PATH"] = str(read_path)
            home = Path(env["DAGSTER_HOME"])
            full = measure(
                [CLI, "sync"], env=env, sandbox=sandbox, timeout=3600, log=work / "full.log"
            )
            from flintt_pipeline.sandbox import SandboxControl

            with SandboxControl(base_url=env["FLINTT_BASE_URL"]) as control:
                signal = next(s for s in control.state("signals") if s["status"] == "active")
                control.complete(control.trigger(signal["id"])["id"], results=8)
            webhook = measure(
                [CLI, "sync", "--select", "runs", "--select", "run_results"],
                env=env,
                sandbox=sandbox,
                timeout=3600,
                log=work / "webhook.log",
            )
            full_publish, webhook_publish = publish_seconds(home)[-2:]
            alone = publish_alone(env["FLINTT_DUCKDB_PATH"], str(read_path), repeat=args.repeat)
            size_mib = read_path.stat().st_size / 2**20
    result = {
        "sizes": sizes,
        "full_sync_wall": round(full.wall, 1),
        "full_sync_publish": round(full_publish, 2),
        "full_sync_share": round(full_publish / (full.wall - full_publish), 3),
        "webhook_run_wall": round(webhook.wall, 1),
        "webhook_run_publish": round(webhook_publish, 2),
        "publish_alone_median": round(statistics.median(alone), 2),
        "read_copy_mib": round(size_mib, 1),
    }
    json.dump(result, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
