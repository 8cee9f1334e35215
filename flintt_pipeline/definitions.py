"""The code location: assembles what `defs/` defines, nothing else."""

import dagster as dg

from flintt_pipeline.defs.ingest.assets import raw_assets
from flintt_pipeline.defs.ingest.checks import flintt_checks
from flintt_pipeline.defs.ingest.jobs import flintt_runs_job, flintt_sync_job
from flintt_pipeline.defs.ingest.schedules import flintt_daily_sync, flintt_runs_reconcile
from flintt_pipeline.defs.ingest.sensors import flintt_webhook_sensor
from flintt_pipeline.defs.models import automation_sensor, model_assets, model_checks
from flintt_pipeline.defs.resources import FlinttApiResource, InboxResource, WarehouseResource

defs = dg.Definitions(
    assets=[*raw_assets, *model_assets],
    asset_checks=[*flintt_checks, *model_checks],
    jobs=[flintt_sync_job, flintt_runs_job],
    schedules=[flintt_runs_reconcile, flintt_daily_sync],
    sensors=[flintt_webhook_sensor, automation_sensor],
    resources={
        "flintt": FlinttApiResource(api_key=dg.EnvVar("FLINTT_API_KEY")),
        "warehouse": WarehouseResource(),
        "inbox": InboxResource(),
    },
)
