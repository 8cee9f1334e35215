"""Files that are not a warehouse of ours, or no longer whole, are refused before any DDL, in one
line, and left byte for byte as they were."""

import hashlib
import sqlite3
from pathlib import Path

import duckdb
import pytest

from flintt_pipeline.lib.warehouse import (
    ForeignWarehouseError,
    WarehouseError,
    WarehouseUnusableError,
    open_warehouse,
)


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(path: Path, error: type[WarehouseError]) -> str:
    before = checksum(path)
    with pytest.raises(error) as raised, open_warehouse(database=str(path)):
        pass
    assert checksum(path) == before
    assert not Path(f"{path}.wal").exists()
    message = str(raised.value)
    assert "\n" not in message and str(path) in message and "FLINTT_DUCKDB_PATH" in message
    return message


def another_programs_duckdb(path: Path, *, schema: str) -> None:
    with duckdb.connect(str(path)) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
        connection.execute(f"CREATE TABLE {schema}.companies (id INTEGER, label VARCHAR)")
        connection.execute(f"INSERT INTO {schema}.companies VALUES (1, 'theirs')")


@pytest.mark.parametrize("schema", ["flintt", "analytics"])
def test_another_programs_duckdb_with_our_schema_names(tmp_path: Path, schema: str) -> None:
    path = tmp_path / "theirs.duckdb"
    another_programs_duckdb(path, schema=schema)
    message = refused(path, ForeignWarehouseError)
    assert "not made by flintt-pipeline" in message and f"{schema}.companies" in message


def test_a_duckdb_file_with_only_other_schemas_is_adopted(tmp_path: Path) -> None:
    path = tmp_path / "shared.duckdb"
    another_programs_duckdb(path, schema="sales")
    with open_warehouse(database=str(path)) as warehouse:
        warehouse.merge_listing("companies", [[{"id": "c1"}]])
    with open_warehouse(database=str(path)) as warehouse:
        assert warehouse.table_summary("companies").row_count == 1
        assert warehouse.table_summary("sales.companies").row_count == 1


def test_our_own_warehouse_opens_again_before_and_after_its_first_sync(tmp_path: Path) -> None:
    path = str(tmp_path / "warehouse.duckdb")
    for _ in range(2):
        with open_warehouse(database=path):
            pass
    with open_warehouse(database=path) as warehouse:
        warehouse.merge_listing("companies", [[{"id": "c1"}]])
    with open_warehouse(database=path) as warehouse:
        assert warehouse.table_summary("companies").row_count == 1


def test_a_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE companies (id TEXT)")
    assert "is a SQLite database" in refused(path, ForeignWarehouseError)


@pytest.mark.parametrize(("content", "said"), [(b"", "an empty file"), (b"x" * 5000, "not a")])
def test_files_that_are_not_duckdb(tmp_path: Path, content: bytes, said: str) -> None:
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(content)
    assert said in refused(path, ForeignWarehouseError)


def test_a_directory(tmp_path: Path) -> None:
    path = tmp_path / "warehouse.duckdb"
    path.mkdir()
    with (
        pytest.raises(ForeignWarehouseError, match="is a directory"),
        open_warehouse(database=str(path)),
    ):
        pass


@pytest.mark.parametrize("kept", [0.9, 0.5, 0.05])
def test_a_truncated_warehouse(tmp_path: Path, kept: float) -> None:
    whole = tmp_path / "whole.duckdb"
    with open_warehouse(database=str(whole)) as warehouse:
        listing = [{"id": f"c{n}", "name": f"Company {n}" * 20} for n in range(20_000)]
        warehouse.merge_listing("companies", [listing])
    data = whole.read_bytes()
    path = tmp_path / "warehouse.duckdb"
    path.write_bytes(data[: int(len(data) * kept)])
    message = refused(path, WarehouseUnusableError)
    assert "is truncated" in message and "restore it from a backup" in message
