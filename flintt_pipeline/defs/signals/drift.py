"""An asset check on `flintt/signals`: does the workspace, as last synced, match the signals
file? It warns (never fails a run) and shows what `signals apply` would change.

It reads the warehouse, not the API: the check judges the asset's data, and costs no request.
"""

import os
from pathlib import Path

import dagster as dg

from flintt_pipeline.contract import DEFAULT_SIGNALS_FILE, SOURCE_SCHEMA
from flintt_pipeline.defs.resources import WarehouseResource
from flintt_pipeline.lib.signals import PlanError, SpecError, load_spec, make_plan, plan_markdown
from flintt_pipeline.lib.warehouse import SignalKeys, synced_signals

WRITER_POOL = "duckdb_writer"


def signals_file_path(configured: str = "") -> Path:
    return Path(configured or os.environ.get("FLINTT_SIGNALS_FILE") or DEFAULT_SIGNALS_FILE)


@dg.asset_check(
    asset=dg.AssetKey([SOURCE_SCHEMA, "signals"]),
    name="matches_signals_file",
    description="Warns when the workspace's signals (as last synced) drifted from "
    "FLINTT_SIGNALS_FILE; passes when there is no signals file.",
    pool=WRITER_POOL,
)
def signals_match_file(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> dg.AssetCheckResult:
    path = signals_file_path()
    if not path.exists():
        return dg.AssetCheckResult(
            passed=True, description=f"No signals file at {path}: nothing to compare."
        )
    try:
        specs = load_spec(path)
        with warehouse.open(log=context.log.info) as opened:
            plan = make_plan(specs, synced_signals(opened), SignalKeys(opened).load())
    except (SpecError, PlanError) as error:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            description=f"The signals file cannot be compared: {str(error).splitlines()[0]}",
        )
    drifted = not plan.empty or bool(plan.kept_descriptions)
    return dg.AssetCheckResult(
        passed=not drifted,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"The workspace drifted from {path}: `signals apply` would change it."
            if drifted
            else f"The workspace matches {path}."
        ),
        metadata={
            "plan": dg.MetadataValue.md(plan_markdown(plan)),
            "changes": sum(1 for action in plan.actions if action.kind != "adopt"),
            "descriptions_differing": len(plan.kept_descriptions),
        },
    )
