-- Sync with the clinic's server. `pushed` is the `updated` stamp the server
-- last acknowledged for the record: a care-team record whose `pushed` differs
-- from `updated` has changes the server has not got yet.
ALTER TABLE records ADD COLUMN pushed TEXT;

CREATE INDEX records_unpushed ON records (kind)
    WHERE visibility = 'care_team' AND (pushed IS NULL OR pushed <> updated);

-- A pulled record this version of the app cannot read (a newer app's field,
-- say) is kept here, whole, instead of being dropped or blocking sync.
CREATE TABLE sync_quarantine (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    fields TEXT NOT NULL,
    reason TEXT NOT NULL,
    received_ms INTEGER NOT NULL
) STRICT;
