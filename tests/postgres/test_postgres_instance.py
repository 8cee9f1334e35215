"""The production instance (`deploy/dagster.yaml`): runs, event logs and schedule state live in
Postgres, and the CLI's sync runs there exactly as on the embedded SQLite instance."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import psycopg2
from pg_server import PostgresServer

from flintt_pipeline.sandbox import SandboxConfig, running_sandbox

REPO = Path(__file__).resolve().parents[2]
SMALL = SandboxConfig(seed=5, companies=30, prospects=60, signals=4, runs=20)


def _production_home(tmp_path: Path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    return home


def test_postgres_instance_records_a_cli_sync(postgres: PostgresServer, tmp_path: Path) -> None:
    url = postgres.create_database("dagster_cli_sync")
    home = _production_home(tmp_path)
    warehouse = tmp_path / "warehouse.duckdb"
    with running_sandbox(SMALL) as sandbox:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FLINTT_", "DAGSTER_"))}
        env |= {
            "DAGSTER_HOME": str(home),
            "DAGSTER_PG_URL": url,
            "FLINTT_API_KEY": sandbox.api_key,
            "FLINTT_BASE_URL": sandbox.base_url,
            "FLINTT_DUCKDB_PATH": str(warehouse),
        }
        done = subprocess.run(
            [sys.executable, "-m", "flintt_pipeline.cli", "sync"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-2000:]

    with psycopg2.connect(url) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT run_id, status FROM runs")
        runs = cursor.fetchall()
        assert [status for _, status in runs] == ["SUCCESS"]
        cursor.execute(
            "SELECT count(*) FROM event_logs WHERE run_id = %s AND dagster_event_type = %s",
            (runs[0][0], "ASSET_MATERIALIZATION"),
        )
        (materializations,) = cursor.fetchone()
    # Five raw tables, four histories, every model and the read copy, each materialized once.
    models = len(list((REPO / "flintt_pipeline" / "sql").glob("*.sql")))
    assert materializations == 5 + 4 + models + 1
    # Nothing fell back to SQLite files in DAGSTER_HOME.
    assert not list(home.rglob("*.db")), sorted(p.name for p in home.rglob("*"))
    with duckdb.connect(str(warehouse), read_only=True) as db:
        assert db.execute("SELECT count(*) FROM flintt.companies").fetchone() == (30,)
