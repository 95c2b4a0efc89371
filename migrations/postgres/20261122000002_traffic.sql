-- Request events as received (raw, short retention), their per-minute and per-hour rollups
-- (what dashboards read), and host samples.
CREATE TABLE IF NOT EXISTS request_events (
    id BIGSERIAL PRIMARY KEY,
    ts_ms BIGINT NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    tool TEXT,
    server TEXT,
    status INTEGER NOT NULL,
    duration_ms DOUBLE PRECISION NOT NULL,
    user_id TEXT,
    role TEXT,
    bytes_in BIGINT,
    bytes_out BIGINT,
    client_ip TEXT,
    user_agent TEXT,
    source TEXT NOT NULL
);
-- Windows over recent raw rows and retention both go by time.
CREATE INDEX IF NOT EXISTS idx_request_events_ts ON request_events (ts_ms);

-- Per-minute rollups: one row per (bucket, route, method, status class, role, server, tool).
-- Absent role/server/tool are '' so the key is a plain primary key on both backends.
CREATE TABLE IF NOT EXISTS request_minute (
    bucket_ms BIGINT NOT NULL,
    route TEXT NOT NULL,
    method TEXT NOT NULL,
    status_class INTEGER NOT NULL,
    role TEXT NOT NULL,
    server TEXT NOT NULL,
    tool TEXT NOT NULL,
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
    PRIMARY KEY (bucket_ms, route, method, status_class, role, server, tool)
);

-- Per-hour rollups, kept for long trends: one row per (bucket, route, method, status class, role, server, tool).
-- Absent role/server/tool are '' so the key is a plain primary key on both backends.
CREATE TABLE IF NOT EXISTS request_hour (
    bucket_ms BIGINT NOT NULL,
    route TEXT NOT NULL,
    method TEXT NOT NULL,
    status_class INTEGER NOT NULL,
    role TEXT NOT NULL,
    server TEXT NOT NULL,
    tool TEXT NOT NULL,
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
    PRIMARY KEY (bucket_ms, route, method, status_class, role, server, tool)
);

CREATE TABLE IF NOT EXISTS system_samples (
    ts_ms BIGINT PRIMARY KEY,
    cpu_pct DOUBLE PRECISION NOT NULL,
    memory_used_bytes BIGINT NOT NULL,
    memory_total_bytes BIGINT NOT NULL,
    disk_pct DOUBLE PRECISION NOT NULL
);
