-- Every counselor read of patient data: who, whose, what, when. Append-only:
-- the server only inserts, and the database refuses changes and deletions.

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    actor_id TEXT NOT NULL REFERENCES users (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    action TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;

CREATE INDEX audit_clinic ON audit_log (clinic_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
