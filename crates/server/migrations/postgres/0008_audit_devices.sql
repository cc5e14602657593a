-- The audit log also records what a patient's device does to the care
-- team's copy: withdrawing a record (making it private after sharing it).
-- An entry's actor is a staff account or a device, never both. Its
-- append-only trigger fires on UPDATE, DELETE and TRUNCATE, not on this.

ALTER TABLE audit_log
    ALTER COLUMN actor_id DROP NOT NULL,
    ADD COLUMN device_id TEXT REFERENCES devices (id),
    ADD CONSTRAINT audit_log_one_actor CHECK ((actor_id IS NULL) <> (device_id IS NULL));

CREATE INDEX audit_patient ON audit_log (patient_id, id);
