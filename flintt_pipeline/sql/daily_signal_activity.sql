-- Per UTC day and signal: runs that finished that day and the results they found.
--
-- A run counts on the day of its `completed_at` (failed runs get one too). Only live runs
-- count; days on which a signal finished no run have no row.
--
-- Columns:
-- - `activity_date`: the day (DATE, UTC)
-- - `signal_id`, `signal_name`: the signal (name NULL if the signal is gone)
-- - `runs_completed`, `runs_failed`: runs that finished that day, by outcome
-- - `results`: `results_count` summed over that day's completed runs
--
-- grain: signal_id
-- changed: flintt.runs -> signal_id
-- changed: flintt.signals -> id
SELECT
    CAST(timezone('UTC', r.completed_at) AS DATE) AS activity_date,
    r.signal_id,
    s.name AS signal_name,
    count(*) FILTER (WHERE r.status = 'completed') AS runs_completed,
    count(*) FILTER (WHERE r.status = 'failed') AS runs_failed,
    coalesce(sum(r.results_count) FILTER (WHERE r.status = 'completed'), 0) AS results
FROM flintt.runs AS r
LEFT JOIN flintt.signals AS s
    ON s.id = r.signal_id AND s._deleted_at IS NULL
WHERE r._deleted_at IS NULL
    AND r.status IN ('completed', 'failed')
    AND r.completed_at IS NOT NULL
GROUP BY ALL
ORDER BY activity_date, signal_id
