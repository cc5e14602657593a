-- Reminders already shown, so a restart never shows one again; and the
-- patient's settings (reminder preferences), one JSON value per name.

CREATE TABLE delivered_reminders (
    -- The planner's key: session/<event>/<occurrence>/<minutes> or checkin/<date>.
    key TEXT PRIMARY KEY NOT NULL,
    delivered_at_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- Attendance is looked up by event and occurrence.
CREATE INDEX records_attendance ON records (json_extract(body, '$.event_id'), json_extract(body, '$.occurrence'))
    WHERE kind = 'attendance' AND deleted = 0;
