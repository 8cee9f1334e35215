"""Whether the models and the read copy may advance: only over raw tables left by fully
successful syncs, so nothing a failed run half-did becomes visible.

Each raw stream commits on its own, so a sync that fails on a later stream leaves the earlier
streams' new rows in the live warehouse. The models and the read copy hold back until the
failed stream syncs successfully: a model step skips (its table keeps its last state) and so does
publishing, each saying why.
"""

import dagster as dg
from dagster import DagsterEventType

from flintt_pipeline.contract import RAW_TABLES, SOURCE_SCHEMA

RAW_KEYS = frozenset(dg.AssetKey([SOURCE_SCHEMA, table]) for table in RAW_TABLES)
# Raw steps run before any model or publishing step of the same run whenever they are ready, so
# a run's syncs have all ended (or failed) before anything downstream reads them.
RAW_PRIORITY = {"dagster/priority": "10"}


def held_back(context: dg.AssetExecutionContext) -> str | None:
    """Why this step must not build from the raw tables now, or None when it may."""
    instance, run_id = context.instance, context.run.run_id
    planned = _run_keys(instance, run_id, DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    synced = _run_keys(instance, run_id, DagsterEventType.ASSET_MATERIALIZATION)
    if unsynced := sorted(key.to_user_string() for key in (planned - synced) & RAW_KEYS):
        return f"{', '.join(unsynced)} did not sync in this run"
    if failed := _failed_streams(instance, run_id=run_id):
        return (
            f"the last sync of {', '.join(failed)} failed, so other tables may hold part of that "
            "run; a successful sync of it releases the models and the read copy (a full sync, "
            "`flintt-pipeline sync`, rebuilds every model)"
        )
    return None


def writers_midway(context: dg.AssetExecutionContext, *, publish_step: str) -> list[str]:
    """Other runs that have written the warehouse, are not finished and have not reached their
    own `publish_step`: a copy taken now would hold part of them, and they publish when they
    end. (A run that has reached it published before this step got the pool.)"""
    instance = context.instance
    unfinished = instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING])
    )
    return [
        run.run_id
        for run in unfinished
        if run.run_id != context.run.run_id
        and instance.get_records_for_run(
            run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION, limit=1
        ).records
        and not any(
            record.event_log_entry.step_key == publish_step
            for record in instance.get_records_for_run(
                run.run_id, of_type=DagsterEventType.STEP_START
            ).records
        )
    ]


def _run_keys(
    instance: dg.DagsterInstance, run_id: str, event_type: DagsterEventType
) -> set[dg.AssetKey]:
    records = instance.get_records_for_run(run_id, of_type=event_type).records
    return {
        key
        for record in records
        if record.event_log_entry.dagster_event is not None
        and (key := record.event_log_entry.dagster_event.asset_key) is not None
    }


def _failed_streams(instance: dg.DagsterInstance, *, run_id: str) -> list[str]:
    """The raw tables whose latest planned sync, in a run that has ended, did not materialize
    them: that run failed (or stopped) before the table synced."""
    finished_runs: dict[str, bool] = {}
    failed = []
    for key in RAW_KEYS:
        planned = instance.get_latest_planned_materialization_info(key)
        if planned is None or planned.run_id == run_id:
            continue
        done = instance.fetch_materializations(key, limit=1).records
        if done and done[0].storage_id > planned.storage_id:
            continue
        attempt = planned.run_id
        if attempt not in finished_runs:
            run = instance.get_run_by_id(attempt)
            finished_runs[attempt] = run is None or run.is_finished
        if finished_runs[attempt]:
            failed.append(key.to_user_string())
    return sorted(failed)
