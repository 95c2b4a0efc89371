#!/usr/bin/env bash
# Installs, idempotently, what building and testing Pulse needs on a fresh machine.
# Prints each step; skips what is already present, so a warm run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TOOLS="$ROOT/.tools"
export PATH="$HOME/.cargo/bin:$TOOLS/node_modules/.bin:$PATH"

CARGO_LEPTOS_VERSION="0.3.10"
BINARYEN_VERSION="123"
ECHARTS_VERSION="5.5.1"
# The wasm-bindgen CLI must equal the crate version pinned in Cargo.toml ("=X").
WASM_BINDGEN_VERSION="$(sed -n 's/^wasm-bindgen = .*version = "=\([0-9.]*\)".*/\1/p' Cargo.toml)"

say() { printf 'bootstrap: %s\n' "$*"; }

if [ -z "$WASM_BINDGEN_VERSION" ]; then
  say "cannot find the pinned wasm-bindgen version in Cargo.toml" >&2
  exit 1
fi

if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "wasm32-unknown-unknown target present"
else
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION\$"; then
  say "cargo-leptos $CARGO_LEPTOS_VERSION present"
else
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (no_downloads; takes 12-25 min cold)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

if wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  say "wasm-bindgen $WASM_BINDGEN_VERSION present"
else
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # No --locked: the CLI's own lockfile does not resolve against today's registry.
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" --force
fi

if [ -x "$TOOLS/node_modules/.bin/wasm-opt" ] && "$TOOLS/node_modules/.bin/wasm-opt" --version | grep -q "version $BINARYEN_VERSION"; then
  say "wasm-opt (binaryen $BINARYEN_VERSION) present"
else
  say "installing wasm-opt from npm binaryen@$BINARYEN_VERSION into .tools/"
  mkdir -p "$TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION"
fi

if [ -x /usr/bin/chromium ]; then
  say "chromium present"
else
  say "installing Debian chromium"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
fi

# Throwaway PostgreSQL and Redis for the tests (scripts/services.sh); the machine's own
# servers are never used by the suites.
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v redis-server >/dev/null; then
  say "postgresql and redis-server present"
else
  say "installing Debian postgresql and redis-server (for the tests' throwaway instances)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql redis-server
fi

# Real alert receivers for the alerting tests: Alertmanager and an SMTP sink.
if command -v prometheus-alertmanager >/dev/null && /usr/bin/python3 -c "import aiosmtpd" 2>/dev/null; then
  say "prometheus-alertmanager and python3-aiosmtpd present"
else
  say "installing Debian prometheus-alertmanager and python3-aiosmtpd (alerting tests' receivers)"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus-alertmanager python3-aiosmtpd
  # Debian starts the packaged service on :9093; the tests run their own on a free port.
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus-alertmanager 2>/dev/null; then
    $SUDO systemctl disable --now prometheus-alertmanager >/dev/null 2>&1 || true
  fi
fi

if [ -f public/echarts.min.js ] && grep -q "$ECHARTS_VERSION" public/echarts.min.js 2>/dev/null; then
  say "public/echarts.min.js present"
else
  say "fetching echarts@$ECHARTS_VERSION from npm into public/"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "echarts@$ECHARTS_VERSION" >/dev/null && tar -xzf echarts-*.tgz package/dist/echarts.min.js)
  cp "$tmp/package/dist/echarts.min.js" public/echarts.min.js
  rm -rf "$tmp"
fi

stamp="end2end/node_modules/.package-lock.json"
if [ -f "$stamp" ] && [ "$stamp" -nt end2end/package-lock.json ]; then
  say "end2end npm packages present"
else
  say "installing end2end npm packages (no browser download)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --silent --no-audit --no-fund)
fi

# The OpenTelemetry Python SDK and its OTLP exporters (HTTP and gRPC): the OTLP tests send real
# spans and log records with them, as a gateway instrumented with the SDK would.
OTEL_PY="$TOOLS/otel"
OTEL_PINS="opentelemetry-sdk==1.45.2 opentelemetry-exporter-otlp-proto-http==1.45.2 opentelemetry-exporter-otlp-proto-grpc==1.45.2"
if [ -x "$OTEL_PY/bin/python" ] && [ "$(cat "$OTEL_PY/pins" 2>/dev/null)" = "$OTEL_PINS" ]; then
  say "OpenTelemetry Python SDK present"
else
  say "installing the OpenTelemetry Python SDK and exporters from PyPI into .tools/otel"
  rm -rf "$OTEL_PY"
  python3 -m venv "$OTEL_PY"
  # shellcheck disable=SC2086
  "$OTEL_PY/bin/pip" install --quiet --disable-pip-version-check $OTEL_PINS
  echo "$OTEL_PINS" > "$OTEL_PY/pins"
fi

# IBM ContextForge, for the end-to-end OTLP test (scripts/contextforge-e2e.sh): it needs
# Python 3.12, which pyenv provides on these machines.
CF_PY="$TOOLS/cf"
CF_PINS="mcp-contextforge-gateway==1.1.0 opentelemetry-exporter-otlp-proto-grpc==1.45.2"
PY312="${PY312:-$HOME/.pyenv/versions/3.12.1/bin/python}"
if [ -x "$CF_PY/bin/mcpgateway" ] && [ "$(cat "$CF_PY/pins" 2>/dev/null)" = "$CF_PINS" ]; then
  say "ContextForge present"
elif [ -x "$PY312" ]; then
  say "installing ContextForge from PyPI into .tools/cf (about 30 s)"
  rm -rf "$CF_PY"
  "$PY312" -m venv "$CF_PY"
  # shellcheck disable=SC2086
  "$CF_PY/bin/pip" install --quiet --disable-pip-version-check $CF_PINS
  echo "$CF_PINS" > "$CF_PY/pins"
else
  say "no Python 3.12 at $PY312 (set PY312): ContextForge cannot be installed" >&2
  exit 1
fi

say "ready"
