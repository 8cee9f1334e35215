-- Live prospects with the name and domain of their company.
--
-- One row per prospect that still exists in Flintt. The company columns are NULL when the
-- prospect has no company or its company is unknown or deleted.
--
-- Columns:
-- - `prospect_id`, `prospect_name`, `email`, `title`, `linkedin_url`: the prospect
-- - `company_id`: the company Flintt links the prospect to, as Flintt sent it
-- - `company_name`, `company_domain`: that company, when it is known and live
-- - `created_at`: when the prospect was created in Flintt
--
-- grain: prospect_id
-- changed: flintt.prospects -> id
-- changed: flintt.companies -> SELECT p.id FROM flintt.prospects AS p WHERE p.company_id IN (SELECT id FROM changed)
SELECT
    p.id AS prospect_id,
    p.name AS prospect_name,
    p.email,
    p.title,
    p.linkedin_url,
    p.company_id,
    c.name AS company_name,
    c.domain AS company_domain,
    p.created_at
FROM flintt.prospects AS p
LEFT JOIN flintt.companies AS c
    ON c.id = p.company_id AND c._deleted_at IS NULL
WHERE p._deleted_at IS NULL
ORDER BY prospect_id
