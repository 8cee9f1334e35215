"""The MCP server: tools that answer from the warehouse, and each model's SQL as a resource.

Every tool opens the source afresh (see `source`), answers, and says in `source` which file
answered and how fresh its data is. Anticipated failures (a refused or stopped query, a missing
model, a busy file) reach the client as tool errors with one line saying what to do.
"""

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from typing import Annotated, Any

import duckdb
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resources import TextResource
from mcp.types import ToolAnnotations
from pydantic import Field

from flintt_pipeline.lib.sql_models import SqlModel
from flintt_pipeline.mcp import catalog, questions
from flintt_pipeline.mcp.guard import ACCEPTED, QueryRefused, single_read_statement
from flintt_pipeline.mcp.query import QueryFailed, QueryStopped, run_limited
from flintt_pipeline.mcp.source import SourceError, Sources, describe_source, opened

DEFAULT_ROWS = 200
_ANTICIPATED = (
    SourceError,
    QueryRefused,
    QueryStopped,
    QueryFailed,
    catalog.UnknownTable,
    questions.ModelMissing,
)
_READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
INSTRUCTIONS = """\
Read-only SQL access to a Flintt workspace's analytics copy (DuckDB). Schema `flintt` holds the
raw tables synced from Flintt (companies, prospects, signals, runs, run_results, and *_history
when present); schema `analytics` holds the models built from them. Start with list_tables, use
the named questions when they fit, and run_query (DuckDB SQL, one SELECT) for the rest. Every
answer's `source` says which file answered and how fresh its data is."""


@dataclass(frozen=True, kw_only=True)
class Limits:
    max_rows: int
    timeout_seconds: float


def build_server(*, sources: Sources, limits: Limits, models: list[SqlModel]) -> MCPServer:
    """The server; the named questions ask SQL for one row more than they show, so `truncated`
    tells whether there was more."""
    server = MCPServer(
        "flintt-warehouse",
        instructions=INSTRUCTIONS,
        version=version("flintt-pipeline"),
        log_level="WARNING",
    )

    def answer(work: Callable[[duckdb.DuckDBPyConnection], dict[str, Any]]) -> dict[str, Any]:
        try:
            source = sources.choose()
            with opened(source) as connection:
                body = work(connection)
                return {"source": describe_source(connection, source), **body}
        except _ANTICIPATED as error:
            raise ToolError(str(error)) from None

    def limited(
        connection: duckdb.DuckDBPyConnection, sql: str, parameters: list[Any], rows: int
    ) -> dict[str, Any]:
        return run_limited(
            connection,
            sql,
            parameters=parameters,
            max_rows=max(1, min(rows, limits.max_rows)),
            timeout_seconds=limits.timeout_seconds,
        )

    @server.tool(annotations=_READ_ONLY)
    def list_tables() -> dict[str, Any]:
        """Every table and model with its description and columns (name, type, and for models
        the documented meaning). `in_database` is false for a model not built yet."""
        return answer(lambda connection: {"tables": catalog.catalog(connection, models)})

    @server.tool(annotations=_READ_ONLY)
    def describe_table(
        table: Annotated[str, Field(description="e.g. analytics.signal_run_stats or companies")],
        sample_rows: Annotated[int, Field(ge=0, le=50)] = 5,
    ) -> dict[str, Any]:
        """One table's description, columns, row count and a few sample rows."""

        def work(connection: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            entry = catalog.find(catalog.catalog(connection, models), table)
            if not entry["in_database"]:
                raise questions.ModelMissing(
                    f"{entry['table']} is not built in this database yet: run "
                    "`flintt-pipeline sync` (it builds the models), then ask again"
                )
            return {**entry, **catalog.sample_rows(connection, entry, rows=sample_rows)}

        return answer(work)

    @server.tool(annotations=_READ_ONLY, description=_query_description(limits))
    def run_query(
        sql: Annotated[str, Field(description="one read-only DuckDB statement")],
        max_rows: Annotated[int, Field(ge=1)] = DEFAULT_ROWS,
    ) -> dict[str, Any]:
        def work(connection: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            statement = single_read_statement(sql)
            return limited(connection, statement, [], max_rows)

        return answer(work)

    @server.tool(annotations=_READ_ONLY)
    def top_signals(limit: Annotated[int, Field(ge=1, le=100)] = 10) -> dict[str, Any]:
        """Signals ranked by the results their completed runs found, with the distinct companies
        those results reference, run counts, failure rate and last success (from
        analytics.signal_run_stats and analytics.signal_results)."""
        return answer(
            lambda connection: limited(
                connection, questions.top_signals_sql(connection), [limit + 1], limit
            )
        )

    @server.tool(annotations=_READ_ONLY)
    def company_signal_activity(
        company: Annotated[str, Field(description="company id, name or domain; or part of a name")],
        recent_results: Annotated[int, Field(ge=0, le=100)] = 20,
    ) -> dict[str, Any]:
        """Which signals fired on a company and how often (analytics.company_signal_activity),
        and, when exactly one company matches, its latest results (analytics.signal_results)."""

        def work(connection: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            sql = questions.company_matches_sql(connection)
            found = limited(connection, sql, [company.strip()], 20)
            body: dict[str, Any] = {"companies": found}
            if found["row_count"] == 1 and recent_results:
                company_id = found["rows"][0][0]
                sql = questions.company_results_sql()
                body["recent_results"] = limited(
                    connection, sql, [company_id, recent_results + 1], recent_results
                )
            return body

        return answer(work)

    @server.tool(annotations=_READ_ONLY)
    def recent_prospect_changes(
        days: Annotated[int, Field(ge=1, le=3650)] = 30,
        limit: Annotated[int, Field(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        """Prospects whose title or company changed in the last `days` days, newest first, from
        analytics.prospect_changes (built from the change history the sync keeps)."""

        def work(connection: duckdb.DuckDBPyConnection) -> dict[str, Any]:
            questions.require(connection, questions.PROSPECT_CHANGES)
            sql, parameters = questions.prospect_changes_sql(days=days, limit=limit + 1)
            return limited(connection, sql, parameters, limit)

        return answer(work)

    for model in models:
        server.add_resource(
            TextResource(
                uri=f"flintt://models/{model.name}",
                name=model.table,
                title=f"Model {model.table}",
                description=model.description,
                mime_type="application/sql",
                text=model.path.read_text(encoding="utf-8"),
            )
        )
    return server


def _query_description(limits: Limits) -> str:
    return (
        "Run one read-only DuckDB SQL statement over the warehouse and get its rows and column "
        f"types. Accepted: {ACCEPTED}. At most `max_rows` rows are returned (default "
        f"{DEFAULT_ROWS}, at most {limits.max_rows}; `truncated` says when rows were left out) "
        f"and a query running over {limits.timeout_seconds:g} seconds is stopped. Writes, DDL, "
        "ATTACH, COPY, INSTALL/LOAD, SET and reading files or URLs are refused."
    )
