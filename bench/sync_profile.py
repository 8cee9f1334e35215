"""Profiling one sync for `bench/sync.py --profile`: py-spy samples the sync process (fetched with
`uv run --with py-spy`, never a project dependency), then the samples are summarised.

Every thread is sampled, idle or not, so the main thread's samples are its wall time: where the
sync waits (on the detail threads, on DuckDB, which releases the GIL) shows as much as where it
computes. The detail threads are summarised apart.
"""

from __future__ import annotations

import collections
import re
import subprocess
from pathlib import Path

from sync_procs import CLI, ROOT, environ

SAMPLE_RATE = 100
_FILE = re.compile(r" \((?P<file>[^)]*)\)$")
_THREAD = re.compile(r"^thread \((?P<tid>[^)]*)\)(?:: (?P<name>.*))?$")
# Frames worth naming in the main thread besides our own: imports, Dagster's bookkeeping.
_MARKERS = (
    "_find_and_load",
    "DagsterInstance.get",
    "SqliteEventLogStorage.store_event",
    "DagsterLogManager.log_dagster_event",
    "execute_in_process",
)


def record(env: dict[str, str], output: Path, *, timeout: float) -> None:
    """`flintt-pipeline sync` under py-spy, collapsed stacks (`a;b;c count` lines) to `output`."""
    args = ["uv", "run", "--with", "py-spy", "py-spy", "record", "--format", "raw",
            "--nolineno", "--threads", "--idle", "--rate", str(SAMPLE_RATE),
            "--output", str(output), "--", CLI, "sync"]  # fmt: skip
    subprocess.run(args, env=environ(env), cwd=ROOT, check=True, timeout=timeout,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


# py-spy names files relative to sys.path, and for some of ours by their bare name.
_OURS = {path.name for path in (ROOT / "flintt_pipeline").rglob("*.py")} - {"__init__.py"}


def _ours(frame: str) -> bool:
    match = _FILE.search(frame)
    path = match["file"] if match else ""
    if "/cli/" in path:
        return False
    return "flintt_pipeline/" in path or ("/" not in path and path in _OURS)


def _short(frame: str) -> str:
    match = _FILE.search(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "flintt_pipeline/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{frame[: match.start()]} ({path})"


def _stacks(collapsed: Path) -> list[tuple[str, list[str], int]]:
    """(thread name, frames outermost first, samples) per line; unnamed lines get the name the
    same thread id has elsewhere."""
    names: dict[str, str] = {}
    rows = []
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        head, *frames = stack.split(";")
        thread = _THREAD.match(head)
        if not thread or not frames:
            continue
        if thread["name"]:
            names[thread["tid"]] = thread["name"]
        rows.append((thread["tid"], frames, int(count)))
    return [(names.get(tid, tid), frames, count) for tid, frames, count in rows]


def summarise(collapsed: Path, *, top: int = 12) -> str:
    main_total = workers_total = 0
    inclusive: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    worker_leaf: collections.Counter[str] = collections.Counter()
    for name, frames, count in _stacks(collapsed):
        if name != "MainThread":
            workers_total += count
            worker_leaf[_short(frames[-1])] += count
            continue
        main_total += count
        leaf[_short(frames[-1])] += count
        named = {_short(f) for f in frames if _ours(f)}
        named |= {m for m in _MARKERS if any(f.startswith(m + " ") for f in frames)}
        for frame in named:
            inclusive[frame] += count
    if not main_total:
        return "no samples"

    def line(count: int, total: int, frame: str) -> str:
        return f"  {count / SAMPLE_RATE:6.1f} s {count / total:6.1%}  {frame}"

    lines = [f"main thread: {main_total / SAMPLE_RATE:.1f} s of wall time sampled", "",
             "inclusive (our frames, imports, Dagster's event log):"]  # fmt: skip
    lines += [line(c, main_total, f) for f, c in inclusive.most_common(top)]
    lines += ["", "self (where the main thread is when sampled):"]
    lines += [line(c, main_total, f) for f, c in leaf.most_common(top)]
    if workers_total:
        lines += ["", f"other threads (run details): {workers_total / SAMPLE_RATE:.1f} "
                  "thread-seconds sampled, by leaf frame:"]  # fmt: skip
        lines += [line(c, workers_total, f) for f, c in worker_leaf.most_common(top // 2)]
    return "\n".join(lines)
