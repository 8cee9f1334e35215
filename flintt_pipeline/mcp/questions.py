"""Named questions answered by the SQL models, so an assistant need not write SQL for the
common ones. Each returns rows through the same limits as any query."""

from typing import Any

import duckdb

from flintt_pipeline.contract import MODEL_SCHEMA
from flintt_pipeline.mcp.source import table_names

PROSPECT_CHANGES = "prospect_changes"


class ModelMissing(Exception):
    """The model a question needs is not in the file; str() says what would build it."""


def require(connection: duckdb.DuckDBPyConnection, *models: str) -> None:
    held = table_names(connection)
    missing = [name for name in models if (MODEL_SCHEMA, name) not in held]
    if missing:
        tables = ", ".join(f"{MODEL_SCHEMA}.{name}" for name in missing)
        raise ModelMissing(
            f"{tables} is not built in this database yet: run `flintt-pipeline sync` (it builds "
            "the models), then ask again"
        )


def top_signals_sql(connection: duckdb.DuckDBPyConnection) -> str:
    require(connection, "signal_run_stats", "signal_results")
    return f"""
        SELECT s.signal_id, s.signal_name, s.signal_status, s.results_total,
               coalesce(c.companies_hit, 0) AS companies_hit, s.runs_completed, s.runs_failed,
               s.failure_rate, s.results_per_completed_run, s.last_completed_at
        FROM {MODEL_SCHEMA}.signal_run_stats AS s
        LEFT JOIN (
            SELECT signal_id, count(DISTINCT company_id) AS companies_hit
            FROM {MODEL_SCHEMA}.signal_results GROUP BY signal_id
        ) AS c USING (signal_id)
        ORDER BY s.results_total DESC, companies_hit DESC, s.signal_id
        LIMIT ?"""


def company_matches_sql(connection: duckdb.DuckDBPyConnection) -> str:
    """Companies whose id, name or domain is the text exactly, else whose name contains it."""
    require(connection, "company_signal_activity")
    return f"""
        WITH exact AS (
            SELECT * FROM {MODEL_SCHEMA}.company_signal_activity
            WHERE company_id = $1 OR lower(company_name) = lower($1)
               OR lower(company_domain) = lower($1)
        )
        SELECT * FROM exact
        UNION ALL
        SELECT * FROM {MODEL_SCHEMA}.company_signal_activity
        WHERE NOT EXISTS (SELECT 1 FROM exact) AND company_name ILIKE '%' || $1 || '%'
        ORDER BY results DESC, company_id
        LIMIT 20"""


def company_results_sql() -> str:
    return f"""
        SELECT signal_id, signal_name, title, url, score, found_at, run_id
        FROM {MODEL_SCHEMA}.signal_results
        WHERE company_id = ?
        ORDER BY found_at DESC NULLS LAST, run_id, position
        LIMIT ?"""


def prospect_changes_sql(*, days: int, limit: int) -> tuple[str, list[Any]]:
    """The latest prospect changes from `analytics.prospect_changes`, newest first, with its
    parameters; raises ModelMissing when the file has no such model."""
    table = f"{MODEL_SCHEMA}.{PROSPECT_CHANGES}"
    return (
        f"SELECT * FROM {table} WHERE changed_at >= now() - to_days(?) "
        "ORDER BY changed_at DESC, prospect_name LIMIT ?",
        [days, limit],
    )
