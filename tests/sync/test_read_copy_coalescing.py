"""The webhook runs job coalesces a dear read copy: it leaves the copy to the automation sensor,
which requests it; runs without the tag, and a cheap copy, publish as before."""

import warnings
from pathlib import Path

import dagster as dg
from read_copy_support import change_records, logged, read_state, sync_and_publish
from sync_support import Synced

from flintt_pipeline.defs.ingest.assets import raw_assets
from flintt_pipeline.defs.ingest.jobs import flintt_runs_job
from flintt_pipeline.defs.models.assets import model_assets
from flintt_pipeline.defs.models.automation import automation_sensor
from flintt_pipeline.defs.publish.assets import READ_COPY_KEY, publish_read_copy
from flintt_pipeline.defs.publish.coalescing import COALESCE, COALESCE_TAG
from flintt_pipeline.defs.resources import FlinttApiResource, ReadCopyResource, WarehouseResource

# Every copy counts as dear, and the last one as recent.
DEAR = {"cheap_copy_seconds": 0.0, "coalesce_seconds": 600.0}
NOT_PUBLISHED = "read copy not published by this run"


def published(result: dg.ExecuteInProcessResult) -> bool:
    return any(
        event.asset_key == READ_COPY_KEY for event in result.get_asset_materialization_events()
    )


def requested_by_sensor(synced: Synced, cursor: str | None) -> tuple[int, str | None]:
    """How many runs of the read copy the automation sensor requests now."""
    defs = dg.Definitions(
        assets=[*raw_assets, *model_assets, publish_read_copy],
        sensors=[automation_sensor],
        resources={
            "flintt": FlinttApiResource(
                api_key=synced.sandbox.api_key, base_url=synced.sandbox.base_url
            ),
            "warehouse": WarehouseResource(database=synced.database),
            "read_copy": ReadCopyResource(),
        },
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.BetaWarning)
        result = dg.evaluate_automation_conditions(
            defs=defs, instance=synced.instance, cursor=cursor
        )
    return result.get_num_requested(READ_COPY_KEY), result.cursor


def test_the_webhook_runs_job_carries_the_tag() -> None:
    assert flintt_runs_job.tags[COALESCE_TAG] == COALESCE[COALESCE_TAG]


def test_a_webhook_run_leaves_a_dear_copy_to_the_automation_sensor(
    synced: Synced, tmp_path: Path
) -> None:
    read_path = tmp_path / "read.duckdb"
    assert published(sync_and_publish(synced, read_path=read_path))
    before = read_state(read_path)
    requested, cursor = requested_by_sensor(synced, None)
    assert requested == 0

    change_records(synced, 1)
    webhook = sync_and_publish(
        synced, read_path=read_path, selection=["runs"], tags=COALESCE, read_copy=DEAR
    )
    assert webhook.success and not published(webhook)
    assert logged(synced.instance, webhook.run_id, NOT_PUBLISHED)
    assert read_state(read_path) == before
    requested, cursor = requested_by_sensor(synced, cursor)
    assert requested == 1

    # The same selection without the tag (a CLI sync, a schedule, the sensor's own run).
    change_records(synced, 2)
    other = sync_and_publish(synced, read_path=read_path, selection=["runs"], read_copy=DEAR)
    assert published(other) and read_state(read_path) != before


def test_a_cheap_copy_or_no_coalescing_publishes_every_webhook_run(
    synced: Synced, tmp_path: Path
) -> None:
    read_path = tmp_path / "read.duckdb"
    assert published(sync_and_publish(synced, read_path=read_path))
    for number, read_copy in enumerate(({}, {**DEAR, "coalesce_seconds": 0.0}), start=1):
        change_records(synced, number)
        before = read_state(read_path)
        run = sync_and_publish(
            synced, read_path=read_path, selection=["runs"], tags=COALESCE, read_copy=read_copy
        )
        assert published(run) and read_state(read_path) != before, read_copy
        assert not logged(synced.instance, run.run_id, NOT_PUBLISHED)
