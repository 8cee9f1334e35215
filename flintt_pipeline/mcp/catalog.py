"""The tables and models an assistant can ask about, described from the metadata the Dagster UI
shows: the raw tables' descriptions from the contract, each model's header comment from its SQL
file, and the columns as DuckDB holds them."""

import re
from typing import Any

import duckdb

from flintt_pipeline.contract import MODEL_SCHEMA, RAW_TABLES, SOURCE_SCHEMA, TABLE_DESCRIPTIONS
from flintt_pipeline.lib.sql_models import SqlModel
from flintt_pipeline.mcp.query import jsonable

# A header line documenting columns: "- `a`, `b`: what they hold".
_COLUMN_LINE = re.compile(r"-\s+(?P<names>(?:`[^`]+`\s*,?\s*)+):\s*(?P<text>.*)")
_HISTORY_SUFFIX = "_history"


class UnknownTable(Exception):
    """A table name the catalog does not hold; str() lists the known ones."""


def catalog(connection: duckdb.DuckDBPyConnection, models: list[SqlModel]) -> list[dict[str, Any]]:
    """Every raw table, history table and model: its description, columns and whether the file
    holds it (a model not yet built is listed, with its documented columns)."""
    columns = _columns(connection)
    entries: list[dict[str, Any]] = []
    for table in RAW_TABLES:
        entries.append(_entry(SOURCE_SCHEMA, table, "raw", TABLE_DESCRIPTIONS[table], columns))
    for schema, table in sorted(columns):
        if schema == SOURCE_SCHEMA and table.endswith(_HISTORY_SUFFIX):
            base = table.removesuffix(_HISTORY_SUFFIX)
            description = (
                f"One row per version of {SOURCE_SCHEMA}.{base}: its columns, `_raw`, "
                "`_valid_from`, `_valid_to` (NULL = current) and `_change` "
                "(insert, update, delete, restore)."
            )
            entries.append(_entry(schema, table, "history", description, columns))
    for model in models:
        entry = _entry(MODEL_SCHEMA, model.name, "model", model.description or "", columns)
        notes = column_notes(model.description or "")
        if entry["columns"]:
            for column in entry["columns"]:
                column["description"] = notes.get(column["name"])
        else:
            entry["columns"] = [{"name": name, "description": text} for name, text in notes.items()]
        entries.append(entry)
    return entries


def find(entries: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """The entry for `name` (`schema.table`, or a table name that is unambiguous)."""
    wanted = name.strip().strip('"').lower()
    matches = [
        entry
        for entry in entries
        if entry["table"] == wanted or entry["table"].split(".", 1)[1] == wanted
    ]
    if len(matches) != 1:
        known = ", ".join(entry["table"] for entry in entries)
        raise UnknownTable(f"unknown table {name!r}; known tables: {known}")
    return matches[0]


def sample_rows(
    connection: duckdb.DuckDBPyConnection, entry: dict[str, Any], *, rows: int
) -> dict[str, Any]:
    """The row count and the first `rows` rows of a table the file holds."""
    schema, table = entry["table"].split(".", 1)
    quoted = f'"{schema}"."{table}"'
    (count,) = connection.execute(f"SELECT count(*) FROM {quoted}").fetchone() or (0,)
    cursor = connection.execute(f"SELECT * FROM {quoted} LIMIT {int(rows)}")
    names = [column[0] for column in cursor.description or []]
    return {
        "row_count": count,
        "sample": [dict(zip(names, map(jsonable, row), strict=True)) for row in cursor.fetchall()],
    }


def column_notes(description: str) -> dict[str, str]:
    """Column name -> its documentation, from a model header's `Columns:` list."""
    notes: dict[str, str] = {}
    current: list[str] = []
    for line in description.splitlines():
        match = _COLUMN_LINE.match(line.strip())
        if match:
            current = re.findall(r"`([^`]+)`", match["names"])
            for name in current:
                notes[name] = match["text"].strip()
        elif current and line.startswith("  ") and line.strip():
            for name in current:
                notes[name] = f"{notes[name]} {line.strip()}"
        else:
            current = []
    return notes


def _entry(
    schema: str,
    table: str,
    kind: str,
    description: str,
    columns: dict[tuple[str, str], list[dict[str, Any]]],
) -> dict[str, Any]:
    held = columns.get((schema, table))
    return {
        "table": f"{schema}.{table}",
        "kind": kind,
        "description": description,
        "in_database": held is not None,
        "columns": [dict(column) for column in held or []],
    }


def _columns(connection: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[dict[str, Any]]]:
    rows = connection.execute(
        "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name IN (?, ?) "
        "AND NOT starts_with(table_name, '_') ORDER BY schema_name, table_name, column_index",
        [SOURCE_SCHEMA, MODEL_SCHEMA],
    ).fetchall()
    columns: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for schema, table, name, kind in rows:
        columns.setdefault((schema, table), []).append({"name": name, "type": kind})
    return columns
