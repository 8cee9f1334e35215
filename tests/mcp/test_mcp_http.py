"""The MCP server over streamable HTTP, through the SDK's client, serving a published read copy:
the bearer token, the tools and resources, and a sync writing the live file meanwhile."""

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest
from mcp import MCPError
from mcp_support import (
    API_KEY,
    CLI,
    LONG_QUERY,
    MCP_TOKEN,
    PUBLISHED_AT,
    Session,
    connected,
    http_server,
    http_transport,
    publish,
    server_env,
    sync,
)

from flintt_pipeline.sandbox import SandboxHandle

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "probe", "version": "0"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def read_copy(live: str, data_dir: Path, sandbox: SandboxHandle) -> str:
    """The published copy, after three prospects changed title in Flintt and a sync saw it, so
    `analytics.prospect_changes` holds three changes."""
    for prospect in sandbox.control.state("prospects")[:3]:
        sandbox.control.update("prospects", prospect["id"], title="Chief Revenue Officer")
    assert sync(live, sandbox).success
    path = str(data_dir / "warehouse_read.duckdb")
    publish(live, path)
    return path


@pytest.fixture(scope="module")
def url(live: str, read_copy: str) -> Iterator[str]:
    env = server_env(live=live, read_copy=read_copy)
    with http_server(env, args=("--query-timeout", "2")) as address:
        yield address


@pytest.fixture(scope="module")
def server(url: str) -> Iterator[Session]:
    with connected(http_transport(url, token=MCP_TOKEN)) as session:
        yield session


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-123", f"Bearer {MCP_TOKEN}x", MCP_TOKEN, f"Basic {MCP_TOKEN}"],
    ids=["missing", "wrong", "longer", "no-scheme", "basic"],
)
def test_wrong_or_missing_token_refused(url: str, authorization: str | None) -> None:
    headers = ACCEPT | ({"Authorization": authorization} if authorization else {})
    response = httpx.post(url, json=INITIALIZE, headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert MCP_TOKEN not in response.text and "wrong-token-123" not in response.text


def test_right_token_answers(url: str) -> None:
    headers = ACCEPT | {"Authorization": f"Bearer {MCP_TOKEN}"}
    response = httpx.post(url, json=INITIALIZE, headers=headers, timeout=10)
    assert response.status_code == 200


def test_sdk_client_with_a_wrong_token_cannot_connect(url: str) -> None:
    """The SDK turns the 401 into an error on `initialize`: no session is ever opened."""
    opened = []
    with (
        pytest.raises(ExceptionGroup) as raised,
        connected(http_transport(url, token="not-the-token")) as session,
    ):
        opened.append(session)
    assert raised.group_contains(MCPError, depth=None) and not opened


def test_refuses_to_start_without_token(live: str, data_dir: Path) -> None:
    env = server_env(live=live, read_copy=str(data_dir / "none.duckdb"), FLINTT_MCP_TOKEN="")
    done = subprocess.run(
        [CLI, "mcp", "--http", "--port", "9"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "FLINTT_MCP_TOKEN is not set" in lines[0]


def test_serves_the_read_copy_with_its_publication_time(server: Session, read_copy: str) -> None:
    answer = server.ok("list_tables")
    assert answer["source"]["database"] == read_copy
    assert answer["source"]["kind"] == "read copy"
    assert answer["source"]["data_as_of"] == PUBLISHED_AT
    assert answer["source"]["data_as_of_from"] == "flintt._published"
    tables = {entry["table"] for entry in answer["tables"]}
    assert "flintt._published" not in tables and "analytics.signal_run_stats" in tables
    (content,) = server.portal.call(
        server.session.read_resource, "flintt://models/signal_run_stats"
    ).contents
    assert "FROM flintt.signals AS s" in content.text
    rows = server.query("SELECT count(*) AS n FROM flintt.companies")["rows"]
    with duckdb.connect(read_copy, read_only=True) as connection:
        assert rows == [[connection.execute("SELECT count(*) FROM flintt.companies").fetchone()[0]]]
    assert "writes (DELETE)" in server.refused("DELETE FROM flintt.companies")
    assert "stopped: the query ran past the 2-second" in server.refused(LONG_QUERY)
    assert server.ok("top_signals")["row_count"] > 0


def test_recent_prospect_changes_when_the_model_exists(server: Session) -> None:
    month = server.ok("recent_prospect_changes", days=30)
    assert month["row_count"] == 3
    assert {row[3] for row in month["rows"]} == {"Chief Revenue Officer"}
    fewer = server.ok("recent_prospect_changes", days=365, limit=2)
    assert (fewer["row_count"], fewer["truncated"]) == (2, True)


def test_sync_of_the_live_file_is_not_blocked_by_serving_the_read_copy(
    server: Session, live: str, sandbox: SandboxHandle
) -> None:
    sandbox.control.create("companies", name="Synced Behind The Copy", domain="behind.example")
    answers: list[str] = []
    slow = threading.Thread(target=lambda: answers.append(server.refused(LONG_QUERY)))
    slow.start()
    result = sync(live, sandbox)
    slow.join()
    assert result.success
    assert "stopped" in answers[0]
    # The copy is what was published: the new company appears after the next publication.
    assert server.ok("company_signal_activity", company="behind.example")["companies"]["rows"] == []
    with duckdb.connect(live, read_only=True) as connection:
        assert connection.execute(
            "SELECT count(*) FROM flintt.companies WHERE domain = 'behind.example'"
        ).fetchone() == (1,)


def test_no_secret_in_any_answer(server: Session) -> None:
    server.call("run_query", sql="SELECT * FROM duckdb_settings()", max_rows=500)
    assert server.texts
    for text in server.texts:
        assert MCP_TOKEN not in text and API_KEY not in text
