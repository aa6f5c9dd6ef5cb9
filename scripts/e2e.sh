#!/usr/bin/env bash
# Runs the desktop end-to-end test (tests/e2e) against the built debug binary, in a virtual X
# display. Needs: the binary (make desktop), tauri-driver, WebKitWebDriver, Xvfb (make deps).
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.cargo/bin:$PATH"
command -v tauri-driver >/dev/null || { echo "e2e: tauri-driver is missing (make deps)" >&2; exit 1; }
command -v WebKitWebDriver >/dev/null || { echo "e2e: WebKitWebDriver is missing (apt-get install webkit2gtk-driver)" >&2; exit 1; }

# No accessibility bus in a virtual display. (WEBKIT_DISABLE_DMABUF_RENDERER=1 or
# WEBKIT_DISABLE_COMPOSITING_MODE=1 make WebKitWebDriver's screenshots hang: leave them unset.)
export NO_AT_BRIDGE=1
# The window opens at its configured size (1100×720), whatever size a developer left it at.
export PARTNER_LEDGER_WINDOW_STATE=off

cd tests/e2e
if [[ -n "${DISPLAY:-}" && "${E2E_USE_DISPLAY:-0}" == 1 ]]; then
  exec npm test
fi
command -v xvfb-run >/dev/null || { echo "e2e: xvfb-run is missing (apt-get install xvfb)" >&2; exit 1; }
exec xvfb-run -a -s "-screen 0 1280x900x24 -nolisten tcp" npm test
