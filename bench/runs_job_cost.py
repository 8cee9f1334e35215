"""Benchmark: the fixed cost of a runs sync against importing Dagster, side by side.

    uv run python bench/runs_job_cost.py [--rounds 5] [--new-runs 3] [--json PATH]

A sandbox of the demo's size (2k companies, 5k prospects, 40 signals, 400 runs) is served by its
own process; one full `flintt-pipeline sync` fills a fresh warehouse and DAGSTER_HOME. Then each
round adds `--new-runs` completed runs to the sandbox and measures, in alternating order,
`python -c "import dagster"` and `flintt-pipeline sync --select runs` (wall and CPU from each
process's own rusage). Bytecode is cached for every process, as an installed tool's would be;
`--no-bytecode-cache` keeps this machine's PYTHONDONTWRITEBYTECODE=1, so that every process
compiles what it imports (the setting of the issue's first measurement).

Where the sync's time goes, per round: the process's imports (`python -X importtime` of the
CLI's import path, measured apart), the Dagster run from its run record (start to end), and each
step's wall time from the run's STEP_START / STEP_SUCCESS events; what is left is the CLI, the
instance and the definitions around the run. Medians over the rounds; figures are only
comparable within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sync_procs import CLI, ROOT, Sandbox, environ, measure, sync_env, use_environment

DEMO = (2_000, 5_000, 40, 400)
TIMEOUT_S = 300.0
IMPORT_PATH = "import flintt_pipeline.cli; from flintt_pipeline.definitions import defs; defs()"


def add_completed_runs(base_url: str, count: int, *, round_no: int) -> None:
    import httpx

    with httpx.Client(base_url=base_url, timeout=60) as client:
        signals = client.get("/_sandbox/state/signals").json()
        for index in range(count):
            signal_id = signals[(round_no * count + index) % len(signals)]["id"]
            run = client.post(f"/_sandbox/signals/{signal_id}/trigger")
            run.raise_for_status()
            done = client.post(f"/_sandbox/runs/{run.json()['id']}/complete", json={"results": 8})
            done.raise_for_status()


def import_seconds(env: dict[str, str]) -> float:
    """Cumulative import time of the CLI and the definitions, from `-X importtime`'s top level."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", IMPORT_PATH],
        env=environ(env), cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    total = 0
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match and not match[2].startswith(" "):
            total += int(match[1])
    return total / 1e6


def run_profile(home: Path) -> dict[str, Any]:
    """The last run in `home`: its wall time and each step's, from the instance's records."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(home)
    with dg.DagsterInstance.get() as instance:
        [record] = instance.get_run_records(limit=1)
        assert record.start_time is not None and record.end_time is not None
        started: dict[str, float] = {}
        steps: dict[str, float] = {}
        for entry in instance.all_logs(record.dagster_run.run_id):
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            if event.event_type == dg.DagsterEventType.STEP_START:
                started[event.step_key] = entry.timestamp
            elif (
                event.event_type
                in (
                    dg.DagsterEventType.STEP_SUCCESS,
                    dg.DagsterEventType.STEP_SKIPPED,
                )
                and event.step_key in started
            ):
                steps[event.step_key] = entry.timestamp - started[event.step_key]
        return {"run_s": record.end_time - record.start_time, "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--new-runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-bytecode-cache", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="runs-job-cost-") as tmp:
        work = Path(tmp)
        use_environment(work, tree=None, bytecode_cache=not args.no_bytecode_cache)
        with Sandbox(work, sizes=DEMO, paged=False) as sandbox:
            env = sync_env(work, sandbox, "warehouse")
            measure([CLI, "sync"], env=env, sandbox=sandbox, timeout=TIMEOUT_S,
                    log=work / "full.log")  # fmt: skip
            rows = []
            for round_no in range(args.rounds):
                add_completed_runs(sandbox.env["FLINTT_BASE_URL"], args.new_runs, round_no=round_no)
                commands = {
                    "import dagster": [sys.executable, "-c", "import dagster"],
                    "sync --select runs": [CLI, "sync", "--select", "runs"],
                }
                order = list(commands) if round_no % 2 == 0 else list(reversed(commands))
                row: dict[str, Any] = {}
                for name in order:
                    done = measure(commands[name], env=env, sandbox=sandbox, timeout=TIMEOUT_S,
                                   log=work / f"{round_no}-{name.split()[0]}.log")  # fmt: skip
                    row[name] = {"wall": done.wall, "cpu": done.cpu}
                row["imports_s"] = import_seconds(env)
                row.update(run_profile(Path(env["DAGSTER_HOME"])))
                rows.append(row)
                print(json.dumps(row), flush=True)
    report(rows, args.json)


def report(rows: list[dict[str, Any]], output: Path | None) -> None:
    def median(values: list[float]) -> float:
        return statistics.median(values)

    sync = median([row["sync --select runs"]["wall"] for row in rows])
    dagster = median([row["import dagster"]["wall"] for row in rows])
    ratios = [row["sync --select runs"]["wall"] / row["import dagster"]["wall"] for row in rows]
    steps = sorted({step for row in rows for step in row["steps"]})
    print(f"\nload average: {os.getloadavg()}")
    print("| measure | median s |\n|---|---|")
    print(f"| `python -c 'import dagster'` wall | {dagster:.2f} |")
    print(f"| `sync --select runs` wall | {sync:.2f} |")
    print(f"| ratio (per round, median) | {median(ratios):.2f}x |")
    print(f"| sync CPU | {median([row['sync --select runs']['cpu'] for row in rows]):.2f} |")
    print(f"| imports (CLI + definitions) | {median([row['imports_s'] for row in rows]):.2f} |")
    print(f"| Dagster run, start to end | {median([row['run_s'] for row in rows]):.2f} |")
    for step in steps:
        print(f"| step {step} | {median([row['steps'].get(step, 0.0) for row in rows]):.2f} |")
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
