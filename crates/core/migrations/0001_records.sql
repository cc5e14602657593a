-- Every patient record lives in one table: the current value as JSON, and the
-- hybrid-logical-clock stamp of each of its fields, so replicas can be merged
-- field by field when sync arrives. A deletion is a stamped field too (a
-- tombstone); rows are never removed.

CREATE TABLE replica (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    -- Breaks ties between clock stamps; made once, on first start.
    node_id TEXT NOT NULL
) STRICT;

CREATE TABLE records (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    -- The record's own time ("at") in Unix milliseconds, for ordering and ranges.
    at_ms INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
    visibility TEXT NOT NULL CHECK (visibility IN ('private', 'care_team')),
    -- The current value: a JSON object whose keys are the record's fields.
    body TEXT NOT NULL,
    -- A JSON object: field name -> the stamp of its last write.
    stamps TEXT NOT NULL,
    -- The largest stamp in `stamps`; fixed-width text, so text order is clock order.
    updated TEXT NOT NULL
) STRICT;

-- Week views and history pages: newest first, live records only.
CREATE INDEX records_live_by_kind_time ON records (kind, at_ms DESC, id DESC) WHERE deleted = 0;
-- Finding the newest stamp on start, and changes since a point for sync.
CREATE INDEX records_by_updated ON records (updated);
