-- Alerting: each instance's remembered state (a rule × label set; a restart resumes it), every
-- transition (the history page), the outbox notifications wait in until delivered (a restart
-- loses none and sends none twice), every delivery attempt (time, channel, outcome), and the
-- silences and maintenance windows made through the API.
CREATE TABLE IF NOT EXISTS alert_instances (
    alert_id TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    labels TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    active_since_ms BIGINT,
    fired_at_ms BIGINT,
    notified_at_ms BIGINT,
    last_true_ms BIGINT,
    resolved_at_ms BIGINT,
    value DOUBLE PRECISION,
    updated_ms BIGINT NOT NULL,
    -- Why a firing alert was not notified (a silence, a window, a dependency); NULL otherwise.
    suppressed_by TEXT
);

CREATE TABLE IF NOT EXISTS alert_transitions (
    id BIGSERIAL PRIMARY KEY,
    ts_ms BIGINT NOT NULL,
    alert_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    labels TEXT NOT NULL,
    severity TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    value DOUBLE PRECISION,
    threshold DOUBLE PRECISION NOT NULL,
    notice TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_transitions_ts ON alert_transitions (ts_ms, id);

CREATE TABLE IF NOT EXISTS alert_outbox (
    id BIGSERIAL PRIMARY KEY,
    created_ms BIGINT NOT NULL,
    channel TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_ms BIGINT NOT NULL,
    done BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox (channel, done, next_ms);

CREATE TABLE IF NOT EXISTS alert_deliveries (
    id BIGSERIAL PRIMARY KEY,
    ts_ms BIGINT NOT NULL,
    channel TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    status BIGINT,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_deliveries_ts ON alert_deliveries (ts_ms, id);
CREATE INDEX IF NOT EXISTS alert_deliveries_channel ON alert_deliveries (channel, id);

CREATE TABLE IF NOT EXISTS alert_silences (
    id BIGSERIAL PRIMARY KEY,
    matchers TEXT NOT NULL,
    starts_ms BIGINT NOT NULL,
    ends_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_silences_ends ON alert_silences (ends_ms);

CREATE TABLE IF NOT EXISTS alert_maintenance (
    id BIGSERIAL PRIMARY KEY,
    spec TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expired_ms BIGINT
);
