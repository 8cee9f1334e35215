"""Profiling one sync for `bench/sync.py --profile`: py-spy samples the sync process (fetched with
`uv run --with py-spy`, never a project dependency), then the samples are summarised."""

from __future__ import annotations

import collections
import re
import subprocess
from pathlib import Path

from sync_procs import CLI, ROOT, environ

SAMPLE_RATE = 100
_FILE = re.compile(r" \((?P<file>[^)]*)\)$")


def record(env: dict[str, str], output: Path, *, timeout: float) -> None:
    """`flintt-pipeline sync` under py-spy, collapsed stacks (`a;b;c count` lines) to `output`."""
    args = [
        "uv",
        "run",
        "--with",
        "py-spy",
        "py-spy",
        "record",
        "--format",
        "raw",
        "--nolineno",
        "--rate",
        str(SAMPLE_RATE),
        "--output",
        str(output),
        "--",
        CLI,
        "sync",
    ]
    subprocess.run(
        args,
        env=environ(env),
        cwd=ROOT,
        check=True,
        timeout=timeout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


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


def summarise(collapsed: Path, *, top: int = 15) -> str:
    """Inclusive share of the samples for our own frames, and self share for every frame."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        total += count
        frames = [_short(frame) for frame in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        for frame in {
            f for f, raw in zip(frames, stack.split(";"), strict=True) if "flintt_pipeline/" in raw
        }:
            own[frame] += count
        leaf[frames[-1]] += count
    if not total:
        return "no samples"
    lines = [
        f"{total} samples at {SAMPLE_RATE}/s, {total / SAMPLE_RATE:.0f} thread-seconds "
        "(all threads, idle excluded)",
        "",
        "inclusive, flintt_pipeline frames:",
    ]
    lines += [f"  {count / total:6.1%}  {frame}" for frame, count in own.most_common(top)]
    lines += ["", "inclusive, any frame:"]
    lines += [f"  {count / total:6.1%}  {frame}" for frame, count in inclusive.most_common(top)]
    lines += ["", "self (leaf frames):"]
    lines += [f"  {count / total:6.1%}  {frame}" for frame, count in leaf.most_common(top)]
    return "\n".join(lines)
