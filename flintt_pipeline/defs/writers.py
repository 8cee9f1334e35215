"""What every step that opens the live warehouse shares: one pool and a retry for the lock.

DuckDB lets one process write a file. Raw syncs, models, checks and publishing all hold the
`duckdb_writer` pool (limit 1 in `dagster_home/dagster.yaml`), so runs queue in Dagster for it
instead of meeting on the file lock. The raw assets left the `flintt_api` pool for it: an op has
one pool, and with a limit of 1 this one also keeps more than one step from calling the API at
once, which is all `flintt_api` did.

What can still hold the file is a process outside Dagster (a reader of the live file), or,
rarely, a step of another run: Dagster's SQLite instance claims a slot with a select-then-update
that two processes can both win under load (its Postgres storage locks the row). Either way a step
waits for the lock (`lib.warehouse.file.connect`), and if it outlasts the wait, LOCK_RETRY tries
again.
"""

import dagster as dg

WRITER_POOL = "duckdb_writer"
LOCK_RETRY = dg.RetryPolicy(
    max_retries=2, delay=15, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)
