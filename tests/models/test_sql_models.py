"""Loading model files: descriptions, upstream tables from the SQL, and clear load errors."""

from pathlib import Path

import duckdb
import pytest

from flintt_pipeline.defs.models.assets import build_model_assets
from flintt_pipeline.lib.sql_models import SqlModelError, build_model, load_models

SQL_DIR = Path(__file__).resolve().parents[2] / "flintt_pipeline" / "sql"


def write(sql_dir: Path, **files: str) -> Path:
    sql_dir.mkdir(exist_ok=True)
    for name, text in files.items():
        (sql_dir / f"{name}.sql").write_text(text)
    return sql_dir


def test_shipped_models_load_parents_first_with_upstream_from_their_sql() -> None:
    models = load_models(SQL_DIR)
    upstream = {model.name: model.upstream for model in models}
    assert upstream == {
        "company_signal_activity": (("analytics", "signal_results"), ("flintt", "companies")),
        "daily_signal_activity": (("flintt", "runs"), ("flintt", "signals")),
        "prospect_changes": (("flintt", "companies_history"), ("flintt", "prospects_history")),
        "prospects_enriched": (("flintt", "companies"), ("flintt", "prospects")),
        "signal_changes": (("flintt", "signals_history"),),
        "signal_results": (("flintt", "run_results"), ("flintt", "runs"), ("flintt", "signals")),
        "signal_run_stats": (("flintt", "runs"), ("flintt", "signals")),
        "sync_health": tuple(
            ("flintt", t)
            for t in (
                *("companies", "companies_history", "prospects", "prospects_history"),
                *("run_results", "runs", "runs_history", "signals", "signals_history"),
            )
        ),
    }
    names = [model.name for model in models]
    assert names.index("signal_results") < names.index("company_signal_activity")
    for model in models:
        assert model.description is not None
        assert "Columns:" in model.description
        assert not model.description.startswith("--")


def test_using_join_cte_union_and_subquery_tables_are_found(tmp_path: Path) -> None:
    sql_dir = write(
        tmp_path / "sql",
        base="SELECT id FROM flintt.companies",
        child="""-- Child model.
-- Second line.
WITH recent AS (SELECT * FROM flintt.runs), runs AS (SELECT id FROM recent)
SELECT * FROM recent JOIN flintt.signals USING (id)
JOIN analytics.base AS b ON true
WHERE id IN (SELECT company_id FROM flintt.prospects)
UNION ALL SELECT * FROM runs JOIN flintt.run_results USING (id);
-- trailing comment
""",
    )
    models = {model.name: model for model in load_models(sql_dir)}
    assert models["child"].upstream == (
        ("analytics", "base"),
        ("flintt", "prospects"),
        ("flintt", "run_results"),
        ("flintt", "runs"),
        ("flintt", "signals"),
    )
    assert models["child"].description == "Child model.\nSecond line."
    assert models["base"].description is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELEC id FROM flintt.companies", 'broken.sql: syntax error at or near "SELEC"'),
        ("SELECT 1; SELECT 2", "broken.sql: must hold exactly one SELECT statement, found 2"),
        (
            "-- nothing but a comment\n",
            "broken.sql: must hold exactly one SELECT statement, found 0",
        ),
        (
            "INSERT INTO flintt.companies (id) VALUES ('x')",
            "broken.sql: must hold a single SELECT statement and nothing else",
        ),
        ("SELECT * FROM flintt.nope", "broken.sql: unknown table flintt.nope"),
        ("SELECT * FROM analytics.missing", "broken.sql: unknown table analytics.missing"),
        ("SELECT * FROM analytics.broken", "broken.sql: unknown table analytics.broken"),
        ("SELECT * FROM main.companies", "broken.sql: unknown table main.companies"),
        ("SELECT * FROM companies", "broken.sql: table 'companies' must be qualified"),
    ],
)
def test_a_broken_model_fails_loading_with_one_line_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    sql_dir = write(tmp_path / "sql", good="SELECT id FROM flintt.companies", broken=text)
    with pytest.raises(SqlModelError) as raised:
        load_models(sql_dir)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
    with pytest.raises(SqlModelError, match=r"^broken\.sql: "):
        build_model_assets(sql_dir=sql_dir)


def test_models_reading_each_other_in_a_cycle_are_refused(tmp_path: Path) -> None:
    sql_dir = write(tmp_path / "sql", a="SELECT * FROM analytics.b", b="SELECT * FROM analytics.a")
    with pytest.raises(SqlModelError, match=r"a\.sql -> b\.sql -> a\.sql"):
        load_models(sql_dir)


def test_a_file_name_that_is_not_an_identifier_is_refused(tmp_path: Path) -> None:
    sql_dir = write(tmp_path / "sql", **{"daily-stats": "SELECT 1 AS one"})
    with pytest.raises(SqlModelError, match=r"^daily-stats\.sql: .*lowercase identifiers"):
        load_models(sql_dir)


def test_build_replaces_the_table_atomically_and_keeps_it_when_the_sql_fails(
    tmp_path: Path,
) -> None:
    connection = duckdb.connect(":memory:")
    connection.execute("CREATE SCHEMA flintt")
    connection.execute(
        "CREATE TABLE flintt.companies AS SELECT * FROM (VALUES ('c1'), ('c2')) t(id)"
    )
    sql_dir = write(tmp_path / "sql", ids="SELECT id FROM flintt.companies ORDER BY id;\n-- end\n")
    (model,) = load_models(sql_dir)
    assert build_model(connection, model).rows == 2
    connection.execute("INSERT INTO flintt.companies VALUES ('c3')")
    assert build_model(connection, model).rows == 3
    assert connection.execute("SELECT id FROM analytics.ids ORDER BY id").fetchall() == [
        ("c1",),
        ("c2",),
        ("c3",),
    ]

    write(sql_dir, ids="SELECT CAST(id AS INTEGER) AS id FROM flintt.companies")
    (broken,) = load_models(sql_dir)
    with pytest.raises(SqlModelError, match=r"^ids\.sql: building analytics\.ids failed: "):
        build_model(connection, broken)
    assert connection.execute("SELECT count(*) FROM analytics.ids").fetchone() == (3,)
