"""Staging batches of records in DuckDB and merging them into the raw tables of schema flintt.

Staging runs outside any transaction (temp tables are private to the connection); merge_staged and
write_sync_state run inside the caller's single transaction, so a sync lands whole or not at all.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING

import duckdb
import orjson

from flintt_pipeline.lib.warehouse import memory as duckdb_memory
from flintt_pipeline.lib.warehouse.errors import MassDeleteError, RecordTypeError, WarehouseError
from flintt_pipeline.lib.warehouse.schema import LISTINGS, Shape, describe_wrong, typed_select

if TYPE_CHECKING:
    import pyarrow as pa

# Records held as JSON documents before one INSERT: few statements (~10 ms each), bounded memory
# whatever the records' size (a run detail with its results is ~2 kB, 100k of them 200 MB). DuckDB
# pins several times a flush's size while splitting it, so flushes stay small (duckdb_memory).
FLUSH_ROWS = 100_000
FLUSH_BYTES = 4 * 1024 * 1024
# The mass-delete guard ignores listings that soft-delete this many rows or fewer, so that deleting
# 1 of 2 signals works; above it, deleting more than max_delete_share of the live rows is refused.
GUARD_MIN_ROWS = 10


@dataclass(frozen=True, kw_only=True)
class MergeStats:
    inserted: int
    updated: int
    deleted: int
    undeleted: int
    rows: int
    seconds: float
    cascade_deleted: int = 0
    # Rows added to the table's history (flintt.<table>_history); none for run_results.
    versions: int = 0


def stage_records(
    connection: duckdb.DuckDBPyConnection,
    *,
    stream: str,
    shape: Shape,
    batches: Iterable[list[dict]],
    table: str,
) -> int:
    """Load every batch into temp table `table` (typed, checked, one row per id); return the count.

    No per-record Python: each batch is serialised by one orjson.dumps call, DuckDB splits the
    arrays into records, then parses, checks and casts them in one parallel statement."""
    raw, view = f"{table}_raw", f"{table}_docs"
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {raw} (_raw VARCHAR)")

    def flush(documents: list[bytes]) -> None:
        connection.register(view, _documents(documents))
        try:
            connection.execute(
                f"INSERT INTO {raw} SELECT unnest(json_extract(doc, '$[*]'))::VARCHAR FROM {view}"
            )
        finally:
            connection.unregister(view)

    try:
        pending: list[bytes] = []
        held = held_bytes = 0
        for batch in batches:
            try:
                document = orjson.dumps(batch)
            except orjson.JSONEncodeError as error:
                raise WarehouseError(
                    f"{stream}: a record cannot be stored as JSON: {error}"
                ) from error
            pending.append(document)
            held += len(batch)
            held_bytes += len(document)
            if held >= FLUSH_ROWS or held_bytes >= FLUSH_BYTES:
                flush(pending)
                pending, held, held_bytes = [], 0, 0
        if pending:
            flush(pending)
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS {typed_select(shape, raw)}")
    finally:
        connection.execute(f"DROP TABLE IF EXISTS temp.main.{raw}")
    _check_types(connection, stream=stream, shape=shape, table=table)
    _keep_last_per_id(connection, table)
    return _scalar(connection, f"SELECT count(*) FROM {table}")


def _documents(documents: list[bytes]) -> pa.Table:
    """One Arrow string column over the JSON documents, built from buffers: pa.array() would
    import pandas (about 1 s) on its first call in a process. Imported here, not with the
    module: pyarrow and numpy (~0.3 s) are on the definitions' import path otherwise, and every
    Dagster process loads them, those that never stage a record too."""
    import pyarrow as pa

    offsets = array("q", [0, *accumulate(len(document) for document in documents)])
    column = pa.LargeStringArray.from_buffers(
        len(documents), pa.py_buffer(offsets), pa.py_buffer(b"".join(documents))
    )
    return pa.Table.from_arrays([column], names=["doc"])


def _check_types(
    connection: duckdb.DuckDBPyConnection, *, stream: str, shape: Shape, table: str
) -> None:
    row = first_row(
        connection,
        f"SELECT rowid, id, _bad, count(*) OVER () FROM {table} WHERE _bad IS NOT NULL "
        "ORDER BY rowid LIMIT 1",
    )
    if row is None:
        return
    rowid, record_id, bad, total = row
    # A record without a usable id is named by its place in the listing.
    named = bad["field"] not in ("id", "(record)")
    label = repr(record_id) if named else f"#{rowid + 1}"
    more = f" (and {total - 1} more records of wrong type)" if total > 1 else ""
    raise RecordTypeError(
        stream=stream,
        record_id=record_id if named else label,
        field=bad["field"],
        message=f"{stream} record {label}: {describe_wrong(shape, bad)}{more}",
    )


def _keep_last_per_id(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    # A listing that repeats an id (a server paging under drift) keeps the record read last.
    if _scalar(connection, f"SELECT count(*) - count(DISTINCT id) FROM {table}"):
        connection.execute(
            f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM (SELECT rowid, row_number() "
            f"OVER (PARTITION BY id ORDER BY rowid DESC) AS n FROM {table}) WHERE n > 1)"
        )


def stage_ids(connection: duckdb.DuckDBPyConnection, ids: Sequence[str], *, table: str) -> None:
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS "
        "SELECT DISTINCT unnest(json_extract_string(?, '$[*]')) AS id",
        [orjson.dumps(list(ids)).decode()],
    )


def merge_staged(
    connection: duckdb.DuckDBPyConnection,
    *,
    stream: str,
    stage: str,
    complete: bool,
    gone: str,
    max_delete_share: float,
) -> dict[str, int]:
    """Make flintt.<stream> agree with the staged records; inside the caller's transaction.

    New ids are inserted, rows whose _raw differs (or that were soft-deleted) are updated, and,
    for a complete listing, live ids absent from it are soft-deleted, as are the ids in `gone`."""
    target, names = f"flintt.{stream}", LISTINGS[stream].names
    # `_raw` alone decides whether a record changed: the contract columns are computed from it
    # (schema.typed_select, in UTC), so an equal `_raw` means equal columns. Comparing the
    # columns as well cost a third more CPU in a daily merge (bench/README.md, History).
    differs = "t._raw <> s._raw"
    counts = f"""
        SELECT count(*) FILTER (WHERE t.id IS NULL),
               count(*) FILTER (WHERE s.id IS NOT NULL AND t.id IS NOT NULL
                                AND t._deleted_at IS NULL AND ({differs})),
               count(*) FILTER (WHERE s.id IS NOT NULL AND t._deleted_at IS NOT NULL),
               count(*) FILTER (WHERE s.id IS NULL AND t._deleted_at IS NULL),
               count(*) FILTER (WHERE t.id IS NOT NULL AND t._deleted_at IS NULL)
        FROM {stage} s FULL OUTER JOIN {target} t ON s.id = t.id"""
    inserted, updated, undeleted, absent, live = first_row(connection, counts) or (0,) * 5
    if complete:
        _guard(stream=stream, doomed=absent, live=live, max_delete_share=max_delete_share)
    if updated or undeleted:
        assignments = ", ".join(f"{name} = s.{name}" for name in names)
        connection.execute(
            f"UPDATE {target} t SET {assignments}, _raw = s._raw, _synced_at = now(), "
            f"_deleted_at = NULL FROM {stage} s WHERE t.id = s.id "
            f"AND (t._deleted_at IS NOT NULL OR {differs})"
        )
    if inserted:
        duckdb_memory.fit_insert(connection, inserting=inserted)
        columns = ", ".join(names)
        connection.execute(
            f"INSERT INTO {target} (id, {columns}, _raw, _synced_at) SELECT id, {columns}, _raw, "
            f"now() FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE t.id = s.id)"
        )
    doomed = []
    if complete and absent:
        doomed.append(f"NOT EXISTS (SELECT 1 FROM {stage} s WHERE s.id = t.id)")
    if _scalar(connection, f"SELECT count(*) FROM {gone}"):
        doomed.append(f"t.id IN (SELECT id FROM {gone})")
    deleted = 0
    if doomed:
        deleted = _scalar(
            connection,
            f"UPDATE {target} t SET _deleted_at = now(), _synced_at = now() "
            f"WHERE t._deleted_at IS NULL AND ({' OR '.join(doomed)})",
        )
    rows = live + inserted + undeleted - deleted
    return dict(inserted=inserted, updated=updated, deleted=deleted, undeleted=undeleted, rows=rows)


def _guard(*, stream: str, doomed: int, live: int, max_delete_share: float) -> None:
    if doomed > GUARD_MIN_ROWS and doomed > max_delete_share * live:
        raise MassDeleteError(
            f"{stream}: the listing would soft-delete {doomed} of {live} live rows "
            f"({doomed / live:.0%}, more than max_delete_share={max_delete_share:g}); a truncated "
            "listing looks like this, so nothing was changed - if the rows really are gone, sync "
            "again with max_delete_share=1.0"
        )


def delete_runs_of_deleted_signals(connection: duckdb.DuckDBPyConnection) -> int:
    """Soft-delete the live runs of soft-deleted signals (Flintt deletes a signal's runs too)."""
    return _scalar(
        connection,
        """
        UPDATE flintt.runs SET _deleted_at = now(), _synced_at = now()
        WHERE _deleted_at IS NULL
          AND signal_id IN (SELECT id FROM flintt.signals WHERE _deleted_at IS NOT NULL)""",
    )


def write_sync_state(
    connection: duckdb.DuckDBPyConnection,
    *,
    stream: str,
    complete: bool,
    records: int,
    counts: dict[str, int],
) -> None:
    connection.execute(
        """INSERT INTO flintt._sync_state
        VALUES (?, now(), CASE WHEN ? THEN now() END, ?, ?, ?, ?, ?)
        ON CONFLICT (stream) DO UPDATE SET synced_at = excluded.synced_at,
            last_complete_at = coalesce(excluded.last_complete_at, _sync_state.last_complete_at),
            records = excluded.records, inserted = excluded.inserted, updated = excluded.updated,
            deleted = excluded.deleted, undeleted = excluded.undeleted""",
        [
            stream,
            complete,
            records,
            counts["inserted"],
            counts["updated"],
            counts["deleted"],
            counts["undeleted"],
        ],
    )


def first_row(
    connection: duckdb.DuckDBPyConnection, sql: str, parameters: list[object] | None = None
) -> tuple | None:
    """The first row of a small result, read to its end: DuckDB refuses register() while a result
    is unfinished, and the connection is shared with the caller."""
    rows = connection.execute(sql, parameters).fetchall()
    return rows[0] if rows else None


def _scalar(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = first_row(connection, sql)
    return int(row[0]) if row else 0
