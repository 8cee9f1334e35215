-- Per live signal: how its runs went, how much they found, and how long since one succeeded.
--
-- Counts cover the signal's live runs. Results are the `results_count` Flintt reports on each
-- completed run, so they are known even before the results themselves are fetched. Rebuilt whole
-- on every update: `days_since_last_success` depends on the time of the build.
--
-- Columns:
-- - `signal_id`, `signal_name`, `signal_status`, `schedule`: the signal
-- - `runs_total`, `runs_pending`, `runs_running`, `runs_completed`, `runs_failed`: runs by status
-- - `failure_rate`: failed / (completed + failed), 4 decimals; NULL before any run finished
-- - `results_total`: results of its completed runs
-- - `results_per_completed_run`: `results_total / runs_completed`, 2 decimals; NULL without one
-- - `last_completed_at`: completion time of its latest completed run
-- - `days_since_last_success`: whole days from `last_completed_at` to the build; NULL if none
WITH run_counts AS (
    SELECT
        signal_id,
        count(*) AS runs_total,
        count(*) FILTER (WHERE status = 'pending') AS runs_pending,
        count(*) FILTER (WHERE status = 'running') AS runs_running,
        count(*) FILTER (WHERE status = 'completed') AS runs_completed,
        count(*) FILTER (WHERE status = 'failed') AS runs_failed,
        coalesce(sum(results_count) FILTER (WHERE status = 'completed'), 0) AS results_total,
        max(completed_at) FILTER (WHERE status = 'completed') AS last_completed_at
    FROM flintt.runs
    WHERE _deleted_at IS NULL
    GROUP BY signal_id
)
SELECT
    s.id AS signal_id,
    s.name AS signal_name,
    s.status AS signal_status,
    s.schedule,
    coalesce(rc.runs_total, 0) AS runs_total,
    coalesce(rc.runs_pending, 0) AS runs_pending,
    coalesce(rc.runs_running, 0) AS runs_running,
    coalesce(rc.runs_completed, 0) AS runs_completed,
    coalesce(rc.runs_failed, 0) AS runs_failed,
    round(rc.runs_failed / nullif(rc.runs_completed + rc.runs_failed, 0), 4) AS failure_rate,
    coalesce(rc.results_total, 0) AS results_total,
    round(rc.results_total / nullif(rc.runs_completed, 0), 2) AS results_per_completed_run,
    rc.last_completed_at,
    CAST(floor((epoch(current_timestamp) - epoch(rc.last_completed_at)) / 86400) AS INTEGER)
        AS days_since_last_success
FROM flintt.signals AS s
LEFT JOIN run_counts AS rc ON rc.signal_id = s.id
WHERE s._deleted_at IS NULL
ORDER BY signal_id
