"""The DuckDB warehouse: opening it (one connection string, lock waiting), source binding, and one
transaction per stream sync. No HTTP here: records arrive as batches of dicts made elsewhere."""

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import duckdb

from flintt_pipeline.lib import merge, run_results
from flintt_pipeline.lib.merge import MergeStats
from flintt_pipeline.lib.schema import LISTINGS, RAW_TABLES, create_tables
from flintt_pipeline.lib.warehouse_errors import (
    MassDeleteError,
    RecordTypeError,
    SourceMismatchError,
    WarehouseError,
    WarehouseLockedError,
)

__all__ = [
    "RAW_TABLES",
    "MassDeleteError",
    "MergeStats",
    "RecordTypeError",
    "SourceMismatchError",
    "TableSummary",
    "Warehouse",
    "WarehouseError",
    "WarehouseLockedError",
    "open_warehouse",
]

ListedStream = Literal["companies", "prospects", "signals"]
# DuckDB names the catalog after the file, so these names would make flintt.companies ambiguous.
_RESERVED_NAMES = frozenset({"flintt", "analytics", "main"})
_LOCK_RETRY_SECONDS = 0.5
_LOCK_HOLDER = re.compile(r"held in (?P<program>.+?) \(PID (?P<pid>\d+)\)")


@dataclass(frozen=True)
class TableSummary:
    row_count: int
    columns: list[tuple[str, str]]


class Warehouse:
    """One open warehouse; each merge is one transaction together with its sync state."""

    def __init__(self, connection: duckdb.DuckDBPyConnection, *, database: str) -> None:
        self.connection = connection
        self.database = database
        self._unbound_source: str | None = None

    def bind_source(self, base_url: str) -> None:
        """Remember the API URL this warehouse is filled from (written with the next sync);
        refuse another one."""
        url = base_url.strip().rstrip("/")
        row = merge.first_row(self.connection, "SELECT base_url FROM flintt._source")
        bound = row[0] if row else self._unbound_source
        if bound is None:
            self._unbound_source = url
        elif bound != url:
            raise SourceMismatchError(
                f"warehouse {self.database} was filled from {_host(bound)}, refusing to sync "
                f"{_host(url)} into it: point FLINTT_DUCKDB_PATH at another file"
            )

    def merge_listing(
        self, stream: ListedStream, batches: Iterable[list[dict]], *, max_delete_share: float = 0.5
    ) -> MergeStats:
        """Merge one complete listing; for signals, the runs of deleted signals go with them."""
        if stream not in ("companies", "prospects", "signals"):
            raise WarehouseError(
                f"merge_listing takes companies, prospects or signals, not {stream!r}"
            )
        return self._merge(
            stream, batches, complete=True, gone_ids=(), max_delete_share=max_delete_share
        )

    def merge_runs(
        self,
        batches: Iterable[list[dict]],
        *,
        complete: bool,
        gone_ids: Sequence[str] = (),
        max_delete_share: float = 0.5,
    ) -> MergeStats:
        """Upsert listed runs; a complete listing also soft-deletes absent runs; gone_ids (404s)
        are soft-deleted either way."""
        return self._merge(
            "runs", batches, complete=complete, gone_ids=gone_ids, max_delete_share=max_delete_share
        )

    def final_run_ids(self) -> set[str]:
        return {
            row[0]
            for row in self.connection.execute(
                "SELECT id FROM flintt.runs WHERE _deleted_at IS NULL "
                "AND status IN ('completed', 'failed')"
            ).fetchall()
        }

    def open_run_ids(self) -> list[str]:
        return [
            row[0]
            for row in self.connection.execute(
                "SELECT id FROM flintt.runs WHERE _deleted_at IS NULL "
                "AND status IN ('pending', 'running') ORDER BY id"
            ).fetchall()
        ]

    def runs_needing_results(self) -> list[str]:
        return run_results.runs_needing_results(self.connection)

    def replace_run_results(self, details: Iterable[dict]) -> MergeStats:
        """Replace each detail's results (run object + "results") as one unit; one transaction."""
        started = time.perf_counter()
        temps = ("_stage_details", "_stage_results", "_merged_results")
        try:
            records = run_results.stage_results(
                self.connection, details, runs=temps[0], rows=temps[1]
            )
            with self._transaction():
                counts = run_results.replace_staged(
                    self.connection, runs=temps[0], rows=temps[1], merged=temps[2]
                )
                merge.write_sync_state(
                    self.connection,
                    stream="run_results",
                    complete=False,
                    records=records,
                    counts=counts,
                )
        finally:
            self._drop(temps)
        return MergeStats(**counts, seconds=time.perf_counter() - started)

    def table_summary(self, table: str) -> TableSummary:
        """Live row count and (column, DuckDB type) pairs of flintt.<table> or <schema>.<table>."""
        schema, _, name = table.rpartition(".")
        columns = self.connection.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
            "current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema or "flintt", name],
        ).fetchall()
        if not columns:
            raise WarehouseError(
                f"warehouse {self.database} has no table {schema or 'flintt'}.{name}"
            )
        live = (
            " WHERE _deleted_at IS NULL"
            if ("_deleted_at", "TIMESTAMP WITH TIME ZONE") in columns
            else ""
        )
        row = merge.first_row(
            self.connection, f'SELECT count(*) FROM "{schema or "flintt"}"."{name}"{live}'
        )
        return TableSummary(row_count=row[0] if row else 0, columns=columns)

    def _merge(
        self,
        stream: str,
        batches: Iterable[list[dict]],
        *,
        complete: bool,
        gone_ids: Sequence[str],
        max_delete_share: float,
    ) -> MergeStats:
        started = time.perf_counter()
        stage, gone = f"_stage_{stream}", f"_gone_{stream}" if gone_ids else None
        try:
            records = merge.stage_records(
                self.connection, stream=stream, shape=LISTINGS[stream], batches=batches, table=stage
            )
            if gone:
                merge.stage_ids(self.connection, gone_ids, table=gone)
            with self._transaction():
                counts = merge.merge_staged(
                    self.connection,
                    stream=stream,
                    stage=stage,
                    complete=complete,
                    gone=gone,
                    max_delete_share=max_delete_share,
                )
                cascaded = (
                    merge.delete_runs_of_deleted_signals(self.connection)
                    if stream == "signals"
                    else 0
                )
                merge.write_sync_state(
                    self.connection,
                    stream=stream,
                    complete=complete,
                    records=records,
                    counts=counts,
                )
        finally:
            self._drop((stage, *([gone] if gone else [])))
        return MergeStats(**counts, seconds=time.perf_counter() - started, cascade_deleted=cascaded)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.connection.execute("BEGIN")
        try:
            if self._unbound_source is not None:
                self.connection.execute(
                    "INSERT INTO flintt._source VALUES (?, now())", [self._unbound_source]
                )
            yield
            self.connection.execute("COMMIT")
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self._unbound_source = None

    def _drop(self, tables: Iterable[str]) -> None:
        for table in tables:
            self.connection.execute(f"DROP TABLE IF EXISTS temp.main.{table}")


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname or url)


def _prepare(database: str) -> str:
    """Refuse schema-like names and create parent directories; other connection strings pass."""
    if database.startswith("md:"):
        name = database[3:].split("?")[0]
    elif database == ":memory:":
        return database
    else:
        name = Path(database).stem
    if name.lower() in _RESERVED_NAMES:
        raise WarehouseError(
            f"warehouse {database.split('?')[0]!r} is named like a schema ({name}); DuckDB names "
            "its catalog after the file, which makes flintt.<table> ambiguous: use another name, "
            "e.g. data/warehouse.duckdb"
        )
    if not database.startswith("md:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return database


def _connect(
    database: str, *, lock_timeout: float, on_wait: Callable[[str], None] | None
) -> duckdb.DuckDBPyConnection:
    shown = database.split("?")[0]  # a connection string's options may hold a token
    deadline = time.monotonic() + lock_timeout
    waiting = False
    while True:
        try:
            return duckdb.connect(database)
        except duckdb.IOException as error:
            if "Could not set lock" not in str(error):
                raise WarehouseError(f"cannot open warehouse {shown}: {error}") from error
            match = _LOCK_HOLDER.search(str(error))
            holder = f"process {match['pid']} ({match['program']})" if match else "another process"
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"warehouse {shown} is still locked by {holder} after {lock_timeout:g}s: "
                    "wait for it to finish or stop it, then retry"
                ) from None
            if not waiting and on_wait is not None:
                on_wait(
                    f"warehouse {shown} is locked by {holder}; waiting up to "
                    f"{lock_timeout:g}s for it"
                )
            waiting = True
            time.sleep(max(0.0, min(_LOCK_RETRY_SECONDS, deadline - time.monotonic())))


@contextmanager
def open_warehouse(
    *, database: str, lock_timeout: float = 60.0, on_wait: Callable[[str], None] | None = None
) -> Iterator[Warehouse]:
    """Open (creating if needed) the warehouse at `database`: a file path or connection string."""
    connection = _connect(_prepare(database), lock_timeout=lock_timeout, on_wait=on_wait)
    try:
        # Records' naive timestamps, if any, mean UTC whatever this machine's zone.
        connection.execute("SET TimeZone = 'UTC'")
        create_tables(connection)
        yield Warehouse(connection, database=database.split("?")[0])
    finally:
        with suppress(duckdb.Error):
            connection.close()
