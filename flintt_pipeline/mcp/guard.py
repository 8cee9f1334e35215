"""What the query tool accepts: one statement that only reads, as DuckDB's own parser classifies it.

This is the first of two locks: the connection itself is read-only and cannot reach files, the
network or extensions (see `source.LOCKED_CONFIG`), so a statement that slips past the type check
still cannot write or read outside the database.
"""

import re

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
    StatementType.CALL: "CALL",
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
        raise QueryRefused(f"refused: not valid SQL: {first}") from None
    if len(statements) != 1:
        raise QueryRefused(
            f"refused: send exactly one statement (found {len(statements)}); accepted: {ACCEPTED}"
        )
    statement = statements[0]
    if statement.type == StatementType.SELECT:
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
