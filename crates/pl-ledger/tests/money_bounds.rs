//! Impossible values in a ledger (written before the importer's bounds, or edited by hand) and
//! the operator's own inputs: every money path refuses them with an error that names the row,
//! and nothing panics (SPEC §2 bounds, §5 manual refunds and approval).
mod common;

use common::*;
use pl_ledger::{NewManualRefund, Period};

const HUGE: &str = "7922816251426433759354395033";

fn setup(env: &mut Env) {
    env.ledger.set_app("157f033e-c1ae-4418-adb0-79d2bcd9d4a8", "Acme Forms", "t").unwrap();
    env.ledger.add_rate("2020-01-01", "20", None, "t").unwrap();
}

fn sql(env: &Env, q: &str) {
    env.ledger.connection().execute(q, []).unwrap();
}

/// Every way the month is read gives an error containing each of `names`, never a panic.
fn every_path_refuses(env: &mut Env, month: &str, names: &[&str]) {
    let period = Period::parse_month(month).unwrap();
    let check = |what: &str, e: pl_ledger::Error| {
        let msg = e.to_string();
        for n in names {
            assert!(msg.contains(n), "{what}: `{n}` not in: {msg}");
        }
    };
    check("report", env.ledger.report(&period).unwrap_err());
    check("report_stream", env.ledger.report_stream(&period, true).err().unwrap());
    check("report_stream without events", env.ledger.report_stream(&period, false).err().unwrap());
    check("report --json", env.ledger.write_report_json(&period, &mut Vec::new()).unwrap_err());
    check("exceptions", env.ledger.exceptions(Some(month)).unwrap_err());
    // The window's path reads the same scan.
    check("month_summary", env.ledger.month_summary(month).unwrap_err());
    // Approval reads the live month: the same error, and nothing is frozen.
    if env.count(&format!("SELECT count(*) FROM months WHERE month = '{month}'")) == 0 {
        let before = env.count("SELECT count(*) FROM events");
        check("approve", env.ledger.approve(month, "t").unwrap_err());
        assert_eq!(env.count("SELECT count(*) FROM events"), before);
    }
}

#[test]
fn a_28_digit_gross_in_a_row_is_an_error_naming_the_row() {
    let mut env = Env::new();
    setup(&mut env);
    env.import_str(
        "oct.csv",
        &itemized(&[Item::charge(1, "2025-10-02 10:00:00", "29.00", "1.14", I1), Item::charge(2, "2025-10-03 10:00:00", "49.00", "1.72", I2)]),
    );
    sql(&env, &format!("UPDATE txns SET gross = '{HUGE}', net = '{HUGE}' WHERE source_id = 'txn_c0002'"));
    every_path_refuses(&mut env, "2025-10", &["txn_c0002", "oct.csv", "line 3", "impossible"]);
    // The export of the month's Wix CSV goes through the streamed report: the same error.
    assert!(env.ledger.report_stream(&Period::parse_month("2025-10").unwrap(), true).is_err());
    // Hand-edited text that is not a number, in a fee.
    sql(&env, "UPDATE txns SET gross = '49.00', net = '47.28', fee = '1,72' WHERE source_id = 'txn_c0002'");
    every_path_refuses(&mut env, "2025-10", &["txn_c0002", "oct.csv", "not a decimal", "`1,72`"]);
    // Repaired, the month reports again.
    sql(&env, "UPDATE txns SET fee = '1.72' WHERE source_id = 'txn_c0002'");
    assert_eq!(env.ledger.report(&Period::parse_month("2025-10").unwrap()).unwrap().totals.gross, "78.00");
}

#[test]
fn huge_converted_amounts_and_rates_are_errors() {
    let mut env = Env::new();
    setup(&mut env);
    let mut eur = Item::charge(1, "2025-10-02 10:00:00", "999999999999.00", "1.00", I1);
    eur.currency = "eur";
    env.import_str("eur.csv", &itemized(&[eur]));
    // 10^12 EUR at 10,000 USD a unit is 10^16 USD: beyond any event.
    sql(&env, "INSERT INTO fx_rates (date, currency, usd_per_unit) VALUES ('2025-10-01', 'EUR', '10000')");
    every_path_refuses(&mut env, "2025-10", &["txn_c0001", "eur.csv", "impossible"]);
    sql(&env, "DELETE FROM fx_rates");
    sql(&env, "INSERT INTO fx_rates (date, currency, usd_per_unit) VALUES ('2025-10-01', 'EUR', '1.1')");
    assert!(env.ledger.report(&Period::parse_month("2025-10").unwrap()).is_ok());
    // A rate no schedule accepts (edited by hand).
    sql(&env, "UPDATE rates SET percent = '1e30'");
    every_path_refuses(&mut env, "2025-10", &["revenue-share rate from 2020-01-01", "1e30"]);
    sql(&env, "UPDATE rates SET percent = '20', effective_from = 'yesterday'");
    every_path_refuses(&mut env, "2025-10", &["revenue-share rate", "yesterday"]);
}

#[test]
fn a_huge_manual_refund_or_frozen_event_is_an_error_naming_it() {
    let mut env = Env::new();
    setup(&mut env);
    env.import_str("sep.csv", &itemized(&[Item::charge(1, "2025-09-02 10:00:00", "29.00", "1.14", I1)]));
    env.ledger.approve("2025-09", "t").unwrap();
    sql(&env, &format!("UPDATE events SET gross = '{HUGE}9' WHERE month = '2025-09'"));
    every_path_refuses(&mut env, "2025-09", &["approved event tx-1 of 2025-09", "gross"]);
    sql(&env, &format!("UPDATE events SET gross = '-{HUGE}' WHERE month = '2025-09'"));
    every_path_refuses(&mut env, "2025-09", &["approved event tx-1 of 2025-09", HUGE]);

    let r = NewManualRefund {
        instance: I1.into(),
        date: "2025-10-05".into(),
        amount: "10.00".into(),
        fee_returned: None,
        charge: None,
        reason: "goodwill".into(),
    };
    let info = env.ledger.add_manual_refund(&r, "t").unwrap();
    sql(&env, &format!("UPDATE manual_refunds SET amount = '{HUGE}'"));
    every_path_refuses(&mut env, "2025-10", &[&format!("manual refund {}", info.id), HUGE]);
    sql(&env, "UPDATE manual_refunds SET amount = '10.00', created_date = 'soon'");
    sql(&env, "UPDATE manual_refunds SET created_date = '2025-10-05T00:00:00Z', fee_returned = 'x'");
    every_path_refuses(&mut env, "2025-10", &[&format!("manual refund {} (returned fee)", info.id)]);
}

fn refund(amount: &str, fee: Option<&str>, date: &str, charge: Option<&str>) -> NewManualRefund {
    NewManualRefund {
        instance: I1.into(),
        date: date.into(),
        amount: amount.into(),
        fee_returned: fee.map(str::to_string),
        charge: charge.map(str::to_string),
        reason: "customer asked".into(),
    }
}

#[test]
fn manual_refunds_are_refused_with_their_field_and_rule() {
    let mut env = Env::new();
    setup(&mut env);
    env.import_str("c.csv", &itemized(&[Item::charge(1, "2025-10-02 10:00:00", "100.00", "3.20", I1)]));
    let charge = format!("tx-{}", env.count("SELECT id FROM txns WHERE source_id = 'txn_c0001'"));
    let refused = |env: &mut Env, r: NewManualRefund, words: &[&str]| {
        let msg = env.ledger.add_manual_refund(&r, "t").unwrap_err().to_string();
        for w in words {
            assert!(msg.contains(w), "`{w}` not in: {msg}");
        }
    };
    refused(&mut env, refund("0", None, "2025-10-05", None), &["amount `0`", "above 0"]);
    refused(&mut env, refund("-5", None, "2025-10-05", None), &["amount `-5`", "above 0"]);
    refused(&mut env, refund("5", Some("50"), "2025-10-05", None), &["returned fee 50.00", "more than the refund amount 5.00"]);
    refused(&mut env, refund("5", Some("-1"), "2025-10-05", None), &["returned fee -1.00", "negative"]);
    refused(&mut env, refund("1000000000000", None, "2025-10-05", None), &["amount `1000000000000`", "12 integer digits"]);
    refused(&mut env, refund(HUGE, None, "2025-10-05", None), &["amount", "12 integer digits"]);
    refused(&mut env, refund("5", Some("1000000000000.00"), "2025-10-05", None), &["returned fee", "12 integer digits"]);
    refused(&mut env, refund("5", None, "2099-01-01", None), &["date 2099-01-01", "future"]);
    refused(&mut env, refund("100.01", None, "2025-10-05", Some(&charge)), &["amount 100.01", "remains refundable", "100.00"]);
    // What a refund took is no longer refundable.
    env.ledger.add_manual_refund(&refund("60", Some("1.00"), "2025-10-05", Some(&charge)), "t").unwrap();
    refused(&mut env, refund("40.01", None, "2025-10-06", Some(&charge)), &["amount 40.01", "(40.00)"]);
    env.ledger.add_manual_refund(&refund("40", None, "2025-10-06", Some(&charge)), "t").unwrap();
    // Nothing refused was stored; the returned fee never makes the share positive.
    assert_eq!(env.count("SELECT count(*) FROM manual_refunds"), 2);
    let rep = env.ledger.report(&Period::parse_month("2025-10").unwrap()).unwrap();
    assert!(rep.events.iter().filter(|e| e.source == "manual").all(|e| e.wix_share.starts_with('-')), "{:#?}", rep.events);
}

#[test]
fn approval_is_refused_before_the_month_ends_and_without_an_app_id() {
    let mut env = Env::new();
    env.ledger.add_rate("2020-01-01", "20", None, "t").unwrap();
    env.import_str("c.csv", &itemized(&[Item::charge(1, "2025-10-02 10:00:00", "100.00", "3.20", I1)]));
    let msg = env.ledger.approve("2025-10", "t").unwrap_err().to_string();
    assert!(msg.contains("app id is not set") && msg.contains("app settings"), "{msg}");
    assert!(!msg.contains("partner-ledger"), "words the window can show: {msg}");
    env.ledger.set_app("157f033e-c1ae-4418-adb0-79d2bcd9d4a8", "Acme Forms", "t").unwrap();
    let now = chrono::Utc::now();
    for tz in ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"] {
        env.ledger.set_setting("timezone", tz, "t").unwrap();
        let current = now.with_timezone(&tz.parse::<chrono_tz::Tz>().unwrap()).format("%Y-%m").to_string();
        for month in [current.as_str(), "2099-01"] {
            let msg = env.ledger.approve(month, "t").unwrap_err().to_string();
            assert!(msg.contains("has not ended yet") && msg.contains(tz), "{month} {tz}: {msg}");
            assert!(!msg.contains("partner-ledger"), "{msg}");
        }
    }
    assert_eq!(env.count("SELECT count(*) FROM months"), 0);
    env.ledger.approve("2025-10", "t").unwrap();
}

#[test]
fn undoing_a_batch_whose_payout_nets_cannot_be_right_is_an_error_naming_the_payout() {
    let mut env = Env::new();
    setup(&mut env);
    env.import_str("oct.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1), Item::charge(2, "2026-10-03 10:00:00", "49.00", "1.72", I2)]));
    let batch = env.ledger.list_batches().unwrap()[0].id;
    for net in ["79228162514264337593543950335", "not an amount"] {
        // Two nets at the largest decimal overflow their sum; a text is no amount at all.
        sql(&env, &format!("UPDATE txns SET net = '{net}' WHERE payout_ref IS NOT NULL"));
        let err = env.ledger.undo_batch(batch, "t").unwrap_err().to_string();
        assert!(err.contains("po_1") && err.contains("cannot be right"), "{err}");
        assert_eq!(env.count("SELECT count(*) FROM txns WHERE undone = 1"), 0, "nothing is half-done");
    }
}
