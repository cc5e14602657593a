-- The care team's copy of each patient's shared records, merged field by
-- field, and the per-patient change counter that orders them for pulls.

CREATE TABLE patient_changes (
    patient_id TEXT PRIMARY KEY REFERENCES patients (id),
    last_change BIGINT NOT NULL
);

CREATE TABLE records (
    patient_id TEXT NOT NULL REFERENCES patients (id),
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- Every stamped field: {"path": {"value": ..., "stamp": "..."}}.
    fields TEXT NOT NULL,
    -- The patient's change number of the last write that changed it.
    change_no BIGINT NOT NULL,
    PRIMARY KEY (patient_id, id)
);

CREATE INDEX records_changes ON records (patient_id, change_no);
