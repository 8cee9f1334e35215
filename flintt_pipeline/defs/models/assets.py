"""One Dagster asset per model file (`flintt_pipeline/sql/*.sql`), building `analytics.<file>`.

Dependencies come from the SQL itself (see `lib.sql_models`), so a model is added by adding a
file. Loading the definitions fails with the file's name if any model is broken. A model with a
grain replaces only the keys its inputs' changes affect; a run tagged FULL_REFRESH_TAG rebuilds
every model whole.
"""

import hashlib
import time
import warnings
from collections.abc import Iterator, Sequence
from datetime import timedelta
from importlib.resources.abc import Traversable

import dagster as dg
import duckdb

from flintt_pipeline.contract import MODEL_SCHEMA
from flintt_pipeline.defs.columns import model_descriptions, model_schemas
from flintt_pipeline.defs.consistency import held_back
from flintt_pipeline.defs.resources import WarehouseResource
from flintt_pipeline.defs.table_metadata import table_metadata
from flintt_pipeline.defs.writers import LOCK_RETRY, WRITER_POOL
from flintt_pipeline.lib.sql_models import SqlModel, build_model, load_models, shipped_models_dir
from flintt_pipeline.lib.warehouse import WarehouseError, WarehouseLockedError

GROUP = "analytics"
# Set to "true" on a run (`sync --full-refresh`) to rebuild every model whole.
FULL_REFRESH_TAG = "flintt/full_refresh"
DEFAULT_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=timedelta(hours=24), warn_window=timedelta(hours=6)
)


def build_model_assets(
    *,
    sql_dir: Traversable | None = None,
    owners: Sequence[str] = ("team:analytics",),
    freshness_policy: dg.FreshnessPolicy | None = DEFAULT_FRESHNESS,
) -> list[dg.AssetsDefinition]:
    """The model assets for every file in `sql_dir`; raises SqlModelError naming a bad file."""
    models = load_models(sql_dir or shipped_models_dir())
    schemas = model_schemas(models)
    return [
        _model_asset(
            model, schema=schemas[model.name], owners=owners, freshness_policy=freshness_policy
        )
        for model in models
    ]


def _model_asset(
    model: SqlModel,
    *,
    schema: dg.TableSchema,
    owners: Sequence[str],
    freshness_policy: dg.FreshnessPolicy | None,
) -> dg.AssetsDefinition:
    descriptions = model_descriptions(model)

    @dg.asset(
        key=dg.AssetKey([MODEL_SCHEMA, model.name]),
        deps=[dg.AssetKey([schema, table]) for schema, table in model.upstream],
        description=model.description,
        group_name=GROUP,
        kinds={"sql", "duckdb"},
        pool=WRITER_POOL,
        retry_policy=LOCK_RETRY,
        # Skipped (no materialization, downstream skipped too) while `held_back` says so.
        output_required=False,
        owners=list(owners),
        tags={"layer": "model"},
        metadata={
            "dagster/table_name": model.table,
            "dagster/column_schema": schema,
            "sql_file": f"flintt_pipeline/sql/{model.path.name}",
        },
        code_version=hashlib.sha256(model.sql.encode()).hexdigest()[:16],
        automation_condition=dg.AutomationCondition.eager(),
        freshness_policy=freshness_policy,
    )
    def _build(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.MaterializeResult]:
        if reason := held_back(context):
            context.log.warning(f"{model.table} not rebuilt, it keeps its last state: {reason}")
            return
        started = time.perf_counter()
        try:
            with warehouse.open(log=context.log.info) as opened:
                update = build_model(
                    opened.connection,
                    model,
                    full_refresh=context.run.tags.get(FULL_REFRESH_TAG) == "true",
                )
                metadata = table_metadata(
                    opened.connection,
                    table=model.table,
                    row_count=update.rows,
                    descriptions=descriptions,
                )
        except WarehouseLockedError:
            raise  # LOCK_RETRY tries again later
        except (WarehouseError, duckdb.Error) as error:
            raise dg.Failure(description=str(error), allow_retries=False) from None
        metadata["seconds"] = round(time.perf_counter() - started, 3)
        metadata["incremental"] = update.incremental
        metadata["keys_replaced"] = update.keys_replaced or 0
        metadata["full_rebuild_reason"] = update.full_rebuild_reason or ""
        if update.full_rebuild_reason:
            context.log.info(f"{model.table} rebuilt whole: {update.full_rebuild_reason}")
        yield dg.MaterializeResult(metadata=metadata)

    return _build


model_assets = build_model_assets()
# The factory is marked beta; its behaviour is pinned by our tests, so the warning is only noise.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    model_checks = dg.build_column_schema_change_checks(assets=model_assets)
