-- Pulse's own audit log (source 'self') is read newest first on the admin page; a partial
-- index keeps that read short however many events gateways have posted.
CREATE INDEX IF NOT EXISTS audit_events_self ON audit_events (ts_ms, id) WHERE source = 'self';
