-- A second factor for staff: a TOTP secret (RFC 6238) per account, confirmed
-- once the first code from it is entered, with the last time step accepted
-- (a code is never taken twice); ten single-use recovery codes, stored as
-- keyed hashes; browsers that may skip the code for a while; and how far
-- each browser session has got in signing in.

CREATE TABLE second_factors (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    secret TEXT NOT NULL,
    confirmed_ms BIGINT,
    last_step BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_ms BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE remembered_browsers (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    expires_ms BIGINT NOT NULL
);

-- signed_in, second_factor (the code is awaited) or enrol (the account
-- must set up a second factor first).
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'signed_in';

-- Whether the clinic's counselors (not only its admins) need the second factor.
ALTER TABLE clinics ADD COLUMN counselors_second_factor BIGINT NOT NULL DEFAULT 0;

-- Changes to staff accounts made outside the API (the admin command):
-- append-only, like the audit log.
CREATE TABLE account_events (
    id BIGSERIAL PRIMARY KEY,
    at_ms BIGINT NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    by_whom TEXT NOT NULL
);

CREATE TRIGGER account_events_no_change BEFORE UPDATE OR DELETE OR TRUNCATE ON account_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
