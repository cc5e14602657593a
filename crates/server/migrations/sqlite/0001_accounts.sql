-- Clinics, their counselors and admins, and browser sessions.
-- Times are milliseconds since the Unix epoch, as in PostgreSQL's schema.

CREATE TABLE clinics (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_ms INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    clinic_id TEXT NOT NULL REFERENCES clinics (id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('counselor', 'admin')),
    password_hash TEXT NOT NULL,
    created_ms INTEGER NOT NULL
) STRICT;

-- A session is found by the SHA-256 of its cookie; the cookie itself is
-- never stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_user ON sessions (user_id);
