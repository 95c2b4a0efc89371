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
    active_since_ms INTEGER,
    fired_at_ms INTEGER,
    notified_at_ms INTEGER,
    last_true_ms INTEGER,
    resolved_at_ms INTEGER,
    value REAL,
    updated_ms INTEGER NOT NULL,
    -- Why a firing alert was not notified (a silence, a window, a dependency); NULL otherwise.
    suppressed_by TEXT
);

CREATE TABLE IF NOT EXISTS alert_transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms INTEGER NOT NULL,
    alert_id TEXT NOT NULL,
    rule TEXT NOT NULL,
    labels TEXT NOT NULL,
    severity TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    value REAL,
    threshold REAL NOT NULL,
    notice TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_transitions_ts ON alert_transitions (ts_ms, id);

CREATE TABLE IF NOT EXISTS alert_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_ms INTEGER NOT NULL,
    channel TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_ms INTEGER NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS alert_outbox_due ON alert_outbox (channel, done, next_ms);

CREATE TABLE IF NOT EXISTS alert_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms INTEGER NOT NULL,
    channel TEXT NOT NULL,
    alert_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    status INTEGER,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_deliveries_ts ON alert_deliveries (ts_ms, id);
CREATE INDEX IF NOT EXISTS alert_deliveries_channel ON alert_deliveries (channel, id);

CREATE TABLE IF NOT EXISTS alert_silences (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    matchers TEXT NOT NULL,
    starts_ms INTEGER NOT NULL,
    ends_ms INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS alert_silences_ends ON alert_silences (ends_ms);

CREATE TABLE IF NOT EXISTS alert_maintenance (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    spec TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expired_ms INTEGER
);
