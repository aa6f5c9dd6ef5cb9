//! The one-pass reading (`parse_path_one_pass`): the same rows as two passes when the first
//! rows speak for the whole file, the same file-level errors, and a clear signal otherwise.
use std::path::PathBuf;

use pl_import::{parse_path, parse_path_one_pass, ImportError, ParseOptions, Row};

const HEADER: &str = "automatic_payout_id,automatic_payout_effective_at,balance_transaction_id,created_utc,created,available_on_utc,available_on,currency,gross,fee,net,reporting_category,source_id,description,customer_facing_amount,customer_facing_currency,customer_id,charge_id,payment_intent_id,invoice_id,payment_metadata[wix_instance_id],refund_metadata[wix_instance_id]";

/// `n` charges; `odd(i)` may replace row `i`'s date and gross.
fn export(n: u32, odd: impl Fn(u32) -> Option<(&'static str, &'static str)>) -> String {
    let mut out = format!("{HEADER}\n");
    for i in 0..n {
        let (date, gross) = odd(i).unwrap_or(("2026-03-05 10:00:00", "29.00"));
        out.push_str(&format!(
            "po_1,{date},txn_{i:06},{date},{date},{date},{date},usd,{gross},1.14,27.86,charge,ch_{i:06},Pro plan,29.00,usd,cus_1,ch_{i:06},pi_1,in_1,6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31,\n"
        ));
    }
    out
}

/// A CSV file in a folder of its own, removed with it when the test ends.
struct TempCsv {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn file(name: &str, text: &str) -> TempCsv {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.csv"));
    std::fs::write(&path, text).unwrap();
    TempCsv { _dir: dir, path }
}

fn rows(one_pass: bool, path: &std::path::Path) -> Result<Vec<Row>, ImportError> {
    let mut rows = Vec::new();
    let parse = if one_pass { parse_path_one_pass } else { parse_path };
    let mut errors = Vec::new();
    let parsed = parse(path, &ParseOptions::default(), |r| rows.push(r), |e| errors.push(e));
    parsed.map(|_| {
        assert_eq!(errors, vec![], "no row errors");
        rows
    })
}

#[test]
fn a_file_whose_first_rows_decide_gives_the_same_rows_in_one_pass() {
    let p = file("same", &export(10_000, |_| None));
    let one = rows(true, &p.path).unwrap();
    assert_eq!(one.len(), 10_000);
    assert_eq!(one, rows(false, &p.path).unwrap());
}

#[test]
fn slash_dates_after_the_first_rows_ask_for_two_passes() {
    // 3/25 can only be month first; the first 4,096 rows had no slash date to decide from, so
    // one pass read it as a row error before the whole file showed its order.
    let p = file("late-slash", &export(6_000, |i| (i == 5_000).then_some(("3/25/2026 10:00", "29.00"))));
    assert!(matches!(rows(true, &p.path), Err(ImportError::NeedsTwoPasses)));
    let two = rows(false, &p.path).unwrap();
    assert_eq!(two[5_000].occurred_at.to_rfc3339(), "2026-03-25T10:00:00+00:00");
}

#[test]
fn a_number_style_conflict_after_the_first_rows_is_the_same_error() {
    let p = file("late-comma", &export(6_000, |i| (i == 5_500).then_some(("2026-03-05 10:00:00", "\"1.250,00\""))));
    let one = rows(true, &p.path).unwrap_err();
    let two = rows(false, &p.path).unwrap_err();
    assert!(matches!(one, ImportError::ConflictingNumberStyles { .. }), "{one:?}");
    assert_eq!(one.to_string(), two.to_string());
}
