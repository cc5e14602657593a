-- What each patient holds, kept beside the change counter so a push can
-- check the patient's quota without reading their records; and pushes per
-- device counted in fixed windows.
ALTER TABLE patient_changes ADD COLUMN records INTEGER NOT NULL DEFAULT 0;
ALTER TABLE patient_changes ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;

UPDATE patient_changes SET
    records = (SELECT COUNT(*) FROM records r WHERE r.patient_id = patient_changes.patient_id),
    bytes = (SELECT COALESCE(SUM(LENGTH(CAST(r.fields AS BLOB))), 0) FROM records r
             WHERE r.patient_id = patient_changes.patient_id);

CREATE TABLE rate_windows (
    key TEXT PRIMARY KEY NOT NULL,
    started_ms INTEGER NOT NULL,
    count INTEGER NOT NULL
) STRICT;
