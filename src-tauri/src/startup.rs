//! What the desktop binary decides before it opens a window: `--version` and `--help` answer
//! and exit (a packaged app can be checked without a display), and a start without a display
//! says so plainly instead of dying in GTK.

/// What to do before the window, from the command line and the environment.
#[derive(Debug, PartialEq, Eq)]
pub enum Start {
    /// Open the window.
    Window,
    /// Print this on standard output and exit 0.
    Print(String),
    /// Print this on standard error and exit with this code.
    Refuse(i32, String),
}

pub const VERSION: &str = concat!("partner-ledger-desktop ", env!("CARGO_PKG_VERSION"));

const HELP: &str = "\
Partner Ledger: reconcile a Wix Partner Billed App's revenue and report it to Wix.

Usage: partner-ledger-desktop [--version | --help]

Opens the Partner Ledger window on the ledger file:
  $PARTNER_LEDGER_DB when set, else ~/.local/share/app.partnerledger.desktop/ledger.sqlite.
One window per ledger file: starting it again on the same file brings that window to the front.
Partner Ledger's command line, `partner-ledger`, works on the same ledger file.";

/// `args`: the arguments after the program's name; `env`: a variable's value, if set.
pub fn decide(args: &[String], env: impl Fn(&str) -> Option<String>) -> Start {
    // Only these two flags are ours; anything else (what a launcher or a second start passes)
    // is left to the window.
    if args.iter().any(|a| a == "--version" || a == "-V") {
        return Start::Print(VERSION.to_owned());
    }
    if args.iter().any(|a| a == "--help" || a == "-h") {
        return Start::Print(HELP.to_owned());
    }
    match display_problem(env) {
        Some(why) => Start::Refuse(1, why),
        None => Start::Window,
    }
}

/// Why no window can open here, if none can: on Linux and the BSDs a window needs an X11
/// (`DISPLAY`) or Wayland (`WAYLAND_DISPLAY`) display. (macOS and Windows always have one.)
pub fn display_problem(env: impl Fn(&str) -> Option<String>) -> Option<String> {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return None;
    }
    let set = |k: &str| env(k).is_some_and(|v| !v.trim().is_empty());
    if set("DISPLAY") || set("WAYLAND_DISPLAY") {
        return None;
    }
    Some(
        "Partner Ledger cannot open its window: there is no display (neither DISPLAY nor \
         WAYLAND_DISPLAY is set).\n\
         Start it from a desktop session, or over SSH with X forwarding (ssh -X), or in a \
         virtual display: xvfb-run partner-ledger-desktop.\n\
         Without a display, Partner Ledger's command line (partner-ledger) works on the same ledger."
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn version_and_help_answer_without_a_display() {
        let none = env(&[]);
        assert_eq!(decide(&args(&["--version"]), &none), Start::Print(format!("partner-ledger-desktop {}", env!("CARGO_PKG_VERSION"))));
        assert_eq!(decide(&args(&["-V"]), &none), Start::Print(VERSION.into()));
        let Start::Print(help) = decide(&args(&["--help"]), &none) else { panic!("help") };
        assert!(help.contains("PARTNER_LEDGER_DB") && help.contains("--version"), "{help}");
    }

    #[test]
    fn no_display_is_said_plainly() {
        for vars in [&[][..], &[("DISPLAY", ""), ("WAYLAND_DISPLAY", "  ")][..]] {
            match decide(&[], env(vars)) {
                Start::Refuse(1, why) => {
                    assert!(why.contains("no display") && why.contains("xvfb-run") && why.contains("ssh -X"), "{why}");
                }
                other => panic!("{vars:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn either_display_opens_the_window() {
        assert_eq!(decide(&[], env(&[("DISPLAY", ":0")])), Start::Window);
        assert_eq!(decide(&[], env(&[("WAYLAND_DISPLAY", "wayland-0")])), Start::Window);
        // Arguments that are not ours (a launcher's) do not stop the window.
        assert_eq!(decide(&args(&["--some-launcher-flag"]), env(&[("DISPLAY", ":99")])), Start::Window);
    }
}
