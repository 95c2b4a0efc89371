#!/usr/bin/env bash
# End to end with IBM ContextForge (PyPI mcp-contextforge-gateway, in .tools/cf): ContextForge
# starts with its OTLP exporter pointed at Pulse's gRPC listener, the reference MCP server
# (@modelcontextprotocol/server-everything, loopback only) is registered behind it, a few tools
# are called through the gateway, and Pulse must show exactly those calls per tool and server.
# Exits non-zero on any mismatch. Usage: scripts/contextforge-e2e.sh [pulse binary]
#   (default target/debug/mcp-pulse; `make test-peers` builds it first). KEEP=1 keeps the
#   servers running afterwards (for a look at /requests) and prints how to stop them.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:-$ROOT/target/debug/mcp-pulse}"
CF="$ROOT/.tools/cf/bin"
MCP_PORT=3321
PULSE_PORT=3322
OTLP_PORT=3323
CF_PORT=3324
TOKEN="contextforge-e2e-ingest-token"
READ="contextforge-e2e-read-token"
DIR="$(mktemp -d)"
PIDS=()
cleanup() {
  if [ -n "${KEEP:-}" ]; then
    echo "kept: Pulse on http://127.0.0.1:$PULSE_PORT (pids ${PIDS[*]}; kill them when done; data in $DIR)"
    return
  fi
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT
say() { printf 'contextforge-e2e: %s\n' "$*"; }
fail() { say "FAILED: $*"; for f in "$DIR"/*.log; do echo "--- $f"; tail -20 "$f"; done; exit 1; }

[ -x "$CF/mcpgateway" ] || fail "ContextForge is not installed in .tools/cf (run scripts/bootstrap.sh)"
[ -x "$BIN" ] || fail "no Pulse binary at $BIN"

wait_port() {
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "nothing listens on $1"
}

t0=$(date +%s)
(cd "$ROOT/end2end" && PORT=$MCP_PORT exec node -r ./support/loopback.cjs \
  node_modules/@modelcontextprotocol/server-everything/dist/index.js streamableHttp) >"$DIR/mcp.log" 2>&1 &
PIDS+=($!)

cat >"$DIR/pulse.toml" <<EOF
addr = "127.0.0.1:$PULSE_PORT"
database_url = "sqlite://$DIR/pulse.db"
[otlp]
grpc_addr = "127.0.0.1:$OTLP_PORT"
[ingest]
tokens = ["$TOKEN"]
read_tokens = ["$READ"]
self_instrument = false
[[components]]
name = "contextforge"
kind = "http"
url = "http://127.0.0.1:$CF_PORT/health"
EOF
(cd "$ROOT" && PULSE_LOG=warn PULSE_ADMIN_PASSWORD=contextforge-e2e-admin exec "$BIN" serve --config "$DIR/pulse.toml") >"$DIR/pulse.log" 2>&1 &
PIDS+=($!)

# ContextForge's own settings: throwaway secrets, no UI, loopback allowed for the registered
# server; its exporter sends OTLP/gRPC to Pulse with the ingest token (ContextForge passes the
# header value as written, so the space stays a space).
JWT_SECRET="contextforge-e2e-jwt-secret-0123456789abcdef"
CF_ENV=(
  DATABASE_URL="sqlite:///$DIR/cf.db"
  AUTH_REQUIRED=false MCPGATEWAY_UI_ENABLED=false MCPGATEWAY_ADMIN_API_ENABLED=true
  SSRF_ALLOW_LOCALHOST=true SSRF_ALLOW_PRIVATE_NETWORKS=true
  JWT_SECRET_KEY="$JWT_SECRET" AUTH_ENCRYPTION_SECRET="contextforge-e2e-encryption-0123456789"
  PLATFORM_ADMIN_PASSWORD=Contextforge-e2e-0123 DEFAULT_USER_PASSWORD=Contextforge-e2e-0123
  BASIC_AUTH_PASSWORD=Contextforge-e2e-0123
  OTEL_ENABLE_OBSERVABILITY=true OTEL_TRACES_EXPORTER=otlp OTEL_SERVICE_NAME=contextforge
  OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$OTLP_PORT" OTEL_EXPORTER_OTLP_PROTOCOL=grpc
  OTEL_EXPORTER_OTLP_HEADERS="authorization=Bearer $TOKEN"
  # The SDK's default 5 s batches, as deployed.
  OTEL_BSP_SCHEDULE_DELAY=5000
)
(cd "$DIR" && exec env "${CF_ENV[@]}" "$CF/mcpgateway" --host 127.0.0.1 --port $CF_PORT) >"$DIR/cf.log" 2>&1 &
CF_PID=$!
PIDS+=($CF_PID)

wait_port $MCP_PORT
wait_port $PULSE_PORT
for _ in $(seq 1 600); do
  curl -sf "http://127.0.0.1:$CF_PORT/health" >/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$CF_PORT/health" >/dev/null || fail "ContextForge did not start"
say "ContextForge up after $(($(date +%s) - t0)) s"

ADMIN_JWT="$(cd "$DIR" && env "${CF_ENV[@]}" "$CF/python" -m mcpgateway.utils.create_jwt_token \
  --username admin@example.com --exp 30 --secret "$JWT_SECRET" 2>"$DIR/jwt.log" | tail -1)" ||
  fail "creating an admin token for ContextForge"
api() { curl -sS -m 30 -H "Authorization: Bearer $ADMIN_JWT" -H 'Content-Type: application/json' "$@"; }

api -X POST "http://127.0.0.1:$CF_PORT/gateways" \
  -d "{\"name\":\"everything\",\"url\":\"http://127.0.0.1:$MCP_PORT/mcp\",\"transport\":\"STREAMABLEHTTP\"}" \
  >"$DIR/register.json" || fail "registering the reference server"
grep -q '"everything"' "$DIR/register.json" || fail "registration answered $(head -c 300 "$DIR/register.json")"

call() {
  api -X POST "http://127.0.0.1:$CF_PORT/rpc" \
    -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"$1\",\"arguments\":$2}}"
}
for i in 1 2 3; do
  call everything-echo "{\"message\":\"hello $i\"}" | grep -q "Echo: hello $i" || fail "echo through ContextForge"
done
for i in 1 2; do
  call everything-get-sum '{"a":2,"b":3}' | grep -q 'is 5' || fail "get-sum through ContextForge"
done
say "5 tool calls answered through ContextForge"

# Wait until Pulse has the five calls (or give up after 30 s). Each must be counted exactly once.
# Its tool is known when the call's spans leave in one export (almost always with 5 s batches);
# when the exporter's timer splits a call, the inner client span may be counted first and the
# call shows as a tools/call without a tool ("-"): still once. See the README.
rows() {
  curl -s -m 5 -H "Authorization: Bearer $READ" \
    "http://127.0.0.1:$PULSE_PORT/api/v1/analytics/endpoints?window=1h&sort=count&limit=100"
}
summary() {
  python3 -c '
import json, sys
rows = json.load(sys.stdin)["endpoints"]
calls = {}
for r in rows:
    if r["route"] == "tools/call":
        k = (r["tool"] or "-", r["server"] or "-")
        calls[k] = calls.get(k, 0) + r["count"]
print(" ".join(f"{t}@{s}={n}" for (t, s), n in sorted(calls.items())))'
}
# "echo" and "sum" counts, the unattributed ones, and the total of tools/call operations.
check() {
  python3 -c '
import sys
calls = dict(kv.split("=") for kv in sys.argv[1].split())
echo = int(calls.pop("everything-echo@contextforge", 0))
total = sum(int(v) for v in calls.values()) + echo
add = int(calls.pop("everything-get-sum@contextforge", 0))
other = {k: v for k, v in calls.items() if k != "-@contextforge"}
ok = total == 5 and echo <= 3 and add <= 2 and not other
sys.exit(0 if ok else 1)' "$1"
}
got=""
for _ in $(seq 1 60); do
  got="$(rows | summary)"
  check "$got" && break
  sleep 0.5
done
say "Pulse shows tools/call per tool@server: $got"
check "$got" || fail "expected 5 tools/call operations: everything-echo 3 and everything-get-sum 2 (a split one as -)"
curl -s "http://127.0.0.1:$PULSE_PORT/metrics" | grep '^pulse_otlp_spans_total' | sed 's/^/contextforge-e2e:   /'
say "passed in $(($(date +%s) - t0)) s"
