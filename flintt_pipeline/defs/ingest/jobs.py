"""Jobs over the raw tables and every model downstream of them.

Both run in-process: DuckDB allows one writing process per file, and the steps write in turn.
"""

import dagster as dg

RUN_STREAMS = dg.AssetSelection.assets(
    ["flintt", "runs"], ["flintt", "runs_history"], ["flintt", "run_results"]
)

flintt_sync_job = dg.define_asset_job(
    name="flintt_sync_job",
    selection=dg.AssetSelection.groups("flintt").downstream(),
    executor_def=dg.in_process_executor,
    description="Sync every flintt.* table from the API, then rebuild the models that read them.",
    tags={"flintt/scope": "all"},
)

flintt_runs_job = dg.define_asset_job(
    name="flintt_runs_job",
    selection=RUN_STREAMS.downstream(),
    executor_def=dg.in_process_executor,
    description="Incremental sync of runs and their results, then the models that read them.",
    tags={"flintt/scope": "runs"},
)
