-- Attempts at guessing (passwords, pairing codes), counted per key (an
-- account, a client address) by every server instance alike. A key is the
-- SHA-256 of what it counts, so no email or address is kept in clear.
CREATE TABLE attempt_limits (
    key TEXT PRIMARY KEY NOT NULL,
    -- Attempts since the count last started again.
    attempts INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    -- No attempt is taken before this time.
    next_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX attempt_limits_last ON attempt_limits (last_ms);
