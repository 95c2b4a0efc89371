# Pulse: the two commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(HOME)/.cargo/bin:$(CURDIR)/.tools/node_modules/.bin:$(PATH)
# cargo-leptos compiles leptos with this set; setting it for `cargo test` too lets both
# share one build of the dependencies instead of rebuilding them in turn.
export LEPTOS_OUTPUT_NAME := mcp-pulse

.PHONY: bootstrap build run test test-rust build-debug e2e lint fmt clean

bootstrap:
	@scripts/bootstrap.sh

## Deployable release: target/release/mcp-pulse + target/site
build: bootstrap
	cargo leptos build --release

## Build the release and serve on http://127.0.0.1:3000 (SQLite at ./data/pulse.db)
run: build
	./target/release/mcp-pulse serve

## Server tests, the wasm32 hydrate build, and the browser suite against a fresh server
test: bootstrap lint test-rust build-debug e2e

test-rust:
	cargo test --features ssr

build-debug:
	cargo leptos build

e2e:
	cd end2end && npx playwright test

lint:
	cargo fmt --check
	cargo clippy --features ssr --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features hydrate -- -D warnings

fmt:
	cargo fmt

clean:
	cargo clean
