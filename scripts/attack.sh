#!/usr/bin/env bash
# Re-runs the edge attacks of issue 10 against a running release Pulse on loopback and prints
# what each did: /metrics size after made-up methods, RSS, half-open sockets, check-now storms.
# Usage: scripts/attack.sh [http://127.0.0.1:3000] (bounded: a few thousand requests, ~1 min).
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

before="$(curl -s "$URL/health/components/database" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["history"]))' 2>/dev/null || echo '?')"
seq 1 500 | xargs -P 20 -I{} curl -s -o /dev/null -X POST "$URL/health/components/database/check"
after="$(curl -s "$URL/health/components/database" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["history"]))' 2>/dev/null || echo '?')"
echo "500 check-now requests (20 at a time): history $before -> $after rows"
echo "finally: RSS $(rss)"
