"""A factory for Dagster assets that push the result of a SQL query to Flintt.

    from flintt_pipeline.defs.push.factory import push_asset

    target_accounts = push_asset(
        name="target_accounts",
        stream="companies",
        query="SELECT name, domain, linkedin_url FROM analytics.target_accounts",
        deps=[["analytics", "target_accounts"]],
    )

Each materialization creates the records Flintt lacks (deduplicated, idempotent), logs every row
in `flintt.push_log` and reports its counts as metadata. Rows Flintt refused do not fail it: they
are counted as `failed` and their reasons are in the log.
"""

from collections.abc import Sequence

import dagster as dg

from flintt_pipeline.defs.resources import FlinttApiResource, WarehouseResource
from flintt_pipeline.lib.api import FlinttError
from flintt_pipeline.lib.push import DEFAULT_CONCURRENCY, ColumnsError, Stream
from flintt_pipeline.lib.push.run import run_push
from flintt_pipeline.lib.warehouse import WarehouseError

GROUP = "flintt_push"
WRITER_POOL = "duckdb_writer"


def push_asset(
    *,
    name: str,
    stream: Stream,
    query: str,
    deps: Sequence[dg.AssetKey | str | Sequence[str]] = (),
    concurrency: int = DEFAULT_CONCURRENCY,
    description: str | None = None,
) -> dg.AssetsDefinition:
    """An asset `flintt_push/<name>` that pushes the rows of `query` as Flintt `stream`."""

    @dg.asset(
        key=[GROUP, name],
        deps=list(deps),
        group_name=GROUP,
        kinds={"python", "duckdb"},
        pool=WRITER_POOL,
        description=description
        or f"Creates in Flintt the {stream} of this query it lacks:\n\n```sql\n{query}\n```",
    )
    def push(
        context: dg.AssetExecutionContext,
        flintt: FlinttApiResource,
        warehouse: WarehouseResource,
    ) -> dg.MaterializeResult:
        try:
            with flintt.client() as client, warehouse.open(log=context.log.info) as opened:
                opened.bind_source(flintt.resolved_base_url)
                summary = run_push(
                    client=client,
                    warehouse=opened,
                    stream=stream,
                    query=query,
                    concurrency=concurrency,
                    say=context.log.debug,
                )
        except (ColumnsError, WarehouseError) as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None
        except FlinttError as error:
            raise dg.Failure(description=str(error)) from None
        context.log.info(summary.line())
        return dg.MaterializeResult(
            metadata={
                "rows": summary.rows,
                "created": summary.count("created"),
                "already_present": summary.count("present"),
                "duplicate_rows": summary.count("duplicate"),
                "failed": summary.count("failed"),
                "push_id": summary.push_id,
            }
        )

    return push
