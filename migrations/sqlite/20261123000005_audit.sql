-- Audit events and what the role views read: raw rows (kept for retention.raw_events), action
-- counts and sets of acting users per bucket (span_ms is the bucket size: minute, hour or day), the
-- users' current roles, session spans and role changes, and per-user request counts per
-- minute for rate-limit usage.
CREATE TABLE IF NOT EXISTS audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    action TEXT NOT NULL,
    category TEXT NOT NULL,
    resource TEXT,
    outcome TEXT NOT NULL,
    session_id TEXT,
    details TEXT,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_ts ON audit_events (ts_ms);

CREATE TABLE IF NOT EXISTS audit_action_rollup (
    span_ms INTEGER NOT NULL,
    bucket_ms INTEGER NOT NULL,
    role TEXT NOT NULL,
    category TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (span_ms, bucket_ms, role, category, action, outcome)
);

-- Actors get a number so the set of actors in a bucket can be a compressed bitmap.
CREATE TABLE IF NOT EXISTS audit_actor_ids (
    num INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id TEXT NOT NULL UNIQUE
);

-- Who acted per bucket, role and category: a serialized roaring bitmap of actor numbers. Distinct
-- users over any window are the size of the union of its buckets' sets.
CREATE TABLE IF NOT EXISTS audit_actor_sets (
    span_ms INTEGER NOT NULL,
    bucket_ms INTEGER NOT NULL,
    role TEXT NOT NULL,
    category TEXT NOT NULL,
    actors BLOB NOT NULL,
    PRIMARY KEY (span_ms, bucket_ms, role, category)
);

CREATE TABLE IF NOT EXISTS audit_users (
    actor_id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    first_role TEXT NOT NULL,
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    changed_ms INTEGER
);

CREATE TABLE IF NOT EXISTS audit_sessions (
    session_id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    first_ms INTEGER NOT NULL,
    last_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_sessions_last ON audit_sessions (last_ms);

-- Sessions per bucket they began in, role: how many and their summed span (first to last event).
CREATE TABLE IF NOT EXISTS audit_session_rollup (
    span_ms INTEGER NOT NULL,
    bucket_ms INTEGER NOT NULL,
    role TEXT NOT NULL,
    sessions INTEGER NOT NULL,
    total_ms INTEGER NOT NULL,
    PRIMARY KEY (span_ms, bucket_ms, role)
);

CREATE TABLE IF NOT EXISTS role_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    from_role TEXT NOT NULL,
    to_role TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS role_changes_ts ON role_changes (ts_ms);
CREATE INDEX IF NOT EXISTS role_changes_actor ON role_changes (actor_id, ts_ms);

CREATE TABLE IF NOT EXISTS request_user_minute (
    bucket_ms INTEGER NOT NULL,
    role TEXT NOT NULL,
    user_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (bucket_ms, role, user_id)
);

-- Request traffic per bucket and role (span_ms: minute, hour or day): the role views' latency.
CREATE TABLE IF NOT EXISTS request_role_rollup (
    span_ms INTEGER NOT NULL,
    bucket_ms INTEGER NOT NULL,
    role TEXT NOT NULL,
    count INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    sum_ms REAL NOT NULL,
    min_ms REAL NOT NULL,
    max_ms REAL NOT NULL,
    h00 INTEGER NOT NULL DEFAULT 0,
    h01 INTEGER NOT NULL DEFAULT 0,
    h02 INTEGER NOT NULL DEFAULT 0,
    h03 INTEGER NOT NULL DEFAULT 0,
    h04 INTEGER NOT NULL DEFAULT 0,
    h05 INTEGER NOT NULL DEFAULT 0,
    h06 INTEGER NOT NULL DEFAULT 0,
    h07 INTEGER NOT NULL DEFAULT 0,
    h08 INTEGER NOT NULL DEFAULT 0,
    h09 INTEGER NOT NULL DEFAULT 0,
    h10 INTEGER NOT NULL DEFAULT 0,
    h11 INTEGER NOT NULL DEFAULT 0,
    h12 INTEGER NOT NULL DEFAULT 0,
    h13 INTEGER NOT NULL DEFAULT 0,
    h14 INTEGER NOT NULL DEFAULT 0,
    h15 INTEGER NOT NULL DEFAULT 0,
    h16 INTEGER NOT NULL DEFAULT 0,
    h17 INTEGER NOT NULL DEFAULT 0,
    h18 INTEGER NOT NULL DEFAULT 0,
    h19 INTEGER NOT NULL DEFAULT 0,
    h20 INTEGER NOT NULL DEFAULT 0,
    h21 INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (span_ms, bucket_ms, role)
);
