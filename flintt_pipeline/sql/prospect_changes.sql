-- One row per change of a prospect's title or company, newest first: who moved, who was promoted.
--
-- Read from `flintt.prospects_history`; a change is seen by the first sync after it happened, so
-- `changed_at` is that sync's time (Flintt's API has no update time). A prospect deleted and
-- restored with another title or company counts as a change too. Company names are those the
-- companies had when the change was seen (from `flintt.companies_history`); NULL when unknown.
--
-- Columns:
-- - `prospect_id`, `prospect_name`: the prospect (its name after the change)
-- - `old_title`, `new_title`: its title before and after
-- - `old_company_id`, `old_company_name`: its company before
-- - `new_company_id`, `new_company_name`: its company after
-- - `title_changed`, `company_changed`: which of the two changed (one or both)
-- - `changed_at`: when a sync first saw the change
--
-- grain: prospect_id
-- changed: flintt.prospects_history -> id
-- changed: flintt.companies_history -> SELECT p.id FROM flintt.prospects_history AS p WHERE p.company_id IN (SELECT id FROM changed)
WITH versions AS (
    SELECT
        id,
        name,
        title,
        company_id,
        _change,
        _valid_from,
        lag(title) OVER seen AS old_title,
        lag(company_id) OVER seen AS old_company_id,
        row_number() OVER seen AS version
    FROM flintt.prospects_history
    WINDOW seen AS (PARTITION BY id ORDER BY _valid_from)
),
changes AS (
    SELECT
        *,
        title IS DISTINCT FROM old_title AS title_changed,
        company_id IS DISTINCT FROM old_company_id AS company_changed
    FROM versions
    WHERE version > 1 AND _change IN ('update', 'restore')
)
SELECT
    c.id AS prospect_id,
    c.name AS prospect_name,
    c.old_title,
    c.title AS new_title,
    c.old_company_id,
    old_company.name AS old_company_name,
    c.company_id AS new_company_id,
    new_company.name AS new_company_name,
    c.title_changed,
    c.company_changed,
    c._valid_from AS changed_at
FROM changes AS c
ASOF LEFT JOIN flintt.companies_history AS old_company
    ON old_company.id = c.old_company_id AND old_company._valid_from <= c._valid_from
ASOF LEFT JOIN flintt.companies_history AS new_company
    ON new_company.id = c.company_id AND new_company._valid_from <= c._valid_from
WHERE c.title_changed OR c.company_changed
ORDER BY changed_at DESC, prospect_id
