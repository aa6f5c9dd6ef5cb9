//! The window's exports (`Ledger::export_csv`, to the path a save dialog returns) are the
//! command line's, byte for byte: the same ledger exported both ways gives the same files.
use std::path::Path;
use std::process::Command;

use pl_ledger::{ExportKind, Ledger, NewManualRefund, Period};

const APP: &str = "9a1b2c3d-0000-4000-8000-00000000a001";
const I1: &str = "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31";

fn cli(db: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_partner-ledger")).arg("--db").arg(db).args(args).env_remove("PARTNER_LEDGER_DB").output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn every_export_of_the_window_is_the_command_lines_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.sqlite");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples/stripe_payout_reconciliation_itemized.csv");
    cli(&db, &["app", "set", "--id", APP, "--name", "Acme Forms"]);
    cli(&db, &["rates", "add", "--from", "2024-01-01", "--percent", "20"]);
    cli(&db, &["settings", "set", "timezone", "Europe/Berlin"]);
    cli(&db, &["import", sample.to_str().unwrap()]);
    let mut l = Ledger::open(&db).unwrap();
    // A manual refund too (its text cells start with `-`: the CSV-injection guard shows).
    l.add_manual_refund(
        &NewManualRefund { instance: I1.into(), date: "2024-05-20".into(), amount: "5.00".into(), fee_returned: None, charge: None, reason: "=goodwill".into() },
        "t",
    )
    .unwrap();
    for (period, flag) in [("2024-05", "--month"), ("2024-Q2", "--quarter")] {
        let p = if flag == "--month" { Period::parse_month(period).unwrap() } else { Period::parse_quarter(period).unwrap() };
        for excel in [false, true] {
            let tag = format!("{period}-{excel}");
            let (w_cli, i_cli, e_cli) = (dir.path().join(format!("wix-cli-{tag}.csv")), dir.path().join(format!("inst-cli-{tag}.csv")), dir.path().join(format!("ev-cli-{tag}.csv")));
            let mut args = vec!["report", flag, period, "--wix-csv", w_cli.to_str().unwrap()];
            if excel {
                args.push("--excel");
            }
            cli(&db, &args);
            let mut args = vec!["report", flag, period, "--instances-csv", i_cli.to_str().unwrap(), "--csv", e_cli.to_str().unwrap()];
            if excel {
                args.push("--excel");
            }
            cli(&db, &args);
            for (kind, from_cli) in [(ExportKind::Wix, &w_cli), (ExportKind::Instances, &i_cli), (ExportKind::Events, &e_cli)] {
                let target = dir.path().join(format!("window-{kind:?}-{tag}.csv"));
                let written = l.export_csv(&p, kind, &target, excel).unwrap();
                assert_eq!(written, target.canonicalize().unwrap());
                let (a, b) = (std::fs::read(&target).unwrap(), std::fs::read(from_cli).unwrap());
                assert!(a.len() > 100, "{kind:?} {tag}: {} bytes", a.len());
                assert_eq!(a, b, "{kind:?} {tag}: the window's export differs from the command line's");
            }
        }
    }
    assert_eq!(l.export_file_name(&Period::parse_quarter("2024-Q2").unwrap(), ExportKind::Wix).unwrap(), "Acme Forms Billing Report - Q2 2024.csv");
    assert_eq!(l.export_file_name(&Period::parse_month("2024-05").unwrap(), ExportKind::Wix).unwrap(), "Acme Forms Billing Report - May 2024.csv");
    assert_eq!(l.export_file_name(&Period::parse_month("2024-05").unwrap(), ExportKind::Events).unwrap(), "events-2024-05.csv");
    // Never onto the ledger itself, nor over a file that is not a CSV.
    let p = Period::parse_month("2024-05").unwrap();
    assert!(l.export_csv(&p, ExportKind::Wix, &db, false).is_err());
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "keep me").unwrap();
    assert!(l.export_csv(&p, ExportKind::Events, &notes, false).is_err());
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "keep me");
}
