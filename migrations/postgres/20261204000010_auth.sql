-- Authentication monitoring (issue 16): how long an auth step took and which identity provider
-- it went to, on the raw audit rows; and the auth rollup the Authentication page and
-- /api/v1/auth/summary read: per bucket (span_ms: minute, hour or day), action, provider
-- (known names or 'other'), method (MFA method or OAuth flow type; known names or 'other') and
-- outcome, the events and the latency aggregate of those that carried a duration.
ALTER TABLE audit_events ADD COLUMN duration_ms DOUBLE PRECISION;
ALTER TABLE audit_events ADD COLUMN provider TEXT;

CREATE TABLE IF NOT EXISTS auth_rollup (
    span_ms BIGINT NOT NULL,
    bucket_ms BIGINT NOT NULL,
    action TEXT NOT NULL,
    provider TEXT NOT NULL,
    method TEXT NOT NULL,
    outcome TEXT NOT NULL,
    events BIGINT NOT NULL,
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
    PRIMARY KEY (span_ms, bucket_ms, action, provider, method, outcome)
);

-- Sessions seen in auth.session_validation events, by provider: "active sessions" are those
-- validated in the last 15 minutes.
CREATE TABLE IF NOT EXISTS auth_sessions (
    session_id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    last_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS auth_sessions_last ON auth_sessions (last_ms);
