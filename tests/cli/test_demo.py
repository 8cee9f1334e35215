"""The README's first command, end to end, in a directory of its own."""

import re

import duckdb
from demo_support import DemoRun
from dotenv import dotenv_values


def test_demo_syncs_builds_models_and_plays_a_webhook(demo_run: DemoRun) -> None:
    tmp_path, done = demo_run.directory, demo_run.done
    out = done.stdout
    assert "The sensor requested flintt_runs_job" in out
    assert "The run's results in flintt.run_results: 5." in out
    # The key is printed nowhere, not even by the sandbox the demo started.
    assert not re.search(r"flt_[A-Za-z0-9_-]{20,}", out + done.stderr)

    with duckdb.connect(str(tmp_path / "data" / "demo.duckdb"), read_only=True) as con:
        counts = dict(
            con.execute(
                "SELECT table_name, live_rows FROM analytics.sync_health ORDER BY 1"
            ).fetchall()
        )
    assert counts["flintt.companies"] == 2000
    assert counts["flintt.prospects"] == 5000
    assert counts["flintt.runs"] == 401
    # The read copy sits beside the demo's warehouse, published after the webhook's run too.
    assert not (tmp_path / "data" / "warehouse_read.duckdb").exists()
    with duckdb.connect(str(tmp_path / "data" / "demo_read.duckdb"), read_only=True) as con:
        published = dict(
            con.execute("SELECT table_name, row_count FROM flintt._published").fetchall()
        )
    assert published["flintt.runs"] == 401
    # Recorded in DAGSTER_HOME, so the UI shows the demo's materializations afterwards.
    assert any((tmp_path / "dagster_home" / "storage").iterdir())
    # A .env for `dg dev`: the demo's runs and warehouse, and no key, so no schedule starts.
    assert dotenv_values(tmp_path / ".env") == {
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "FLINTT_DUCKDB_PATH": "data/demo.duckdb",
        "FLINTT_INBOX_PATH": "data/demo_inbox.sqlite3",
    }
    assert "http://127.0.0.1:3000" in out
