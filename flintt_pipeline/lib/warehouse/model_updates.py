"""Updating a model table by its inputs' change: replace the keys they affect, or rebuild it whole.

A model with a grain (key columns) and, per input, a mapping from that input's changed rows to
grain keys is updated in one transaction: the affected keys are deleted from the table and the
model's SELECT, restricted to those keys, is inserted. Deleting and recomputing a key gives what
a full rebuild gives for it whatever the key, so a mapping may over-approximate but must never
miss a key. What changed since the last update comes from `model_changes`.

State (the SQL's hash, the last marker per input) lives in `_analytics.model_state` and
`_analytics.model_inputs`, written in the model's transaction, so a crash leaves both as they were.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import duckdb

from flintt_pipeline.contract import MODEL_SCHEMA
from flintt_pipeline.lib.warehouse import memory as duckdb_memory
from flintt_pipeline.lib.warehouse.model_changes import (
    STATE_SCHEMA,
    changed_rows,
    latest_marker,
    table_exists,
)

_KEYS = "_model_update_keys"
_ALL_KEYS = "_model_update_keys_all"
# Up to this many keys, the model's SELECT is filtered by a list of constants (`_restriction`).
LITERAL_KEYS = 5_000
_STATE_DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {STATE_SCHEMA}",
    # No primary keys: a row is deleted and inserted again in one transaction.
    f"""CREATE TABLE IF NOT EXISTS {STATE_SCHEMA}.model_state (model VARCHAR NOT NULL,
        sql_hash VARCHAR NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
        full_at TIMESTAMPTZ NOT NULL, incremental BOOLEAN NOT NULL, keys_replaced BIGINT)""",
    f"""CREATE TABLE IF NOT EXISTS {STATE_SCHEMA}.model_inputs (model VARCHAR NOT NULL,
        input VARCHAR NOT NULL, marker TIMESTAMPTZ)""",
)


@dataclass(frozen=True, kw_only=True)
class ModelUpdate:
    rows: int
    incremental: bool
    # Keys deleted and recomputed; None for a full rebuild.
    keys_replaced: int | None
    full_rebuild_reason: str | None


@dataclass(frozen=True, kw_only=True)
class ModelSpec:
    name: str
    sql: str
    sql_hash: str
    # Empty: the model is rebuilt whole every time.
    grain: tuple[str, ...]
    # Per input table ("schema.table"), a SELECT of grain keys reading relation `changed`.
    changes: Mapping[str, str]
    # Models that read this one: its changes are kept for them.
    readers: tuple[str, ...]

    @property
    def table(self) -> str:
        return f"{MODEL_SCHEMA}.{self.name}"


def update_model(
    connection: duckdb.DuckDBPyConnection, *, model: ModelSpec, full_refresh: bool = False
) -> ModelUpdate:
    """Bring `analytics.<name>` up to date with its inputs in one transaction (see module doc)."""
    with duckdb_memory.default_limit(connection):
        return _update(connection, model=model, full_refresh=full_refresh)


def _update(
    connection: duckdb.DuckDBPyConnection, *, model: ModelSpec, full_refresh: bool
) -> ModelUpdate:
    for statement in _STATE_DDL:
        connection.execute(statement)
    connection.begin()
    try:
        markers = {table: latest_marker(connection, table) for table in model.changes}
        reason = "full refresh requested" if full_refresh else _full_reason(connection, model)
        if reason is None:
            keys = _replace_keys(connection, model)
        else:
            _rebuild(connection, model)
            keys = None
        _write_state(connection, model=model, markers=markers, keys=keys, full=reason is not None)
        rows = _count(connection, f"SELECT count(*) FROM {model.table}")
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    finally:
        connection.execute(f"DROP TABLE IF EXISTS temp.main.{_KEYS}")
        connection.execute(f"DROP TABLE IF EXISTS temp.main.{_ALL_KEYS}")
    return ModelUpdate(
        rows=rows, incremental=reason is None, keys_replaced=keys, full_rebuild_reason=reason
    )


def _full_reason(connection: duckdb.DuckDBPyConnection, model: ModelSpec) -> str | None:
    """Why the model must be rebuilt whole now, or None when replacing keys gives the same."""
    if not model.grain:
        return "not incremental: the model declares no grain"
    state = connection.execute(
        f"SELECT sql_hash, full_at FROM {STATE_SCHEMA}.model_state WHERE model = ?", [model.name]
    ).fetchall()
    if not state:
        return "first build: no state for this model yet"
    if state[0][0] != model.sql_hash:
        return "the model's SQL file changed"
    if not table_exists(connection, MODEL_SCHEMA, model.name):
        return f"{model.table} is missing"
    seen = dict(
        connection.execute(
            f"SELECT input, marker FROM {STATE_SCHEMA}.model_inputs WHERE model = ?", [model.name]
        ).fetchall()
    )
    for table in model.changes:
        if table not in seen:
            return f"no marker for input {table} yet"
        schema, name = table.split(".")
        if schema == MODEL_SCHEMA:
            full_at = connection.execute(
                f"SELECT full_at FROM {STATE_SCHEMA}.model_state WHERE model = ?", [name]
            ).fetchall()
            if not full_at or seen[table] is None or full_at[0][0] > seen[table]:
                return f"{table}, which it reads, was rebuilt whole"
            if not table_exists(connection, STATE_SCHEMA, f"changes_{name}"):
                return f"{table} keeps no changes yet"
    return None


def _replace_keys(connection: duckdb.DuckDBPyConnection, model: ModelSpec) -> int:
    grain = ", ".join(model.grain)
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {_ALL_KEYS} AS SELECT {grain} FROM {model.table} LIMIT 0"
    )
    seen = dict(
        connection.execute(
            f"SELECT input, marker FROM {STATE_SCHEMA}.model_inputs WHERE model = ?", [model.name]
        ).fetchall()
    )
    for table, mapping in model.changes.items():
        changed, parameters = changed_rows(table, since=seen[table])
        connection.execute(
            f"INSERT INTO {_ALL_KEYS} SELECT * FROM (WITH changed AS ({changed}) {mapping})",
            parameters,
        )
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {_KEYS} AS SELECT DISTINCT * FROM {_ALL_KEYS}"
    )
    log = f"{STATE_SCHEMA}.changes_{model.name}"
    if model.readers:
        # A model that just gained a reader (a new model) starts keeping its changes now.
        connection.execute(
            f"CREATE TABLE IF NOT EXISTS {log} AS "
            f"SELECT *, now() AS _changed_at FROM {model.table} LIMIT 0"
        )
        _prune_changes(connection, model)
    else:
        connection.execute(f"DROP TABLE IF EXISTS {log}")
    keys = _count(connection, f"SELECT count(*) FROM {_KEYS}")
    if not keys:
        return 0
    match = " AND ".join(f"m.{column} IS NOT DISTINCT FROM k.{column}" for column in model.grain)
    affected = f"SELECT m.* FROM {model.table} AS m SEMI JOIN {_KEYS} AS k ON {match}"
    if model.readers:
        connection.execute(f"INSERT INTO {log} SELECT *, now() FROM ({affected})")
    connection.execute(f"DELETE FROM {model.table} AS m USING {_KEYS} AS k WHERE {match}")
    connection.execute(
        f"INSERT INTO {model.table} SELECT m.* FROM ({model.sql}\n) AS m "
        + _restriction(connection, model=model, keys=keys, match=match)
    )
    if model.readers:
        connection.execute(f"INSERT INTO {log} SELECT *, now() FROM ({affected})")
    return keys


def _restriction(
    connection: duckdb.DuckDBPyConnection, *, model: ModelSpec, keys: int, match: str
) -> str:
    """What restricts the model's rows to the keys. A list of constants lets DuckDB push the
    filter through the model's joins and groups down to the scans of its tables; a join with
    the keys does not, so it serves only many keys or a grain of several columns."""
    if len(model.grain) > 1 or keys > LITERAL_KEYS:
        return f"SEMI JOIN {_KEYS} AS k ON {match}"
    (column,) = model.grain
    # Each key as a SQL constant, written by DuckDB itself: quoted text, cast back to the key's
    # type unless that is text.
    quoted = f"'''' || replace(CAST({column} AS VARCHAR), '''', '''''') || ''''"
    row = connection.execute(
        f"SELECT string_agg(CASE WHEN typeof({column}) = 'VARCHAR' THEN {quoted} "
        f"ELSE 'CAST(' || {quoted} || ' AS ' || typeof({column}) || ')' END, ', '), "
        f"bool_or({column} IS NULL) FROM {_KEYS}"
    ).fetchall()
    constants, has_null = row[0]
    tests = [f"m.{column} IN ({constants})"] if constants else []
    if has_null:
        tests.append(f"m.{column} IS NULL")
    return "WHERE " + " OR ".join(tests)


def _rebuild(connection: duckdb.DuckDBPyConnection, model: ModelSpec) -> None:
    connection.execute(f"CREATE OR REPLACE TABLE {model.table} AS {model.sql}")
    log = f"{STATE_SCHEMA}.changes_{model.name}"
    if model.readers:
        # Readers rebuild whole after this (model_state.full_at), so no change is kept.
        connection.execute(
            f"CREATE OR REPLACE TABLE {log} AS "
            f"SELECT *, now() AS _changed_at FROM {model.table} LIMIT 0"
        )
    else:
        connection.execute(f"DROP TABLE IF EXISTS {log}")


def _prune_changes(connection: duckdb.DuckDBPyConnection, model: ModelSpec) -> None:
    """Forget the changes every reader has processed (a reader without a marker rebuilds whole)."""
    connection.execute(
        f"""DELETE FROM {STATE_SCHEMA}.changes_{model.name} WHERE _changed_at <= (
            SELECT coalesce(min(marker), 'infinity'::TIMESTAMPTZ)
            FROM {STATE_SCHEMA}.model_inputs WHERE input = ? AND model IN ?)""",
        [model.table, list(model.readers)],
    )


def _write_state(
    connection: duckdb.DuckDBPyConnection,
    *,
    model: ModelSpec,
    markers: Mapping[str, datetime | None],
    keys: int | None,
    full: bool,
) -> None:
    previous = connection.execute(
        f"SELECT full_at FROM {STATE_SCHEMA}.model_state WHERE model = ?", [model.name]
    ).fetchall()
    connection.execute(f"DELETE FROM {STATE_SCHEMA}.model_state WHERE model = ?", [model.name])
    connection.execute(
        f"INSERT INTO {STATE_SCHEMA}.model_state VALUES (?, ?, now(), "
        "CASE WHEN ? THEN now() ELSE ? END, ?, ?)",
        [model.name, model.sql_hash, full, previous[0][0] if previous else None, not full, keys],
    )
    connection.execute(f"DELETE FROM {STATE_SCHEMA}.model_inputs WHERE model = ?", [model.name])
    for table, marker in markers.items():
        connection.execute(
            f"INSERT INTO {STATE_SCHEMA}.model_inputs VALUES (?, ?, ?)", [model.name, table, marker]
        )


def _count(connection: duckdb.DuckDBPyConnection, sql: str) -> int:
    rows = connection.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0
