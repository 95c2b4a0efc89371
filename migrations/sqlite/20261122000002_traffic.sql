-- Request events as received (raw, short retention), their per-minute and per-hour rollups
-- (what dashboards read), and host samples.
CREATE TABLE IF NOT EXISTS request_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms INTEGER NOT NULL,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    tool TEXT,
    server TEXT,
    status INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    user_id TEXT,
    role TEXT,
    bytes_in INTEGER,
    bytes_out INTEGER,
    client_ip TEXT,
    user_agent TEXT,
    source TEXT NOT NULL
);
-- Windows over recent raw rows and retention both go by time.
CREATE INDEX IF NOT EXISTS idx_request_events_ts ON request_events (ts_ms);

-- Per-minute rollups: one row per (bucket, route, method, status class, role, server, tool).
-- Absent role/server/tool are '' so the key is a plain primary key on both backends.
CREATE TABLE IF NOT EXISTS request_minute (
    bucket_ms INTEGER NOT NULL,
    route TEXT NOT NULL,
    method TEXT NOT NULL,
    status_class INTEGER NOT NULL,
    role TEXT NOT NULL,
    server TEXT NOT NULL,
    tool TEXT NOT NULL,
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
    PRIMARY KEY (bucket_ms, route, method, status_class, role, server, tool)
);

-- Per-hour rollups, kept for long trends: one row per (bucket, route, method, status class, role, server, tool).
-- Absent role/server/tool are '' so the key is a plain primary key on both backends.
CREATE TABLE IF NOT EXISTS request_hour (
    bucket_ms INTEGER NOT NULL,
    route TEXT NOT NULL,
    method TEXT NOT NULL,
    status_class INTEGER NOT NULL,
    role TEXT NOT NULL,
    server TEXT NOT NULL,
    tool TEXT NOT NULL,
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
    PRIMARY KEY (bucket_ms, route, method, status_class, role, server, tool)
);

CREATE TABLE IF NOT EXISTS system_samples (
    ts_ms INTEGER PRIMARY KEY,
    cpu_pct REAL NOT NULL,
    memory_used_bytes INTEGER NOT NULL,
    memory_total_bytes INTEGER NOT NULL,
    disk_pct REAL NOT NULL
);
