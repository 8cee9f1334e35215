-- Per live company: the signal results that reference it and the signals that fired on it.
--
-- Built from `analytics.signal_results`, so it counts the results of live runs. Companies
-- no result references are listed with 0 and NULLs.
--
-- Columns:
-- - `company_id`, `company_name`, `company_domain`: the company
-- - `results`: results referencing the company
-- - `signals_fired`: distinct signals with at least one such result
-- - `signal_names`: their names, sorted
-- - `first_hit_at`, `last_hit_at`: earliest and latest `found_at` of those results
-- 
-- grain: company_id
-- changed: flintt.companies -> id
-- changed: analytics.signal_results -> company_id
WITH hits AS (
    SELECT
        company_id,
        count(*) AS results,
        count(DISTINCT signal_id) AS signals_fired,
        list(DISTINCT signal_name ORDER BY signal_name) FILTER (WHERE signal_name IS NOT NULL)
            AS signal_names,
        min(found_at) AS first_hit_at,
        max(found_at) AS last_hit_at
    FROM analytics.signal_results
    WHERE company_id IS NOT NULL
    GROUP BY company_id
)
SELECT
    c.id AS company_id,
    c.name AS company_name,
    c.domain AS company_domain,
    coalesce(h.results, 0) AS results,
    coalesce(h.signals_fired, 0) AS signals_fired,
    coalesce(h.signal_names, []) AS signal_names,
    h.first_hit_at,
    h.last_hit_at
FROM flintt.companies AS c
LEFT JOIN hits AS h ON h.company_id = c.id
WHERE c._deleted_at IS NULL
ORDER BY company_id
