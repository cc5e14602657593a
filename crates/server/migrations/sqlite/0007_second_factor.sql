-- A second factor for staff: a TOTP secret (RFC 6238) per account, confirmed
-- once the first code from it is entered, with the last time step accepted
-- (a code is never taken twice); ten single-use recovery codes, stored as
-- keyed hashes; browsers that may skip the code for a while; and how far
-- each browser session has got in signing in.

CREATE TABLE second_factors (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users (id),
    secret TEXT NOT NULL,
    confirmed_ms INTEGER,
    last_step INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE recovery_codes (
    user_id TEXT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_ms INTEGER,
    PRIMARY KEY (user_id, code_hash)
) STRICT;

CREATE TABLE remembered_browsers (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    expires_ms INTEGER NOT NULL
) STRICT;

-- signed_in, second_factor (the code is awaited) or enrol (the account
-- must set up a second factor first).
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'signed_in';

-- Whether the clinic's counselors (not only its admins) need the second factor.
ALTER TABLE clinics ADD COLUMN counselors_second_factor INTEGER NOT NULL DEFAULT 0;

-- Changes to staff accounts made outside the API (the admin command):
-- append-only, like the audit log.
CREATE TABLE account_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    action TEXT NOT NULL,
    by_whom TEXT NOT NULL
) STRICT;

CREATE TRIGGER account_events_no_update BEFORE UPDATE ON account_events
BEGIN
    SELECT RAISE(ABORT, 'account events are append-only');
END;

CREATE TRIGGER account_events_no_delete BEFORE DELETE ON account_events
BEGIN
    SELECT RAISE(ABORT, 'account events are append-only');
END;
