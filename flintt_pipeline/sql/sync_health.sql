-- Per raw table in schema `flintt`: live rows, soft-deleted rows and the latest change.
--
-- `run_results` has no soft delete of its own: its rows count as deleted when their run is
-- deleted (or missing). Rebuilt whole on every update: it counts whole tables.
--
-- Columns:
-- - `table_name`: the raw table, e.g. `flintt.runs`
-- - `live_rows`: rows that still exist in Flintt
-- - `deleted_rows`: rows soft-deleted because a complete listing no longer had them
-- - `last_synced_at`: latest `_synced_at`, i.e. when a row of the table last changed
-- - `history_rows`: versions kept in the table's history (`flintt.<table>_history`); NULL for
--   `run_results`, which has none
SELECT
    'flintt.companies' AS table_name,
    count(*) FILTER (WHERE _deleted_at IS NULL) AS live_rows,
    count(*) FILTER (WHERE _deleted_at IS NOT NULL) AS deleted_rows,
    max(_synced_at) AS last_synced_at,
    (SELECT count(*) FROM flintt.companies_history) AS history_rows
FROM flintt.companies
UNION ALL
SELECT
    'flintt.prospects',
    count(*) FILTER (WHERE _deleted_at IS NULL),
    count(*) FILTER (WHERE _deleted_at IS NOT NULL),
    max(_synced_at),
    (SELECT count(*) FROM flintt.prospects_history)
FROM flintt.prospects
UNION ALL
SELECT
    'flintt.signals',
    count(*) FILTER (WHERE _deleted_at IS NULL),
    count(*) FILTER (WHERE _deleted_at IS NOT NULL),
    max(_synced_at),
    (SELECT count(*) FROM flintt.signals_history)
FROM flintt.signals
UNION ALL
SELECT
    'flintt.runs',
    count(*) FILTER (WHERE _deleted_at IS NULL),
    count(*) FILTER (WHERE _deleted_at IS NOT NULL),
    max(_synced_at),
    (SELECT count(*) FROM flintt.runs_history)
FROM flintt.runs
UNION ALL
SELECT
    'flintt.run_results',
    count(*) FILTER (WHERE r.id IS NOT NULL AND r._deleted_at IS NULL),
    count(*) FILTER (WHERE r.id IS NULL OR r._deleted_at IS NOT NULL),
    max(rr._synced_at),
    NULL
FROM flintt.run_results AS rr
LEFT JOIN flintt.runs AS r ON r.id = rr.run_id
ORDER BY table_name
