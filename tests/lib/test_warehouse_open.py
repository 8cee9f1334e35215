"""Opening the warehouse: names, parent folders, another process's lock, source binding, summary."""

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from flintt_pipeline.lib.warehouse import (
    SourceMismatchError,
    WarehouseError,
    WarehouseLockedError,
    open_warehouse,
)

HOLD_LOCK = """
import sys, time, duckdb
connection = duckdb.connect(sys.argv[1])
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.close()
"""


@contextmanager
def locked_by_other_process(path: Path, seconds: float) -> Iterator[subprocess.Popen]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("name", ["flintt.duckdb", "analytics.duckdb", "main.duckdb", "md:flintt"])
def test_schema_like_names_are_refused(tmp_path: Path, name: str) -> None:
    database = name if name.startswith("md:") else str(tmp_path / name)
    with (
        pytest.raises(WarehouseError, match="named like a schema") as raised,
        open_warehouse(database=database),
    ):
        pass
    assert "\n" not in str(raised.value)
    assert not (tmp_path / name).exists()


def test_open_creates_parents_schemas_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "deeper" / "still" / "warehouse.duckdb"
    with open_warehouse(database=str(path)) as warehouse:
        schemas = {
            row[0]
            for row in warehouse.connection.execute(
                "SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database()"
            ).fetchall()
        }
        summary = warehouse.table_summary("runs")
    assert path.exists()
    assert {"flintt", "analytics"} <= schemas
    assert summary.row_count == 0
    assert summary.columns == [
        ("id", "VARCHAR"),
        ("signal_id", "VARCHAR"),
        ("status", "VARCHAR"),
        ("results_count", "INTEGER"),
        ("completed_at", "TIMESTAMP WITH TIME ZONE"),
        ("_raw", "JSON"),
        ("_synced_at", "TIMESTAMP WITH TIME ZONE"),
        ("_deleted_at", "TIMESTAMP WITH TIME ZONE"),
    ]


def test_table_summary_counts_live_rows_and_refuses_unknown_tables(tmp_path: Path) -> None:
    with open_warehouse(database=str(tmp_path / "w.duckdb")) as warehouse:
        warehouse.merge_listing("signals", [[{"id": "s1"}, {"id": "s2"}, {"id": "s3"}]])
        warehouse.merge_listing("signals", [[{"id": "s1"}]])
        assert warehouse.table_summary("signals").row_count == 1
        assert warehouse.table_summary("flintt._sync_state").row_count == 1
        with pytest.raises(WarehouseError, match=r"no table flintt\.nope"):
            warehouse.table_summary("nope")


def test_waits_for_another_process_then_gives_up(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    lines: list[str] = []
    with locked_by_other_process(path, seconds=30) as holder:
        started = time.monotonic()
        with (
            pytest.raises(WarehouseLockedError) as raised,
            open_warehouse(database=str(path), lock_timeout=1.2, on_wait=lines.append),
        ):
            pass
        waited = time.monotonic() - started
    # It gave up (raised) long before the holder's 30 s: no upper bound on a busy clock needed.
    assert waited >= 1.2
    assert len(lines) == 1
    assert str(path) in lines[0] and f"process {holder.pid}" in lines[0]
    assert "waiting up to 1.2s" in lines[0]
    message = str(raised.value)
    assert str(path) in message and f"process {holder.pid}" in message and "\n" not in message


def test_opens_once_the_other_process_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    lines: list[str] = []
    with (
        locked_by_other_process(path, seconds=1.0),
        open_warehouse(database=str(path), lock_timeout=20, on_wait=lines.append) as opened,
    ):
        assert opened.table_summary("companies").row_count == 0
    assert len(lines) == 1


def test_source_is_bound_by_the_first_sync_and_other_urls_refused(tmp_path: Path) -> None:
    path = str(tmp_path / "warehouse.duckdb")
    with open_warehouse(database=path) as warehouse:
        warehouse.bind_source("http://127.0.0.1:8765/")
        warehouse.merge_listing("companies", [[{"id": "c1"}]])
    with open_warehouse(database=path) as warehouse:
        warehouse.bind_source("http://127.0.0.1:8765")
        warehouse.bind_source("HTTP://127.0.0.1:8765//")
        with pytest.raises(SourceMismatchError) as raised:
            warehouse.bind_source("https://api.flintt.co")
        stored = warehouse.connection.execute("SELECT base_url FROM flintt._source").fetchall()
    message = str(raised.value)
    assert "127.0.0.1:8765" in message and "api.flintt.co" in message and "\n" not in message
    assert stored == [("http://127.0.0.1:8765",)]


def test_a_failed_first_sync_binds_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "warehouse.duckdb")
    with open_warehouse(database=path) as warehouse:
        warehouse.bind_source("http://127.0.0.1:1")
        with pytest.raises(WarehouseError):
            warehouse.merge_listing("companies", [[{"id": 1}]])
    with open_warehouse(database=path) as warehouse:
        warehouse.bind_source("https://api.flintt.co")
        warehouse.merge_listing("companies", [[{"id": "c1"}]])
        stored = warehouse.connection.execute("SELECT base_url FROM flintt._source").fetchall()
    assert stored == [("https://api.flintt.co",)]
