#!/usr/bin/env bash
# Runs the desktop end-to-end tests (tests/e2e) against the built debug binaries, in a virtual X
# display: desktop.test.mjs (the window's views one by one) and month.test.mjs (a whole month
# from an empty ledger, without the command line until its final byte-for-byte check).
# Needs: the binaries (make e2e builds them), tauri-driver, WebKitWebDriver, Xvfb, keyctl (make deps).
#   E2E_SCREENSHOT_DIR=DIR   where the screenshots go (default /tmp)
#   E2E_DOCS_SCREENSHOTS=1   also writes the user guide's pictures (docs/screenshots/*.png)
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.cargo/bin:$PATH"
command -v tauri-driver >/dev/null || { echo "e2e: tauri-driver is missing (make deps)" >&2; exit 1; }
command -v WebKitWebDriver >/dev/null || { echo "e2e: WebKitWebDriver is missing (apt-get install webkit2gtk-driver)" >&2; exit 1; }
command -v keyctl >/dev/null || { echo "e2e: keyctl is missing (apt-get install keyutils): the whole-month test gives the app a keyring of its own with it" >&2; exit 1; }

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
