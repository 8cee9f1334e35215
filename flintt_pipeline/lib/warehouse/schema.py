"""The contract's tables in schema flintt, their DDL, and the SQL that checks and types records.

Columns come from this module only, never from the records (no DDL from data): undocumented
fields live on in `_raw`, a missing documented field is NULL, and a documented field of the wrong
JSON type is an error.
"""

from dataclasses import dataclass
from typing import Any, Literal

import duckdb

Kind = Literal["string", "integer", "timestamp", "array"]

SQL_TYPES: dict[Kind, str] = {
    "string": "VARCHAR",
    "integer": "INTEGER",
    "timestamp": "TIMESTAMPTZ",
    "array": "JSON",
}


@dataclass(frozen=True)
class Shape:
    """The documented fields of one kind of record, after its string `id`."""

    fields: tuple[tuple[str, Kind], ...]

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.fields]


LISTINGS: dict[str, Shape] = {
    "companies": Shape(
        (
            ("name", "string"),
            ("domain", "string"),
            ("linkedin_url", "string"),
            ("created_at", "timestamp"),
        )
    ),
    "prospects": Shape(
        (
            ("name", "string"),
            ("email", "string"),
            ("title", "string"),
            ("linkedin_url", "string"),
            ("company_id", "string"),
            ("created_at", "timestamp"),
        )
    ),
    "signals": Shape(
        (
            ("name", "string"),
            ("description", "string"),
            ("status", "string"),
            ("schedule", "string"),
            ("created_at", "timestamp"),
        )
    ),
    "runs": Shape(
        (
            ("signal_id", "string"),
            ("status", "string"),
            ("results_count", "integer"),
            ("completed_at", "timestamp"),
        )
    ),
}
# What replace_run_results reads from a run detail (GET /v1/runs/{id}); results keep their _raw.
RUN_DETAIL = Shape(
    (
        ("signal_id", "string"),
        ("completed_at", "timestamp"),
        ("results_count", "integer"),
        ("results", "array"),
    )
)

# Timestamps: ISO-8601 (RFC 3339's profile, `T` or a space between date and time) with `Z` or an
# offset of at most 23:59; a timestamp without one means UTC. DuckDB alone would store words
# (`epoch`, `infinity`), offsets like +25:00 and year 294247 as real instants.
ISO_TIMESTAMP = (
    r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[T ]([01]\d|2[0-3]):[0-5]\d"
    r"(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]([01]\d|2[0-3])(:?[0-5]\d)?)?"
)
# The instants a record's timestamp may name, both included.
EARLIEST, LATEST = "1970-01-01 00:00:00+00", "2199-12-31 23:59:59.999999+00"

_STATE_DDL = (
    "CREATE SCHEMA IF NOT EXISTS flintt",
    "CREATE SCHEMA IF NOT EXISTS analytics",
    """CREATE TABLE IF NOT EXISTS flintt.run_results (run_id VARCHAR NOT NULL,
        position INTEGER NOT NULL, signal_id VARCHAR, result_id VARCHAR, _raw JSON NOT NULL,
        _synced_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (run_id, position))""",
    # One row per stream, written in the same transaction as the stream's data.
    """CREATE TABLE IF NOT EXISTS flintt._sync_state (stream VARCHAR PRIMARY KEY,
        synced_at TIMESTAMPTZ NOT NULL, last_complete_at TIMESTAMPTZ, records BIGINT NOT NULL,
        inserted BIGINT NOT NULL, updated BIGINT NOT NULL, deleted BIGINT NOT NULL,
        undeleted BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS flintt._source (base_url VARCHAR NOT NULL,
        bound_at TIMESTAMPTZ NOT NULL)""",
    # For which completion each run's results were fetched: a run whose completed_at moves is
    # fetched again.
    """CREATE TABLE IF NOT EXISTS flintt._run_results_fetched (run_id VARCHAR PRIMARY KEY,
        completed_at TIMESTAMPTZ, results_count INTEGER, fetched_at TIMESTAMPTZ NOT NULL)""",
    # Signals as code: which Flintt signal each key of the signals file means.
    """CREATE TABLE IF NOT EXISTS flintt.signal_keys (key VARCHAR PRIMARY KEY,
        signal_id VARCHAR NOT NULL, recorded_at TIMESTAMPTZ NOT NULL)""",
    # One row per record pushed to Flintt (or found there already, or refused).
    """CREATE TABLE IF NOT EXISTS flintt.push_log (push_id VARCHAR NOT NULL,
        stream VARCHAR NOT NULL, source_key VARCHAR NOT NULL, flintt_id VARCHAR,
        status VARCHAR NOT NULL, error VARCHAR, pushed_at TIMESTAMPTZ NOT NULL)""",
)


def create_tables(connection: duckdb.DuckDBPyConnection) -> None:
    """Create schemas flintt/analytics, the raw and state tables if missing, in one commit."""
    statements = list(_STATE_DDL)
    for table, shape in LISTINGS.items():
        columns = ", ".join(f"{name} {SQL_TYPES[kind]}" for name, kind in shape.fields)
        statements.append(
            f"CREATE TABLE IF NOT EXISTS flintt.{table} (id VARCHAR PRIMARY KEY, {columns}, "
            "_raw JSON NOT NULL, _synced_at TIMESTAMPTZ NOT NULL, _deleted_at TIMESTAMPTZ)"
        )
    connection.execute("BEGIN")
    try:
        for statement in statements:
            connection.execute(statement)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def _value(kind: Kind, text: str) -> str:
    if kind == "integer":
        return f"TRY_CAST({text} AS INTEGER)"
    if kind == "timestamp":
        return f"TRY_CAST({text} AS TIMESTAMPTZ)"
    if kind == "array":
        return f"{text}::JSON"
    return text


def _wrong(kind: Kind, json_type: str, text: str) -> str:
    """SQL condition: the field is present but not of its documented kind (missing/null pass)."""
    if kind == "string":
        return f"{json_type} NOT IN ('VARCHAR', 'NULL')"
    if kind == "integer":
        return (
            f"{json_type} NOT IN ('BIGINT', 'UBIGINT', 'NULL') OR "
            f"({json_type} <> 'NULL' AND TRY_CAST({text} AS INTEGER) IS NULL)"
        )
    if kind == "timestamp":
        valid = (
            f"regexp_full_match({text}, '{ISO_TIMESTAMP}') AND TRY_CAST({text} AS TIMESTAMPTZ) "
            f"BETWEEN TIMESTAMPTZ '{EARLIEST}' AND TIMESTAMPTZ '{LATEST}'"
        )
        return (
            f"{json_type} NOT IN ('VARCHAR', 'NULL') OR "
            f"({json_type} = 'VARCHAR' AND NOT coalesce({valid}, false))"
        )
    return f"{json_type} IS DISTINCT FROM 'ARRAY'"


def typed_select(shape: Shape, source: str) -> str:
    """SELECT over `source` (one VARCHAR column `_raw`, a JSON record per row) giving id, the
    typed fields, `_raw` as JSON and `_bad`: NULL or {field, type, value} of the first wrong field.

    Each record is parsed once for all strings and once for all types (list-path JSON functions)."""
    paths = "['$.id', " + ", ".join(f"'$.{name}'" for name in shape.names) + "]"
    columns = ["s[1] AS id"]
    checks = [
        "WHEN t[1] IS DISTINCT FROM 'VARCHAR' THEN CASE WHEN json_type(_raw) = 'OBJECT' "
        "THEN {'field': 'id', 'type': coalesce(t[1], 'missing'), 'value': left(s[1], 60)} "
        "ELSE {'field': '(record)', 'type': json_type(_raw), 'value': NULL} END"
    ]
    for index, (name, kind) in enumerate(shape.fields, start=2):
        text, json_type = f"s[{index}]", f"t[{index}]"
        columns.append(f"{_value(kind, text)} AS {name}")
        checks.append(
            f"WHEN {_wrong(kind, json_type, text)} THEN {{'field': '{name}', "
            f"'type': coalesce({json_type}, 'missing'), 'value': left({text}, 60)}}"
        )
    return (
        f"SELECT {', '.join(columns)}, _raw::JSON AS _raw, CASE {' '.join(checks)} END AS _bad "
        f"FROM (SELECT _raw, json_extract_string(_raw, {paths}) AS s, "
        f"json_type(_raw, {paths}) AS t "
        f"FROM {source})"
    )


_NAMES = {
    "VARCHAR": "a string",
    "BIGINT": "an integer",
    "UBIGINT": "an integer",
    "DOUBLE": "a number",
    "BOOLEAN": "a boolean",
    "ARRAY": "an array",
    "OBJECT": "an object",
    "NULL": "null",
    "missing": "nothing",
}
_EXPECTED: dict[Kind, str] = {
    "string": "a string or null",
    "integer": "a 32-bit integer or null",
    "timestamp": (
        f"an ISO-8601 timestamp with Z or an offset (none means UTC) from {EARLIEST[:4]} "
        f"to {LATEST[:4]}, or null"
    ),
    "array": "an array",
}


def json_type_name(json_type: str, value: str | None = None) -> str:
    """'a string 'x'' / 'an integer 5' / 'an array' for a json_type() answer and the value text."""
    name = _NAMES.get(json_type, json_type.lower())
    if value is not None and json_type == "VARCHAR":
        return f"{name} {value!r}"
    if value is not None and json_type in ("BIGINT", "UBIGINT", "DOUBLE"):
        return f"{name} {value}"
    return name


def describe_wrong(shape: Shape, bad: dict[str, Any]) -> str:
    """'field 'x' should be ..., got ...' for one `_bad` struct of typed_select."""
    field, got = bad["field"], json_type_name(bad["type"], bad["value"])
    if field == "(record)":
        return f"should be a JSON object, got {got}"
    expected = "a string" if field == "id" else _EXPECTED[dict(shape.fields)[field]]
    return f"field {field!r} should be {expected}, got {got}"
