//! The desktop binary before its window: `--version` (what the package test starts) and a start
//! without a display, which must say so instead of panicking in GTK.
use std::process::Command;

fn app() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_partner-ledger-desktop"));
    // Never the user's ledger, whatever happens.
    let dir = std::env::temp_dir().join(format!("pl-desktop-binary-{}", std::process::id()));
    c.env("PARTNER_LEDGER_DB", dir.join("ledger.sqlite"));
    c
}

#[test]
fn version_prints_and_exits_without_a_window() {
    let out = app().arg("--version").env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("partner-ledger-desktop {}\n", env!("CARGO_PKG_VERSION")));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn no_display_is_a_plain_refusal() {
    let out = app().env_remove("DISPLAY").env("WAYLAND_DISPLAY", "").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("there is no display") && err.contains("xvfb-run"), "{err}");
    assert!(!err.contains("panicked") && !err.contains("Gtk"), "{err}");
    assert!(out.stdout.is_empty());
}
