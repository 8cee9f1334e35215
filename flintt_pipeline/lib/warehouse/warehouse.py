"""The DuckDB warehouse: source binding and one transaction per stream sync, with its state.
No HTTP here: records arrive as batches of dicts made elsewhere."""

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from urllib.parse import urlsplit

import duckdb

from flintt_pipeline.contract import ListedStream
from flintt_pipeline.lib.warehouse import (
    duckdb_errors,
    history,
    merge,
    ownership,
    read_copy,
    run_results,
)
from flintt_pipeline.lib.warehouse import file as warehouse_file
from flintt_pipeline.lib.warehouse import memory as duckdb_memory
from flintt_pipeline.lib.warehouse.errors import (
    SourceMismatchError,
    WarehouseError,
)
from flintt_pipeline.lib.warehouse.merge import MergeStats
from flintt_pipeline.lib.warehouse.schema import LISTINGS, create_tables


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
        url = _normalised(base_url)
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
        """Merge one complete listing in one transaction with the stream's sync state; for
        signals, the runs of deleted signals are soft-deleted with them.

        Mass-delete guard: when the listing would soft-delete more than GUARD_MIN_ROWS (10) rows
        AND more than max_delete_share of the live rows, MassDeleteError and nothing changes;
        max_delete_share=1.0 lets a real mass deletion through."""
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
        """Upsert listed runs; a complete listing also soft-deletes absent runs (guarded);
        gone_ids (404 on re-read) are soft-deleted either way. gone_ids is read once the batches
        are exhausted, so the iterator producing them may still be filling it."""
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
            self._reset_memory()
        return MergeStats(**counts, seconds=time.perf_counter() - started)

    def table_summary(self, table: str) -> TableSummary:
        """Live row count and (column, DuckDB type) pairs of flintt.<table> or <schema>.<table>."""
        schema, _, name = table.rpartition(".")
        schema = schema or "flintt"
        columns = self.connection.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
            "current_database() AND schema_name = ? AND table_name = ? ORDER BY column_index",
            [schema, name],
        ).fetchall()
        if not columns:
            raise WarehouseError(f"warehouse {self.database} has no table {schema}.{name}")
        soft_deletes = any(column == "_deleted_at" for column, _ in columns)
        live = " WHERE _deleted_at IS NULL" if soft_deletes else ""
        # The names were just found in the catalog, so quoting them is safe.
        row = merge.first_row(self.connection, f'SELECT count(*) FROM "{schema}"."{name}"{live}')
        return TableSummary(row_count=row[0] if row else 0, columns=columns)

    def publish(self, *, target: str, published_by: str = "") -> read_copy.PublishStats:
        """Replace the read copy at `target` with a copy of this warehouse (see `read_copy`)."""
        try:
            return read_copy.publish(self.connection, target=target, published_by=published_by)
        finally:
            self._reset_memory()

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
        stage, gone = f"_stage_{stream}", f"_gone_{stream}"
        try:
            records = merge.stage_records(
                self.connection, stream=stream, shape=LISTINGS[stream], batches=batches, table=stage
            )
            # Read only now: the caller may learn of gone runs while the batches are produced.
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
                versions = (
                    history.record_versions(self.connection, table=stream)
                    if any(counts[kind] for kind in ("inserted", "updated", "deleted", "undeleted"))
                    else 0
                )
                if cascaded:
                    history.record_versions(self.connection, table="runs")
                merge.write_sync_state(
                    self.connection,
                    stream=stream,
                    complete=complete,
                    records=records,
                    counts=counts,
                )
        finally:
            self._drop((stage, gone))
            self._reset_memory()
        return MergeStats(
            **counts,
            seconds=time.perf_counter() - started,
            cascade_deleted=cascaded,
            versions=versions,
        )

    def _reset_memory(self) -> None:
        # A merge may have raised DuckDB's memory limit for its inserts (duckdb_memory).
        with suppress(duckdb.Error):  # after a fatal error, the merge's own error matters
            duckdb_memory.set_base(self.connection)

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


def _normalised(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _host(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname or url)


@contextmanager
def open_warehouse(
    *, database: str, lock_timeout: float = 60.0, on_wait: Callable[[str], None] | None = None
) -> Iterator[Warehouse]:
    """Open (creating if needed) the warehouse at `database`: a file path or connection string.

    A file another program made is refused before any DDL (ownership); every DuckDB error met
    while it is open becomes a one-line WarehouseUnusableError (duckdb_errors)."""
    shown = warehouse_file.shown(database)
    prepared = warehouse_file.prepare(database)
    connection = warehouse_file.connect(prepared, lock_timeout=lock_timeout, on_wait=on_wait)
    try:
        warehouse_file.check_complete(connection, prepared, shown=shown)
        # Records' naive timestamps, if any, mean UTC whatever this machine's zone.
        connection.execute("SET TimeZone = 'UTC'")
        duckdb_memory.set_base(connection)
        ownership.check_objects(connection, shown=shown)
        create_tables(connection)
        history.start_history(connection)
        yield Warehouse(connection, database=shown)
    except duckdb.Error as error:
        raise duckdb_errors.unusable(error, shown=shown) from None
    finally:
        with suppress(duckdb.Error):
            connection.close()


def open_read_only(database: str, *, lock_timeout: float = 60.0) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the live warehouse, waiting up to `lock_timeout` seconds while a
    sync writes it; the caller closes it."""
    return warehouse_file.connect(
        warehouse_file.shown(database), lock_timeout=lock_timeout, on_wait=None, read_only=True
    )
