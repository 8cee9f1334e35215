"""`.env.example` names every setting of the contract and every one the code reads, each
commented out with its default, so copying it changes nothing and leaks nothing."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONTRACT = {
    "FLINTT_API_KEY",
    "FLINTT_BASE_URL",
    "FLINTT_DUCKDB_PATH",
    "FLINTT_INBOX_PATH",
    "FLINTT_WEBHOOK_TOKENS",
    "FLINTT_MANAGEMENT_TOKEN",
    "FLINTT_READ_DUCKDB_PATH",
    "FLINTT_INBOX_URL",
    "DAGSTER_PG_URL",
    "FLINTT_SIGNALS_FILE",
    "FLINTT_MCP_TOKEN",
    "DAGSTER_HOME",
}


def test_every_setting_is_listed_commented_out() -> None:
    text = (REPO / ".env.example").read_text()
    listed = set(re.findall(r"^# ([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    read_by_code = {
        name
        for path in (REPO / "flintt_pipeline").rglob("*.py")
        for name in re.findall(r"[\"']((?:FLINTT|DAGSTER_PG)_[A-Z0-9_]+)[\"']", path.read_text())
    }
    assert read_by_code
    assert CONTRACT | read_by_code <= listed
    active = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert active == []
