//! Record hashes (`parse_path_known`): what a re-import probes before it parses. Equal for the
//! same fields read the same way whatever the quoting, line ends or delimiter; different when a
//! cell, the header, the metadata key or a whole-file decision differs; known records are
//! counted, not parsed, and still take part in the whole-file decisions.
use std::collections::HashSet;
use std::path::PathBuf;

use pl_import::{parse_path_known, ParseOptions, Parsed, Row};

const HEADER: &str = "automatic_payout_id,automatic_payout_effective_at,balance_transaction_id,created_utc,created,available_on_utc,available_on,currency,gross,fee,net,reporting_category,source_id,description,customer_facing_amount,customer_facing_currency,customer_id,charge_id,payment_intent_id,invoice_id,payment_metadata[wix_instance_id],refund_metadata[wix_instance_id]";

fn line(i: u32, date: &str, gross: &str) -> String {
    format!(
        "po_1,{date},txn_{i:06},{date},{date},{date},{date},usd,{gross},1.14,27.86,charge,ch_{i:06},Pro plan,29.00,usd,cus_1,ch_{i:06},pi_1,in_1,6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31,"
    )
}

fn export(lines: &[String]) -> String {
    let mut out = format!("{HEADER}\n");
    for l in lines {
        out.push_str(l);
        out.push('\n');
    }
    out
}

struct TempCsv {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn file(text: &str) -> TempCsv {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv");
    std::fs::write(&path, text).unwrap();
    TempCsv { _dir: dir, path }
}

/// Parses `text` with the records of `known` skipped: what it found, its rows with their hashes.
fn read(text: &str, opts: &ParseOptions, known: &HashSet<u128>) -> (Parsed, Vec<(Row, u128)>) {
    let f = file(text);
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let parsed = parse_path_known(&f.path, opts, true, |h| known.contains(&h), |r, h| rows.push((r, h)), |e| errors.push(e)).unwrap();
    assert_eq!(errors, vec![], "no row errors");
    (parsed, rows)
}

fn hashes(text: &str, opts: &ParseOptions) -> Vec<u128> {
    read(text, opts, &HashSet::new()).1.into_iter().map(|(_, h)| h).collect()
}

#[test]
fn the_same_fields_hash_alike_whatever_the_quoting_line_ends_or_delimiter() {
    let opts = ParseOptions::default();
    let lines: Vec<String> = (0..3).map(|i| line(i, "2026-03-05 10:00:00", "29.00")).collect();
    let plain = export(&lines);
    let want = hashes(&plain, &opts);
    assert_eq!(want.len(), 3);
    assert_eq!(want.iter().collect::<HashSet<_>>().len(), 3, "each row its own hash");
    let quoted: String = plain.lines().map(|l| l.split(',').map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(",") + "\r\n").collect();
    assert_eq!(hashes(&quoted, &opts), want, "quotes and CRLF");
    assert_eq!(hashes(&plain.replace(',', ";"), &opts), want, "semicolons");
    // Another order of the rows: each keeps its hash.
    let reversed = export(&lines.iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(hashes(&reversed, &opts), want.iter().rev().cloned().collect::<Vec<_>>());
}

#[test]
fn a_cell_the_header_or_the_options_change_the_hash() {
    let opts = ParseOptions::default();
    let base = hashes(&export(&[line(1, "2026-03-05 10:00:00", "29.00")]), &opts)[0];
    let other = |text: &str, opts: &ParseOptions| {
        let h = hashes(text, opts)[0];
        assert_ne!(h, base, "{text}");
    };
    other(&export(&[line(1, "2026-03-05 10:00:00", "29.01")]), &opts);
    other(&export(&[line(1, "2026-03-05 10:00:00", "29.00").replace("Pro plan", "Pro  plan")]), &opts);
    // Whitespace around a cell is not read, so it does not count.
    assert_eq!(hashes(&export(&[line(1, "2026-03-05 10:00:00", "29.00").replace("Pro plan", " Pro plan\t")]), &opts)[0], base);
    // Same cells, another header (an extra column, here at the end, empty).
    other(&format!("{HEADER},extra\n{},\n", line(1, "2026-03-05 10:00:00", "29.00")), &opts);
    // Another metadata key reads the instance from another column (none here).
    other(&export(&[line(1, "2026-03-05 10:00:00", "29.00")]), &ParseOptions { metadata_key: "other".into(), ..ParseOptions::default() });
}

#[test]
fn known_records_are_counted_not_parsed_and_the_rest_come_with_their_hashes() {
    let opts = ParseOptions::default();
    let lines: Vec<String> = (0..10).map(|i| line(i, "2026-03-05 10:00:00", "29.00")).collect();
    let first = read(&export(&lines[..6]), &opts, &HashSet::new()).1;
    let known: HashSet<u128> = first.iter().map(|(_, h)| *h).collect();
    let (parsed, rows) = read(&export(&lines), &opts, &known);
    assert_eq!((parsed.rows_read, parsed.rows_known, parsed.rows_ok), (10, 6, 4));
    let ids: Vec<&str> = rows.iter().map(|(r, _)| r.source_id.as_str()).collect();
    assert_eq!(ids, ["txn_000006", "txn_000007", "txn_000008", "txn_000009"]);
    assert_eq!(rows[0].0.line, 8, "lines are counted over every record");
    // A known record is not parsed: even a cell no parse accepts is only hashed and probed.
    let bad = line(20, "2026-03-05 10:00:00", "not money");
    let bad_hash = {
        let f = file(&export(std::slice::from_ref(&bad)));
        let mut h = None;
        parse_path_known(&f.path, &opts, true, |x| {
            h = Some(x);
            true
        }, |_, _| panic!("not parsed"), |e| panic!("not parsed: {e}"))
        .unwrap();
        h.unwrap()
    };
    let (parsed, _) = read(&export(&[bad]), &opts, &HashSet::from([bad_hash]));
    assert_eq!((parsed.rows_read, parsed.rows_known, parsed.rows_failed), (1, 1, 0));
}

#[test]
fn known_records_still_decide_the_date_order_of_the_new_ones() {
    let opts = ParseOptions::default();
    // 25/03 can only be day first; 05/03 alone could be either.
    let old: Vec<String> = (0..5).map(|i| line(i, "25/03/2026 10:00", "29.00")).collect();
    let known: HashSet<u128> = read(&export(&old), &opts, &HashSet::new()).1.iter().map(|(_, h)| *h).collect();
    let mut all = old.clone();
    all.push(line(9, "05/03/2026 10:00", "29.00"));
    let (parsed, rows) = read(&export(&all), &opts, &known);
    assert_eq!((parsed.rows_known, rows.len()), (5, 1));
    assert_eq!(rows[0].0.occurred_at.to_rfc3339(), "2026-03-05T10:00:00+00:00", "day first, as the whole file says");
}
