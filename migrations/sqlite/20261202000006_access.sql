-- Pulse's own users, their sessions and API tokens. Sessions and tokens are stored as SHA-256
-- digests of the secret (the secret is shown once and never stored); passwords as argon2id PHC
-- strings. Flags are 0/1 integers so both backends decode them alike.
CREATE TABLE IF NOT EXISTS pulse_users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL,
    last_login_ms INTEGER
);

CREATE TABLE IF NOT EXISTS pulse_sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS pulse_sessions_user ON pulse_sessions (user_id);

CREATE TABLE IF NOT EXISTS pulse_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    role TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER,
    last_used_ms INTEGER,
    revoked_ms INTEGER
);
