-- Every counselor read of patient data: who, whose, what, when. Append-only:
-- the server only inserts, and the database refuses changes and deletions.

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    actor_id TEXT NOT NULL REFERENCES users (id),
    patient_id TEXT NOT NULL REFERENCES patients (id),
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);

CREATE INDEX audit_clinic ON audit_log (clinic_id, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
