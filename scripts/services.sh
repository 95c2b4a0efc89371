#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis for the test suites: fresh data directories in a temp dir,
# free loopback ports, nothing shared with the machine's own servers or an earlier run.
#   eval "$(scripts/services.sh start)"   # exports PULSE_TEST_POSTGRES_URL, PULSE_TEST_REDIS_URL
#   scripts/services.sh stop "$PULSE_TEST_SERVICES_DIR"
# `make test-rust` and `make e2e` wrap themselves in these; scripts/bootstrap.sh installs the
# Debian packages (postgresql, redis-server).
set -euo pipefail

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL refuses to run as root: run its tools as the postgres user when we are root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_bin() {
  local bin
  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "services: PostgreSQL server binaries not found (run scripts/bootstrap.sh)" >&2
    exit 1
  fi
  echo "$bin"
}

start() {
  local dir pg pgport redisport
  command -v redis-server >/dev/null || {
    echo "services: redis-server not found (run scripts/bootstrap.sh)" >&2
    exit 1
  }
  pg="$(pg_bin)"
  # As root the postgres user must reach the data directory: /tmp, whatever TMPDIR says.
  local base="${TMPDIR:-/tmp}"
  if [ "$(id -u)" = 0 ]; then base=/tmp; fi
  dir="$(mktemp -d "$base/pulse-test-services.XXXXXX")"
  chmod 755 "$dir"
  mkdir "$dir/pg"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/pg"; fi
  pgport="$(free_port)"
  as_pg "$pg/initdb" -D "$dir/pg" -A trust -U postgres -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    exit 1
  }
  # fsync off: a test database that a crash may lose is fine and much faster.
  as_pg "$pg/pg_ctl" -D "$dir/pg" -l "$dir/pg/server.log" -w -t 30 \
    -o "-p $pgport -k $dir/pg -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" \
    start >/dev/null || {
    cat "$dir/pg/server.log" >&2
    exit 1
  }
  as_pg "$pg/createdb" -h 127.0.0.1 -p "$pgport" -U postgres test
  redisport="$(free_port)"
  redis-server --port "$redisport" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  for _ in $(seq 1 50); do
    [ -s "$dir/redis.pid" ] && break
    sleep 0.1
  done
  echo "export PULSE_TEST_SERVICES_DIR=$dir"
  echo "export PULSE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$pgport/test"
  echo "export PULSE_TEST_REDIS_URL=redis://127.0.0.1:$redisport"
}

stop() {
  local dir="${1:-}"
  case "$dir" in
    */pulse-test-services.*) ;;
    *)
      echo "services: stop needs the directory start printed" >&2
      exit 1
      ;;
  esac
  if [ -f "$dir/pg/postmaster.pid" ]; then
    as_pg "$(pg_bin)/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -s "$dir/redis.pid" ]; then
    kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
