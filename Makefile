# Partner Ledger: the desktop app (Tauri) and the CLI over one Rust engine.
#
#   make run     install what is missing, build, start the desktop app on your ledger file
#   make test    install what is missing, run every test: Rust, UI, desktop end-to-end, packages
#   make bundle  the release app's .deb and .rpm (target/release/bundle/{deb,rpm}/)
#   make bench   engine benchmarks (BENCHMARKS.md)
#   make fuzz    fuzz the importers and the report/approval path (FUZZ_SECONDS per target; not in make test)
#
# The data file: $PARTNER_LEDGER_DB when set, else the user's data folder
# (~/.local/share/app.partnerledger.desktop/ledger.sqlite on Linux), as for the CLI.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
DESKTOP_BIN := $(TARGET_DIR)/debug/partner-ledger-desktop

.PHONY: run check-display deps ui desktop test test-rust clippy test-ui e2e bundle bundle-test bindings bench fuzz

run: check-display deps ui desktop
	@echo "Starting Partner Ledger ($(DESKTOP_BIN))"
	$(DESKTOP_BIN)

# Before minutes of building: the window needs a display (the binary says the same if started
# without one).
check-display:
	@if [[ -z "$${DISPLAY:-}" && -z "$${WAYLAND_DISPLAY:-}" ]]; then \
	  echo "make run: there is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set)." >&2; \
	  echo "  Run it in a desktop session, over SSH with X forwarding (ssh -X), or in a virtual display: xvfb-run -a make run" >&2; \
	  echo "  Without a display, make test runs every test (the window's under Xvfb), and the command line works:" >&2; \
	  echo "  cargo run --bin partner-ledger -- --help" >&2; \
	  exit 1; \
	fi

deps:
	scripts/deps.sh

# The UI bundle the desktop binary embeds (type-checked first).
ui:
	cd ui && npm run --silent build

desktop: ui
	$(CARGO) build -p partner-ledger-desktop

test: deps ui test-rust clippy test-ui e2e bundle-test
	@echo "make test: all passed"

# Every Rust test of the workspace, the desktop crate included (it needs ui/dist: built above).
test-rust: ui
	$(CARGO) test --workspace

clippy: ui
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test-ui:
	cd ui && npm run --silent typecheck
	cd ui && npm test

# The real window under Xvfb, driven through tauri-driver + WebKitWebDriver: the views one by
# one (the CLI sets that ledger up), and a whole month from an empty ledger in the window alone;
# the Wix simulator receives the submissions. E2E_DOCS_SCREENSHOTS=1 renews docs/screenshots/.
e2e: desktop
	$(CARGO) build -p partner-ledger -p pl-wix-sim --bins
	scripts/e2e.sh

# The release app's .deb and .rpm, by Tauri's bundler (pure Rust for both formats: no dpkg-deb
# or rpmbuild needed), in $(TARGET_DIR)/release/bundle/{deb,rpm}/. The one release build of
# make test; a second run rebuilds only what changed.
bundle: deps ui
	ui/node_modules/.bin/tauri build --ci --bundles deb,rpm

# Unpacks both packages into scratch roots and starts what they install (scripts/bundle-test.sh).
bundle-test: bundle
	scripts/bundle-test.sh

# Regenerates ui/src/bindings/ from the Rust IPC types (the test fails when they are stale).
bindings:
	UPDATE_BINDINGS=1 $(CARGO) test -p pl-ledger --test bindings

bench: deps ui
	scripts/bench.sh

# Every fuzz target for FUZZ_SECONDS (default 120) each; fails on any crash (scripts/fuzz.sh).
fuzz:
	scripts/fuzz.sh

# Custom Charges end to end: a demo ledger, `partner-ledger serve`, and the Wix simulator calling it.
.PHONY: demo
demo:
	$(CARGO) build -p partner-ledger -p pl-wix-sim --bins && scripts/demo-charges.sh
