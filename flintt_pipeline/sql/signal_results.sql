-- One row per result of a live run, with its signal and the result's fields lifted from JSON.
--
-- Columns:
-- - `run_id`, `position`: the result's place in its run (the key)
-- - `signal_id`, `signal_name`: the signal that produced it (name NULL if the signal is gone)
-- - `run_completed_at`: when the run completed
-- - `result_id`: Flintt's id for the result; NULL for results that have none
-- - `company_id`: the company the result references, when it references one
-- - `title`, `url`, `score`, `found_at`: the result itself (`score` DOUBLE, `found_at` TIMESTAMPTZ;
--   NULL when missing or malformed)
--
-- grain: run_id
-- changed: flintt.run_results -> run_id
-- changed: flintt.runs -> id
-- changed: flintt.signals -> SELECT r.id FROM flintt.runs AS r WHERE r.signal_id IN (SELECT id FROM changed)
SELECT
    rr.run_id,
    rr.position,
    r.signal_id,
    s.name AS signal_name,
    r.completed_at AS run_completed_at,
    rr.result_id,
    rr._raw ->> 'company_id' AS company_id,
    rr._raw ->> 'title' AS title,
    rr._raw ->> 'url' AS url,
    TRY_CAST(rr._raw ->> 'score' AS DOUBLE) AS score,
    TRY_CAST(rr._raw ->> 'found_at' AS TIMESTAMPTZ) AS found_at
FROM flintt.run_results AS rr
JOIN flintt.runs AS r
    ON r.id = rr.run_id AND r._deleted_at IS NULL
LEFT JOIN flintt.signals AS s
    ON s.id = r.signal_id AND s._deleted_at IS NULL
ORDER BY run_id, position
