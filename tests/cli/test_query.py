"""`flintt-pipeline query`: read-only SQL over the read copy (or the live warehouse with --live),
as a table, CSV or JSON; a write is refused in one line and changes nothing."""

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from flintt_pipeline.cli import main
from flintt_pipeline.lib.warehouse import open_warehouse

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def published(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A warehouse with two companies and its read copy; the environment points at both."""
    database, read_path = tmp_path / "warehouse.duckdb", tmp_path / "warehouse_read.duckdb"
    with open_warehouse(database=str(database)) as warehouse:
        warehouse.connection.execute(
            "INSERT INTO flintt.companies (id, name, _raw, _synced_at) VALUES "
            "('c1', 'Acme', '{}', now()), ('c2', 'Café, \"Olé\"', '{}', now())"
        )
        warehouse.publish(target=str(read_path))
        # Only in the live file: --live sees it, the copy does not.
        warehouse.connection.execute(
            "INSERT INTO flintt.companies (id, name, _raw, _synced_at) VALUES "
            "('c3', 'Live Only', '{}', now())"
        )
    monkeypatch.setenv("FLINTT_DUCKDB_PATH", str(database))
    monkeypatch.setenv("FLINTT_READ_DUCKDB_PATH", str(read_path))
    return database, read_path


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run() -> Run:
    def invoke(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, ["query", *args])
        return result.exit_code, result.stdout, result.stderr

    return invoke


NAMES = "SELECT id, name FROM flintt.companies ORDER BY id"


def test_a_table_from_the_read_copy_in_a_process_of_its_own(published: tuple[Path, Path]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flintt_pipeline.cli", "query", NAMES],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["id", "|", "name"]
    assert [line.split(" | ")[0].strip() for line in lines[2:4]] == ["c1", "c2"]
    assert lines[-1] == "(2 rows)"


def test_csv_json_and_output_file(published: tuple[Path, Path], run: Run, tmp_path: Path) -> None:
    code, out, _ = run(NAMES, "--format", "csv")
    assert code == 0
    assert list(csv.reader(io.StringIO(out))) == [
        ["id", "name"],
        ["c1", "Acme"],
        ["c2", 'Café, "Olé"'],
    ]
    target = tmp_path / "out.json"
    code, out, err = run(NAMES, "--format", "json", "--output", str(target))
    assert code == 0 and out == "" and "2 rows written" in err
    assert json.loads(target.read_text()) == [
        {"id": "c1", "name": "Acme"},
        {"id": "c2", "name": 'Café, "Olé"'},
    ]


def test_live_reads_the_warehouse_and_says_it_may_wait(
    published: tuple[Path, Path], run: Run
) -> None:
    code, out, err = run("SELECT count(*) AS n FROM flintt.companies", "--live", "--format", "csv")
    assert code == 0, err
    assert out.splitlines() == ["n", "3"]
    assert "may wait" in err


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM flintt.companies",
        "SELECT 1; DROP TABLE flintt.companies",
        "ATTACH 'other.duckdb' AS other",
        "COPY flintt.companies TO 'out.csv'",
    ],
)
def test_a_write_is_refused_in_one_line(published: tuple[Path, Path], run: Run, sql: str) -> None:
    _, read_path = published
    before = read_path.read_bytes()
    code, out, err = run(sql)
    assert code == 1 and out == ""
    assert err.startswith("Error: refused: query only reads") and err.count("\n") == 1, err
    assert read_path.read_bytes() == before


def test_no_read_copy_yet_says_what_to_run(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLINTT_READ_DUCKDB_PATH", str(tmp_path / "none_read.duckdb"))
    code, _, err = run("SELECT 1")
    assert code == 1 and "flintt-pipeline sync` publishes one" in err and err.count("\n") == 1
    monkeypatch.setenv("FLINTT_READ_DUCKDB_PATH", str(tmp_path / "analytics.duckdb"))
    code, _, err = run("SELECT 1")
    assert code == 1 and "named like a schema" in err
