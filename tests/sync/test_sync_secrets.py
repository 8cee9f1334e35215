"""The API key never lands anywhere a sync writes: Dagster's event log and run records, Python
log records at DEBUG, the console, DAGSTER_HOME's files, or the warehouse."""

import logging
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from sync_support import Synced, mirror_problems

from flintt_pipeline.cli.sync import run_sync
from flintt_pipeline.sandbox import SandboxConfig

WRONG_KEY = "flt_" + "N0tTheKeyN0tTheKeyN0tThe"
# Python loggers whose records Dagster stores as events, at DEBUG: the HTTP stack and ours.
DAGSTER_YAML = """telemetry:
  enabled: false
python_logs:
  python_log_level: DEBUG
  managed_python_loggers: [httpx, httpcore, flintt_pipeline, flintt]
"""


def everything_recorded(home: Path, database: str) -> dict[str, bytes]:
    """What a sync left behind, as bytes: each run's events and record, every file in
    DAGSTER_HOME, every row of every warehouse table, and the warehouse file."""
    recorded: dict[str, bytes] = {}
    instance = dg.DagsterInstance.get()
    for run in instance.get_runs():
        recorded[f"run {run.run_id}"] = dg.serialize_value(run).encode()
        for entry in instance.all_logs(run.run_id):
            recorded[f"event {run.run_id} {entry.timestamp}"] = dg.serialize_value(entry).encode()
    for path in home.rglob("*"):
        if path.is_file():
            recorded[str(path)] = path.read_bytes()
    with duckdb.connect(database, read_only=True) as connection:
        tables = connection.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY ALL"
        ).fetchall()
        for schema, table in tables:
            rows = connection.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
            recorded[f"{schema}.{table}"] = repr(rows).encode()
    recorded[database] = Path(database).read_bytes()
    return recorded


def test_the_key_is_never_recorded(
    synced_from: Callable[..., Synced],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    synced = synced_from(SandboxConfig(seed=5, companies=12, prospects=20, signals=3, runs=15))
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(DAGSTER_YAML)
    sandbox = synced.sandbox
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("FLINTT_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("FLINTT_DUCKDB_PATH", synced.database)
    caplog.set_level(logging.DEBUG)

    # A sync that retries (so the client logs warnings), then one with a key Flintt refuses.
    monkeypatch.setenv("FLINTT_API_KEY", sandbox.api_key)
    sandbox.control.settings(fault="429", retry_after="0", fault_count=2)
    assert run_sync().success
    assert mirror_problems(synced.database, sandbox) == []
    monkeypatch.setenv("FLINTT_API_KEY", WRONG_KEY)
    assert not run_sync().success

    recorded = everything_recorded(home, synced.database)
    events = b"".join(content for place, content in recorded.items() if place.startswith("event"))
    # DEBUG was on: httpcore's request-by-request lines and the client's retry notes are events.
    assert b"send_request_headers" in events and b"retrying in" in events
    assert any(b"refused the API key" in content for content in recorded.values())
    said = [r.getMessage() + repr(r.args) + (r.exc_text or "") for r in caplog.records]
    assert len(said) > 50
    out, err = capfd.readouterr()
    for key in (sandbox.api_key, WRONG_KEY):
        assert [place for place, content in recorded.items() if key.encode() in content] == []
        assert not any(key in line for line in said)
        assert key not in out + err
