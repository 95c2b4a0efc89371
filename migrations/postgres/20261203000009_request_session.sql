-- The MCP session a request belonged to (OTLP's mcp.session.id, or session_id posted as JSON):
-- kept on raw rows only; no rollup is keyed by it.
ALTER TABLE request_events ADD COLUMN session_id TEXT;
