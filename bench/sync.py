"""Benchmark: flintt-pipeline's full sync against a ceiling of plain httpx on the same requests.

    uv run python bench/sync.py [--rounds 3] [--modes paged,whole] [--profile MODE] [--tree DIR]

For each mode a sandbox of 200k companies, 500k prospects, 2k signals and 50k runs is served by
its own process (`flintt-pipeline sandbox`): `paged` with every list paged (`--page-all-lists`),
`whole` with companies, prospects and signals answered whole (the default). Each round measures,
in alternating order, the full sync (`flintt-pipeline sync` into a fresh warehouse and a fresh
DAGSTER_HOME) and the ceiling (`bench/sync_ceiling.py`: the same requests decoded by httpx and
discarded), then the runs job with nothing new (`sync --select runs --select run_results`) on
the warehouse just filled. Wall time, CPU time and peak RSS come from each process's own rusage
(wait4); the sandbox's CPU from /proc. Then the same syncs against a workspace 10x smaller, for
the RSS comparison. Medians over the rounds; figures are only comparable within one run.

`--profile MODE` adds one sync of that mode under py-spy and prints where its samples fall.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from sync_procs import (
    CLI,
    ROOT,
    Measured,
    Sandbox,
    measure,
    rows_landed,
    sync_env,
    use_environment,
)

FULL = (200_000, 500_000, 2_000, 50_000)
SMALL = (20_000, 50_000, 200, 5_000)
SYNC_TIMEOUT = 600.0
RUNS_JOB_TIMEOUT = 300.0
TARGETS = (
    "targets: sync >= 70% (issue 6: 80%) of the ceiling's rows/s; peak RSS < 400 MiB and "
    "< 25% above the 10x smaller workspace's; runs job with nothing new < 5% of the full sync"
)


def _sync(work: Path, sandbox: Sandbox, name: str, log: Path) -> tuple[Measured, dict, dict]:
    env = sync_env(work, sandbox, name)
    sync = measure([CLI, "sync"], env=env, sandbox=sandbox, timeout=SYNC_TIMEOUT, log=log)
    return sync, rows_landed(env["FLINTT_DUCKDB_PATH"]), env


def run_mode(work: Path, mode: str, rounds: int, profile: bool) -> dict:
    results: dict = {"mode": mode, "rounds": []}
    started = time.perf_counter()
    with Sandbox(work, sizes=FULL, paged=mode == "paged") as sandbox:
        print(f"[{mode}] sandbox up in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        for index in range(rounds):
            order = ("ceiling", "sync") if index % 2 == 0 else ("sync", "ceiling")
            entry: dict = {"order": order}
            for what in order:
                log = work / f"{mode}-{index}-{what}.log"
                if what == "ceiling":
                    ceiling = measure(
                        [sys.executable, str(ROOT / "bench" / "sync_ceiling.py")],
                        env=sandbox.env,
                        sandbox=sandbox,
                        timeout=SYNC_TIMEOUT,
                        log=log,
                    )
                    entry["ceiling"] = asdict(ceiling)
                    entry["ceiling_rows"] = json.loads(ceiling.stdout)
                    continue
                sync, rows, env = _sync(work, sandbox, f"{mode}-{index}", log)
                entry["sync"], entry["sync_rows"] = asdict(sync), rows
                runs_job = measure(
                    [CLI, "sync", "--select", "runs", "--select", "run_results"],
                    env=env,
                    sandbox=sandbox,
                    timeout=RUNS_JOB_TIMEOUT,
                    log=work / f"{mode}-{index}-runs-job.log",
                )
                entry["runs_job"] = asdict(runs_job)
            print(
                f"[{mode}] round {index + 1}: sync {entry['sync']['wall']:.1f} s, ceiling "
                f"{entry['ceiling']['wall']:.1f} s, runs job {entry['runs_job']['wall']:.1f} s",
                file=sys.stderr,
            )
            results["rounds"].append(entry)
        if profile:
            from sync_profile import record, summarise

            output = work / f"profile-{mode}.txt"
            record(sync_env(work, sandbox, f"{mode}-profile"), output, timeout=SYNC_TIMEOUT)
            results["profile"] = summarise(output)
    with Sandbox(work, sizes=SMALL, paged=mode == "paged") as sandbox:
        results["small"] = []
        for index in range(rounds):
            sync, rows, _ = _sync(
                work, sandbox, f"{mode}-small-{index}", work / f"{mode}-small-{index}.log"
            )
            results["small"].append({"sync": asdict(sync), "sync_rows": rows})
    return results


def _median(values: list[float]) -> float:
    return statistics.median(values)


def report(mode: dict) -> str:
    rounds = mode["rounds"]
    rows = sum(rounds[0]["sync_rows"].values())
    ceiling_rows = sum(v for k, v in rounds[0]["ceiling_rows"].items() if k != "details")

    def med(what: str, field: str) -> float:
        return _median([entry[what][field] for entry in rounds])

    ratio = _median(
        [(rows / e["sync"]["wall"]) / (ceiling_rows / e["ceiling"]["wall"]) for e in rounds]
    )
    runs_share = _median([e["runs_job"]["wall"] / e["sync"]["wall"] for e in rounds])
    small_rss = _median([entry["sync"]["rss_mib"] for entry in mode["small"]])
    small_wall = _median([entry["sync"]["wall"] for entry in mode["small"]])
    sync_rss = med("sync", "rss_mib")
    lines = [
        f"### {mode['mode']} ({len(rounds)} rounds, medians)",
        "",
        "| | rows | wall s | rows/s | CPU s | sandbox CPU s | peak RSS MiB |",
        "|---|---|---|---|---|---|---|",
        f"| ceiling (httpx) | {ceiling_rows:,} | {med('ceiling', 'wall'):.1f} | "
        f"{ceiling_rows / med('ceiling', 'wall'):,.0f} | {med('ceiling', 'cpu'):.1f} | "
        f"{med('ceiling', 'server_cpu'):.1f} | {med('ceiling', 'rss_mib'):.0f} |",
        f"| sync | {rows:,} | {med('sync', 'wall'):.1f} | {rows / med('sync', 'wall'):,.0f} | "
        f"{med('sync', 'cpu'):.1f} | {med('sync', 'server_cpu'):.1f} | {sync_rss:.0f} |",
        f"| runs job, nothing new | | {med('runs_job', 'wall'):.2f} | | "
        f"{med('runs_job', 'cpu'):.1f} | {med('runs_job', 'server_cpu'):.1f} | "
        f"{med('runs_job', 'rss_mib'):.0f} |",
        f"| sync, 10x smaller | {sum(mode['small'][0]['sync_rows'].values()):,} | "
        f"{small_wall:.1f} | | {_median([e['sync']['cpu'] for e in mode['small']]):.1f} | | "
        f"{small_rss:.0f} |",
        "",
        f"- sync rows/s vs ceiling (median of per-round ratios): {ratio:.0%}",
        f"- peak RSS {sync_rss:.0f} MiB, {sync_rss / small_rss - 1:+.0%} vs the 10x smaller "
        f"workspace ({small_rss:.0f} MiB)",
        f"- runs job with nothing new: {runs_share:.1%} of the full sync's wall time",
    ]
    if mode.get("profile"):
        lines += ["", "```", mode["profile"], "```"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default="paged,whole")
    parser.add_argument("--profile", choices=("paged", "whole"), default=None)
    parser.add_argument("--keep", action="store_true", help="Keep the working directory.")
    parser.add_argument(
        "--tree",
        type=Path,
        default=None,
        help="Run flintt-pipeline from this source tree (`git archive` of a "
        "commit), not the working copy.",
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="Keep PYTHONDONTWRITEBYTECODE as it is (every process compiles its imports).",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="flintt-bench-sync-"))
    print(f"working in {work}", file=sys.stderr)
    use_environment(work, tree=args.tree, bytecode_cache=not args.no_bytecode_cache)
    modes = [
        run_mode(work, mode, args.rounds, args.profile == mode) for mode in args.modes.split(",")
    ]
    (work / "results.json").write_text(json.dumps(modes, indent=1))
    print(TARGETS + "\n")
    print("\n\n".join(report(mode) for mode in modes))
    if not args.keep:
        for path in sorted(work.rglob("*"), reverse=True):
            if path.name != "results.json":
                path.rmdir() if path.is_dir() else path.unlink()
    print(f"\nraw figures: {work / 'results.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
