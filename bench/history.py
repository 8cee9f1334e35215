"""Benchmark: what history costs a sync, the tree before history against this one, side by side.

    uv run python bench/history.py --before DIR [--after DIR] [--rounds 2] [--scale 1.0]

DIR is the tree before history (`git archive <commit> | tar -x -C DIR`); `--after` names the
tree with it (a copy of the working copy, so that editing during a run changes nothing; default:
the working copy itself). One sandbox of the large
workspace (200k companies, 500k prospects, 2k signals, 50k runs, whole lists; `--scale` shrinks
it) serves both. Each round, in alternating order: a full `flintt-pipeline sync` by each tree into
its own fresh warehouse; then one set of changes in the sandbox (prospects' titles and companies,
company renames, signals paused, deletions: `CHANGES`); then a second `sync` by each tree into the
warehouse it just filled (listings read whole and merged, runs incremental) - the daily sync.
Wall and CPU time from each process's rusage (wait4). Medians over the rounds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from sync_procs import CLI, Measured, Sandbox, measure, sync_env, use_environment

from flintt_pipeline.sandbox.control_client import SandboxControl

FULL = (200_000, 500_000, 2_000, 50_000)
SYNC_TIMEOUT = 900.0
# Per round: prospects with a new title, prospects moved to another company, companies renamed,
# signals paused, prospects deleted (about 0.5% of the records).
CHANGES = {"titles": 1_000, "moves": 1_000, "renames": 300, "pauses": 20, "deletes": 200}


def change_workspace(control: SandboxControl, rng: random.Random, round_no: int) -> None:
    prospects = control.state("prospects")
    companies = control.state("companies")
    signals = control.state("signals")
    picked = rng.sample(prospects, CHANGES["titles"] + CHANGES["moves"] + CHANGES["deletes"])
    titles, rest = picked[: CHANGES["titles"]], picked[CHANGES["titles"] :]
    moves, deletes = rest[: CHANGES["moves"]], rest[CHANGES["moves"] :]
    for prospect in titles:
        control.update("prospects", prospect["id"], title=f"Head of Data {round_no}")
    for prospect in moves:
        control.update("prospects", prospect["id"], company_id=rng.choice(companies)["id"])
    for company in rng.sample(companies, CHANGES["renames"]):
        control.update("companies", company["id"], name=f"{company['name']} {round_no}")
    for signal in rng.sample(signals, CHANGES["pauses"]):
        status = "active" if signal["status"] == "paused" else "paused"
        control.update("signals", signal["id"], status=status)
    for prospect in deletes:
        control.delete("prospects", prospect["id"])


def sync(work: Path, sandbox: Sandbox, *, name: str, tree: Path | None, fresh: bool) -> Measured:
    env = sync_env(work, sandbox, name) if fresh else json.loads((work / f"{name}.env").read_text())
    (work / f"{name}.env").write_text(json.dumps(env))
    extra = {"PYTHONPATH": str(tree)} if tree is not None else {}
    log = work / f"{name}-{'full' if fresh else 'daily'}.log"
    return measure(
        [CLI, "sync"], env={**env, **extra}, sandbox=sandbox, timeout=SYNC_TIMEOUT, log=log
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the tree before history")
    parser.add_argument("--after", type=Path, help="the tree with history (default: this one)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="flintt-bench-history-"))
    print(f"working in {work}", file=sys.stderr)
    use_environment(work, tree=None, bytecode_cache=True)
    trees = {"before": args.before.resolve(), "after": args.after.resolve() if args.after else None}
    sizes = tuple(max(1, int(n * args.scale)) for n in FULL)
    rounds = []
    rng = random.Random(14)
    with Sandbox(work, sizes=sizes, paged=False) as sandbox:
        control = SandboxControl(base_url=sandbox.env["FLINTT_BASE_URL"].rsplit("/v1", 1)[0])
        for index in range(args.rounds):
            order = ("before", "after") if index % 2 == 0 else ("after", "before")
            entry: dict = {"order": order}
            for side in order:
                name = f"{side}-{index}"
                entry[f"{side}_full"] = asdict(
                    sync(work, sandbox, name=name, tree=trees[side], fresh=True)
                )
            change_workspace(control, rng, index)
            for side in order:
                name = f"{side}-{index}"
                entry[f"{side}_daily"] = asdict(
                    sync(work, sandbox, name=name, tree=trees[side], fresh=False)
                )
            print(
                f"round {index + 1}: "
                + ", ".join(f"{key} {entry[key]['wall']:.1f} s" for key in entry if key != "order"),
                file=sys.stderr,
            )
            rounds.append(entry)
    (work / "results.json").write_text(json.dumps(rounds, indent=1))
    print(f"sizes {sizes}, {args.rounds} rounds, changes per round {CHANGES}")
    print("| sync | before: wall / CPU | after: wall / CPU | after vs before (wall, CPU) |")
    print("|---|---|---|---|")
    for kind in ("full", "daily"):
        med = {
            (side, field): statistics.median(r[f"{side}_{kind}"][field] for r in rounds)
            for side in trees
            for field in ("wall", "cpu")
        }
        ratio = {
            field: med[("after", field)] / med[("before", field)] - 1 for field in ("wall", "cpu")
        }
        print(
            f"| {kind} | {med[('before', 'wall')]:.1f} s / {med[('before', 'cpu')]:.1f} s "
            f"| {med[('after', 'wall')]:.1f} s / {med[('after', 'cpu')]:.1f} s "
            f"| {ratio['wall']:+.1%}, {ratio['cpu']:+.1%} |"
        )
    print(f"raw figures: {work / 'results.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
