"""The model assets update incrementally through Dagster: what their metadata says, when they
rebuild whole (first build, SQL changed on disk, a full-refresh run), and where their state lives.
"""

import shutil
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from models_workspace import COMPANIES, details, result

from flintt_pipeline.defs.models.assets import FULL_REFRESH_TAG, build_model_assets, model_assets
from flintt_pipeline.defs.resources import WarehouseResource
from flintt_pipeline.lib.sql_models import (
    SqlModel,
    SqlModelError,
    build_model,
    load_models,
    shipped_models_dir,
)
from flintt_pipeline.lib.warehouse import Warehouse, open_warehouse

Updates = dict[str, tuple[bool, int, str]]
INCREMENTAL = {
    "company_signal_activity",
    "daily_signal_activity",
    "prospect_changes",
    "prospects_enriched",
    "signal_changes",
    "signal_results",
}
WHOLE = {"signal_run_stats", "sync_health"}


def updates(result: dg.ExecuteInProcessResult) -> Updates:
    """(incremental, keys_replaced, full_rebuild_reason) per model, from its materialization."""
    assert result.success
    found: Updates = {}
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        found[event.asset_key.path[-1]] = (
            metadata["incremental"].value,
            metadata["keys_replaced"].value,
            metadata["full_rebuild_reason"].value,
        )
    return found  # type: ignore[return-value]


def test_first_build_is_whole_then_only_changed_keys_are_replaced(
    database: str,
    resources: dict[str, WarehouseResource],
    change: Callable[[Callable[[Warehouse], object]], None],
) -> None:
    first = updates(dg.materialize(model_assets, resources=resources))
    assert first.keys() == INCREMENTAL | WHOLE
    for name in INCREMENTAL:
        assert first[name] == (False, 0, "first build: no state for this model yet")
    for name in WHOLE:
        assert first[name] == (False, 0, "not incremental: the model declares no grain")

    unchanged = updates(dg.materialize(model_assets, resources=resources))
    for name in INCREMENTAL:
        assert unchanged[name] == (True, 0, ""), name

    # Company c1 renamed: its prospects (p1 live, p4 soft-deleted) and its own activity row.
    renamed = [{**COMPANIES[0], "name": "Acme Renamed"}, COMPANIES[1]]
    change(lambda warehouse: warehouse.merge_listing("companies", [renamed]))
    after = updates(dg.materialize(model_assets, resources=resources))
    assert after["prospects_enriched"] == (True, 2, "")
    assert after["company_signal_activity"] == (True, 1, "")
    assert after["signal_results"] == (True, 0, "")
    # The prospect changes read companies' history, so every prospect ever at c1 is redone.
    assert after["prospect_changes"] == (True, 2, "")
    with duckdb.connect(database, read_only=True) as connection:
        names = connection.execute(
            "SELECT prospect_id, company_name FROM analytics.prospects_enriched ORDER BY 1"
        ).fetchall()
        activity = connection.execute(
            "SELECT company_name FROM analytics.company_signal_activity WHERE company_id = 'c1'"
        ).fetchall()
    assert names == [("p1", "Acme Renamed"), ("p2", None), ("p3", None)]
    assert activity == [("Acme Renamed",)]


def test_a_model_changed_on_disk_rebuilds_whole_once(
    tmp_path: Path, resources: dict[str, WarehouseResource]
) -> None:
    sql_dir = tmp_path / "sql"
    shutil.copytree(str(shipped_models_dir()), sql_dir)
    dg.materialize(build_model_assets(sql_dir=sql_dir), resources=resources)
    edited = sql_dir / "signal_results.sql"
    edited.write_text(edited.read_text() + "-- edited\n")

    once = updates(dg.materialize(build_model_assets(sql_dir=sql_dir), resources=resources))
    assert once["signal_results"] == (False, 0, "the model's SQL file changed")
    # It reads signal_results, whose changes are no longer known key by key.
    assert once["company_signal_activity"] == (
        False,
        0,
        "analytics.signal_results, which it reads, was rebuilt whole",
    )
    assert once["prospects_enriched"] == (True, 0, "")

    again = updates(dg.materialize(build_model_assets(sql_dir=sql_dir), resources=resources))
    assert again["signal_results"] == (True, 0, "")
    assert again["company_signal_activity"] == (True, 0, "")


def test_a_full_refresh_run_rebuilds_every_model_whole(
    resources: dict[str, WarehouseResource],
) -> None:
    dg.materialize(model_assets, resources=resources)
    refreshed = updates(
        dg.materialize(model_assets, resources=resources, tags={FULL_REFRESH_TAG: "true"})
    )
    assert set(refreshed.values()) == {(False, 0, "full refresh requested")}


def test_the_update_state_stays_out_of_the_read_copy(
    database: str, resources: dict[str, WarehouseResource], tmp_path: Path
) -> None:
    dg.materialize(model_assets, resources=resources)
    with duckdb.connect(database, read_only=True) as connection:
        state = connection.execute(
            "SELECT model, incremental FROM _analytics.model_state ORDER BY model"
        ).fetchall()
    assert [name for name, _ in state] == sorted(INCREMENTAL | WHOLE)
    copy = tmp_path / "copy.duckdb"
    with open_warehouse(database=database) as warehouse:
        warehouse.publish(target=str(copy))
    with duckdb.connect(str(copy), read_only=True) as connection:
        schemas = {
            row[0]
            for row in connection.execute("SELECT schema_name FROM duckdb_tables()").fetchall()
        }
    assert schemas == {"flintt", "analytics"}


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "-- grain: id\n",
            "ids.sql: a model with a grain needs a `-- changed: <table> -> <keys>` line for every "
            "table it reads; missing: flintt.companies",
        ),
        (
            "-- grain: id\n-- changed: flintt.runs -> id\n",
            "ids.sql: `-- changed: flintt.runs` must name, once, a table the model reads",
        ),
        (
            "-- changed: flintt.companies -> id\n",
            "ids.sql: `-- changed:` lines need a `-- grain:` line",
        ),
    ],
)
def test_update_rules_that_do_not_fit_the_sql_fail_loading(
    tmp_path: Path, header: str, message: str
) -> None:
    (tmp_path / "ids.sql").write_text(f"{header}SELECT id FROM flintt.companies\n")
    with pytest.raises(SqlModelError) as raised:
        load_models(tmp_path)
    assert str(raised.value) == message


def one_model(tmp_path: Path, *, name: str, sql: str) -> SqlModel:
    sql_dir = tmp_path / "sql"
    sql_dir.mkdir()
    (sql_dir / f"{name}.sql").write_text(sql)
    (model,) = load_models(sql_dir)
    return model


def test_a_failed_update_changes_neither_the_model_nor_its_state(tmp_path: Path) -> None:
    """The update and its state commit together: after a failure the next update still sees
    the change the failed one did not apply."""
    model = one_model(
        tmp_path,
        name="numbered",
        sql="-- grain: company_id\n-- changed: flintt.companies -> id\n"
        "SELECT id AS company_id, CAST(name AS INTEGER) AS number FROM flintt.companies\n",
    )
    company = {"id": "c1", "domain": None, "linkedin_url": None, "created_at": None}
    state = "SELECT sql_hash, updated_at FROM _analytics.model_state"
    with open_warehouse(database=str(tmp_path / "w.duckdb")) as warehouse:
        warehouse.merge_listing("companies", [[{**company, "name": "1"}]])
        assert build_model(warehouse.connection, model).rows == 1
        before = warehouse.connection.execute(state).fetchall()

        warehouse.merge_listing("companies", [[{**company, "name": "one"}]])
        with pytest.raises(
            SqlModelError, match=r"^numbered\.sql: building analytics\.numbered failed: "
        ):
            build_model(warehouse.connection, model)
        assert warehouse.connection.execute(state).fetchall() == before
        held = "SELECT * FROM analytics.numbered"
        assert warehouse.connection.execute(held).fetchall() == [("c1", 1)]

        warehouse.merge_listing("companies", [[{**company, "name": "2"}]])
        update = build_model(warehouse.connection, model)
        assert (update.incremental, update.keys_replaced) == (True, 1)
        assert warehouse.connection.execute(held).fetchall() == [("c1", 2)]


def test_a_new_model_reading_an_incremental_one_follows_its_changes(
    tmp_path: Path,
    database: str,
    resources: dict[str, WarehouseResource],
    change: Callable[[Callable[[Warehouse], object]], None],
) -> None:
    sql_dir = tmp_path / "sql"
    shutil.copytree(str(shipped_models_dir()), sql_dir)
    reader = sql_dir / "company_signal_activity.sql"
    text = reader.read_text()
    reader.unlink()
    dg.materialize(build_model_assets(sql_dir=sql_dir), resources=resources)
    reader.write_text(text)

    added = updates(dg.materialize(build_model_assets(sql_dir=sql_dir), resources=resources))
    assert added["company_signal_activity"] == (
        False,
        0,
        "first build: no state for this model yet",
    )
    assert added["signal_results"] == (True, 0, "")

    # Run r1's results come back without the one at c1: both companies' rows change.
    results = {"r1": [result("res2", "c2", "beta-raises", 0.5, "2024-03-01T09:30:00Z")]}
    change(lambda warehouse: warehouse.replace_run_results(details("r1", results=results)))
    after = updates(dg.materialize(build_model_assets(sql_dir=sql_dir), resources=resources))
    assert after["signal_results"] == (True, 1, "")
    assert after["company_signal_activity"] == (True, 2, "")
    with duckdb.connect(database, read_only=True) as connection:
        held = connection.execute(
            "SELECT * FROM analytics.company_signal_activity ORDER BY ALL"
        ).fetchall()
        rebuilt = connection.execute(f"SELECT * FROM ({text}\n) ORDER BY ALL").fetchall()
    assert held == rebuilt


def test_models_are_built_under_duckdbs_own_memory_limit(tmp_path: Path) -> None:
    """A model's ORDER BY over millions of rows of text failed at the sync's spilling limit: a
    model gets DuckDB's default, and the connection goes back to the sync's limit after it."""
    model = one_model(
        tmp_path,
        name="limits",
        sql="SELECT id AS company_id, current_setting('memory_limit') AS memory_limit "
        "FROM flintt.companies\n",
    )
    company = {"id": "c1", "name": "Acme", "domain": None, "linkedin_url": None}
    with open_warehouse(database=str(tmp_path / "w.duckdb")) as warehouse:
        warehouse.merge_listing("companies", [[{**company, "created_at": None}]])
        limit = "SELECT current_setting('memory_limit')"
        (sync_limit,) = warehouse.connection.execute(limit).fetchone() or ("",)
        build_model(warehouse.connection, model)
        (seen,) = warehouse.connection.execute(
            "SELECT memory_limit FROM analytics.limits"
        ).fetchone() or ("",)
        (after,) = warehouse.connection.execute(limit).fetchone() or ("",)
    assert sync_limit == "160.0 MiB"
    assert seen != sync_limit, seen
    assert after == sync_limit
