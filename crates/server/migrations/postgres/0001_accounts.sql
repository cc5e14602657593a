-- Clinics, their counselors and admins, and browser sessions.
-- Times are milliseconds since the Unix epoch, as in SQLite's schema.

CREATE TABLE clinics (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('counselor', 'admin')),
    password_hash TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);

-- A session is found by the SHA-256 of its cookie; the cookie itself is
-- never stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);
