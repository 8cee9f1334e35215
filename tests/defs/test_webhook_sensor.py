"""The webhook sensor, one tick at a time, over a real SQLite inbox and the project's `defs`."""

from pathlib import Path

import dagster as dg
import duckdb
import pytest
from defs_helpers import SENSOR_NAME, evaluate, processed_positions, store, summary

from flintt_pipeline.definitions import defs
from flintt_pipeline.defs.ingest import sensors

RUNS = ("flintt_runs_job", None)


def test_no_events_is_a_skip_reason(inbox_path: Path, instance: dg.DagsterInstance) -> None:
    tick = evaluate(inbox_path, None, instance=instance)
    assert tick.run_requests == []
    assert tick.skip_message and "No webhook events" in tick.skip_message
    assert tick.cursor is None

    [last] = store(inbox_path, "signal.run.completed")
    tick = evaluate(inbox_path, str(last), instance=instance)
    assert tick.run_requests == []
    assert tick.skip_message
    assert tick.cursor == str(last)


def test_many_run_events_make_one_runs_request(
    inbox_path: Path, instance: dg.DagsterInstance
) -> None:
    positions = store(inbox_path, *["signal.run.completed", *["signal.run.result"] * 9] * 30)
    tick = evaluate(inbox_path, None, instance=instance)
    assert summary(tick.run_requests) == [RUNS]
    [request] = tick.run_requests
    assert request.tags["flintt/trigger"] == "webhook"
    assert request.tags["flintt/inbox_position"] == str(positions[-1])
    assert request.tags["dagster/sensor_name"] == SENSOR_NAME
    assert tick.cursor == str(positions[-1])
    assert tick.skip_message is None


def test_re_evaluating_a_tick_gives_the_same_run_keys(
    inbox_path: Path, instance: dg.DagsterInstance
) -> None:
    first = store(inbox_path, "signal.run.completed", "company.created", "prospect.created")
    ticks = [evaluate(inbox_path, None, instance=instance) for _ in range(3)]
    keys = [[request.run_key for request in tick.run_requests] for tick in ticks]
    assert keys[0] == keys[1] == keys[2]
    assert len(set(keys[0])) == 3
    assert {tick.cursor for tick in ticks} == {str(first[-1])}

    # New events make new keys; the old tick's keys are never produced again.
    store(inbox_path, "signal.run.completed", "company.created")
    later = evaluate(inbox_path, ticks[0].cursor, instance=instance)
    assert len(later.run_requests) == 2
    assert not {request.run_key for request in later.run_requests} & set(keys[0])


def test_the_cursor_moves_only_with_the_tick_that_requests(
    inbox_path: Path, instance: dg.DagsterInstance
) -> None:
    first = store(inbox_path, "signal.run.completed", "signal.run.result")
    tick = evaluate(inbox_path, None, instance=instance)
    assert tick.cursor == str(first[-1])
    # Until the daemon commits the tick (the next tick starts from its cursor), the events stay
    # unprocessed: a tick that fails to launch loses nothing.
    assert processed_positions(inbox_path) == []

    second = store(inbox_path, "prospect.created")
    tick = evaluate(inbox_path, tick.cursor, instance=instance)
    assert processed_positions(inbox_path) == first
    assert summary(tick.run_requests) == [
        ("flintt_sync_job", ["flintt/prospects", "flintt/prospects_history"])
    ]
    assert tick.cursor == str(second[-1])

    tick = evaluate(inbox_path, tick.cursor, instance=instance)
    assert tick.skip_message
    assert processed_positions(inbox_path) == first + second


def test_created_events_sync_their_stream(inbox_path: Path, instance: dg.DagsterInstance) -> None:
    store(inbox_path, "company.created")
    tick = evaluate(inbox_path, None, instance=instance)
    assert summary(tick.run_requests) == [
        ("flintt_sync_job", ["flintt/companies", "flintt/companies_history"])
    ]

    store(inbox_path, "prospect.created", "prospect.created")
    tick = evaluate(inbox_path, tick.cursor, instance=instance)
    assert summary(tick.run_requests) == [
        ("flintt_sync_job", ["flintt/prospects", "flintt/prospects_history"])
    ]

    last = store(inbox_path, "company.created", "signal.run.result", "prospect.created")[-1]
    tick = evaluate(inbox_path, tick.cursor, instance=instance)
    assert summary(tick.run_requests) == [
        RUNS,
        ("flintt_sync_job", ["flintt/companies", "flintt/companies_history"]),
        ("flintt_sync_job", ["flintt/prospects", "flintt/prospects_history"]),
    ]
    assert {request.tags["flintt/inbox_position"] for request in tick.run_requests} == {str(last)}
    # The selection is one the job can run.
    job = defs().resolve_job_def("flintt_sync_job")
    for request in tick.run_requests[1:]:
        assert set(request.asset_selection or []) <= job.asset_layer.executable_asset_keys


def test_unknown_types_are_skipped_but_consumed(
    inbox_path: Path, instance: dg.DagsterInstance, capsys: pytest.CaptureFixture[str]
) -> None:
    last = store(inbox_path, "signal.archived", "unknown", "signal.archived")[-1]
    capsys.readouterr()
    tick = evaluate(inbox_path, None, instance=instance)
    # The sensor's `context.log` is Dagster's instigation logger: its console handler writes to
    # stderr (the daemon also stores it with the tick), it does not propagate to the root logger.
    lines = capsys.readouterr().err.splitlines()
    assert tick.run_requests == []
    assert tick.cursor == str(last)
    assert any("'signal.archived'" in line for line in lines), lines
    assert any("'unknown'" in line for line in lines), lines

    assert evaluate(inbox_path, tick.cursor, instance=instance).skip_message


def test_a_backlog_is_read_a_tick_at_a_time(
    inbox_path: Path, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sensors, "EVENTS_PER_TICK", 4)
    positions = store(inbox_path, *["signal.run.result"] * 10)
    cursors = []
    tick = evaluate(inbox_path, None, instance=instance)
    while tick.run_requests:
        assert summary(tick.run_requests) == [RUNS]
        cursors.append(tick.cursor)
        tick = evaluate(inbox_path, tick.cursor, instance=instance)
    assert cursors == [str(positions[3]), str(positions[7]), str(positions[9])]
    assert tick.skip_message


def test_the_sensor_never_opens_the_warehouse(
    inbox_path: Path,
    instance: dg.DagsterInstance,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the warehouse's directory would be")
    monkeypatch.setenv("FLINTT_DUCKDB_PATH", str(blocker / "warehouse.duckdb"))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the sensor opened DuckDB")

    monkeypatch.setattr(duckdb, "connect", refuse)
    store(inbox_path, "signal.run.completed", "company.created", "prospect.created", "x.y")
    before = sorted(path.name for path in tmp_path.iterdir())
    tick = evaluate(inbox_path, None, instance=instance)
    assert len(tick.run_requests) == 3
    assert sorted(path.name for path in tmp_path.iterdir()) == before
    assert not list(tmp_path.rglob("*.duckdb*"))


def test_the_sensor_is_wired_as_documented() -> None:
    sensor = defs().resolve_sensor_def(SENSOR_NAME)
    assert sorted(job.name for job in sensor.jobs) == ["flintt_runs_job", "flintt_sync_job"]
    assert sensor.required_resource_keys == {"inbox"}
    assert sensor.description


def test_a_replaced_inbox_is_read_afresh_with_new_run_keys(
    inbox_path: Path, instance: dg.DagsterInstance
) -> None:
    store(inbox_path, *["signal.run.result"] * 5)
    old = evaluate(inbox_path, None, instance=instance)
    assert old.cursor == "5"

    # The inbox file is replaced (deleted, restored from elsewhere): positions start at 1 again.
    for leftover in inbox_path.parent.glob(inbox_path.name + "*"):
        leftover.unlink()
    store(inbox_path, "signal.run.completed", "signal.run.result")
    tick = evaluate(inbox_path, old.cursor, instance=instance)
    assert summary(tick.run_requests) == [RUNS]
    assert tick.cursor == "2"
    assert tick.run_requests[0].run_key not in {r.run_key for r in old.run_requests}
