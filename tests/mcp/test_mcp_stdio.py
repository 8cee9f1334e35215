"""The MCP server over stdio, through the SDK's client, against the live warehouse (no read copy):
every tool and resource, the row and time limits, refused statements, secrets, and a sync
running while it serves."""

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from mcp_support import (
    API_KEY,
    LONG_QUERY,
    MCP_TOKEN,
    Session,
    connected,
    server_env,
    stdio_transport,
    sync,
)

from flintt_pipeline.contract import RAW_TABLES, TABLE_DESCRIPTIONS
from flintt_pipeline.lib.sql_models import load_models, shipped_models_dir
from flintt_pipeline.mcp.query import jsonable
from flintt_pipeline.sandbox import SandboxHandle

MODELS = load_models(shipped_models_dir())
TOOLS = {
    "list_tables",
    "describe_table",
    "run_query",
    "top_signals",
    "company_signal_activity",
    "recent_prospect_changes",
}


@pytest.fixture(scope="module")
def server(live: str, data_dir: Path) -> Iterator[Session]:
    env = server_env(live=live, read_copy=str(data_dir / "no_read_copy.duckdb"))
    with (
        open(data_dir / "server.log", "w") as errlog,
        connected(
            stdio_transport(env, errlog=errlog, args=("--query-timeout", "2", "--max-rows", "300"))
        ) as session,
    ):
        yield session


def direct(database: str, sql: str, parameters: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(database, read_only=True) as connection:
        return connection.execute(sql, parameters or []).fetchall()


def test_tools_and_resources(server: Session) -> None:
    tools = server.portal.call(server.session.list_tools).tools
    assert {tool.name for tool in tools} == TOOLS
    assert all(tool.annotations and tool.annotations.read_only_hint for tool in tools)
    resources = server.portal.call(server.session.list_resources).resources
    assert {str(r.uri) for r in resources} == {f"flintt://models/{m.name}" for m in MODELS}
    for model in MODELS:
        uri = f"flintt://models/{model.name}"
        (listed,) = [r for r in resources if str(r.uri) == uri]
        assert listed.description == model.description
        (content,) = server.portal.call(server.session.read_resource, uri).contents
        assert content.text == model.path.read_text(encoding="utf-8")


def test_list_tables_describes_tables_models_and_source(server: Session, live: str) -> None:
    answer = server.ok("list_tables")
    (synced_at,) = direct(
        live,
        "SELECT max(m) FROM ("
        + " UNION ALL ".join(f"SELECT max(_synced_at) m FROM flintt.{t}" for t in RAW_TABLES)
        + ")",
    )[0]
    assert answer["source"]["database"] == live
    assert answer["source"]["kind"] == "live warehouse"
    assert answer["source"]["data_as_of"] == synced_at.isoformat()
    tables = {entry["table"]: entry for entry in answer["tables"]}
    for table in RAW_TABLES:
        entry = tables[f"flintt.{table}"]
        assert entry["description"] == TABLE_DESCRIPTIONS[table]
        held = direct(live, f"DESCRIBE flintt.{table}")
        assert [(c["name"], c["type"]) for c in entry["columns"]] == [(n, t) for n, t, *_ in held]
    for model in MODELS:
        entry = tables[model.table]
        assert entry["in_database"] and entry["description"] == model.description
    stats = {c["name"]: c for c in tables["analytics.signal_run_stats"]["columns"]}
    assert stats["failure_rate"]["description"].startswith("failed / (completed + failed)")


def test_describe_table_with_samples(server: Session, live: str) -> None:
    answer = server.ok("describe_table", table="companies", sample_rows=3)
    assert answer["table"] == "flintt.companies"
    assert answer["row_count"] == direct(live, "SELECT count(*) FROM flintt.companies")[0][0]
    assert len(answer["sample"]) == 3 and set(answer["sample"][0]) >= {"id", "name", "_raw"}
    model = server.ok("describe_table", table="analytics.company_signal_activity", sample_rows=1)
    assert model["kind"] == "model" and len(model["sample"]) == 1
    assert "unknown table 'nope'" in server.error("describe_table", table="nope")


def test_run_query_returns_rows_and_types(server: Session, live: str) -> None:
    sql = "SELECT id, name, created_at FROM flintt.companies ORDER BY id"
    answer = server.query(sql)
    assert answer["columns"] == [
        {"name": "id", "type": "VARCHAR"},
        {"name": "name", "type": "VARCHAR"},
        {"name": "created_at", "type": "TIMESTAMP WITH TIME ZONE"},
    ]
    assert answer["rows"] == [[jsonable(v) for v in row] for row in direct(live, sql)]
    assert answer["truncated"] is False and answer["source"]["kind"] == "live warehouse"
    with_cte = server.query("WITH n AS (SELECT 41 AS x) SELECT x + 1 AS y FROM n")
    assert with_cte["rows"] == [[42]]
    described = server.query("DESCRIBE flintt.runs")
    assert described["columns"][0]["name"] == "column_name"
    assert server.query("PRAGMA table_info('flintt.signals')")["row_count"] > 0


def test_row_limit(server: Session) -> None:
    default = server.query("SELECT * FROM range(1000)")
    assert (default["row_count"], default["truncated"], default["row_limit"]) == (200, True, 200)
    assert default["rows"][-1] == [199]
    few = server.query("SELECT * FROM range(1000)", max_rows=7)
    assert (few["row_count"], few["truncated"]) == (7, True)
    capped = server.query("SELECT * FROM range(1000)", max_rows=100_000)
    assert (capped["row_count"], capped["row_limit"]) == (300, 300)
    exact = server.query("SELECT * FROM range(7)", max_rows=7)
    assert (exact["row_count"], exact["truncated"]) == (7, False)


def test_time_limit_stops_a_long_query(server: Session) -> None:
    message = server.refused(LONG_QUERY)
    assert "stopped: the query ran past the 2-second time limit" in message
    assert server.query("SELECT 1 AS still_serving")["rows"] == [[1]]


FORBIDDEN = [
    ("INSERT INTO flintt.companies (id) VALUES ('x')", "writes (INSERT)"),
    ("UPDATE flintt.companies SET name = 'x'", "writes (UPDATE)"),
    ("DELETE FROM flintt.companies", "writes (DELETE)"),
    ("CREATE TABLE flintt.evil AS SELECT 1", "DDL (CREATE)"),
    ("CREATE TEMP TABLE evil AS SELECT 1", "DDL (CREATE)"),
    ("DROP TABLE flintt.companies", "DDL (DROP)"),
    ("ALTER TABLE flintt.companies ADD COLUMN x INT", "DDL (ALTER)"),
    ("ATTACH '{dir}/other.duckdb' AS other", "ATTACH"),
    ("COPY flintt.companies TO '{dir}/leak.csv'", "COPY"),
    ("COPY (SELECT * FROM flintt.prospects) TO '{dir}/leak.parquet' (FORMAT parquet)", "COPY"),
    ("EXPORT DATABASE '{dir}/export'", "EXPORT DATABASE"),
    ("INSTALL httpfs", "INSTALL/LOAD"),
    ("LOAD httpfs", "INSTALL/LOAD"),
    ("SELECT * FROM read_csv('/etc/passwd')", "reading files or URLs (read_csv"),
    ("SELECT * FROM read_parquet('{dir}/x.parquet')", "reading files or URLs (read_parquet"),
    ("SELECT * FROM read_text('/etc/hostname')", "reading files or URLs (read_text"),
    ("FROM '/etc/passwd'", "reading files or URLs (FROM '/etc/passwd')"),
    ("SELECT * FROM 'data.csv'", "reading files or URLs (FROM 'data.csv')"),
    ("SELECT * FROM glob('/etc/*')", "reading files or URLs (glob"),
    ("SET enable_external_access = true", "SET/RESET/USE"),
    ("SET threads = 1", "SET/RESET/USE"),
    ("RESET lock_configuration", "SET/RESET/USE"),
    ("PRAGMA enable_profiling", "this PRAGMA may change"),
    ("PRAGMA memory_limit = '1GB'", "SET/RESET/USE"),
    ("CHECKPOINT", "CALL/CHECKPOINT"),
    ("SELECT 1; DROP TABLE flintt.companies", "send exactly one statement (found 2)"),
]


@pytest.mark.parametrize(("sql", "reason"), FORBIDDEN, ids=[sql[:40] for sql, _ in FORBIDDEN])
def test_forbidden_statement_refused(
    server: Session, live: str, data_dir: Path, sql: str, reason: str
) -> None:
    before = direct(live, "SELECT count(*), max(_synced_at) FROM flintt.companies")
    message = server.refused(sql.format(dir=data_dir))
    assert message.startswith("Error executing tool run_query: refused: ")
    assert reason in message
    assert direct(live, "SELECT count(*), max(_synced_at) FROM flintt.companies") == before
    assert not {p.name for p in data_dir.iterdir()} & {"other.duckdb", "leak.csv", "export"}


def test_engine_blocks_what_the_statement_check_cannot_see(server: Session) -> None:
    """SQL inside a string (the `query` table function) escapes the parse-tree check; the
    connection's own lock still stops the file read and the write."""
    message = server.refused("SELECT * FROM query('FROM read_csv(''/etc/passwd'')')")
    assert "refused: this server cannot read files, URLs or extensions" in message
    assert "root:" not in message
    write = server.refused("SELECT * FROM query('INSERT INTO flintt.companies (id) VALUES (1)')")
    assert write.startswith("Error executing tool run_query: query failed: ")


def test_secrets_never_answered(server: Session) -> None:
    for sql in (
        "SELECT getenv('FLINTT_MCP_TOKEN')",
        "SELECT * FROM duckdb_settings()",
        "SELECT * FROM duckdb_secrets()",
        "SELECT * FROM flintt._source",
    ):
        server.call("run_query", sql=sql, max_rows=300)
    server.call("list_tables")
    server.call("describe_table", table="signals", sample_rows=50)
    assert server.texts
    for text in server.texts:
        assert MCP_TOKEN not in text and API_KEY not in text


def test_named_questions(server: Session, live: str) -> None:
    top = server.ok("top_signals", limit=3)
    expected = direct(
        live,
        "SELECT signal_id, results_total FROM analytics.signal_run_stats "
        "ORDER BY results_total DESC, signal_id",
    )
    assert [row[3] for row in top["rows"]] == [int(total) for _, total in expected[:3]]
    assert top["columns"][0]["name"] == "signal_id" and top["row_count"] == 3

    (company_id, name, results) = direct(
        live,
        "SELECT company_id, company_name, results FROM analytics.company_signal_activity "
        "WHERE results > 0 ORDER BY results DESC, company_id LIMIT 1",
    )[0]
    answer = server.ok("company_signal_activity", company=name.upper())
    assert answer["companies"]["rows"][0][:2] == [company_id, name]
    assert answer["recent_results"]["row_count"] == min(results, 20)
    nobody = server.ok("company_signal_activity", company="no such company anywhere")
    assert nobody["companies"]["row_count"] == 0 and "recent_results" not in nobody

    # One sync has seen no change yet.
    assert server.ok("recent_prospect_changes")["row_count"] == 0


def test_serves_while_a_sync_writes_the_live_warehouse(
    server: Session, live: str, sandbox: SandboxHandle
) -> None:
    """Reading the live file, a query holds DuckDB's shared lock for at most its time limit: the
    sync waits that long for the file, then writes, and the next answer sees its data."""
    sandbox.control.create("companies", name="Arrived During Serving", domain="arrived.example")
    answers: list[str] = []
    slow = threading.Thread(target=lambda: answers.append(server.refused(LONG_QUERY)))
    slow.start()
    result = sync(live, sandbox)
    slow.join()
    assert result.success
    assert "stopped" in answers[0] or "busy" in answers[0]
    found = server.ok("company_signal_activity", company="arrived.example")
    assert found["companies"]["rows"][0][1] == "Arrived During Serving"


def test_an_answer_waits_for_a_writer_to_release_the_live_file(server: Session, live: str) -> None:
    """A question arriving while a writer holds the file waits for it (up to 10 s), then answers
    with the writer's committed data."""
    writer = duckdb.connect(live)
    try:
        writer.execute("CREATE TABLE analytics.written_meanwhile AS SELECT 42 AS answer")
        answers: list[dict[str, Any]] = []
        asking = threading.Thread(
            target=lambda: answers.append(server.query("SELECT * FROM analytics.written_meanwhile"))
        )
        asking.start()
        asking.join(timeout=0.5)
        assert not answers, "answered while the writer held the file"
    finally:
        writer.close()
    asking.join()
    assert answers[0]["rows"] == [[42]]
