-- The audit log also records what a patient's device does to the care
-- team's copy: withdrawing a record (making it private after sharing it).
-- An entry's actor is a staff account or a device, never both. SQLite
-- cannot relax a NOT NULL column in place, so the table is rebuilt with
-- every entry kept, and stays append-only.

DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_log_no_delete;

CREATE TABLE audit_log_next (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    actor_id TEXT REFERENCES users (id),
    device_id TEXT REFERENCES devices (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    CHECK ((actor_id IS NULL) <> (device_id IS NULL))
) STRICT;

INSERT INTO audit_log_next (id, at_ms, clinic_id, actor_id, patient_id, action, detail)
    SELECT id, at_ms, clinic_id, actor_id, patient_id, action, detail FROM audit_log;

DROP TABLE audit_log;
ALTER TABLE audit_log_next RENAME TO audit_log;

CREATE INDEX audit_clinic ON audit_log (clinic_id, id);
CREATE INDEX audit_patient ON audit_log (patient_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
