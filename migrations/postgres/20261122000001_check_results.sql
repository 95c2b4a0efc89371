-- Every health check run: the raw result and the damped status it led to.
CREATE TABLE IF NOT EXISTS check_results (
    id BIGSERIAL PRIMARY KEY,
    component TEXT NOT NULL,
    ts_ms BIGINT NOT NULL,
    status TEXT NOT NULL,
    effective_status TEXT NOT NULL,
    response_time_ms DOUBLE PRECISION NOT NULL,
    error_message TEXT,
    details TEXT NOT NULL DEFAULT '{}'
);

-- History per component, newest first.
CREATE INDEX IF NOT EXISTS idx_check_results_component_ts ON check_results (component, ts_ms DESC);
-- Retention deletes by time.
CREATE INDEX IF NOT EXISTS idx_check_results_ts ON check_results (ts_ms);
