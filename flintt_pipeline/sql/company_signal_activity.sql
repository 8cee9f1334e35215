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

-- One join and one GROUP BY (not an aggregate of all results joined afterwards): a filter on
-- `company_id` then reaches both tables' scans, which the incremental update relies on.
SELECT
    c.id AS company_id,
    c.name AS company_name,
    c.domain AS company_domain,
    count(r.company_id) AS results,
    count(DISTINCT r.signal_id) AS signals_fired,
    coalesce(
        list(DISTINCT r.signal_name ORDER BY r.signal_name)
            FILTER (WHERE r.signal_name IS NOT NULL),
        []
    ) AS signal_names,
    min(r.found_at) AS first_hit_at,
    max(r.found_at) AS last_hit_at
FROM flintt.companies AS c
LEFT JOIN analytics.signal_results AS r ON r.company_id = c.id
WHERE c._deleted_at IS NULL
GROUP BY c.id, c.name, c.domain
ORDER BY company_id
