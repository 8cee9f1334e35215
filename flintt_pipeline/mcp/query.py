"""Running one read statement under a row limit and a time limit, and turning its rows into JSON.

The time limit is enforced by DuckDB itself: a timer thread interrupts the connection, which
stops the query wherever it is (scanning, joining or handing rows over).
"""

import math
import threading
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import duckdb

from flintt_pipeline.mcp.guard import QueryRefused

# Errors DuckDB raises when the locked connection is asked to reach a file, URL or extension.
_OUTSIDE = (duckdb.PermissionException,)


class QueryStopped(Exception):
    """The query ran past the time limit; str() says so and how to narrow it."""


class QueryFailed(Exception):
    """DuckDB could not run the query; str() is DuckDB's first line."""


def run_limited(
    connection: duckdb.DuckDBPyConnection,
    sql: str,
    *,
    parameters: Sequence[object] = (),
    max_rows: int,
    timeout_seconds: float,
) -> dict[str, Any]:
    """Columns (name, type), at most `max_rows` rows, and whether more rows were left out."""
    running = threading.Lock()
    finished = False

    def stop() -> None:
        # Only while this query runs: a late interrupt would hit the connection's next query.
        with running:
            if not finished:
                connection.interrupt()

    timer = threading.Timer(timeout_seconds, stop)
    timer.daemon = True
    timer.start()
    try:
        cursor = connection.execute(sql, list(parameters))
        description = cursor.description or []
        rows = cursor.fetchmany(max_rows + 1)
    except duckdb.InterruptException:
        raise QueryStopped(
            f"stopped: the query ran past the {timeout_seconds:g}-second time limit; narrow it "
            "(filter earlier, aggregate, avoid cross joins) and try again"
        ) from None
    except _OUTSIDE as error:
        raise QueryRefused(
            "refused: this server cannot read files, URLs or extensions, only the tables of the "
            f"warehouse ({_first(error)})"
        ) from None
    except duckdb.Error as error:
        raise QueryFailed(f"query failed: {_first(error)}") from None
    finally:
        with running:
            finished = True
        timer.cancel()
    return {
        "columns": [{"name": name, "type": str(kind)} for name, kind, *_ in description],
        "rows": [[jsonable(value) for value in row] for row in rows[:max_rows]],
        "row_count": min(len(rows), max_rows),
        "truncated": len(rows) > max_rows,
        "row_limit": max_rows,
    }


def jsonable(value: Any) -> Any:
    """A JSON-ready form of a DuckDB value: times as ISO 8601, decimals and UUIDs as strings."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID | timedelta):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(item) for item in value]
    return str(value)


def _first(error: BaseException) -> str:
    return str(error).strip().splitlines()[0]
