-- Changes of signals' status, schedule and name, one row per changed field, newest first:
-- which signals were paused or resumed, rescheduled, renamed.
--
-- Read from `flintt.signals_history`; `changed_at` is the time of the first sync that saw the
-- change (Flintt's API has no update time). A signal deleted and restored with other values
-- counts as a change too; deletions themselves are in `flintt.signals_history`.
--
-- Columns:
-- - `signal_id`, `signal_name`: the signal (its name after the change)
-- - `field`: `status`, `schedule` or `name`
-- - `old_value`, `new_value`: the field before and after (NULL: not set)
-- - `changed_at`: when a sync first saw the change
--
-- grain: signal_id
-- changed: flintt.signals_history -> id
WITH versions AS (
    SELECT
        id,
        name,
        status,
        schedule,
        _change,
        _valid_from,
        lag(name) OVER seen AS old_name,
        lag(status) OVER seen AS old_status,
        lag(schedule) OVER seen AS old_schedule,
        row_number() OVER seen AS version
    FROM flintt.signals_history
    WINDOW seen AS (PARTITION BY id ORDER BY _valid_from)
),
changes AS (
    SELECT * FROM versions WHERE version > 1 AND _change IN ('update', 'restore')
),
fields AS (
    SELECT id, name, 'status' AS field, old_status AS old_value, status AS new_value, _valid_from
    FROM changes
    WHERE status IS DISTINCT FROM old_status
    UNION ALL
    SELECT id, name, 'schedule', old_schedule, schedule, _valid_from
    FROM changes
    WHERE schedule IS DISTINCT FROM old_schedule
    UNION ALL
    SELECT id, name, 'name', old_name, name, _valid_from
    FROM changes
    WHERE name IS DISTINCT FROM old_name
)
SELECT
    id AS signal_id,
    name AS signal_name,
    field,
    old_value,
    new_value,
    _valid_from AS changed_at
FROM fields
ORDER BY changed_at DESC, signal_id, field
