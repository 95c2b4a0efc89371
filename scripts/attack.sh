#!/usr/bin/env bash
# Re-runs the edge attacks of issue 10 against a running release Pulse on loopback and prints
# what each did: /metrics size after made-up methods, RSS, half-open sockets, check-now storms.
# Then the access-control attacks of issue 12: anonymous reads and writes, forged sessions and
# tokens, cross-site posts, foreign Host names, login brute force.
# Usage: PULSE_ADMIN_PASSWORD=… scripts/attack.sh [http://127.0.0.1:3000]
# (bounded: a few thousand requests, ~1 min; the admin password logs in for the check storm).
set -euo pipefail
URL="${1:-http://127.0.0.1:3000}"
HOSTPORT="${URL#http://}"
PID="$(pgrep -f 'mcp-pulse serve' | head -1 || true)"
rss() { [ -n "$PID" ] && awk '/VmRSS/ {print $2/1024 " MB"}' "/proc/$PID/status" || echo "?"; }

echo "before: /metrics $(curl -s "$URL/metrics" | wc -c) bytes, RSS $(rss)"
python3 - "$HOSTPORT" <<'PY'
import socket, sys
host, port = sys.argv[1].split(":")
for i in range(5000):
    s = socket.create_connection((host, int(port)))
    s.sendall(f"X{i:05d}{'Z' * (i % 200)} /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    s.recv(4096)
    s.close()
PY
echo "after 5000 made-up methods: /metrics $(curl -s "$URL/metrics" | wc -c) bytes, RSS $(rss)"

python3 - "$HOSTPORT" <<'PY'
import socket, sys, time
host, port = sys.argv[1].split(":")
socks = []
for i in range(300):
    s = socket.create_connection((host, int(port)))
    s.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")
    socks.append(s)
start = time.time()
closed = 0
for s in socks:
    s.settimeout(max(0.1, 30 - (time.time() - start)))
    try:
        if s.recv(1) == b"":
            closed += 1
    except Exception:
        pass
print(f"300 half-open sockets: {closed} closed by the server within {time.time() - start:.1f} s")
PY

JAR="$(mktemp)"
trap 'rm -f "$JAR"' EXIT
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
echo "anonymous: GET /roles $(code "$URL/roles"), POST get_roles $(code -X POST "$URL/api/get_roles" -d timeframe=24h), check-now $(code -X POST "$URL/health/components/database/check"), analytics $(code "$URL/api/v1/analytics/summary")"
echo "forged: session cookie $(code -H 'Cookie: pulse_session=forged' "$URL/requests"), bearer $(code -H 'Authorization: Bearer pulse_forged' "$URL/api/v1/analytics/summary")"
echo "foreign Host: $(code -H 'Host: evil.example' "$URL/"); probe with it: $(code -H 'Host: evil.example' "$URL/health/live")"
echo "cross-site POST check-now: $(code -X POST -H 'Origin: https://evil.example' "$URL/health/components/database/check")"
codes="$(for i in $(seq 1 8); do code -H 'content-type: application/json' -d '{"username":"admin","password":"wrong-guess"}' "$URL/auth/login"; echo; done | tr '\n' ' ')"
echo "8 wrong admin passwords: $codes"
if [ -n "${PULSE_ADMIN_PASSWORD:-}" ]; then
  sleep 13
  curl -s -o /dev/null -c "$JAR" -H 'content-type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$PULSE_ADMIN_PASSWORD\"}" "$URL/auth/login"
fi

before="$(curl -s -b "$JAR" "$URL/health/components/database" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["history"]))' 2>/dev/null || echo '?')"
seq 1 500 | xargs -P 20 -I{} curl -s -o /dev/null -b "$JAR" -X POST "$URL/health/components/database/check"
after="$(curl -s -b "$JAR" "$URL/health/components/database" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["history"]))' 2>/dev/null || echo '?')"
echo "500 check-now requests (20 at a time): history $before -> $after rows"
echo "finally: RSS $(rss)"
