-- Audit events and what the role views read: raw rows (kept for retention.raw_events), action
-- counts and sets of acting users per bucket (span_ms is the bucket size: minute, hour or day), the
-- users' current roles, session spans and role changes, and per-user request counts per
-- minute for rate-limit usage.
CREATE TABLE IF NOT EXISTS audit_events (
    id BIGSERIAL PRIMARY KEY,
    ts_ms BIGINT NOT NULL,
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
    span_ms BIGINT NOT NULL,
    bucket_ms BIGINT NOT NULL,
    role TEXT NOT NULL,
    category TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (span_ms, bucket_ms, role, category, action, outcome)
);

-- Actors get a number so the set of actors in a bucket can be a compressed bitmap.
CREATE TABLE IF NOT EXISTS audit_actor_ids (
    num BIGSERIAL PRIMARY KEY,
    actor_id TEXT NOT NULL UNIQUE
);

-- Who acted per bucket, role and category: a serialized roaring bitmap of actor numbers. Distinct
-- users over any window are the size of the union of its buckets' sets.
CREATE TABLE IF NOT EXISTS audit_actor_sets (
    span_ms BIGINT NOT NULL,
    bucket_ms BIGINT NOT NULL,
    role TEXT NOT NULL,
    category TEXT NOT NULL,
    actors BYTEA NOT NULL,
    PRIMARY KEY (span_ms, bucket_ms, role, category)
);

CREATE TABLE IF NOT EXISTS audit_users (
    actor_id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    first_role TEXT NOT NULL,
    first_seen_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL,
    changed_ms BIGINT
);

CREATE TABLE IF NOT EXISTS audit_sessions (
    session_id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    first_ms BIGINT NOT NULL,
    last_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_sessions_last ON audit_sessions (last_ms);

-- Sessions per bucket they began in, role: how many and their summed span (first to last event).
CREATE TABLE IF NOT EXISTS audit_session_rollup (
    span_ms BIGINT NOT NULL,
    bucket_ms BIGINT NOT NULL,
    role TEXT NOT NULL,
    sessions BIGINT NOT NULL,
    total_ms BIGINT NOT NULL,
    PRIMARY KEY (span_ms, bucket_ms, role)
);

CREATE TABLE IF NOT EXISTS role_changes (
    id BIGSERIAL PRIMARY KEY,
    ts_ms BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    from_role TEXT NOT NULL,
    to_role TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS role_changes_ts ON role_changes (ts_ms);
CREATE INDEX IF NOT EXISTS role_changes_actor ON role_changes (actor_id, ts_ms);

CREATE TABLE IF NOT EXISTS request_user_minute (
    bucket_ms BIGINT NOT NULL,
    role TEXT NOT NULL,
    user_id TEXT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (bucket_ms, role, user_id)
);

-- Request traffic per bucket and role (span_ms: minute, hour or day): the role views' latency.
CREATE TABLE IF NOT EXISTS request_role_rollup (
    span_ms BIGINT NOT NULL,
    bucket_ms BIGINT NOT NULL,
    role TEXT NOT NULL,
    count BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    sum_ms DOUBLE PRECISION NOT NULL,
    min_ms DOUBLE PRECISION NOT NULL,
    max_ms DOUBLE PRECISION NOT NULL,
    h00 BIGINT NOT NULL DEFAULT 0,
    h01 BIGINT NOT NULL DEFAULT 0,
    h02 BIGINT NOT NULL DEFAULT 0,
    h03 BIGINT NOT NULL DEFAULT 0,
    h04 BIGINT NOT NULL DEFAULT 0,
    h05 BIGINT NOT NULL DEFAULT 0,
    h06 BIGINT NOT NULL DEFAULT 0,
    h07 BIGINT NOT NULL DEFAULT 0,
    h08 BIGINT NOT NULL DEFAULT 0,
    h09 BIGINT NOT NULL DEFAULT 0,
    h10 BIGINT NOT NULL DEFAULT 0,
    h11 BIGINT NOT NULL DEFAULT 0,
    h12 BIGINT NOT NULL DEFAULT 0,
    h13 BIGINT NOT NULL DEFAULT 0,
    h14 BIGINT NOT NULL DEFAULT 0,
    h15 BIGINT NOT NULL DEFAULT 0,
    h16 BIGINT NOT NULL DEFAULT 0,
    h17 BIGINT NOT NULL DEFAULT 0,
    h18 BIGINT NOT NULL DEFAULT 0,
    h19 BIGINT NOT NULL DEFAULT 0,
    h20 BIGINT NOT NULL DEFAULT 0,
    h21 BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (span_ms, bucket_ms, role)
);
