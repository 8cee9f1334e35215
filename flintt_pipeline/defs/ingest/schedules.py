"""Schedules: webhooks make syncs fast, these make them certain."""

import dagster as dg

from flintt_pipeline.defs.ingest.jobs import flintt_runs_reconcile_job, flintt_sync_job
from flintt_pipeline.defs.resources import api_key_configured

# Stopped by default until FLINTT_API_KEY is set; a status set in the UI always wins.
DEFAULT_STATUS = (
    dg.DefaultScheduleStatus.RUNNING if api_key_configured() else dg.DefaultScheduleStatus.STOPPED
)

flintt_runs_reconcile = dg.ScheduleDefinition(
    name="flintt_runs_reconcile",
    cron_schedule="*/15 * * * *",
    job=flintt_runs_reconcile_job,
    default_status=DEFAULT_STATUS,
    description="Every 15 minutes, sync runs incrementally, so a lost webhook costs latency, "
    "never data, and run the whole-table checks on runs and results the webhook runs leave out.",
)

flintt_daily_sync = dg.ScheduleDefinition(
    name="flintt_daily_sync",
    cron_schedule="0 4 * * *",
    job=flintt_sync_job,
    default_status=DEFAULT_STATUS,
    description="Every night, a full sync of every table: the only way deletions of companies, "
    "prospects and signals are seen, since the API sends no event for them.",
)
