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

SOURCE_SCHEMA = "flintt"
MODEL_SCHEMA = "analytics"

DEFAULT_BASE_URL = "https://api.flintt.co"
DEFAULT_DUCKDB_PATH = "data/warehouse.duckdb"
DEFAULT_INBOX_PATH = "data/webhook_inbox.sqlite3"
DEFAULT_READ_DUCKDB_PATH = "data/warehouse_read.duckdb"
DEFAULT_SIGNALS_FILE = "signals.yaml"
