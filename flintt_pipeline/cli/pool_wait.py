"""Saying what a CLI sync waits for while another run holds the `duckdb_writer` pool.

Dagster queues the step silently (its own console lines are hidden by the CLI), so a watcher
reads the pool's queue and prints one line each time a step of this run starts waiting behind
another run.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import click
import dagster as dg

from flintt_pipeline.defs.writers import WRITER_POOL

POLL_SECONDS = 0.5


def _waiting_line(instance: dg.DagsterInstance, *, run_id: str) -> str | None:
    """The line to print when a step of `run_id` waits for the pool, else None."""
    info = instance.event_log_storage.get_concurrency_info(WRITER_POOL)
    if not any(s.run_id == run_id and s.assigned_timestamp is None for s in info.pending_steps):
        return None
    holders = sorted({slot.run_id for slot in info.claimed_slots if slot.run_id != run_id})
    if not holders:
        return None
    described = []
    for holder in holders:
        run = instance.get_run_by_id(holder)
        described.append(f"run {holder[:8]} ({run.job_name if run else 'unknown job'})")
    return (
        f"waiting for the {WRITER_POOL} pool: {', '.join(described)} is writing the warehouse, "
        "and DuckDB takes one writer at a time"
    )


@contextmanager
def pool_wait_lines(instance: dg.DagsterInstance, *, run_id: str) -> Iterator[None]:
    stop = threading.Event()

    def watch() -> None:
        told: str | None = None
        while not stop.wait(POLL_SECONDS):
            try:
                line = _waiting_line(instance, run_id=run_id)
            except Exception:  # a status line must never break the sync itself
                continue
            if line is not None and line != told:
                click.echo(f"  {line}", err=True)
            told = line

    watcher = threading.Thread(target=watch, name="pool-wait-lines", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
