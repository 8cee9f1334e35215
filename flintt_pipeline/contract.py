"""Names the contract fixes (ARCHITECTURE.md), each with one home: streams, tables, defaults.

Both subsystems under `lib/` read these; neither depends on the other through them.
"""

from typing import Literal

ListedStream = Literal["companies", "prospects", "signals"]
# Streams the API lists whole, with no change filter.
LISTED_STREAMS: tuple[ListedStream, ...] = ("companies", "prospects", "signals")
# Every raw table of schema `flintt`, in sync order.
RAW_TABLES: tuple[str, ...] = (*LISTED_STREAMS, "runs", "run_results")
# Tables whose every version is kept, and their history tables (written by the same merge).
TRACKED_TABLES: tuple[str, ...] = (*LISTED_STREAMS, "runs")
HISTORY_TABLES: dict[str, str] = {table: f"{table}_history" for table in TRACKED_TABLES}

# What each raw table holds: shown by the Dagster UI and by the MCP server.
TABLE_DESCRIPTIONS: dict[str, str] = {
    "companies": "Every company in the workspace; soft-deleted when Flintt no longer lists it.",
    "prospects": "Every prospect in the Flintt workspace, with its company reference.",
    "signals": "Every signal (monitoring job) with its status and cron schedule.",
    "runs": "Signal runs, synced incrementally newest first; open runs are re-read until final.",
    "run_results": "The results of completed runs, one row per result, replaced per run.",
}

SOURCE_SCHEMA = "flintt"
MODEL_SCHEMA = "analytics"

DEFAULT_BASE_URL = "https://api.flintt.co"
DEFAULT_DUCKDB_PATH = "data/warehouse.duckdb"
DEFAULT_INBOX_PATH = "data/webhook_inbox.sqlite3"
DEFAULT_READ_DUCKDB_PATH = "data/warehouse_read.duckdb"
DEFAULT_SIGNALS_FILE = "signals.yaml"
