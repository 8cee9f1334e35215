"""The webhook sensor: turns events in the inbox into syncs. It never opens the warehouse."""

import hashlib

import dagster as dg

from flintt_pipeline.defs.ingest.assets import stream_asset_keys
from flintt_pipeline.defs.ingest.jobs import flintt_runs_job, flintt_sync_job
from flintt_pipeline.defs.resources import InboxResource, api_key_configured

RUN_EVENTS = frozenset({"signal.run.completed", "signal.run.result"})
STREAM_EVENTS = {"company.created": "companies", "prospect.created": "prospects"}
EVENTS_PER_TICK = 5000
# Stopped by default until FLINTT_API_KEY is set; a status set in the UI always wins.
DEFAULT_STATUS = (
    dg.DefaultSensorStatus.RUNNING if api_key_configured() else dg.DefaultSensorStatus.STOPPED
)


@dg.sensor(
    name="flintt_webhook_sensor",
    jobs=[flintt_runs_job, flintt_sync_job],
    # The sensor daemon evaluates sensors at most every 5 s (its loop); any floor up to that
    # means "every loop", and below 5 s a loop that ends a little early is never skipped. Each
    # evaluation is one cheap inbox read.
    minimum_interval_seconds=1,
    default_status=DEFAULT_STATUS,
    description="Reads Flintt webhook events stored by the receiver and requests one sync per "
    "tick for everything pending: run events sync runs and results; company and prospect "
    "events sync that table.",
)
def flintt_webhook_sensor(
    context: dg.SensorEvaluationContext, inbox: InboxResource
) -> dg.SensorResult | dg.SkipReason:
    cursor = int(context.cursor or 0)
    with inbox.open() as box:
        # Events before the cursor were turned into run requests on an earlier tick.
        box.mark_processed(up_to=cursor)
        events = box.read_after(cursor, limit=EVENTS_PER_TICK)
        if not events and box.last_position() < cursor:
            # A cursor past the inbox's end means the inbox file was replaced: start it afresh.
            context.log.warning(f"The inbox restarted below position {cursor}; reading it anew.")
            cursor = 0
            events = box.read_after(cursor, limit=EVENTS_PER_TICK)
    if not events:
        return dg.SkipReason(f"No webhook events after inbox position {cursor}.")

    last = events[-1].position
    types = {event.event_type for event in events}
    for unknown in sorted(types - RUN_EVENTS - STREAM_EVENTS.keys()):
        context.log.info(f"Skipping webhook events of unknown type {unknown!r}.")

    # The run key names the inbox position (and the event there, which tells a replaced inbox's
    # positions apart), so a re-evaluated tick never launches twice.
    tick = f"{last}-{hashlib.sha256(events[-1].event_id.encode()).hexdigest()[:12]}"
    requests = []
    if types & RUN_EVENTS:
        requests.append(
            dg.RunRequest(
                job_name=flintt_runs_job.name,
                run_key=f"webhook-runs-{tick}",
                tags={"flintt/trigger": "webhook", "flintt/inbox_position": str(last)},
            )
        )
    for stream in sorted({STREAM_EVENTS[t] for t in types if t in STREAM_EVENTS}):
        requests.append(
            dg.RunRequest(
                job_name=flintt_sync_job.name,
                asset_selection=stream_asset_keys(stream),
                run_key=f"webhook-{stream}-{tick}",
                tags={"flintt/trigger": "webhook", "flintt/inbox_position": str(last)},
            )
        )
    return dg.SensorResult(run_requests=requests, cursor=str(last))
