"""What the query tool accepts: one statement that only reads, as DuckDB's own parser classifies it.

This is the first of two locks: the connection itself is read-only and cannot reach files, the
network or extensions (see `source.LOCKED_CONFIG`), so a statement that slips past the type check
still cannot write or read outside the database.
"""

import json
import re
from collections.abc import Iterator
from typing import Any

import duckdb

StatementType = duckdb.StatementType

READ_ONLY_PRAGMAS = frozenset(
    {
        "collations",
        "database_list",
        "database_size",
        "functions",
        "platform",
        "show",
        "show_databases",
        "show_tables",
        "show_tables_expanded",
        "storage_info",
        "table_info",
        "version",
    }
)
# Table functions that read files or URLs (besides every `read_*`).
FILE_FUNCTIONS = frozenset(
    {
        "glob",
        "parquet_scan",
        "parquet_metadata",
        "parquet_schema",
        "parquet_file_metadata",
        "parquet_kv_metadata",
        "sniff_csv",
        "iceberg_scan",
        "delta_scan",
    }
)
_PRAGMA = re.compile(r"\s*pragma\s+(?P<name>[a-z_][a-z0-9_]*)\s*(?P<rest>.*)", re.I | re.S)

# How each refused kind of statement is named in the refusal.
_KINDS: dict[StatementType, str] = {
    StatementType.INSERT: "writes (INSERT)",
    StatementType.UPDATE: "writes (UPDATE)",
    StatementType.DELETE: "writes (DELETE)",
    StatementType.MERGE_INTO: "writes (MERGE)",
    StatementType.CREATE: "DDL (CREATE)",
    StatementType.CREATE_FUNC: "DDL (CREATE FUNCTION)",
    StatementType.ALTER: "DDL (ALTER)",
    StatementType.DROP: "DDL (DROP)",
    StatementType.ATTACH: "ATTACH",
    StatementType.DETACH: "DETACH",
    StatementType.COPY: "COPY",
    StatementType.COPY_DATABASE: "COPY DATABASE",
    StatementType.EXPORT: "EXPORT DATABASE",
    StatementType.LOAD: "INSTALL/LOAD of extensions",
    StatementType.EXTENSION: "extension statements",
    StatementType.SET: "SET/RESET/USE",
    StatementType.VARIABLE_SET: "SET VARIABLE",
    StatementType.TRANSACTION: "transaction statements",
    StatementType.CALL: "CALL/CHECKPOINT",
    StatementType.PREPARE: "PREPARE",
    StatementType.EXECUTE: "EXECUTE",
    StatementType.EXPLAIN: "EXPLAIN",
    StatementType.VACUUM: "VACUUM",
    StatementType.ANALYZE: "ANALYZE",
}
ACCEPTED = (
    "one SELECT (or WITH, VALUES, FROM, DESCRIBE, SHOW, SUMMARIZE), or a read-only PRAGMA "
    f"({', '.join(sorted(READ_ONLY_PRAGMAS))})"
)


class QueryRefused(Exception):
    """A statement this server will not run; str() says why and what it accepts."""


def single_read_statement(sql: str) -> str:
    """The one read-only statement in `sql`, or QueryRefused."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0]
        raise QueryRefused(f"not valid SQL: {first}") from None
    if len(statements) != 1:
        raise QueryRefused(
            f"refused: send exactly one statement (found {len(statements)}); accepted: {ACCEPTED}"
        )
    statement = statements[0]
    if statement.type == StatementType.SELECT:
        _refuse_file_reads(statement.query)
        return statement.query
    if statement.type == StatementType.PRAGMA:
        match = _PRAGMA.match(statement.query)
        if match and match["name"].lower() in READ_ONLY_PRAGMAS and "=" not in match["rest"]:
            return statement.query
        raise QueryRefused(
            "refused: this PRAGMA may change the connection's state; this server only reads. "
            f"Accepted: {ACCEPTED}"
        )
    kind = _KINDS.get(statement.type, f"{statement.type.name} statements")
    raise QueryRefused(
        f"refused: {kind} cannot run here; this server only reads. Accepted: {ACCEPTED}"
    )


def _refuse_file_reads(sql: str) -> None:
    """Refuse a SELECT that names a file or URL: `read_csv('/etc/passwd')`, `FROM 'x.csv'`."""
    with duckdb.connect(":memory:") as parser:
        row = parser.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()
    tree = json.loads(row[0]) if row else {}
    for path in _paths_read(tree):
        raise QueryRefused(
            f"refused: reading files or URLs ({path}) is not allowed; this server only reads "
            "the tables of the warehouse (list_tables shows them)"
        )


def _paths_read(node: Any) -> Iterator[str]:
    if isinstance(node, list):
        for item in node:
            yield from _paths_read(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "TABLE_FUNCTION":
        name = str((node.get("function") or {}).get("function_name", "")).lower()
        if name.startswith("read_") or name in FILE_FUNCTIONS:
            yield f"{name}(...)"
    if node.get("type") == "BASE_TABLE" and not node.get("schema_name"):
        table = str(node.get("table_name", ""))
        if any(mark in table for mark in "./\\:"):
            yield f"FROM '{table}'"
    for value in node.values():
        yield from _paths_read(value)
