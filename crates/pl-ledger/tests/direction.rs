//! Direction, unknown types and conflicts in the ledger (SPEC §2 "Direction, unknown types,
//! conflicts, bounds"): payments sent are kept but never events, refund candidates become
//! refunds of their charges, unclassified rows are exceptions until the operator classifies
//! their type, and a key seen again with other content refuses the file.
mod common;

use common::*;
use pl_ledger::{ImportOptions, Period};

/// A bank-like export through a saved mapping whose type column gives every kind the importer
/// can give: `Purchase`/`Payment Sent` are money paid out (`sent`), an unknown type is
/// `unclassified`.
const BANK_MAPPING: &str = r#"
id = "id"
date = "date"
date_format = "%Y-%m-%d %H:%M:%S"
amount = "amount"
fee = "fee"
currency = "currency"
instance = "instance"
customer = "customer"
original_ref = "ref"
type_column = "type"
default_kind = "unclassified"

[kinds]
"Sale" = "charge"
"Refund" = "refund"
"Purchase" = "sent"
"Payment Sent" = "sent"
"Transfer" = "skipped"
"#;
const BANK_HEADER: &str = "id,date,type,amount,fee,currency,instance,customer,ref";
const APP: &str = "157f033e-c1ae-4418-adb0-79d2bcd9d4a8";

/// One row of the bank export: `id,date,type,amount,fee,currency,instance,customer,ref`.
fn bank_row(id: &str, date: &str, typ: &str, amount: &str, instance: &str, reference: &str) -> String {
    format!("{id},{date},{typ},{amount},0.00,USD,{instance},cus-{id},{reference}")
}

fn bank(rows: &[String]) -> String {
    let mut s = format!("{BANK_HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

fn env() -> Env {
    let mut env = Env::new();
    env.ledger.add_column_mapping("bank", BANK_MAPPING, "test").unwrap();
    env.ledger.set_app(APP, "Acme Forms", "test").unwrap();
    env.ledger.add_rate("2020-01-01", "20", None, "test").unwrap();
    env
}

fn import(env: &mut Env, name: &str, rows: &[String]) -> pl_ledger::ImportReport {
    let p = env.file(name, &bank(rows));
    let r = env
        .ledger
        .import_file(&p, &ImportOptions { format: Some("mapped:bank".into()), by: "test".into(), ..Default::default() })
        .unwrap();
    assert!(r.rejected.is_empty(), "{name}: {:?}", r.rejected);
    r
}

fn try_import(env: &mut Env, name: &str, rows: &[String]) -> pl_ledger::ImportReport {
    let p = env.file(name, &bank(rows));
    env.ledger
        .import_file(&p, &ImportOptions { format: Some("mapped:bank".into()), by: "test".into(), ..Default::default() })
        .unwrap()
}

fn kind_of(env: &Env, source_id: &str) -> String {
    env.ledger
        .connection()
        .query_row("SELECT kind || '|' || coalesce(instance_id, '-') FROM txns WHERE source_id = ?1 AND undone = 0", [source_id], |r| {
            r.get(0)
        })
        .unwrap()
}

fn october() -> Period {
    Period::Month(pl_ledger::months::parse_month("2026-10").unwrap())
}

#[test]
fn payments_sent_are_counted_and_never_reach_an_event() {
    let mut env = env();
    let r = import(
        &mut env,
        "oct.csv",
        &[
            bank_row("P1", "2026-10-02 10:00:00", "Sale", "50.00", I1, ""),
            bank_row("P2", "2026-10-03 10:00:00", "Purchase", "-195.00", I1, ""),
            bank_row("P3", "2026-10-04 10:00:00", "Payment Sent", "-12.50", "", "X-NOT-A-CHARGE"),
            bank_row("P4", "2026-10-05 10:00:00", "Transfer", "-7.00", "", ""),
        ],
    );
    assert_eq!((r.rows_read, r.imported, r.sent, r.skipped, r.unclassified, r.duplicates), (4, 1, 2, 1, 0, 0));
    let b = &env.ledger.list_batches().unwrap()[0];
    assert_eq!((b.imported, b.sent, b.skipped, b.unclassified), (1, 2, 1, 0), "the batch keeps the counts");
    assert_eq!(kind_of(&env, "P2"), format!("sent|{I1}"));
    assert_eq!(kind_of(&env, "P3"), "sent|-", "a reference that is no charge leaves the row sent");

    let report = env.ledger.report(&october()).unwrap();
    assert_eq!(report.events.len(), 1, "{:?}", report.events);
    assert_eq!((report.totals.gross.as_str(), report.totals.wix_share.as_str()), ("50.00", "10.00"));
    assert!(report.exceptions.is_empty(), "{:?}", report.exceptions);
    let approved = env.ledger.approve("2026-10", "test").unwrap();
    assert_eq!(approved.totals.events, 1);
    assert_eq!(
        env.count("SELECT count(*) FROM events e JOIN txns t ON t.id = e.txn_id WHERE t.kind = 'sent'"),
        0,
        "nothing sent is queued for Wix"
    );
    // The same file again: all duplicates, sent rows included.
    let again = import(&mut env, "oct-again.csv", &[bank_row("P2", "2026-10-03 10:00:00", "Purchase", "-195.00", I1, "")]);
    assert_eq!((again.duplicates, again.sent, again.batch_id), (1, 0, None));
}

#[test]
fn a_refund_candidate_becomes_a_refund_of_its_charge_in_the_same_file_or_later() {
    let mut env = env();
    let r = import(
        &mut env,
        "same.csv",
        &[
            // The payment back to the customer comes first in the file: still found.
            bank_row("R1", "2026-10-05 10:00:00", "Payment Sent", "-20.00", "", "C1"),
            bank_row("C1", "2026-10-02 10:00:00", "Sale", "50.00", I1, ""),
        ],
    );
    assert_eq!((r.imported, r.sent), (2, 0), "the promoted candidate counts as imported");
    assert_eq!(kind_of(&env, "R1"), format!("refund|{I1}"), "a refund of its charge's instance");

    // The charge arrives in a later file.
    let first = import(&mut env, "refund-first.csv", &[bank_row("R2", "2026-10-20 10:00:00", "Payment Sent", "-10.00", "", "C2")]);
    assert_eq!((first.imported, first.sent), (0, 1));
    assert_eq!(kind_of(&env, "R2"), "sent|-");
    let later = import(&mut env, "charge-later.csv", &[bank_row("C2", "2026-10-10 10:00:00", "Sale", "30.00", I2, "")]);
    assert_eq!(later.imported, 1);
    assert_eq!(kind_of(&env, "R2"), format!("refund|{I2}"));
    let report = env.ledger.report(&october()).unwrap();
    let refunds: Vec<_> = report.events.iter().filter(|e| e.billing_type == "REFUND").map(|e| (e.gross.as_str(), e.instance_id.as_str())).collect();
    assert_eq!(refunds, [("-20.00", I1), ("-10.00", I2)]);
    assert_eq!(report.totals.gross, "50.00");

    // The charge leaves (its batch undone): the payment is money sent again, not an event.
    env.ledger.undo_batch(later.batch_id.unwrap(), "test").unwrap();
    assert_eq!(kind_of(&env, "R2"), "sent|-");
    assert_eq!(env.ledger.report(&october()).unwrap().events.len(), 2);
    // Re-importing the candidate's file is no conflict although its kind changed meanwhile.
    let again = import(&mut env, "same-again.csv", &[bank_row("R1", "2026-10-05 10:00:00", "Payment Sent", "-20.00", "", "C1")]);
    assert_eq!(again.duplicates, 1);
}

#[test]
fn an_unclassified_row_blocks_approval_until_its_type_is_classified() {
    let mut env = env();
    let general = bank_row("G1", "2026-10-07 10:00:00", "General Payment", "10.00", I1, "");
    let r = import(&mut env, "oct.csv", &[bank_row("S1", "2026-10-02 10:00:00", "Sale", "50.00", I1, ""), general.clone()]);
    assert_eq!((r.imported, r.unclassified), (1, 1));
    let ex = env.ledger.exceptions(Some("2026-10")).unwrap();
    assert_eq!(ex.len(), 1, "{ex:?}");
    assert_eq!((ex[0].kind.as_str(), ex[0].row_kind.as_str(), ex[0].source_id.as_str()), ("unclassified_type", "unclassified", "G1"));
    assert!(ex[0].detail.contains("General Payment") && ex[0].detail.contains("mapped:bank"), "{}", ex[0].detail);
    assert!(!ex[0].detail.contains("partner-ledger"), "the window shows it: no CLI command in it: {}", ex[0].detail);
    assert_eq!(ex[0].file, "oct.csv:3");
    assert_eq!(env.ledger.exceptions(None).unwrap().len(), 1);
    match env.ledger.approve("2026-10", "test") {
        Err(pl_ledger::Error::ApprovalRefused { exceptions, .. }) => assert_eq!(exceptions[0].kind, "unclassified_type"),
        other => panic!("approval must be refused: {other:?}"),
    }
    assert_eq!(env.ledger.report(&october()).unwrap().events.len(), 1, "not an event yet");

    // Classified once, for its source and type, ignoring case.
    let out = env.ledger.classify_type("mapped:bank", "  general PAYMENT ", "charge", "alice").unwrap();
    assert_eq!((out.classified, out.disagreeing, out.unclassified, out.frozen), (1, 0, 0, 0));
    let rule = out.rule.expect("the rule saved");
    assert_eq!((rule.source.as_str(), rule.type_name.as_str(), rule.action.as_str()), ("mapped:bank", "general PAYMENT", "charge"));
    assert_eq!(kind_of(&env, "G1"), format!("charge|{I1}"));
    assert!(env.ledger.exceptions(Some("2026-10")).unwrap().is_empty());
    let report = env.ledger.report(&october()).unwrap();
    assert_eq!((report.events.len(), report.totals.gross.as_str()), (2, "60.00"));
    let audit = env.ledger.audit_log().unwrap();
    let entry = audit.iter().find(|a| a.action == "classify.set").expect("audited");
    assert_eq!((entry.who.as_str(), entry.entity.as_str()), ("alice", "classify:mapped:bank:general PAYMENT"));
    assert_eq!(entry.before, None);
    assert_eq!(entry.after.as_ref().unwrap()["rule"]["action"], "charge");
    assert_eq!(env.ledger.classify_rules().unwrap(), vec![rule]);

    // A later import applies the rule as it inserts; the first file again is no conflict.
    let later = import(&mut env, "later.csv", &[bank_row("G2", "2026-10-09 10:00:00", "GENERAL payment", "15.00", I2, "")]);
    assert_eq!((later.imported, later.unclassified), (1, 0));
    assert_eq!(kind_of(&env, "G2"), format!("charge|{I2}"));
    let again = import(&mut env, "oct-again.csv", &[general]);
    assert_eq!(again.duplicates, 1);
    env.ledger.approve("2026-10", "test").unwrap();

    // Removing the rule leaves the approved month's rows as approved.
    let removed = env.ledger.remove_classification("mapped:bank", "General Payment", "bob").unwrap();
    assert_eq!((removed.unclassified, removed.frozen), (0, 2));
    assert_eq!(kind_of(&env, "G1"), format!("charge|{I1}"));
    assert!(env.ledger.classify_rules().unwrap().is_empty());
    let log = env.ledger.audit_log().unwrap();
    let entry = log.iter().find(|a| a.action == "classify.remove").expect("audited");
    assert_eq!(entry.who, "bob");
    assert_eq!(entry.before.as_ref().unwrap()["action"], "charge");
}

#[test]
fn removing_a_rule_makes_its_rows_exceptions_again_and_ignore_skips_them() {
    let mut env = env();
    import(
        &mut env,
        "oct.csv",
        &[
            bank_row("G1", "2026-10-07 10:00:00", "Handyzahlung", "10.00", I1, ""),
            bank_row("G2", "2026-10-08 10:00:00", "Handyzahlung", "11.00", I1, ""),
        ],
    );
    env.ledger.classify_type("mapped:bank", "handyzahlung", "charge", "t").unwrap();
    assert_eq!(env.ledger.report(&october()).unwrap().events.len(), 2);
    let removed = env.ledger.remove_classification("mapped:bank", "HANDYZAHLUNG", "t").unwrap();
    assert_eq!((removed.unclassified, removed.frozen), (2, 0));
    assert_eq!(kind_of(&env, "G1"), format!("unclassified|{I1}"));
    assert_eq!(env.ledger.exceptions(Some("2026-10")).unwrap().len(), 2);
    assert!(env.ledger.report(&october()).unwrap().events.is_empty());
    assert!(env.ledger.remove_classification("mapped:bank", "Handyzahlung", "t").is_err(), "no rule left to remove");

    let ignored = env.ledger.classify_type("mapped:bank", "Handyzahlung", "ignore", "t").unwrap();
    assert_eq!(ignored.classified, 2);
    let (kind, reason): (String, String) = env
        .ledger
        .connection()
        .query_row("SELECT kind, skip_reason FROM txns WHERE source_id = 'G2'", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!((kind.as_str(), reason.as_str()), ("skipped", "classified as ignore"));
    assert!(env.ledger.exceptions(Some("2026-10")).unwrap().is_empty());
    // A later row of the type is skipped as it is imported.
    let later = import(&mut env, "later.csv", &[bank_row("G3", "2026-10-09 10:00:00", "handyzahlung", "3.00", I1, "")]);
    assert_eq!((later.skipped, later.unclassified, later.imported), (1, 0, 0));
    // Changing the rule re-classifies the rows it had classified.
    let changed = env.ledger.classify_type("mapped:bank", "Handyzahlung", "charge", "t").unwrap();
    assert_eq!(changed.classified, 3);
    assert_eq!(env.ledger.report(&october()).unwrap().events.len(), 3);
}

#[test]
fn a_row_whose_money_goes_against_its_rule_stays_an_exception_that_says_so() {
    let mut env = env();
    import(&mut env, "oct.csv", &[bank_row("G1", "2026-10-07 10:00:00", "Mobile Payment", "10.00", I1, "")]);
    let out = env.ledger.classify_type("mapped:bank", "Mobile Payment", "refund", "t").unwrap();
    assert_eq!((out.classified, out.disagreeing, out.unclassified), (0, 1, 1));
    let ex = env.ledger.exceptions(Some("2026-10")).unwrap();
    assert_eq!(ex.len(), 1);
    assert!(ex[0].detail.contains("classified as refund") && ex[0].detail.contains("money in"), "{}", ex[0].detail);
}

#[test]
fn classification_is_refused_for_an_unknown_source_action_or_empty_type() {
    let mut env = env();
    let err = |r: pl_ledger::Result<pl_ledger::ClassifyOutcome>| r.unwrap_err().to_string();
    assert!(err(env.ledger.classify_type("paypal", "General Payment", "charge", "t")).contains("not a source format"));
    assert!(err(env.ledger.classify_type("mapped:nope", "General Payment", "charge", "t")).contains("no saved column mapping"));
    assert!(err(env.ledger.classify_type("paypal-activity", "  ", "charge", "t")).contains("empty"));
    assert!(err(env.ledger.classify_type("paypal-activity", "General Payment", "revenue", "t")).contains("charge, refund or ignore"));
    assert!(env.ledger.classify_rules().unwrap().is_empty());
    assert!(env.ledger.audit_log().unwrap().iter().all(|a| !a.action.starts_with("classify")));
}

/// An unclassified row dated in an approved month was never part of it: classified, it is a
/// late event of the next open month (SPEC §5), which then freezes it.
#[test]
fn an_unclassified_row_of_an_approved_month_becomes_a_late_event_when_classified() {
    let mut env = env();
    import(&mut env, "sep.csv", &[bank_row("S1", "2026-09-02 10:00:00", "Sale", "50.00", I1, "")]);
    env.ledger.approve("2026-09", "t").unwrap();
    import(&mut env, "late.csv", &[bank_row("G1", "2026-09-20 10:00:00", "eBay Auction Payment", "8.00", I1, "")]);
    let ex = env.ledger.exceptions(Some("2026-10")).unwrap();
    assert_eq!(ex.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["unclassified_type"], "an exception of the first open month");
    env.ledger.classify_type("mapped:bank", "ebay auction payment", "charge", "t").unwrap();
    let oct = env.ledger.report(&october()).unwrap();
    assert_eq!(oct.events.len(), 1);
    assert!(oct.events[0].late);
    assert_eq!(oct.events[0].created_date, "2026-09-20T10:00:00Z");
    env.ledger.approve("2026-10", "t").unwrap();
    let removed = env.ledger.remove_classification("mapped:bank", "eBay Auction Payment", "t").unwrap();
    assert_eq!((removed.unclassified, removed.frozen), (0, 1), "an approved event never changes");
}

#[test]
fn a_conflict_inside_one_file_is_refused_naming_both_lines() {
    let mut env = env();
    let r = try_import(
        &mut env,
        "twice.csv",
        &[
            bank_row("S1", "2026-10-02 10:00:00", "Sale", "50.00", I1, ""),
            bank_row("S2", "2026-10-02 11:00:00", "Sale", "20.00", I1, ""),
            bank_row("S1", "2026-10-02 10:00:00", "Sale", "55.00", I1, ""),
            // Same key, same content: a true duplicate, no conflict.
            bank_row("S2", "2026-10-02 11:00:00", "Sale", "20", I1, ""),
        ],
    );
    assert_eq!(r.rejected.len(), 1, "{:?}", r.rejected);
    assert_eq!(r.rejected[0].line, 4);
    let reason = &r.rejected[0].reason;
    assert!(reason.contains("line 2 of this file") && reason.contains("gross 50.00 (this row 55.00)"), "{reason}");
    assert_eq!((r.imported, r.batch_id), (0, None));
    assert_eq!(env.count("SELECT count(*) FROM txns"), 0, "nothing imported");
}

#[test]
fn a_conflict_across_files_names_the_batch_file_and_line_and_imports_nothing() {
    let mut env = Env::new();
    let a = env.import_str("a.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1), Item::charge(2, "2026-10-02 11:00:00", "9.00", "0.56", I1)]));
    let before = env.live_rows();
    let mut changed = Item::charge(2, "2026-10-03 11:00:00", "9.00", "0.56", I1);
    changed.currency = "eur";
    let r = env.try_import_str("b.csv", &itemized(&[Item::charge(7, "2026-10-05 10:00:00", "5.00", "0.10", I2), changed]));
    assert_eq!(r.rejected.len(), 1, "{:?}", r.rejected);
    assert_eq!(r.rejected[0].line, 3);
    let reason = &r.rejected[0].reason;
    let batch = a.batch_id.unwrap();
    assert!(reason.contains(&format!("batch {batch} (file `a.csv`), line 3")), "{reason}");
    assert!(reason.contains("currency USD (this row EUR)") && reason.contains("date 2026-10-02 (this row 2026-10-03)"), "{reason}");
    assert!(reason.contains("stripe:txn_c0002"), "{reason}");
    assert_eq!(env.live_rows(), before, "nothing of b.csv was imported");
    assert_eq!(env.ledger.list_batches().unwrap().len(), 1);
    // The same content again, written differently (`9` for `9.00`), is a duplicate.
    let mut same = Item::charge(2, "2026-10-02 11:00:00", "9", "0.56", I1);
    same.description = "another description".into();
    let dup = env.import_str("c.csv", &itemized(&[same]));
    assert_eq!((dup.duplicates, dup.imported), (1, 0));
}

/// A row imported before migration 0004 has no fingerprint: it is compared column by column.
#[test]
fn a_row_without_a_fingerprint_is_compared_by_its_columns() {
    let mut env = Env::new();
    env.import_str("a.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1)]));
    env.ledger.connection().execute("UPDATE txns SET fingerprint = NULL", []).unwrap();
    let dup = env.import_str("a2.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1)]));
    assert_eq!(dup.duplicates, 1);
    let r = env.try_import_str("a3.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.15", I1)]));
    assert_eq!(r.rejected.len(), 1);
    assert!(r.rejected[0].reason.contains("fee 1.14 (this row 1.15)"), "{}", r.rejected[0].reason);
}

/// The bulk load has no dedup index: its in-memory keys find conflicts the same way.
#[test]
fn a_conflict_in_a_bulk_load_is_refused_too() {
    let items: Vec<Item> =
        (0..55_000u32).map(|i| Item::charge(i, &format!("2026-10-{:02} 10:00:00", 1 + i % 28), "10.00", "0.59", I1)).collect();
    let mut text = itemized(&items);
    text.push_str(&Item::charge(77, "2026-10-06 10:00:00", "10.00", "0.59", I1).line());
    text.push('\n');
    let mut env = Env::new();
    let r = env.try_import_str("big.csv", &text);
    assert_eq!(r.rejected.len(), 1, "{:?}", r.rejected);
    assert_eq!(r.rejected[0].line, 55_002);
    assert!(r.rejected[0].reason.contains("line 79 of this file"), "{}", r.rejected[0].reason);
    assert_eq!(env.count("SELECT count(*) FROM txns"), 0);
}

#[test]
fn a_folder_is_not_an_export() {
    let mut env = Env::new();
    let err = env.ledger.import_file(env.dir.path(), &ImportOptions::default()).unwrap_err().to_string();
    assert!(err.contains("not a regular file") && err.contains(&env.dir.path().display().to_string()), "{err}");
    assert_eq!(env.count("SELECT count(*) FROM batches"), 0);
}

/// The window reaches a month's exceptions through its month list: a month whose only row is
/// unclassified is listed too.
#[test]
fn a_month_with_only_an_unclassified_row_is_listed() {
    let mut env = env();
    import(&mut env, "aug.csv", &[bank_row("G1", "2026-08-07 10:00:00", "Allgemeine Zahlung", "10.00", I1, "")]);
    let months: Vec<String> = env.ledger.months().unwrap().into_iter().map(|m| m.month).collect();
    assert_eq!(months, ["2026-08"]);
}
