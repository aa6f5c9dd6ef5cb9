#!/usr/bin/env bash
# Installs what building and testing the desktop app needs, and only what is missing:
#   1. Debian packages (WebKitGTK and friends, WebKitWebDriver, Xvfb; keyctl, with which the
#      e2e gives the app a keyring of its own; for the package test: rpm to check and install
#      the .rpm, dbus-run-session for a session bus under Xvfb):
#      apt-get as root, else print the exact sudo command and stop;
#   2. the UI's and the e2e test's npm packages (npm ci when node_modules is missing or older
#      than package-lock.json);
#   3. tauri-driver (cargo install) when it is not on PATH nor in ~/.cargo/bin.
# Usage: scripts/deps.sh [--no-npm]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  libwebkit2gtk-4.1-dev webkit2gtk-driver xvfb xauth build-essential pkg-config libssl-dev
  librsvg2-dev libayatana-appindicator3-dev libxdo-dev file libdbus-1-dev
  keyutils rpm dbus-daemon
)
TAURI_DRIVER_VERSION=2.1.0

say() { printf 'deps: %s\n' "$*"; }

# ---- 1. Debian packages --------------------------------------------------------------------
if command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$p")
    fi
  done
  if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
      say "installing ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends "${missing[@]}"
    else
      say "missing system packages: ${missing[*]}"
      echo "Run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
else
  say "not a Debian system: install WebKitGTK 4.1 (dev), WebKitWebDriver and Xvfb yourself"
fi

# ---- 2. npm packages -----------------------------------------------------------------------
need() { command -v "$1" >/dev/null || { say "$1 is not installed (Node.js >= 20.19 with npm is needed)"; exit 1; }; }
npm_ci() {
  local dir=$1 stamp=$1/node_modules/.partner-ledger-lock.sha256 want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
    say "npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  fi
}
if [[ ${1:-} != --no-npm ]]; then
  need node
  need npm
  npm_ci ui
  npm_ci tests/e2e
fi

# ---- 3. tauri-driver -----------------------------------------------------------------------
if ! command -v tauri-driver >/dev/null && [[ ! -x $HOME/.cargo/bin/tauri-driver ]]; then
  say "cargo install tauri-driver $TAURI_DRIVER_VERSION"
  cargo install tauri-driver --locked --version "$TAURI_DRIVER_VERSION"
fi
