# Pulse: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/.tools/node_modules/.bin:$(PATH)
# cargo-leptos compiles leptos with this set; setting it for `cargo test` too lets both
# share one build of the dependencies instead of rebuilding them in turn.
export LEPTOS_OUTPUT_NAME := mcp-pulse

.PHONY: bootstrap build site-sizes run demo bench test test-rust build-debug e2e test-peers lint fmt clean

bootstrap:
	@scripts/bootstrap.sh

## Deployable release: target/release/mcp-pulse (+ hash.txt beside it) and target/site, its
## files also written brotli- and gzip-compressed. The debug site (make test) goes to
## target/site-debug, so neither build can serve the other's files.
## `--split`: every page but the Overview is a lazy route whose code is a wasm chunk of its own
## (split_*.wasm, with the chunk_*.wasm they share), fetched when that page is first shown.
build: bootstrap
	cargo leptos build --release --precompress --split
	@$(MAKE) -s site-sizes

## What a first visit of the Overview loads (the main wasm, its JS, CSS), ECharts (fetched by
## the first chart) and, summed, the lazy pages' chunks.
site-sizes:
	@for f in target/site/pkg/mcp-pulse.*.wasm target/site/pkg/mcp-pulse.*.js target/site/pkg/mcp-pulse.*.css target/site/echarts.min.js; do \
	  printf 'site: %-40s %9s bytes, brotli %9s, gzip %9s\n' "$${f#target/site/}" \
	    "$$(stat -c%s "$$f")" "$$(stat -c%s "$$f.br")" "$$(stat -c%s "$$f.gz")"; \
	done
	@chunks=$$(ls target/site/pkg/split_*.wasm target/site/pkg/chunk_*.wasm 2>/dev/null || true); \
	if [ -n "$$chunks" ]; then \
	  printf 'site: %-40s %9s bytes, brotli %9s, gzip %9s\n' "lazy pages: $$(echo "$$chunks" | wc -l) wasm chunks" \
	    "$$(cat $$chunks | wc -c)" "$$(for c in $$chunks; do cat "$$c.br"; done | wc -c)" "$$(for c in $$chunks; do cat "$$c.gz"; done | wc -c)"; \
	fi

## Build the release and serve on http://127.0.0.1:3000 (SQLite at ./data/pulse.db)
run: build
	./target/release/mcp-pulse serve

DEMO_TOKEN := demo-token-not-for-production

## Serve on :3000 and feed it simulated MCP-gateway traffic (Ctrl-C stops both)
demo: build
	@PULSE_INGEST_TOKENS=$(DEMO_TOKEN) ./target/release/mcp-pulse serve & server=$$!; \
	trap 'kill $$server 2>/dev/null' EXIT INT TERM; \
	for i in $$(seq 1 50); do curl -sf http://127.0.0.1:3000/health/live >/dev/null && break; sleep 0.2; done; \
	echo "demo: open http://127.0.0.1:3000 (simulating 50 events/s for an hour)"; \
	./target/release/mcp-pulse simulate --url http://127.0.0.1:3000 --token $(DEMO_TOKEN) --rate 50 --duration 1h

## Ingest and query figures (release build; SIZES=1000000,10000000 AUDIT_SIZES=1000000,10000000 for the 10M runs;
## SOAK=10m runs the memory soak, SOAK=0s skips it)
SIZES ?= 1000000
AUDIT_SIZES ?= 1000000
SOAK ?= 10m
## Every figure is also written into README.md's "Latest make bench" table (scripts/bench-table.py).
bench: build
	./target/release/mcp-pulse bench --sizes $(SIZES) --audit-sizes $(AUDIT_SIZES) --soak $(SOAK) | tee target/bench.txt
	echo "## Outage: the reference MCP server killed between two 30 s checks" | tee -a target/bench.txt
	scripts/outage-bench.sh 3 | tee -a target/bench.txt
	echo "## The release site's files (raw, brotli, gzip)" | tee -a target/bench.txt
	$(MAKE) -s site-sizes | tee -a target/bench.txt
	scripts/bench-table.py < target/bench.txt

## Server tests, the wasm32 hydrate build, and the browser suite against a fresh server
test: bootstrap lint test-rust build-debug test-peers e2e

# Both suites get a throwaway PostgreSQL and Redis (scripts/services.sh), stopped afterwards.
WITH_SERVICES = services="$$(scripts/services.sh start)"; eval "$$services"; \
	trap '$(CURDIR)/scripts/services.sh stop "$$PULSE_TEST_SERVICES_DIR"' EXIT;

test-rust:
	@$(WITH_SERVICES) cargo test --features ssr

# The debug site's files are gzipped here (fast) so the debug server, whose compression is slow
# unoptimised, never compresses its 12 MB wasm per page load.
build-debug:
	LEPTOS_SITE_ROOT=target/site-debug cargo leptos build --split
	gzip -kf -6 target/site-debug/pkg/*.wasm target/site-debug/pkg/*.js target/site-debug/pkg/*.css target/site-debug/echarts.min.js

e2e:
	@$(WITH_SERVICES) cd end2end && npx playwright test

## IBM ContextForge in front of the reference MCP server, exporting OTLP to Pulse (~15 s)
test-peers:
	scripts/contextforge-e2e.sh target/debug/mcp-pulse

lint:
	cargo fmt --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features hydrate -- -D warnings

fmt:
	cargo fmt

clean:
	cargo clean
