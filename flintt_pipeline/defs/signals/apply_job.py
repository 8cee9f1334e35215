"""A job, never run automatically, that makes the workspace's signals equal to the signals file;
the plan it carried out is its Markdown metadata (and an observation of `flintt/signals`).

With `dry_run` it only plans; with `expect_fingerprint` (shown by a plan) it refuses when the
workspace changed since that plan, so what was reviewed is what is applied.
"""

from collections.abc import Iterator

import dagster as dg

from flintt_pipeline.contract import SOURCE_SCHEMA
from flintt_pipeline.defs.resources import FlinttApiResource, WarehouseResource
from flintt_pipeline.defs.signals.drift import WRITER_POOL, signals_file_path
from flintt_pipeline.lib.api import FlinttError
from flintt_pipeline.lib.signals import PlanError, SpecError, apply_plan, plan_markdown
from flintt_pipeline.lib.signals.workspace import plan_for
from flintt_pipeline.lib.warehouse import SignalKeys, WarehouseError


class ApplySignalsConfig(dg.Config):
    signals_file: str = ""
    """The signals file; empty means $FLINTT_SIGNALS_FILE, else signals.yaml."""
    prune: bool = False
    """Delete the signals not in the file (their runs are deleted too)."""
    replace_on_description_change: bool = False
    """Delete and re-create a signal whose description changed (losing its runs)."""
    dry_run: bool = False
    """Only plan: show what would change."""
    expect_fingerprint: str = ""
    """Refuse unless the workspace still has this fingerprint (from an earlier plan)."""


@dg.op(pool=WRITER_POOL, description="Plan, then apply the signals file to the workspace.")
def apply_signals_file(
    context: dg.OpExecutionContext,
    config: ApplySignalsConfig,
    flintt: FlinttApiResource,
    warehouse: WarehouseResource,
) -> Iterator[dg.Output[int]]:
    path = signals_file_path(config.signals_file)
    try:
        with flintt.client() as client, warehouse.open(log=context.log.info) as opened:
            opened.bind_source(flintt.resolved_base_url)
            keys = SignalKeys(opened)
            _, plan = plan_for(
                path=path,
                client=client,
                keys=keys.load(),
                prune=config.prune,
                replace_descriptions=config.replace_on_description_change,
            )
            shown = dg.MetadataValue.md(plan_markdown(plan))
            if config.expect_fingerprint and config.expect_fingerprint != plan.fingerprint:
                raise dg.Failure(
                    description=f"the workspace changed since the plan with fingerprint "
                    f"{config.expect_fingerprint} (now {plan.fingerprint}); nothing applied",
                    metadata={"plan": shown},
                    allow_retries=False,
                )
            done = 0
            if not config.dry_run:
                done = apply_plan(plan, writer=client.writer(), keys=keys, say=context.log.info)
    except SpecError as error:
        raise dg.Failure(description=str(error), allow_retries=False) from None
    except (FlinttError, WarehouseError, PlanError) as error:
        raise dg.Failure(description=str(error)) from None
    metadata: dict[str, dg.RawMetadataValue] = {
        "plan": shown,
        "fingerprint": plan.fingerprint,
        "applied": done,
    }
    context.log_event(
        dg.AssetObservation(asset_key=dg.AssetKey([SOURCE_SCHEMA, "signals"]), metadata=metadata)
    )
    yield dg.Output(done, metadata=metadata)


@dg.job(
    name="flintt_signals_apply_job",
    description="Apply the signals file (FLINTT_SIGNALS_FILE) to the workspace: creates, updates, "
    "pauses; deletes only with `prune`. Run it by hand or from CI; nothing schedules it.",
    executor_def=dg.in_process_executor,
    tags={"flintt/scope": "signals"},
)
def flintt_signals_apply_job() -> None:
    apply_signals_file()
