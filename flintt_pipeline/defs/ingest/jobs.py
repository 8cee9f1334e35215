"""Jobs over the raw tables and every model downstream of them.

All run in-process: DuckDB allows one writing process per file, and the steps write in turn.

Which checks run where: every job runs the blocking key checks of the raw tables it syncs and
the schema-change checks (cheap, read from Dagster's records, and they compare each
materialization with the one before, so they must run with every one). The checks that scan
whole tables (`flintt_data_checks`: known ids, `results_count_matches`, history
`current_version_matches`) cost a scan of the warehouse whatever the event's size, so the webhook
runs job leaves them out; the 15-minute reconcile job runs the ones on runs and results, the
full sync all of them.
"""

import dagster as dg

from flintt_pipeline.defs.ingest.checks import flintt_data_checks
from flintt_pipeline.defs.publish.coalescing import COALESCE

RUN_STREAMS = dg.AssetSelection.assets(
    ["flintt", "runs"], ["flintt", "runs_history"], ["flintt", "run_results"]
)
WHOLE_TABLE_CHECKS = dg.AssetSelection.checks(flintt_data_checks)

flintt_sync_job = dg.define_asset_job(
    name="flintt_sync_job",
    selection=dg.AssetSelection.groups("flintt").downstream(),
    executor_def=dg.in_process_executor,
    description="Sync every flintt.* table from the API, then rebuild the models that read them; "
    "every check.",
    tags={"flintt/scope": "all"},
)

flintt_runs_job = dg.define_asset_job(
    name="flintt_runs_job",
    selection=RUN_STREAMS.downstream() - WHOLE_TABLE_CHECKS,
    executor_def=dg.in_process_executor,
    description="What a webhook needs: an incremental sync of runs and their results, then the "
    "models that read them; the checks that scan whole tables are left to the schedules, and a "
    "dear read copy is coalesced (see read_copy).",
    tags={"flintt/scope": "runs", **COALESCE},
)

flintt_runs_reconcile_job = dg.define_asset_job(
    name="flintt_runs_reconcile_job",
    selection=RUN_STREAMS.downstream(),
    executor_def=dg.in_process_executor,
    description="The runs job plus the whole-table checks on runs and results.",
    tags={"flintt/scope": "runs"},
)
