"""Every table's columns with their types and descriptions, as `dagster/column_schema`.

Raw tables are described here, next to their contract (ARCHITECTURE.md); each model describes
its own columns in the `Columns:` list of the comment at the top of its file. Definitions carry
the schema from load time, so the UI shows it before anything is materialized; each
materialization repeats it with the types DuckDB reports.
"""

import re
from collections.abc import Mapping, Sequence

import dagster as dg
import duckdb

from flintt_pipeline.contract import HISTORY_TABLES, MODEL_SCHEMA, SOURCE_SCHEMA
from flintt_pipeline.lib.sql_models import SqlModel, build_whole

TEXT, INTEGER, JSON = "VARCHAR", "INTEGER", "JSON"
TIMESTAMP = "TIMESTAMP WITH TIME ZONE"

Column = tuple[str, str, str]  # name, DuckDB type, description

_RAW = "The record exactly as Flintt sent it, so no field is ever lost."
_SYNCED = "When this row last changed in the warehouse."
_DELETED = "When a complete listing stopped containing it; NULL while it exists in Flintt."
_CREATED = "When it was created in Flintt."


def _bookkeeping(*, soft_deleted: bool = True) -> tuple[Column, ...]:
    kept = (("_raw", JSON, _RAW), ("_synced_at", TIMESTAMP, _SYNCED))
    return (*kept, ("_deleted_at", TIMESTAMP, _DELETED)) if soft_deleted else kept


RAW_COLUMNS: dict[str, tuple[Column, ...]] = {
    "companies": (
        ("id", TEXT, "Flintt's id of the company (the key)."),
        ("name", TEXT, "Company name."),
        ("domain", TEXT, "Web domain."),
        ("linkedin_url", TEXT, "LinkedIn page."),
        ("created_at", TIMESTAMP, _CREATED),
        *_bookkeeping(),
    ),
    "prospects": (
        ("id", TEXT, "Flintt's id of the prospect (the key)."),
        ("name", TEXT, "Full name."),
        ("email", TEXT, "Email address."),
        ("title", TEXT, "Job title."),
        ("linkedin_url", TEXT, "LinkedIn profile."),
        ("company_id", TEXT, "The company Flintt links the prospect to (flintt.companies.id)."),
        ("created_at", TIMESTAMP, _CREATED),
        *_bookkeeping(),
    ),
    "signals": (
        ("id", TEXT, "Flintt's id of the signal (the key)."),
        ("name", TEXT, "Signal name."),
        ("description", TEXT, "What the signal monitors."),
        ("status", TEXT, "Whether the signal is active or paused, as Flintt reports it."),
        ("schedule", TEXT, "Cron schedule of its runs; NULL when it runs only on demand."),
        ("created_at", TIMESTAMP, _CREATED),
        *_bookkeeping(),
    ),
    "runs": (
        ("id", TEXT, "Flintt's id of the run (the key)."),
        ("signal_id", TEXT, "The signal that ran (flintt.signals.id)."),
        ("status", TEXT, "pending, running, completed or failed."),
        ("results_count", INTEGER, "Results the run found, as Flintt reports it."),
        ("completed_at", TIMESTAMP, "When the run finished; NULL while it is open."),
        *_bookkeeping(),
    ),
    "run_results": (
        ("run_id", TEXT, "The run that produced the result (flintt.runs.id); key, with position."),
        ("position", INTEGER, "The result's place in its run's list, from 0; key, with run_id."),
        ("signal_id", TEXT, "The signal of that run (flintt.signals.id)."),
        ("result_id", TEXT, "Flintt's id of the result, when it has one."),
        *_bookkeeping(soft_deleted=False),
    ),
}


def _history(table: str) -> tuple[Column, ...]:
    """A history table's columns: the table's contract columns, then one version's bookkeeping."""
    contract = tuple(column for column in RAW_COLUMNS[table] if not column[0].startswith("_"))
    return (
        *contract,
        ("_raw", JSON, "The record exactly as Flintt sent it in this version."),
        (
            "_valid_from",
            TIMESTAMP,
            "The sync that first saw this version (Flintt has no update time).",
        ),
        ("_valid_to", TIMESTAMP, "The sync that saw the next version; NULL for the current one."),
        ("_change", TEXT, "insert, update, delete or restore: how this version began."),
        (
            "_seeded",
            "BOOLEAN",
            "True for a version started from the rows the warehouse held when "
            "history began, not seen happening.",
        ),
    )


RAW_COLUMNS.update({history: _history(table) for table, history in HISTORY_TABLES.items()})

# One entry of a model's `Columns:` list: "- `a`, `b`: what they hold", maybe over several lines.
_ENTRY = re.compile(r"-\s+(?P<names>`\w+`(?:\s*,\s*`\w+`)*)\s*:\s*(?P<text>.*)")


def raw_schema(table: str) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[dg.TableColumn(name, kind, description) for name, kind, description in _raw(table)]
    )


def raw_descriptions(table: str) -> dict[str, str]:
    return {name: description for name, _, description in _raw(table)}


def model_descriptions(model: SqlModel) -> dict[str, str]:
    """Each column's text from the `Columns:` list of the model's leading comment."""
    lines = (model.description or "").splitlines()
    start = next((i + 1 for i, line in enumerate(lines) if line.strip() == "Columns:"), None)
    if start is None:
        return {}
    entries: list[tuple[list[str], str]] = []
    for line in lines[start:]:
        match = _ENTRY.fullmatch(line.strip())
        if match:
            names = re.findall(r"`(\w+)`", match["names"])
            entries.append((names, match["text"]))
        elif line.strip() and entries:
            names, text = entries[-1]
            entries[-1] = (names, f"{text} {line.strip()}")
        elif entries:
            break
    return {name: text for names, text in entries for name in names}


def model_schemas(models: Sequence[SqlModel]) -> dict[str, dg.TableSchema]:
    """Each model's columns, typed by building every model over empty raw tables in memory
    (fast, and the types are DuckDB's own), described from the model's comment."""
    connection = duckdb.connect(":memory:")
    try:
        connection.execute(f"CREATE SCHEMA {SOURCE_SCHEMA}")
        for table, raw in RAW_COLUMNS.items():
            ddl = ", ".join(f"{name} {kind}" for name, kind, _ in raw)
            connection.execute(f"CREATE TABLE {SOURCE_SCHEMA}.{table} ({ddl})")
        schemas: dict[str, dg.TableSchema] = {}
        for model in models:
            build_whole(connection, model)
            columns = connection.execute(f"DESCRIBE {MODEL_SCHEMA}.{model.name}").fetchall()
            schemas[model.name] = described(
                [(name, str(kind)) for name, kind, *_ in columns], model_descriptions(model)
            )
        return schemas
    finally:
        connection.close()


def described(
    columns: Sequence[tuple[str, str]], descriptions: Mapping[str, str]
) -> dg.TableSchema:
    """(name, type) pairs as a schema, each with its description when there is one."""
    return dg.TableSchema(
        columns=[dg.TableColumn(name, kind, descriptions.get(name)) for name, kind in columns]
    )


def _raw(table: str) -> tuple[Column, ...]:
    return RAW_COLUMNS[table.removeprefix(f"{SOURCE_SCHEMA}.")]
