"""What changed in a model's input after a marker, exactly: every write of the merge leaves a
mark with the sync's time (DuckDB's now(), the start of the sync's transaction):

- `flintt.<table>` and `flintt.<table>_history`: the history rows added or closed since then
  (`_valid_from` or `_valid_to` later than the last marker): every version of each changed
  record, the one the model last saw and the new ones, soft deletes included.
- `flintt.run_results` (no history, no soft delete): the runs whose results were replaced since
  then (`flintt._run_results_fetched.fetched_at`), with their current results; a run left
  with no results appears once with NULLs.
- `analytics.<model>`: the rows its own updates deleted and inserted, kept in
  `_analytics.changes_<model>` for the models that read it.

A marker is the latest such mark an update saw (`latest_marker`); the next update reads what
came after it (`changed_rows`).
"""

from datetime import datetime

import duckdb

from flintt_pipeline.contract import HISTORY_TABLES, MODEL_SCHEMA, SOURCE_SCHEMA

# The models' update state and kept changes (lib.warehouse.model_updates).
STATE_SCHEMA = "_analytics"


def changed_rows(table: str, *, since: datetime | None) -> tuple[str, list[object]]:
    """The SELECT of the rows of `table` changed after marker `since`, and its parameters."""
    schema, name = table.split(".")
    origin = "'-infinity'::TIMESTAMPTZ"
    if schema == MODEL_SCHEMA:
        sql = (
            f"SELECT * EXCLUDE (_changed_at) FROM {STATE_SCHEMA}.changes_{name} "
            f"WHERE _changed_at > coalesce(?, {origin})"
        )
        return sql, [since]
    if name == "run_results":
        sql = f"""SELECT f.run_id, rr.position, rr.signal_id, rr.result_id, rr._raw,
                  rr._synced_at FROM {SOURCE_SCHEMA}._run_results_fetched AS f
                  LEFT JOIN {SOURCE_SCHEMA}.run_results AS rr ON rr.run_id = f.run_id
                  WHERE f.fetched_at > coalesce(?, {origin})"""
        return sql, [since]
    sql = (
        f"SELECT * FROM {_history(name)} "
        f"WHERE _valid_from > coalesce(?, {origin}) OR _valid_to > coalesce(?, {origin})"
    )
    return sql, [since, since]


def latest_marker(connection: duckdb.DuckDBPyConnection, table: str) -> datetime | None:
    """The latest change of `table` as of this transaction: the next update starts after it."""
    schema, name = table.split(".")
    if schema == MODEL_SCHEMA:
        holder, column, parameters = f"{STATE_SCHEMA}.model_state", "updated_at", [name]
    elif name == "run_results":
        holder, column, parameters = f"{SOURCE_SCHEMA}._run_results_fetched", "fetched_at", []
    else:
        holder, column, parameters = _history(name), "_valid_from", []
    # A warehouse without it (the column typing in defs.columns builds over bare raw tables)
    # has seen no change.
    if not table_exists(connection, *holder.split(".")):
        return None
    where = " WHERE model = ?" if parameters else ""
    sql = f"SELECT max({column}) FROM {holder}{where}"
    rows = connection.execute(sql, parameters).fetchall()
    value = rows[0][0] if rows else None
    assert value is None or isinstance(value, datetime)
    return value


def _history(name: str) -> str:
    """`flintt.<t>_history` for raw table `t` or for that history table itself."""
    table = name.removesuffix("_history")
    if table not in HISTORY_TABLES:
        raise ValueError(f"{SOURCE_SCHEMA}.{name} has no history to follow its changes")
    return f"{SOURCE_SCHEMA}.{HISTORY_TABLES[table]}"


def table_exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        connection.execute(
            "SELECT 1 FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = ? AND table_name = ?",
            [schema, table],
        ).fetchall()
    )
