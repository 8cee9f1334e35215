"""Benchmark: the webhook runs job on the large workspace and on one three times larger.

    uv run python bench/runs_job_flat.py [--sizes large|small] [--rounds 5] [--json PATH]

Two workspaces, each served by its own sandbox process, both up at once: the large one (200k
companies, 500k prospects, 2k signals, 50k runs) and one 3x larger (600k / 1.5M / 6k / 150k);
`--sizes small` takes the demo's (2k / 5k / 40 / 400) and 3x that, to try the script quickly.
One full `flintt-pipeline sync` fills each workspace's own fresh warehouse and DAGSTER_HOME (its
wall time printed to stderr). Then each round adds one completed run with 8 results to each
sandbox and measures `flintt_runs_job` (the webhook sensor's job: runs and run_results, then the
models and the read copy) on each workspace, alternating which goes first, each run in its own
process on the workspace's instance as the daemon's run worker executes it, with the job's tags:
a dear read copy is coalesced (`defs/publish/coalescing.py`), and each round says whether the
run published. Wall and CPU from the process's own rusage, the Dagster run start to end from its
run record, and each step from its STEP_START / STEP_SUCCESS events. Bytecode is cached for every
process as in `runs_job_cost.py`; `--no-bytecode-cache` keeps this machine's
PYTHONDONTWRITEBYTECODE=1.

Target (the issue's flat cost): the 3x workspace's wall time within 1.3x of the large one's, as
the median over the rounds of each round's ratio. Figures are only comparable within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from runs_job_cost import add_completed_runs, run_profile
from sync_procs import CLI, Sandbox, measure, sync_env, use_environment

SIZES = {"large": (200_000, 500_000, 2_000, 50_000), "small": (2_000, 5_000, 40, 400)}
TARGET = 1.3
# The 3x large workspace's full sync takes minutes on 2 cores; its timeout only stops a hang.
FULL_SYNC_TIMEOUT_S = 1800.0
RUNS_SYNC_TIMEOUT_S = 300.0
# The webhook runs job as the daemon's run worker executes it: in its own process, on the
# instance in DAGSTER_HOME, with the job's own tags (so a dear read copy is coalesced).
RUNS_JOB = """
import sys
from flintt_pipeline.cli.instance import dagster_instance
from flintt_pipeline.definitions import defs
result = defs().resolve_job_def("flintt_runs_job").execute_in_process(instance=dagster_instance())
sys.exit(0 if result.success else 1)
"""


def fill(work: Path, *, name: str, sandbox: Sandbox) -> dict[str, str]:
    """A fresh warehouse and DAGSTER_HOME for `name`, filled by one full sync; their environment."""
    env = sync_env(work, sandbox, name)
    done = measure([CLI, "sync"], env=env, sandbox=sandbox, timeout=FULL_SYNC_TIMEOUT_S,
                   log=work / f"{name}-full.log")  # fmt: skip
    print(f"{name}: full sync {done.wall:.1f} s", file=sys.stderr, flush=True)
    return env


def published(home: Path) -> bool:
    """Whether the last run in `home` published the read copy."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home)
    with dg.DagsterInstance.get() as instance:
        [record] = instance.get_run_records(limit=1)
        return any(
            event.dagster_event.asset_key == dg.AssetKey(["read_copy"])
            for event in instance.all_logs(
                record.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
            )
            if event.dagster_event
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", choices=sorted(SIZES), default="large")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-bytecode-cache", action="store_true")
    args = parser.parse_args()
    base = SIZES[args.sizes]
    sizes = {args.sizes: base, f"3x-{args.sizes}": tuple(3 * count for count in base)}
    names = list(sizes)
    with tempfile.TemporaryDirectory(prefix="runs-job-flat-") as tmp, ExitStack() as sandboxes:
        work = Path(tmp)
        use_environment(work, tree=None, bytecode_cache=not args.no_bytecode_cache)
        served = {
            name: sandboxes.enter_context(Sandbox(work, sizes=size, paged=False))
            for name, size in sizes.items()
        }
        envs = {name: fill(work, name=name, sandbox=sandbox) for name, sandbox in served.items()}
        rows: list[dict[str, Any]] = []
        for round_no in range(args.rounds):
            for sandbox in served.values():
                add_completed_runs(sandbox.env["FLINTT_BASE_URL"], 1, round_no=round_no)
            order = names if round_no % 2 == 0 else names[::-1]
            row: dict[str, Any] = {"round": round_no, "first": order[0]}
            for name in order:
                done = measure([sys.executable, "-c", RUNS_JOB], env=envs[name],
                               sandbox=served[name], timeout=RUNS_SYNC_TIMEOUT_S,
                               log=work / f"{round_no}-{name}.log")  # fmt: skip
                home = Path(envs[name]["DAGSTER_HOME"])
                profile = run_profile(home)
                row[name] = {"wall": done.wall, "cpu": done.cpu, **profile,
                             "published": published(home)}  # fmt: skip
            rows.append(row)
            walls = ", ".join(
                f"{name} {row[name]['wall']:.2f} s"
                f" ({'published' if row[name]['published'] else 'copy coalesced'})"
                for name in names
            )
            print(f"round {round_no}: {walls}", file=sys.stderr, flush=True)
    report(rows, names=names, output=args.json)


def report(rows: list[dict[str, Any]], *, names: list[str], output: Path | None) -> None:
    base, tripled = names
    measures: dict[str, Callable[[dict[str, Any]], float]] = {
        "runs job wall": lambda entry: entry["wall"],
        "runs job CPU": lambda entry: entry["cpu"],
        "Dagster run, start to end": lambda entry: entry["run_s"],
    }
    steps = sorted({step for row in rows for name in names for step in row[name]["steps"]})
    for step in steps:
        measures[f"step {step}"] = lambda entry, step=step: entry["steps"].get(step, 0.0)
    print(f"\nload average: {os.getloadavg()}")
    print(f"| median s | {base} | {tripled} | {tripled} / {base} |\n|---|---|---|---|")
    for label, value in measures.items():
        once, thrice = (statistics.median(value(row[name]) for row in rows) for name in names)
        # A step that was not timed in one workspace has no ratio.
        ratio = f"{thrice / once:.2f}" if once else "-"
        print(f"| {label} | {once:.2f} | {thrice:.2f} | {ratio} |")
    ratios = [row[tripled]["wall"] / row[base]["wall"] for row in rows]
    median = statistics.median(ratios)
    verdict = "met" if median <= TARGET else "missed"
    print(
        f"\nwall {tripled} / {base}, per round: {', '.join(f'{r:.2f}' for r in ratios)}; "
        f"median **{median:.2f}x** (target ≤ {TARGET}x: {verdict})"
    )
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
