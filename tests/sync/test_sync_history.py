"""History through real syncs from a sandbox: nothing recorded for an unchanged workspace, and a
seeded random sequence of changes that the history replays exactly, sync by sync."""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb
from sync_support import CONTRACT, Synced, mirror_problems

from flintt_pipeline.contract import HISTORY_TABLES
from flintt_pipeline.lib.sql_models import load_models, shipped_models_dir
from flintt_pipeline.lib.warehouse import disagreeing_ids_sql

STEPS = 8
OPERATIONS_PER_STEP = 4


def connect(database: str) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(database, read_only=True)
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def history_counts(database: str) -> dict[str, int]:
    with connect(database) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM flintt.{history}").fetchone()[0]
            for table, history in HISTORY_TABLES.items()
        }


def tables_now(connection: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[Any, ...]]]:
    """Every tracked table as it is: contract columns, _raw, _synced_at, _deleted_at."""
    return {
        table: connection.execute(
            f"SELECT id, {', '.join(columns)}, _raw, _synced_at, _deleted_at "
            f"FROM flintt.{table} ORDER BY id"
        ).fetchall()
        for table, columns in CONTRACT.items()
    }


def tables_as_of(connection: duckdb.DuckDBPyConnection, when: datetime) -> dict[str, list[Any]]:
    """Every tracked table rebuilt from its history alone, as it was at `when`."""
    return {
        table: connection.execute(
            f"SELECT id, {', '.join(columns)}, _raw, _valid_from, "
            "CASE WHEN _change = 'delete' THEN _valid_from END "
            f"FROM flintt.{HISTORY_TABLES[table]} "
            "WHERE _valid_from <= $when AND (_valid_to IS NULL OR _valid_to > $when) ORDER BY id",
            {"when": when},
        ).fetchall()
        for table, columns in CONTRACT.items()
    }


def model_rows(connection: duckdb.DuckDBPyConnection, name: str) -> list[tuple[Any, ...]]:
    (model,) = [m for m in load_models(shipped_models_dir()) if m.name == name]
    return connection.execute(model.sql).fetchall()


def test_syncing_an_unchanged_workspace_adds_no_history(synced: Synced) -> None:
    synced.sync_ok()
    first = history_counts(synced.database)
    with connect(synced.database) as connection:
        live = {
            table: connection.execute(f"SELECT count(*) FROM flintt.{table}").fetchone()[0]
            for table in HISTORY_TABLES
        }
    assert first == live  # one `insert` version per row
    for _ in range(5):
        synced.sync_ok()
    assert history_counts(synced.database) == first


@dataclass
class Changes:
    """A random walk over the sandbox: what it did, and what the models should report."""

    synced: Synced
    rng: random.Random
    deleted: dict[str, list[str]] = field(default_factory=lambda: {s: [] for s in CONTRACT})
    prospect_moves: list[tuple[str, Any, Any, Any, Any]] = field(default_factory=list)
    paused: list[str] = field(default_factory=list)

    def step(self) -> None:
        control = self.synced.sandbox.control
        touched: set[str] = set()
        for _ in range(OPERATIONS_PER_STEP):
            kind = self.rng.choice(
                ("add", "rename", "move", "promote", "delete", "restore", "pause", "run")
            )
            companies = [c for c in control.state("companies") if c["id"] not in touched]
            prospects = [p for p in control.state("prospects") if p["id"] not in touched]
            signals = [s for s in control.state("signals") if s["id"] not in touched]
            if kind == "add":
                company = control.create("companies", name=f"New Co {self.rng.random():.6f}")
                control.create("prospects", name="New Person", company_id=company["id"])
                touched.add(company["id"])
            elif kind == "rename":
                company = self.rng.choice(companies)
                control.update("companies", company["id"], name=f"{company['name']} Group")
                touched.add(company["id"])
            elif kind in ("move", "promote"):
                prospect = self.rng.choice(prospects)
                changes = (
                    {"company_id": self.rng.choice(companies)["id"]}
                    if kind == "move"
                    else {"title": self.rng.choice(("CFO", "CTO", "VP Sales", "Head of Data"))}
                )
                after = control.update("prospects", prospect["id"], **changes)
                touched.add(prospect["id"])
                if (after["title"], after["company_id"]) != (
                    prospect.get("title"),
                    prospect.get("company_id"),
                ):
                    self.prospect_moves.append(
                        (
                            prospect["id"],
                            prospect.get("title"),
                            after["title"],
                            prospect.get("company_id"),
                            after["company_id"],
                        )
                    )
            elif kind == "delete":
                stream = self.rng.choice(("companies", "prospects", "signals"))
                pool = {"companies": companies, "prospects": prospects, "signals": signals}[stream]
                record = self.rng.choice(pool[1:])  # keep the first of each alive
                control.delete(stream, record["id"])
                self.deleted[stream].append(record["id"])
                touched.add(record["id"])
            elif kind == "restore":
                waiting = [
                    (stream, record_id)
                    for stream, ids in self.deleted.items()
                    for record_id in ids
                    if record_id not in touched
                ]
                if waiting:
                    stream, record_id = self.rng.choice(waiting)
                    control.restore(stream, record_id)
                    self.deleted[stream].remove(record_id)
                    touched.add(record_id)
            elif kind == "pause":
                signal = self.rng.choice(signals)
                status = "active" if signal["status"] == "paused" else "paused"
                control.update("signals", signal["id"], status=status, schedule="0 9 * * 1")
                touched.add(signal["id"])
                if status == "paused":
                    self.paused.append(signal["id"])
            else:
                run = control.trigger(signals[0]["id"])
                control.complete(run["id"], results=self.rng.randint(0, 3))


def test_history_replays_every_sync_exactly(synced: Synced) -> None:
    changes = Changes(synced=synced, rng=random.Random(20261202))
    synced.sync_ok()
    after_sync: list[tuple[datetime, dict[str, list[Any]]]] = []
    for _ in range(STEPS):
        changes.step()
        synced.sync_ok()
        seen = datetime.now(UTC)
        with connect(synced.database) as connection:
            after_sync.append((seen, tables_now(connection)))
            for table in HISTORY_TABLES:
                assert connection.execute(disagreeing_ids_sql(table)).fetchall() == [], table
        assert mirror_problems(synced.database, synced.sandbox) == []

    with connect(synced.database) as connection:
        for number, (seen, expected) in enumerate(after_sync):
            assert tables_as_of(connection, seen) == expected, f"as of sync {number + 2}"
        kinds = {
            row[0]
            for row in connection.execute(
                "SELECT DISTINCT _change FROM flintt.companies_history UNION "
                "SELECT DISTINCT _change FROM flintt.prospects_history UNION "
                "SELECT DISTINCT _change FROM flintt.signals_history"
            ).fetchall()
        }
        assert kinds == {"insert", "update", "delete", "restore"}
        moves = model_rows(connection, "prospect_changes")
        paused = [
            row[0]
            for row in model_rows(connection, "signal_changes")
            if row[2] == "status" and row[4] == "paused"
        ]
    # Each step touched a prospect at most once, so every change made is one row of the model.
    assert sorted((m[0], m[2], m[3], m[4], m[6]) for m in moves) == sorted(changes.prospect_moves)
    assert [m[10] for m in moves] == sorted((m[10] for m in moves), reverse=True)
    assert sorted(paused) == sorted(changes.paused)
