"""Asset checks on the raw `flintt.*` tables: keys, references, result counts and schema drift.

Every data check is one query listing the offending keys; all of them run in a single step that
opens the warehouse once and reads inside a READ ONLY transaction, so a check can never change
the data it judges.
"""

import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import dagster as dg

from flintt_pipeline.contract import SOURCE_SCHEMA
from flintt_pipeline.defs.resources import WarehouseResource
from flintt_pipeline.defs.writers import LOCK_RETRY, WRITER_POOL
from flintt_pipeline.lib.sql_models import SOURCE_TABLES

EXAMPLES = 5
_WARN = dg.AssetCheckSeverity.WARN
_ERROR = dg.AssetCheckSeverity.ERROR


@dataclass(frozen=True, kw_only=True)
class _RowCheck:
    table: str
    name: str
    description: str
    severity: dg.AssetCheckSeverity
    failing_keys: str  # a SELECT of one text column: the key of each offending row
    takes_unfetched_runs: bool = False  # failing_keys has one `?`: ids of runs not yet fetched

    @property
    def key(self) -> dg.AssetCheckKey:
        return dg.AssetCheckKey(dg.AssetKey([SOURCE_SCHEMA, self.table]), self.name)


def _unique_id(table: str) -> _RowCheck:
    return _RowCheck(
        table=table,
        name="id_unique_not_null",
        description=f"Every row of flintt.{table}, deleted or not, has its own non-null id.",
        severity=_ERROR,
        failing_keys=f"SELECT coalesce(CAST(id AS VARCHAR), '<null>') FROM flintt.{table} "
        "GROUP BY id HAVING id IS NULL OR count(*) > 1",
    )


# The runs whose results have not been fetched yet are passed as `?`: their rows are
# legitimately missing, so only runs the loader has fetched can disagree with results_count.
_RESULTS_COUNT_MATCH = """
SELECT r.id
FROM flintt.runs AS r
LEFT JOIN (SELECT run_id, count(*) AS n FROM flintt.run_results GROUP BY run_id) AS rr
    ON rr.run_id = r.id
WHERE r._deleted_at IS NULL AND r.status = 'completed'
    AND coalesce(rr.n, 0) <> coalesce(r.results_count, 0)
    AND NOT list_contains(?, r.id)
"""

ROW_CHECKS: tuple[_RowCheck, ...] = (
    *(_unique_id(table) for table in ("companies", "prospects", "signals", "runs")),
    _RowCheck(
        table="run_results",
        name="key_unique_not_null",
        description="Every result row has its own non-null (run_id, position).",
        severity=_ERROR,
        failing_keys="SELECT coalesce(run_id, '<null>') || '#' || coalesce(CAST(position AS "
        "VARCHAR), '<null>') FROM flintt.run_results GROUP BY run_id, position "
        "HAVING run_id IS NULL OR position IS NULL OR count(*) > 1",
    ),
    _RowCheck(
        table="prospects",
        name="company_id_known",
        description="Live prospects link only to live companies.",
        severity=_WARN,
        failing_keys="SELECT p.id FROM flintt.prospects AS p WHERE p._deleted_at IS NULL "
        "AND p.company_id IS NOT NULL AND p.company_id NOT IN "
        "(SELECT id FROM flintt.companies WHERE _deleted_at IS NULL)",
    ),
    _RowCheck(
        table="run_results",
        name="company_id_known",
        description="Results of live runs reference only live companies (`_raw->>'company_id'`).",
        severity=_WARN,
        failing_keys="SELECT rr.run_id || '#' || rr.position FROM flintt.run_results AS rr "
        "JOIN flintt.runs AS r ON r.id = rr.run_id AND r._deleted_at IS NULL "
        "WHERE rr._raw ->> 'company_id' IS NOT NULL AND rr._raw ->> 'company_id' NOT IN "
        "(SELECT id FROM flintt.companies WHERE _deleted_at IS NULL)",
    ),
    _RowCheck(
        table="runs",
        name="signal_id_known",
        description="Every live run belongs to a live signal.",
        severity=_ERROR,
        failing_keys="SELECT r.id FROM flintt.runs AS r WHERE r._deleted_at IS NULL AND "
        "(r.signal_id IS NULL OR r.signal_id NOT IN "
        "(SELECT id FROM flintt.signals WHERE _deleted_at IS NULL))",
    ),
    _RowCheck(
        table="runs",
        name="results_count_matches",
        description="Completed runs whose results were fetched hold `results_count` result rows.",
        severity=_WARN,
        failing_keys=_RESULTS_COUNT_MATCH,
        takes_unfetched_runs=True,
    ),
)


@dg.multi_asset_check(
    name="flintt_data_checks",
    specs=[
        dg.AssetCheckSpec(check.name, asset=check.key.asset_key, description=check.description)
        for check in ROW_CHECKS
    ],
    can_subset=True,
    pool=WRITER_POOL,
    retry_policy=LOCK_RETRY,
)
def flintt_data_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    selected = [check for check in ROW_CHECKS if check.key in context.selected_asset_check_keys]
    with warehouse.open(log=context.log.info) as opened:
        unfetched = opened.runs_needing_results()
        connection = opened.connection
        connection.execute("BEGIN TRANSACTION READ ONLY")
        try:
            for check in selected:
                params = [unfetched] if check.takes_unfetched_runs else []
                row = connection.execute(
                    f"SELECT count(*), coalesce(list(k ORDER BY k)[1:{EXAMPLES}], []) "
                    f"FROM ({check.failing_keys}) AS failing(k)",
                    params,
                ).fetchone()
                assert row is not None
                failing, examples = int(row[0]), list(row[1])
                yield dg.AssetCheckResult(
                    asset_key=check.key.asset_key,
                    check_name=check.name,
                    passed=failing == 0,
                    severity=check.severity,
                    description=f"{failing} failing row(s)" if failing else "All rows pass.",
                    metadata={"failing_rows": failing, "examples": dg.MetadataValue.json(examples)},
                )
        finally:
            connection.execute("ROLLBACK")


# The factory is marked beta; its behaviour is pinned by our tests, so the warning is only noise.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    schema_change_checks = dg.build_column_schema_change_checks(
        assets=[dg.AssetKey([SOURCE_SCHEMA, table]) for table in sorted(SOURCE_TABLES)]
    )

flintt_checks: list[dg.AssetChecksDefinition] = [flintt_data_checks, *schema_change_checks]
