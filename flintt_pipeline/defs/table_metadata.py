"""Dagster metadata describing a DuckDB table just built: schema, size and a preview."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
import duckdb

from flintt_pipeline.defs.columns import described

PREVIEW_ROWS = 10
_MAX_CELL = 60


def table_metadata(
    connection: duckdb.DuckDBPyConnection,
    *,
    table: str,
    row_count: int,
    descriptions: Mapping[str, str],
) -> dict[str, Any]:
    """`dagster/*` table metadata (columns as DuckDB types them, with `descriptions`) plus a
    Markdown preview of the first rows."""
    columns = connection.execute(f"DESCRIBE {table}").fetchall()
    cursor = connection.execute(f"SELECT * FROM {table} LIMIT {PREVIEW_ROWS}")
    rows = cursor.fetchall()
    return {
        "dagster/row_count": row_count,
        "dagster/table_name": table,
        "dagster/column_schema": described(
            [(name, str(kind)) for name, kind, *_ in columns], descriptions
        ),
        "preview": dg.MetadataValue.md(
            preview_markdown([name for name, *_ in columns], rows, total=row_count)
        ),
    }


def preview_markdown(header: list[str], rows: list[tuple[Any, ...]], *, total: int) -> str:
    """A Markdown table; cells are shortened and pipes escaped so one value cannot break it."""
    lines = [
        "| " + " | ".join(_cell(name) for name in header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    if total > len(rows):
        lines.append(f"\n_{len(rows)} of {total} rows_")
    return "\n".join(lines)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", " ").replace("|", "\\|")
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"
