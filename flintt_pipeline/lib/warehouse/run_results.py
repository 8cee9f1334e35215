"""Replacing runs' results as one unit per run, and remembering which completion they belong to."""

from collections.abc import Iterable, Iterator
from itertools import islice

import duckdb

from flintt_pipeline.lib.warehouse import memory as duckdb_memory
from flintt_pipeline.lib.warehouse.errors import RecordTypeError
from flintt_pipeline.lib.warehouse.merge import first_row, stage_records
from flintt_pipeline.lib.warehouse.schema import RUN_DETAIL, json_type_name

# A run detail with its results is ~2 kB: batches of ~2 MB, flushed by stage_records every few.
DETAILS_PER_BATCH = 1_000


def _batches(details: Iterable[dict]) -> Iterator[list[dict]]:
    iterator = iter(details)
    while batch := list(islice(iterator, DETAILS_PER_BATCH)):
        yield batch


def stage_results(
    connection: duckdb.DuckDBPyConnection, details: Iterable[dict], *, runs: str, rows: str
) -> int:
    """Stage run details into temp table `runs` and their results (a row per position) in `rows`."""
    count = stage_records(
        connection, stream="run_results", shape=RUN_DETAIL, batches=_batches(details), table=runs
    )
    connection.execute(f"""CREATE OR REPLACE TEMP TABLE {rows} AS
        SELECT run_id, (generate_subscripts(results, 1) - 1)::INTEGER AS position, signal_id,
               unnest(results) AS _raw
        FROM (SELECT id AS run_id, signal_id, json_extract(results, '$[*]') AS results
              FROM {runs})""")
    bad = first_row(
        connection,
        f"""
        SELECT run_id, position, json_type(_raw), json_type(_raw, '$.id'), left(_raw->>'$.id', 60)
        FROM {rows}
        WHERE json_type(_raw) <> 'OBJECT' OR json_type(_raw, '$.id') NOT IN ('VARCHAR', 'NULL')
        ORDER BY run_id, position LIMIT 1""",
    )
    if bad:
        run_id, position, record_type, id_type, id_text = bad
        if record_type != "OBJECT":
            field, problem = f"results[{position}]", f"an object, got {json_type_name(record_type)}"
        else:
            field = f"results[{position}].id"
            problem = f"a string or null, got {json_type_name(id_type, id_text)}"
        raise RecordTypeError(
            stream="run_results",
            record_id=run_id,
            field=field,
            message=f"run_results record {run_id!r}: field {field!r} should be {problem}",
        )
    return count


def replace_staged(
    connection: duckdb.DuckDBPyConnection, *, runs: str, rows: str, merged: str
) -> dict[str, int]:
    """Replace the results of every staged run; inside the caller's transaction.

    A row equal to the one held at its position keeps its _synced_at (it did not change)."""
    inserted, updated = first_row(
        connection,
        f"""
        SELECT count(*) FILTER (WHERE o.run_id IS NULL),
               count(*) FILTER (WHERE o.run_id IS NOT NULL AND (o._raw <> n._raw
                                  OR o.signal_id IS DISTINCT FROM n.signal_id))
        FROM {rows} n LEFT JOIN flintt.run_results o
          ON o.run_id = n.run_id AND o.position = n.position""",
    ) or (0, 0)
    (deleted,) = first_row(
        connection,
        f"""
        SELECT count(*) FROM flintt.run_results o WHERE o.run_id IN (SELECT id FROM {runs})
          AND NOT EXISTS (SELECT 1 FROM {rows} n WHERE n.run_id = o.run_id
                          AND n.position = o.position)""",
    ) or (0,)
    connection.execute(f"""CREATE OR REPLACE TEMP TABLE {merged} AS
        SELECT n.run_id, n.position, n.signal_id, n._raw->>'$.id' AS result_id, n._raw,
               CASE WHEN o._raw = n._raw AND o.signal_id IS NOT DISTINCT FROM n.signal_id
                    THEN o._synced_at ELSE now() END AS _synced_at
        FROM {rows} n LEFT JOIN flintt.run_results o
          ON o.run_id = n.run_id AND o.position = n.position""")
    (replacing,) = first_row(connection, f"SELECT count(*) FROM {merged}") or (0,)
    duckdb_memory.fit_insert(connection, inserting=replacing)
    connection.execute(f"DELETE FROM flintt.run_results WHERE run_id IN (SELECT id FROM {runs})")
    connection.execute(f"INSERT INTO flintt.run_results SELECT * FROM {merged}")
    connection.execute(f"""INSERT OR REPLACE INTO flintt._run_results_fetched
        SELECT id, completed_at, results_count, now() FROM {runs}""")
    (total,) = first_row(connection, "SELECT count(*) FROM flintt.run_results") or (0,)
    return {
        "inserted": inserted,
        "updated": updated,
        "deleted": deleted,
        "undeleted": 0,
        "rows": total,
    }


def runs_needing_results(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """Live completed runs with results whose results were not fetched since they completed."""
    return [
        row[0]
        for row in connection.execute("""
        SELECT r.id FROM flintt.runs r
        LEFT JOIN flintt._run_results_fetched f ON f.run_id = r.id
        WHERE r._deleted_at IS NULL AND r.status = 'completed' AND r.results_count > 0
          AND (f.run_id IS NULL OR f.completed_at IS DISTINCT FROM r.completed_at)
        ORDER BY r.completed_at, r.id""").fetchall()
    ]
