#!/usr/bin/env bash
# Checks the packages `make bundle` built, as a user would get them:
#   1. the .deb, unpacked into a scratch root with `dpkg -x`, and the .rpm, checked (digests,
#      version, requirements) and installed into another scratch root by `rpm --root`: each
#      one's binary answers --version and refuses plainly without a display, and the desktop
#      entry and icons are there;
#   2. the packaged app for real, in a virtual display (Xvfb) with its own D-Bus session bus, on
#      scratch ledgers: its window loads the embedded UI (which opens, so creates, the ledger);
#      a second start on the same ledger hands over to the first window and exits; a start on
#      another ledger runs beside it; and a second start on the same ledger without a D-Bus bus
#      stays out of the ledger, saying that another window has it.
# Needs: dpkg, rpm, xvfb-run, dbus-run-session (make deps installs them).
# Usage: scripts/bundle-test.sh                  (after make bundle)
#        scripts/bundle-test.sh --window APP     (step 2 alone, inside the display: internal)
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "bundle-test: FAILED: $*" >&2; exit 1; }
say() { echo "bundle-test: $*"; }

# Waits up to $2 seconds for the command $1 to succeed.
wait_for() {
  local what=$1 secs=$2 i
  for ((i = 0; i < secs * 10; i++)); do
    if eval "$what"; then return 0; fi
    sleep 0.1
  done
  return 1
}

# ---- 2. the app in a display (run by step 1 under xvfb-run + dbus-run-session) ----------------
if [[ ${1:-} == --window ]]; then
  app=$2
  scratch=$(mktemp -d)
  pids=()
  cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$scratch"
  }
  trap cleanup EXIT
  # Never the user's window state or ledger; no accessibility bus in a virtual display.
  export PARTNER_LEDGER_WINDOW_STATE=off NO_AT_BRIDGE=1
  one=$scratch/one/ledger.sqlite
  two=$scratch/two/ledger.sqlite
  [[ -n ${DBUS_SESSION_BUS_ADDRESS:-} ]] || fail "no D-Bus session bus (run under dbus-run-session)"

  PARTNER_LEDGER_DB=$one "$app" >"$scratch/first.log" 2>&1 &
  first=$!
  pids+=("$first")
  wait_for "[[ -s '$one' ]] || ! kill -0 $first 2>/dev/null" 90 || fail "the first window did not open its ledger in 90 s: $(cat "$scratch/first.log")"
  kill -0 "$first" 2>/dev/null || fail "the first window exited: $(cat "$scratch/first.log")"
  [[ -s $one ]] || fail "the first window's UI never opened the ledger: $(cat "$scratch/first.log")"
  say "the packaged window started and its UI opened the ledger"

  rc=0
  PARTNER_LEDGER_DB=$one timeout 60 "$app" >"$scratch/second.log" 2>&1 || rc=$?
  [[ $rc == 0 ]] || fail "a second start on the same ledger did not hand over and exit (exit $rc): $(cat "$scratch/second.log")"
  kill -0 "$first" 2>/dev/null || fail "the first window died when the second start handed over"
  say "a second start on the same ledger handed over to the first window and exited"

  PARTNER_LEDGER_DB=$two "$app" >"$scratch/other.log" 2>&1 &
  other=$!
  pids+=("$other")
  wait_for "[[ -s '$two' ]] || ! kill -0 $other 2>/dev/null" 90 || fail "a window on another ledger did not open it: $(cat "$scratch/other.log")"
  kill -0 "$other" 2>/dev/null || fail "a window on another ledger exited: $(cat "$scratch/other.log")"
  kill -0 "$first" 2>/dev/null || fail "the first window died"
  say "another ledger opened in a window beside the first"

  DBUS_SESSION_BUS_ADDRESS=unix:path=$scratch/no-bus PARTNER_LEDGER_DB=$one "$app" >"$scratch/nobus.log" 2>&1 &
  nobus=$!
  pids+=("$nobus")
  wait_for "grep -qs 'open in another Partner Ledger window' '$scratch/nobus.log'" 60 \
    || fail "without D-Bus, a second window on the same ledger did not refuse it: $(cat "$scratch/nobus.log")"
  kill -0 "$nobus" 2>/dev/null || fail "the refusing window should stay open to say why: $(cat "$scratch/nobus.log")"
  say "without D-Bus, a second window on the same ledger refused to touch it"
  exit 0
fi

# ---- 1. the packages ---------------------------------------------------------------------------
for tool in dpkg dpkg-deb rpm xvfb-run dbus-run-session; do
  command -v "$tool" >/dev/null || fail "$tool is missing (make deps installs it)"
done
target=${CARGO_TARGET_DIR:-target}
version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' src-tauri/tauri.conf.json | head -1)
[[ -n $version ]] || fail "no version in src-tauri/tauri.conf.json"
shopt -s nullglob
debs=("$target"/release/bundle/deb/*_"${version}"_*.deb)
rpms=("$target"/release/bundle/rpm/*-"${version}"-*.rpm)
shopt -u nullglob
((${#debs[@]} == 1)) || fail "expected one .deb of version $version in $target/release/bundle/deb (make bundle), found ${#debs[@]}"
((${#rpms[@]} == 1)) || fail "expected one .rpm of version $version in $target/release/bundle/rpm (make bundle), found ${#rpms[@]}"
deb=${debs[0]}
rpm=${rpms[0]}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The package's own claims.
[[ $(dpkg-deb -f "$deb" Version) == "$version" ]] || fail "$deb: version $(dpkg-deb -f "$deb" Version), expected $version"
dpkg-deb -f "$deb" Depends | grep -q webkit2gtk || fail "$deb does not depend on WebKitGTK: $(dpkg-deb -f "$deb" Depends)"

# Each package unpacked into its own scratch root, as it would install.
check_root() {
  local root=$1 kind=$2 bin desktop out
  bin=$root/usr/bin/partner-ledger-desktop
  [[ -x $bin ]] || fail "$kind: no usr/bin/partner-ledger-desktop in the package: $(cd "$root" && find . -type f | head -20)"
  out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$bin" --version) || fail "$kind: partner-ledger-desktop --version failed"
  [[ $out == "partner-ledger-desktop $version" ]] || fail "$kind: --version printed '$out'"
  out=$(env -u DISPLAY -u WAYLAND_DISPLAY "$bin" 2>&1 >/dev/null) && fail "$kind: started without a display"
  [[ $out == *"there is no display"* ]] || fail "$kind: without a display it said: $out"
  desktop=$(find "$root/usr/share/applications" -name '*.desktop' | head -1)
  [[ -n $desktop ]] || fail "$kind: no desktop entry in usr/share/applications"
  grep -q '^Exec=partner-ledger-desktop' "$desktop" || fail "$kind: the desktop entry does not start the app: $(cat "$desktop")"
  find "$root/usr/share/icons" -name '*.png' | grep -q . || fail "$kind: no icon in usr/share/icons"
  say "$kind: $(basename "$bin") --version and the desktop entry are right"
}

dpkg -x "$deb" "$scratch/deb"
check_root "$scratch/deb" "$(basename "$deb")"
# (rpm2cpio would do, but it exits 1 on packages without an archive-size tag, which Tauri's
# bundler does not write; rpm itself needs none.) Debian's rpm warns on stderr about itself.
rpm -K --nosignature "$rpm" 2>/dev/null | grep -q 'digests OK' || fail "$rpm: its digests do not check: $(rpm -K --nosignature "$rpm" 2>&1)"
[[ $(rpm -qp --qf '%{VERSION}' "$rpm" 2>/dev/null) == "$version" ]] || fail "$rpm: version $(rpm -qp --qf '%{VERSION}' "$rpm" 2>&1)"
rpm -qpR "$rpm" 2>/dev/null | grep -q 'libwebkit2gtk-4.1' || fail "$rpm does not require WebKitGTK: $(rpm -qpR "$rpm" 2>&1)"
mkdir "$scratch/rpm"
rpm --root "$scratch/rpm" -i --nodeps --noscripts "$rpm" 2>/dev/null || fail "rpm --root could not install $rpm: $(rpm --root "$scratch/rpm" -i --nodeps --noscripts "$rpm" 2>&1)"
check_root "$scratch/rpm" "$(basename "$rpm")"

# The .deb's app, for real, in a virtual display with its own session bus.
xvfb-run -a -s "-screen 0 1280x900x24 -nolisten tcp" \
  dbus-run-session -- "$PWD/scripts/bundle-test.sh" --window "$scratch/deb/usr/bin/partner-ledger-desktop"
say "all passed"
