"""Asset checks on the raw `flintt.*` tables: keys, references, result counts and schema drift.

Every data check is one query listing the offending keys, read inside a READ ONLY transaction so
a check can never change the data it judges. The key checks are blocking, one step per table (a
step checking several tables would wait for all of them, and `runs` itself waits for the check
on `signals`): no model builds on a table whose keys are duplicated. The other checks share one
step that opens the warehouse once.
"""

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import dagster as dg

from flintt_pipeline.contract import HISTORY_TABLES, SOURCE_SCHEMA
from flintt_pipeline.defs.consistency import RAW_PRIORITY
from flintt_pipeline.defs.resources import WarehouseResource
from flintt_pipeline.defs.writers import LOCK_RETRY, WRITER_POOL
from flintt_pipeline.lib.sql_models import SOURCE_TABLES
from flintt_pipeline.lib.warehouse import disagreeing_ids_sql

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

KEY_CHECKS: tuple[_RowCheck, ...] = (
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
)

ROW_CHECKS: tuple[_RowCheck, ...] = (
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
    *(
        _RowCheck(
            table=history,
            name="current_version_matches",
            description=f"Every row of flintt.{table} has exactly one current version in "
            f"flintt.{history}, written with it (same _synced_at, same deletion).",
            severity=_ERROR,
            failing_keys=disagreeing_ids_sql(table, values=False),
        )
        for table, history in HISTORY_TABLES.items()
    ),
)


def _evaluate(
    warehouse: WarehouseResource, checks: list[_RowCheck], *, log: Callable[[str], None]
) -> Iterator[dg.AssetCheckResult]:
    with warehouse.open(log=log) as opened:
        fetching = any(check.takes_unfetched_runs for check in checks)
        unfetched = opened.runs_needing_results() if fetching else []
        connection = opened.connection
        connection.execute("BEGIN TRANSACTION READ ONLY")
        try:
            for check in checks:
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


def _key_check(check: _RowCheck) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=check.key.asset_key,
        name=check.name,
        description=check.description,
        blocking=True,
        pool=WRITER_POOL,
        retry_policy=LOCK_RETRY,
        # A raw step may wait on this check (`runs` on the signals' keys): it must run with the
        # raw steps, before any model reads what they synced.
        op_tags=RAW_PRIORITY,
    )
    def _keys(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> dg.AssetCheckResult:
        [result] = _evaluate(warehouse, [check], log=context.log.info)
        return result

    return _keys


key_checks = [_key_check(check) for check in KEY_CHECKS]


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
    yield from _evaluate(warehouse, selected, log=context.log.info)


# The factory is marked beta; its behaviour is pinned by our tests, so the warning is only noise.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    schema_change_checks = dg.build_column_schema_change_checks(
        assets=[dg.AssetKey([SOURCE_SCHEMA, table]) for table in sorted(SOURCE_TABLES)]
    )

flintt_checks: list[dg.AssetChecksDefinition] = [
    *key_checks,
    flintt_data_checks,
    *schema_change_checks,
]
