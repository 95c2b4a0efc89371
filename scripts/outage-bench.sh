#!/usr/bin/env bash
# Prints how long a release Pulse takes to declare a killed MCP server unhealthy at the default
# settings (30 s interval, failure_threshold 3, confirm_interval 2 s, connection watch on):
# the reference server (@modelcontextprotocol/server-everything, loopback only) is killed at a
# random moment between two scheduled checks, RUNS times. Figures only; nothing is asserted.
# Usage: scripts/outage-bench.sh [RUNS]   (after `make build`; ~1 min per run)
set -euo pipefail
RUNS="${1:-3}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="$ROOT/target/release/mcp-pulse"
MCP_PORT=3311
PULSE_PORT=3312
DIR="$(mktemp -d)"
MCP_PID=""
PULSE_PID=""
cleanup() {
  [ -n "$MCP_PID" ] && kill "$MCP_PID" 2>/dev/null || true
  [ -n "$PULSE_PID" ] && kill "$PULSE_PID" 2>/dev/null || true
  [ -n "${KEEP:-}" ] || rm -rf "$DIR"
}
trap cleanup EXIT

start_mcp() {
  (cd "$ROOT/end2end" && PORT=$MCP_PORT exec node -r ./support/loopback.cjs \
    node_modules/@modelcontextprotocol/server-everything/dist/index.js streamableHttp) \
    >"$DIR/mcp.log" 2>&1 &
  MCP_PID=$!
  # Listening before anything checks it.
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$MCP_PORT") 2>/dev/null && return
    sleep 0.1
  done
}

# The component's status as the API reports it (a read token reads as an analyst).
status() {
  curl -s -m 2 -H "Authorization: Bearer outage-bench-read" \
    "http://127.0.0.1:$PULSE_PORT/health/components/reference" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["component"]["status"])' 2>/dev/null || echo "?"
}

ms() { echo $(($(date +%s%N) / 1000000)); }

wait_for() {
  local want="$1" limit_ms=$(($2 * 1000)) t0
  t0=$(ms)
  while [ "$(status)" != "$want" ]; do
    if (($(ms) - t0 > limit_ms)); then return 1; fi
    sleep 0.05
  done
}

cat >"$DIR/pulse.toml" <<EOF
addr = "127.0.0.1:$PULSE_PORT"
database_url = "sqlite://$DIR/pulse.db"

[otlp]
grpc_addr = ""

[[components]]
name = "reference"
kind = "mcp"
url = "http://127.0.0.1:$MCP_PORT/mcp"
interval = "30s"
EOF

start_mcp
PULSE_READ_TOKENS=outage-bench-read PULSE_ADMIN_PASSWORD=outage-bench-admin PULSE_LOG=warn \
  LEPTOS_SITE_ROOT="$ROOT/target/site" "$BIN" serve --config "$DIR/pulse.toml" >"$DIR/pulse.log" 2>&1 &
PULSE_PID=$!

for run in $(seq 1 "$RUNS"); do
  # Back up: healthy after the next scheduled check and its confirmation (up to about a minute).
  wait_for healthy 120 || { echo "outage run $run: the reference server never turned healthy"; exit 1; }
  # Somewhere between two scheduled checks.
  sleep "$(python3 -c 'import random; print(round(random.uniform(1, 29), 1))')"
  t0=$(ms)
  kill "$MCP_PID"
  wait "$MCP_PID" 2>/dev/null || true
  if wait_for unhealthy 60; then
    took=$(($(ms) - t0))
    printf 'outage: reference MCP server killed, 30 s interval: unhealthy after %d.%d s (run %d)\n' \
      $((took / 1000)) $((took % 1000 / 100)) "$run"
  else
    echo "outage: run $run: still not unhealthy after 60 s"
  fi
  start_mcp
done
