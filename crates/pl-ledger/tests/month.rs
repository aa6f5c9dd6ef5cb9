//! The month (SPEC §3–§5, §7): money rules, approval, late events, manual refunds, exports.
mod common;

use common::*;
use pl_ledger::{NewManualRefund, Period, Report};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn month(env: &Env, m: &str) -> Report {
    env.ledger.report(&Period::parse_month(m).unwrap()).unwrap()
}

fn setup(env: &mut Env, percent: &str) {
    env.ledger.set_app("157f033e-c1ae-4418-adb0-79d2bcd9d4a8", "Acme Forms", "test").unwrap();
    env.ledger.add_rate("2020-01-01", percent, None, "test").unwrap();
}

fn ev<'a>(r: &'a Report, source_id: &str) -> &'a pl_ledger::EventLine {
    r.events.iter().find(|e| e.source_id.as_deref() == Some(source_id)).unwrap_or_else(|| panic!("no event {source_id} in {:#?}", r.events))
}

const PAYPAL_HEADER: &str = "\u{feff}\"Date\",\"Time\",\"TimeZone\",\"Name\",\"Type\",\"Status\",\"Currency\",\"Gross\",\"Fee\",\"Net\",\"From Email Address\",\"To Email Address\",\"Transaction ID\",\"Shipping Address\",\"Address Status\",\"Item Title\",\"Item ID\",\"Shipping and Handling Amount\",\"Insurance Amount\",\"Sales Tax\",\"Option 1 Name\",\"Option 1 Value\",\"Option 2 Name\",\"Option 2 Value\",\"Reference Txn ID\",\"Invoice Number\",\"Custom Number\",\"Quantity\",\"Receipt ID\",\"Balance\",\"Address Line 1\",\"Address Line 2/District/Neighborhood\",\"Town/City\",\"State/Province/Region/County/Territory/Prefecture/Republic\",\"Zip/Postal Code\",\"Country\",\"Contact Phone Number\",\"Subject\",\"Note\",\"Country Code\",\"Balance Impact\"";

/// A PayPal row: date MM/DD/YYYY, type, currency, gross, fee, net, id, sales tax, ref, custom.
#[allow(clippy::too_many_arguments)]
fn pp(date: &str, time: &str, ty: &str, cur: &str, gross: &str, fee: &str, net: &str, id: &str, tax: &str, reference: &str, custom: &str, impact: &str) -> String {
    format!(
        "\"{date}\",\"{time}\",\"PST\",\"Buyer\",\"{ty}\",\"Completed\",\"{cur}\",\"{gross}\",\"{fee}\",\"{net}\",\"buyer@example.com\",\"billing@vendor.example\",\"{id}\",\"\",\"\",\"Pro plan\",\"\",\"0.00\",\"0.00\",\"{tax}\",\"\",\"\",\"\",\"\",\"{reference}\",\"INV-1\",\"{custom}\",\"1\",\"\",\"100.00\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"Pro plan\",\"\",\"US\",\"{impact}\""
    )
}

#[test]
fn paypal_sample_linked_conversion_returned_fee_and_update_rows() {
    let mut env = Env::new();
    setup(&mut env, "20");
    // Every date of the sample is ≤ 12 in both parts: the file cannot decide, the operator does.
    let path = samples().join("paypal_activity_download.csv");
    let err = env.ledger.import_file(&path, &pl_ledger::ImportOptions::default()).unwrap_err().to_string();
    assert!(err.contains("choose the file's date order") && err.contains("default date order for such files in the settings"), "{err}");
    env.ledger.set_setting("date_order", "month-first", "t").unwrap();
    let r = env.import(&path);
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let rep = month(&env, "2024-05");
    // EUR 45.00 (fee 1.96, net 43.04) converted to USD 45.77 by the linked rows.
    let eur = ev(&rep, "9CD34567EF8901234G");
    assert_eq!((eur.gross.as_str(), eur.expenses.as_str(), eur.net.as_str()), ("47.85", "2.08", "45.77"));
    assert_eq!(eur.wix_share, "9.15"); // 45.77 × 20 % = 9.154
    assert!(eur.expense_note.contains("EUR 45.00 converted by PayPal to USD 45.77"), "{}", eur.expense_note);
    // The refund returns part of the fee: expenses are negative.
    let refund = ev(&rep, "3FG67890HJ1234567K");
    assert_eq!((refund.billing_type.as_str(), refund.gross.as_str(), refund.expenses.as_str(), refund.net.as_str()), ("REFUND", "-29.00", "-1.01", "-27.99"));
    assert_eq!(refund.wix_share, "-5.60");
    // The pending eCheck is skipped; its `Update to` row is the charge.
    let echeck = ev(&rep, "4GH78901JK2345678L");
    assert_eq!((echeck.billing_type.as_str(), echeck.gross.as_str()), ("CHARGE", "99.00"));
    assert!(rep.events.iter().all(|e| e.source == "paypal-activity"));
    assert_eq!(rep.events.len(), 5, "{:#?}", rep.events);
    assert!(rep.exceptions.is_empty(), "{:#?}", rep.exceptions);
}

#[test]
fn sales_tax_is_taken_out_of_gross_and_the_fx_table_converts_other_currencies() {
    let mut env = Env::new();
    setup(&mut env, "20");
    env.ledger.set_setting("date_order", "month-first", "t").unwrap();
    let text = format!(
        "{PAYPAL_HEADER}\n{}\n{}\n",
        pp("10/02/2026", "10:00:00", "Express Checkout Payment", "USD", "110.00", "-3.50", "106.50", "TAX1", "10.00", "", I1, "Credit"),
        pp("10/03/2026", "10:00:00", "Express Checkout Payment", "GBP", "100.00", "-3.20", "96.80", "GBP1", "0.00", "", I2, "Credit"),
    );
    env.import_str("pp.csv", &text);
    let rep = month(&env, "2026-10");
    let taxed = ev(&rep, "TAX1");
    assert_eq!((taxed.gross.as_str(), taxed.expenses.as_str(), taxed.net.as_str(), taxed.wix_share.as_str()), ("100.00", "3.50", "96.50", "19.30"));
    // No GBP rate yet: an exception, and no event.
    assert!(rep.events.iter().all(|e| e.source_id.as_deref() != Some("GBP1")));
    assert_eq!(rep.exceptions.len(), 1);
    assert_eq!(rep.exceptions[0].kind, "missing_fx_rate");
    // A rate 8 days old is too old; one 7 days old is used.
    let fx = env.file("fx.csv", "date,currency,usd_per_unit\n2026-09-25,GBP,1.30\n");
    env.ledger.import_fx(&fx, "t").unwrap();
    assert_eq!(month(&env, "2026-10").exceptions[0].kind, "missing_fx_rate");
    let fx = env.file("fx2.csv", "date,currency,usd_per_unit\n2026-09-26,GBP,1.26125\n");
    env.ledger.import_fx(&fx, "t").unwrap();
    let rep = month(&env, "2026-10");
    let gbp = ev(&rep, "GBP1");
    // 100 × 1.26125 = 126.125 → 126.13; fee 3.20 × 1.26125 = 4.036 → 4.04.
    assert_eq!((gbp.gross.as_str(), gbp.expenses.as_str(), gbp.net.as_str()), ("126.13", "4.04", "122.09"));
    assert!(gbp.expense_note.contains("GBP 100.00 at 1.26125 USD per GBP"), "{}", gbp.expense_note);
    assert!(rep.exceptions.is_empty());
    // A bad FX file imports nothing and names the line.
    let bad = env.file("fx3.csv", "date,currency,usd_per_unit\n2026-10-01,EUR,1.1\n2026-10-02,EUR,abc\n");
    let r = env.ledger.import_fx(&bad, "t").unwrap();
    assert_eq!((r.rates, r.rejected[0].line, r.rejected[0].column.as_deref()), (0, 3, Some("usd_per_unit")));
    assert_eq!(env.count("SELECT count(*) FROM fx_rates WHERE currency = 'EUR'"), 0);
}

#[test]
fn a_rate_change_inside_a_month_and_a_zero_first_year() {
    let mut env = Env::new();
    env.ledger.set_app("157f033e-c1ae-4418-adb0-79d2bcd9d4a8", "Acme Forms", "t").unwrap();
    env.ledger.add_rate("2025-10-15", "0", None, "t").unwrap();
    env.ledger.add_rate("2026-10-15", "20", None, "t").unwrap();
    env.ledger.add_rate("2026-10-20", "10", Some(&I2.to_uppercase()), "t").unwrap();
    env.import_str(
        "a.csv",
        &itemized(&[
            Item::charge(1, "2026-10-14 23:59:59", "100.00", "3.20", I1),
            Item::charge(2, "2026-10-15 00:00:00", "100.00", "3.20", I1),
            Item::charge(3, "2026-10-21 00:00:00", "100.00", "3.20", I2),
        ]),
    );
    let rep = month(&env, "2026-10");
    assert_eq!((ev(&rep, "txn_c0001").rate.as_str(), ev(&rep, "txn_c0001").wix_share.as_str()), ("0", "0.00"));
    assert_eq!((ev(&rep, "txn_c0002").rate.as_str(), ev(&rep, "txn_c0002").wix_share.as_str()), ("20", "19.36"));
    assert_eq!((ev(&rep, "txn_c0003").rate.as_str(), ev(&rep, "txn_c0003").wix_share.as_str()), ("10", "9.68"));
    let mut csv = Vec::new();
    pl_ledger::export::write_wix(&rep, chrono_tz::UTC, &mut csv, false).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.lines().nth(1).unwrap().contains("first-year"), "{csv}");
}

#[test]
fn disputes_are_refunds_and_their_reversals_charges() {
    let mut env = Env::new();
    setup(&mut env, "20");
    let mut dispute = Item::refund(1, 1, "2026-10-06 11:05:33", "-99.00", I1);
    dispute.category = "dispute";
    dispute.fee = "15.00".into();
    dispute.txn = "txn_d1".into();
    let mut reversal = dispute.clone();
    reversal.category = "dispute_reversal";
    reversal.gross = "99.00".into();
    reversal.fee = "-15.00".into();
    reversal.txn = "txn_d2".into();
    reversal.created = "2026-10-20 09:00:00".into();
    env.import_str("d.csv", &itemized(&[Item::charge(1, "2026-10-03 20:02:40", "99.00", "3.17", I1), dispute, reversal]));
    let rep = month(&env, "2026-10");
    let d = ev(&rep, "txn_d1");
    assert_eq!((d.billing_type.as_str(), d.gross.as_str(), d.expenses.as_str(), d.net.as_str(), d.wix_share.as_str()), ("REFUND", "-99.00", "15.00", "-114.00", "-22.80"));
    let r = ev(&rep, "txn_d2");
    assert_eq!((r.billing_type.as_str(), r.gross.as_str(), r.expenses.as_str(), r.net.as_str()), ("CHARGE", "99.00", "-15.00", "114.00"));
    let i = &rep.instances[0];
    assert_eq!((i.charges, i.refunds, i.gross.as_str()), (2, 1, "99.00"));
}

#[test]
fn month_edges_follow_the_reporting_time_zone() {
    let mut env = Env::new();
    setup(&mut env, "20");
    env.ledger.set_setting("timezone", "America/New_York", "t").unwrap();
    env.import_str(
        "a.csv",
        &itemized(&[
            Item::charge(1, "2026-11-01 03:59:59", "10.00", "0.59", I1), // Oct 31, 23:59:59 EDT
            Item::charge(2, "2026-11-01 04:00:00", "20.00", "0.88", I1), // Nov 1, 00:00 EDT
            Item::charge(3, "2026-10-01 03:59:59", "30.00", "1.17", I1), // Sep 30, 23:59:59 EDT
        ]),
    );
    let oct = month(&env, "2026-10");
    assert_eq!(oct.events.iter().map(|e| e.source_id.clone().unwrap()).collect::<Vec<_>>(), vec!["txn_c0001"]);
    assert_eq!(month(&env, "2026-11").events.len(), 1);
    assert_eq!(month(&env, "2026-09").events.len(), 1);
    // The created date stays the processor's UTC instant.
    assert_eq!(oct.events[0].created_date, "2026-11-01T03:59:59Z");
    assert!(env.ledger.set_setting("timezone", "Mars/Olympus", "t").is_err());
}

#[test]
fn approval_is_refused_with_the_exceptions_then_freezes_the_month() {
    let mut env = Env::new();
    setup(&mut env, "20");
    env.import_str(
        "a.csv",
        &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1), Item::charge(2, "2026-10-03 10:00:00", "49.00", "1.72", "")]),
    );
    let err = env.ledger.approve("2026-10", "alice").unwrap_err();
    match &err {
        pl_ledger::Error::ApprovalRefused { exceptions, .. } => assert_eq!(exceptions[0].kind, "unresolved_instance"),
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains("txn_c0002"), "{err}");
    assert_eq!(month(&env, "2026-10").status, "open");
    env.ledger.map_customer("cus_0002", I2, "alice").unwrap();
    let approved = env.ledger.approve("2026-10", "alice").unwrap();
    assert_eq!(approved.status, pl_ledger::MonthStatus::Approved);
    let before = month(&env, "2026-10");
    assert_eq!(approved.totals, before.totals);
    assert!(before.events.iter().all(|e| e.state == "queued"));
    // A later rate change, or a mapping change, never alters an approved event.
    env.ledger.add_rate("2026-01-01", "50", None, "bob").unwrap();
    env.ledger.map_customer("cus_0002", I3, "bob").unwrap();
    assert_eq!(month(&env, "2026-10"), before);
    assert!(env.ledger.approve("2026-10", "alice").is_err(), "twice is refused");
    // What Wix will be sent is frozen as columns (the body is built from them when it is sent,
    // tests/outbox.rs), the month with the app id it was approved for.
    let frozen: (String, String, String, String) = env
        .ledger
        .connection()
        .query_row("SELECT gross, wix_share, billing_type, created_date FROM events WHERE id = ?1", [&before.events[0].id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .unwrap();
    assert_eq!(frozen, ("29.00".into(), "5.57".into(), "CHARGE".into(), "2026-10-02T10:00:00Z".into()));
    let app: Option<String> = env.ledger.connection().query_row("SELECT app_id FROM months WHERE month = '2026-10'", [], |r| r.get(0)).unwrap();
    assert!(app.is_some_and(|a| !a.is_empty()));
    // Its batch cannot be undone now.
    let batch = env.ledger.list_batches().unwrap()[0].id;
    let err = env.ledger.undo_batch(batch, "bob").unwrap_err().to_string();
    assert!(err.contains("approved month 2026-10"), "{err}");
}

#[test]
fn rows_arriving_after_approval_are_late_events_of_the_next_open_month() {
    let mut env = Env::new();
    setup(&mut env, "20");
    env.import_str("a.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1)]));
    env.ledger.approve("2026-10", "alice").unwrap();
    let oct = month(&env, "2026-10");
    env.import_str("b.csv", &itemized(&[Item::charge(2, "2026-10-20 10:00:00", "49.00", "1.72", I1), Item::charge(3, "2026-11-03 10:00:00", "9.00", "0.56", I1)]));
    assert_eq!(month(&env, "2026-10"), oct, "the approved month does not change");
    let nov = month(&env, "2026-11");
    let late = ev(&nov, "txn_c0002");
    assert!(late.late);
    assert_eq!(late.created_date, "2026-10-20T10:00:00Z", "keeps its own date");
    assert!(!ev(&nov, "txn_c0003").late);
    // Reopen (nothing was sent): the late row goes back to its own month.
    env.ledger.reopen("2026-10", "forgot a row", "alice").unwrap();
    assert_eq!(month(&env, "2026-10").events.len(), 2);
    assert_eq!(month(&env, "2026-11").events.len(), 1);
    assert!(env.ledger.audit_log().unwrap().iter().any(|a| a.action == "month.reopen"));
}

#[test]
fn reopen_is_refused_once_an_event_was_sent_and_needs_a_reason() {
    let mut env = Env::new();
    setup(&mut env, "20");
    env.import_str("a.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1)]));
    env.ledger.approve("2026-10", "alice").unwrap();
    assert!(env.ledger.reopen("2026-10", "  ", "alice").is_err());
    env.ledger.connection().execute("UPDATE events SET state = 'sent'", []).unwrap();
    let err = env.ledger.reopen("2026-10", "typo", "alice").unwrap_err().to_string();
    assert!(err.contains("already sent"), "{err}");
    assert_eq!(month(&env, "2026-10").status, "approved");
}

#[test]
fn manual_refunds_are_validated_and_become_refund_events() {
    let mut env = Env::new();
    setup(&mut env, "20");
    env.import_str("a.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1), Item::refund(1, 1, "2026-10-03 10:00:00", "-10.00", I1)]));
    let charge = ev(&month(&env, "2026-10"), "txn_c0001").id.clone();
    let refund = |amount: &str, date: &str, charge: Option<&str>| NewManualRefund {
        instance: I1.into(),
        date: date.into(),
        amount: amount.into(),
        fee_returned: Some("0.40".into()),
        charge: charge.map(str::to_string),
        reason: "goodwill".into(),
    };
    let mut l = env.ledger;
    assert!(l.add_manual_refund(&refund("0", "2026-10-05", None), "t").unwrap_err().to_string().contains("above 0"));
    assert!(l.add_manual_refund(&refund("-5", "2026-10-05", None), "t").is_err());
    assert!(l.add_manual_refund(&refund("5", "2999-01-01", None), "t").unwrap_err().to_string().contains("future"));
    // 29.00 charged, 10.00 refunded by Stripe: 19.00 remain.
    let err = l.add_manual_refund(&refund("19.01", "2026-10-05", Some(&charge)), "t").unwrap_err().to_string();
    assert!(err.contains("19.00"), "{err}");
    // The charge is named by its event id exactly as the event lines show it.
    for named in [charge.replacen("tx-", "tx-+", 1), charge.replacen("tx-", "mr-", 1), format!("{charge}x")] {
        let err = l.add_manual_refund(&refund("1.00", "2026-10-05", Some(&named)), "t").unwrap_err().to_string();
        assert!(err.contains("is not a charge event id"), "{named}: {err}");
    }
    let mut no_reason = refund("5", "2026-10-05", None);
    no_reason.reason = " ".into();
    assert!(l.add_manual_refund(&no_reason, "t").is_err());
    let m = l.add_manual_refund(&refund("19.00", "2026-10-05", Some(&charge)), "t").unwrap();
    let rep = l.report(&Period::parse_month("2026-10").unwrap()).unwrap();
    let e = rep.events.iter().find(|e| e.id == m.id).unwrap();
    assert_eq!((e.billing_type.as_str(), e.gross.as_str(), e.expenses.as_str(), e.net.as_str(), e.wix_share.as_str()), ("REFUND", "-19.00", "-0.40", "-18.60", "-3.72"));
    assert_eq!((e.source.as_str(), e.source_id.as_deref()), ("manual", None));
    // Nothing remains: a second refund on the charge is refused.
    assert!(l.add_manual_refund(&refund("0.01", "2026-10-06", Some(&charge)), "t").is_err());
    // Deleting works while the month is open, not after approval.
    let m2 = l.add_manual_refund(&refund("1.00", "2026-10-06", None), "t").unwrap();
    l.delete_manual_refund(&m2.id, "t").unwrap();
    l.approve("2026-10", "t").unwrap();
    assert!(l.delete_manual_refund(&m.id, "t").unwrap_err().to_string().contains("approved month"));
}

#[test]
fn a_refund_larger_than_its_charge_is_an_exception() {
    let mut env = Env::new();
    setup(&mut env, "20");
    env.import_str(
        "a.csv",
        &itemized(&[
            Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1),
            Item::refund(1, 1, "2026-10-03 10:00:00", "-20.00", I1),
            Item::refund(2, 1, "2026-10-04 10:00:00", "-10.00", I1),
            // A charge's only refund: above it, equal to it, of a charge not in the ledger.
            Item::charge(2, "2026-10-05 10:00:00", "10.00", "0.59", I1),
            Item::refund(3, 2, "2026-10-06 10:00:00", "-10.01", I1),
            Item::charge(3, "2026-10-07 10:00:00", "10.00", "0.59", I2),
            Item::refund(4, 3, "2026-10-08 10:00:00", "-10.00", I2),
            Item::refund(5, 99, "2026-10-09 10:00:00", "-500.00", I2),
        ]),
    );
    let rep = month(&env, "2026-10");
    let over: Vec<(&str, &str)> = rep.exceptions.iter().map(|e| (e.kind.as_str(), e.source_id.as_str())).collect();
    assert_eq!(over, [("refund_exceeds_charge", "txn_r0002"), ("refund_exceeds_charge", "txn_r0003")]);
}

/// The refund check reads a refund's charge from the month's own scan when it can and from the
/// ledger when it cannot: a charge of an approved month, a charge without an instance, an undone
/// charge, a charge in another currency, a charge imported twice. Its exceptions keep their
/// place among the scan's others, in the month report and in the exceptions of every month.
#[test]
fn the_refund_check_finds_each_refunds_charge_wherever_it_is() {
    let mut env = Env::new();
    setup(&mut env, "20");
    env.import_str(
        "sep.csv",
        &itemized(&[Item::charge(10, "2026-09-10 10:00:00", "10.00", "0.59", I1), Item::charge(11, "2026-09-11 10:00:00", "10.00", "0.59", I1)]),
    );
    env.ledger.approve("2026-09", "t").unwrap();
    // A charge that will be undone, in a file of its own.
    let undone = env.import_str("undone.csv", &itemized(&[Item::charge(15, "2026-10-01 09:00:00", "10.00", "0.59", I1)])).batch_id.unwrap();
    let eur = |mut i: Item| {
        i.currency = "eur";
        i
    };
    let mut twice = Item::charge(14, "2026-10-04 10:00:00", "10.00", "0.59", I1);
    twice.txn = "txn_c0014b".into();
    env.import_str(
        "oct.csv",
        &itemized(&[
            Item::charge(12, "2026-10-02 10:00:00", "5.00", "0.45", ""),
            eur(Item::charge(13, "2026-10-03 10:00:00", "5.00", "0.45", I2)),
            Item::charge(14, "2026-10-04 10:00:00", "10.00", "0.59", I1),
            twice,
            Item::charge(16, "2026-10-05 10:00:00", "10.00", "0.59", I3),
            // Over the approved month's charge; equal to the other one.
            Item::refund(20, 10, "2026-10-06 10:00:00", "-10.01", I1),
            Item::refund(21, 11, "2026-10-06 11:00:00", "-10.00", I1),
            // Over a charge without an instance; a USD refund of a EUR charge has no charge.
            Item::refund(22, 12, "2026-10-07 10:00:00", "-6.00", I2),
            Item::refund(23, 13, "2026-10-07 11:00:00", "-50.00", I2),
            // Over a charge imported twice; over an undone charge (none).
            Item::refund(24, 14, "2026-10-08 10:00:00", "-10.01", I1),
            Item::refund(25, 15, "2026-10-09 10:00:00", "-20.00", I1),
            // Over a charge of the same month, three weeks later (another slice of the scan).
            Item::refund(26, 16, "2026-10-28 10:00:00", "-10.50", I3),
            eur(Item::charge(17, "2026-10-29 10:00:00", "5.00", "0.45", I2)),
        ]),
    );
    env.ledger.undo_batch(undone, "t").unwrap();
    let expected = [
        ("missing_fx_rate", "txn_c0013"),
        ("refund_exceeds_charge", "txn_r0020"),
        ("refund_exceeds_charge", "txn_r0022"),
        ("refund_exceeds_charge", "txn_r0024"),
        ("refund_exceeds_charge", "txn_r0026"),
        ("missing_fx_rate", "txn_c0017"),
    ];
    let of_rows = |ex: &[pl_ledger::Exception]| -> Vec<(String, String)> {
        ex.iter().filter(|e| e.txn_id.is_some() && e.kind.as_str() != "unresolved_instance").map(|e| (e.kind.as_str().to_string(), e.source_id.clone())).collect()
    };
    let want: Vec<(String, String)> = expected.iter().map(|(k, s)| (k.to_string(), s.to_string())).collect();
    assert_eq!(of_rows(&month(&env, "2026-10").exceptions), want, "the month report");
    assert_eq!(of_rows(&env.ledger.exceptions(Some("2026-10")).unwrap()), want, "the month's exceptions");
    assert_eq!(of_rows(&env.ledger.exceptions(None).unwrap()), want, "every month's exceptions");
    let refund = month(&env, "2026-10").exceptions.into_iter().find(|e| e.source_id == "txn_r0026").unwrap();
    assert_eq!((refund.source.as_str(), refund.row_kind.as_str(), refund.created_date.as_str()), ("stripe-itemized", "refund", "2026-10-28T10:00:00Z"));
    assert!(refund.file.starts_with("oct.csv:") && refund.file != "oct.csv:0", "{}", refund.file);
}

/// Enough refunds for the check to be shared between the report's readers: the same refunds
/// are found over, in the scan's order.
#[test]
fn many_refunds_are_checked_side_by_side_in_the_scans_order() {
    let mut env = Env::new();
    setup(&mut env, "20");
    let mut items = Vec::new();
    let mut want = Vec::new();
    for n in 0..1500u32 {
        let (day, minute) = (1 + n % 28, n / 28);
        items.push(Item::charge(n, &format!("2026-10-{day:02} 00:{minute:02}:00"), "10.00", "0.59", [I1, I2, I3][n as usize % 3]));
    }
    for n in 0..1500u32 {
        let (day, minute) = (1 + n % 28, n / 28);
        let over = n % 7 == 3;
        items.push(Item::refund(n, n, &format!("2026-10-{day:02} 12:{minute:02}:00"), if over { "-10.01" } else { "-10.00" }, [I1, I2, I3][n as usize % 3]));
        if over {
            want.push(((day, minute), format!("txn_r{n:04}")));
        }
    }
    env.import_str("oct.csv", &itemized(&items));
    want.sort();
    let want: Vec<String> = want.into_iter().map(|(_, id)| id).collect();
    let over = |ex: Vec<pl_ledger::Exception>| -> Vec<String> {
        ex.into_iter().filter(|e| e.kind.as_str() == "refund_exceeds_charge").map(|e| e.source_id).collect()
    };
    assert_eq!(want.len(), 214);
    assert_eq!(over(month(&env, "2026-10").exceptions), want);
    assert_eq!(over(env.ledger.exceptions(None).unwrap()), want);
}

#[test]
fn the_payout_check_compares_a_payout_with_its_items() {
    let mut env = Env::new();
    setup(&mut env, "20");
    env.import(&samples().join("stripe_balance_history.csv"));
    let rep = month(&env, "2024-05");
    assert_eq!(rep.payouts.len(), 1);
    let p = &rep.payouts[0];
    assert_eq!((p.amount.as_str(), p.items_net.as_str(), p.items, p.matches), ("1236.55", "1236.55", 7, true));
    // A payout whose items are not all in the ledger warns; items arriving later complete it.
    let mut env = Env::new();
    setup(&mut env, "20");
    let full = std::fs::read_to_string(samples().join("stripe_balance_history.csv")).unwrap();
    let missing: String = full.lines().filter(|l| !l.contains("chg0002")).map(|l| format!("{l}\n")).collect();
    env.import_str("partial.csv", &missing);
    let p = month(&env, "2024-05").payouts[0].clone();
    assert_eq!((p.items, p.items_net.as_str(), p.matches), (6, "23.10", false));
    let second = env.import_str("full.csv", &full);
    assert_eq!(second.imported, 1);
    assert!(month(&env, "2024-05").payouts[0].matches);
    // Undoing the batch that brought an item takes it out again.
    env.ledger.undo_batch(second.batch_id.unwrap(), "t").unwrap();
    assert_eq!(month(&env, "2024-05").payouts[0].items, 6);
}

#[test]
fn exports_are_safe_against_formula_injection_and_follow_wix_names() {
    let mut env = Env::new();
    setup(&mut env, "20");
    let mut evil = Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1);
    evil.description = "=HYPERLINK(\"http://x\",\"y\")".into();
    let mut plus = Item::charge(2, "2026-10-03 10:00:00", "9.00", "0.56", I1);
    plus.description = "+cmd|' /C calc'!A0".into();
    env.import_str("a.csv", &itemized(&[evil, plus, Item::refund(1, 1, "2026-10-04 10:00:00", "-29.00", I1)]));
    let rep = month(&env, "2026-10");
    let mut out = Vec::new();
    pl_ledger::export::write_wix(&rep, chrono_tz::UTC, &mut out, true).unwrap();
    assert!(out.starts_with("\u{feff}".as_bytes()), "--excel adds a BOM");
    let text = String::from_utf8(out).unwrap();
    let mut rdr = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(rdr.headers().unwrap().iter().collect::<Vec<_>>(), pl_ledger::export::WIX_COLUMNS.to_vec());
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][3], "'=HYPERLINK(\"http://x\",\"y\")");
    assert_eq!(&rows[1][3], "'+cmd|' /C calc'!A0");
    assert_eq!(&rows[0][2], "02/10/2026");
    // Amounts stay plain numbers, negative ones too.
    assert_eq!(&rows[2][4], "-29.00");
    assert_eq!(&rows[2][8], "-5.80");
    assert!(rows[0][7].starts_with("20% of net 27.86"));
    assert_eq!(Period::parse_quarter("2026-Q4").unwrap().wix_file_name("Acme Forms"), "Acme Forms Billing Report - Q4 2026.csv");
    assert_eq!(Period::parse_month("2026-10").unwrap().wix_file_name("Acme Forms"), "Acme Forms Billing Report - October 2026.csv");
    assert!(Period::parse_quarter("2026-Q5").is_err());
    let mut inst = Vec::new();
    pl_ledger::export::write_instances(&rep, &mut inst, false).unwrap();
    let inst = String::from_utf8(inst).unwrap();
    assert!(inst.lines().last().unwrap().starts_with("Total,2,1,9.00,"), "{inst}");
}

#[test]
fn a_quarter_report_spans_its_three_months() {
    let mut env = Env::new();
    setup(&mut env, "20");
    env.import_str(
        "a.csv",
        &itemized(&[
            Item::charge(1, "2026-09-30 10:00:00", "1.00", "0.00", I1),
            Item::charge(2, "2026-10-02 10:00:00", "2.00", "0.00", I1),
            Item::charge(3, "2026-12-31 23:00:00", "3.00", "0.00", I1),
            Item::charge(4, "2027-01-01 00:00:00", "4.00", "0.00", I1),
        ]),
    );
    let q = env.ledger.report(&Period::parse_quarter("2026-Q4").unwrap()).unwrap();
    assert_eq!((q.quarter.as_deref(), q.month.as_deref(), q.totals.gross.as_str()), (Some("2026-Q4"), None, "5.00"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]
    /// Totals are the sums of the event values; net = gross − expenses for every event; the Wix
    /// CSV's Owed column sums to the report's Wix share.
    #[test]
    fn totals_reconcile_to_the_cent(
        rows in proptest::collection::vec((1u32..100_000, 0u32..500, 0usize..3, any::<bool>()), 1..25),
        percent in 0u32..=30,
        half in any::<bool>(),
        deduct in any::<bool>(),
    ) {
        let mut env = Env::new();
        let pct = if half { format!("{percent}.5") } else { percent.to_string() };
        setup(&mut env, &pct);
        env.ledger.set_setting("deduct_processor_fees", if deduct { "true" } else { "false" }, "t").unwrap();
        let inst = [I1, I2, I3];
        let mut items = Vec::new();
        for (n, (cents, fee, i, refund)) in rows.iter().enumerate() {
            let gross = Decimal::new(*cents as i64, 2);
            let fee = Decimal::new(*fee as i64, 2);
            let mut it = Item::charge(n as u32, &format!("2026-10-{:02} 10:00:00", 1 + n % 28), &gross.to_string(), &fee.to_string(), inst[*i]);
            if *refund {
                it.category = "refund";
                it.gross = (-gross).to_string();
                it.charge_id = "ch_none".into();
            }
            items.push(it);
        }
        env.import_str("p.csv", &itemized(&items));
        let rep = month(&env, "2026-10");
        prop_assert_eq!(rep.events.len(), rows.len());
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let mut sums = [Decimal::ZERO; 4];
        for e in &rep.events {
            prop_assert_eq!(d(&e.net), d(&e.gross) - d(&e.expenses));
            for (k, v) in [&e.gross, &e.expenses, &e.net, &e.wix_share].into_iter().enumerate() {
                prop_assert_eq!(d(v).scale(), 2);
                sums[k] += d(v);
            }
        }
        let t = &rep.totals;
        prop_assert_eq!([d(&t.gross), d(&t.expenses), d(&t.net), d(&t.wix_share)], sums);
        let inst_share: Decimal = rep.instances.iter().map(|i| d(&i.wix_share)).sum();
        prop_assert_eq!(inst_share, d(&t.wix_share));
        let mut out = Vec::new();
        pl_ledger::export::write_wix(&rep, chrono_tz::UTC, &mut out, false).unwrap();
        let mut rdr = csv::Reader::from_reader(out.as_slice());
        let owed: Decimal = rdr.records().map(|r| d(&r.unwrap()[8])).sum();
        prop_assert_eq!(owed, d(&t.wix_share));
    }
}

#[test]
fn refund_rate_original_charge_takes_the_rate_of_the_charge() {
    let mut env = Env::new();
    env.ledger.set_app("157f033e-c1ae-4418-adb0-79d2bcd9d4a8", "Acme Forms", "t").unwrap();
    // Year one at 0 %, year two at 20 %.
    env.ledger.add_rate("2024-01-01", "0", None, "t").unwrap();
    env.ledger.add_rate("2025-01-01", "20", None, "t").unwrap();
    env.import_str(
        "a.csv",
        &itemized(&[
            Item::charge(1, "2024-11-03 10:00:00", "100.00", "3.20", I1),
            Item::refund(1, 1, "2025-11-04 10:00:00", "-100.00", I1),
            // A refund whose charge is not in the ledger keeps its own date's rate.
            Item::refund(2, 9, "2025-11-05 10:00:00", "-10.00", I1),
        ]),
    );
    let wix = |env: &Env| -> Vec<Vec<String>> {
        let rep = month(env, "2025-11");
        let mut csv = Vec::new();
        pl_ledger::export::write_wix(&rep, chrono_tz::UTC, &mut csv, false).unwrap();
        csv::Reader::from_reader(&csv[..]).records().map(|r| r.unwrap().iter().map(str::to_string).collect()).collect()
    };
    // Default (event_date): the refund claws back 20 % of a charge Wix took nothing of.
    let rep = month(&env, "2025-11");
    assert_eq!((ev(&rep, "txn_r0001").rate.as_str(), ev(&rep, "txn_r0001").wix_share.as_str()), ("20", "-20.00"));
    assert_eq!(ev(&rep, "txn_r0001").rate_basis, "rate in force on 2025-11-04");
    assert_eq!(wix(&env)[0][7], "20% of net -100.00 = -20.00 (rate in force on 2025-11-04)");

    let err = env.ledger.set_setting("refund_rate", "charge_date", "t").unwrap_err().to_string();
    assert!(err.contains("event_date, original_charge"), "{err}");
    env.ledger.set_setting("refund_rate", "original_charge", "t").unwrap();
    let rep = month(&env, "2025-11");
    let r1 = ev(&rep, "txn_r0001");
    assert_eq!((r1.rate.as_str(), r1.wix_share.as_str(), r1.rate_basis.as_str()), ("0", "0.00", "rate of the original charge of 2024-11-03"));
    let r2 = ev(&rep, "txn_r0002");
    assert_eq!((r2.rate.as_str(), r2.wix_share.as_str(), r2.rate_basis.as_str()), ("20", "-2.00", "rate in force on 2025-11-05"));
    let rows = wix(&env);
    assert_eq!(rows[0][7], "0% of net -100.00 = 0.00 (rate of the original charge of 2024-11-03; 0% revenue share: first-year eligibility)");
    assert_eq!(rows[1][7], "20% of net -10.00 = -2.00 (rate in force on 2025-11-05)");

    // A manual refund of the charge takes its rate too.
    let charge = format!("tx-{}", env.count("SELECT id FROM txns WHERE source_id = 'txn_c0001'"));
    let mr = NewManualRefund {
        instance: I1.into(),
        date: "2025-11-20".into(),
        amount: "0.00".into(),
        fee_returned: None,
        charge: Some(charge),
        reason: "goodwill".into(),
    };
    assert!(env.ledger.add_manual_refund(&mr, "t").is_err(), "nothing left of the charge to refund");
    env.ledger.add_rate("2024-01-01", "0", Some(I2), "t").unwrap();
    env.import_str("b.csv", &itemized(&[Item::charge(3, "2024-12-01 10:00:00", "50.00", "1.00", I2)]));
    let charge = format!("tx-{}", env.count("SELECT id FROM txns WHERE source_id = 'txn_c0003'"));
    env.ledger.add_manual_refund(&NewManualRefund { instance: I2.into(), amount: "20.00".into(), charge: Some(charge), ..mr }, "t").unwrap();
    let rep = month(&env, "2025-11");
    let m = rep.events.iter().find(|e| e.source == "manual").unwrap();
    assert_eq!((m.rate.as_str(), m.wix_share.as_str(), m.rate_basis.as_str()), ("0", "0.00", "rate of the original charge of 2024-12-01"));

    // Approval freezes the rate and its words: changing the setting back changes nothing.
    env.ledger.approve("2025-11", "t").unwrap();
    env.ledger.set_setting("refund_rate", "event_date", "t").unwrap();
    let rep = month(&env, "2025-11");
    assert_eq!((ev(&rep, "txn_r0001").rate.as_str(), ev(&rep, "txn_r0001").rate_basis.as_str()), ("0", "rate of the original charge of 2024-11-03"));
    assert_eq!(wix(&env)[0][7], rows[0][7]);
}

#[test]
fn a_paypal_withdrawal_is_not_checked_as_an_itemized_payout() {
    let mut env = Env::new();
    setup(&mut env, "20");
    env.ledger.set_setting("date_order", "month-first", "t").unwrap();
    let text = format!(
        "{PAYPAL_HEADER}\n{}\n{}\n",
        pp("10/02/2025", "10:00:00", "Express Checkout Payment", "USD", "110.00", "-3.50", "106.50", "PAY1", "0.00", "", I1, "Credit"),
        pp("10/20/2025", "10:00:00", "General Withdrawal", "USD", "-100.00", "0.00", "-100.00", "WD1", "0.00", "", "", "Debit"),
    );
    env.import_str("pp.csv", &text);
    assert_eq!(env.count("SELECT count(*) FROM txns WHERE kind = 'payout'"), 1, "the withdrawal is a payout row");
    let rep = month(&env, "2025-10");
    assert!(rep.payouts.is_empty(), "{:#?}", rep.payouts);
}

#[test]
fn a_month_with_only_manual_refunds_is_listed() {
    let mut env = Env::new();
    setup(&mut env, "20");
    env.import_str("a.csv", &itemized(&[Item::charge(1, "2026-08-02 10:00:00", "29.00", "1.14", I1)]));
    let refund = NewManualRefund {
        instance: I1.into(),
        date: "2026-10-05".into(),
        amount: "5.00".into(),
        fee_returned: None,
        charge: None,
        reason: "goodwill".into(),
    };
    env.ledger.add_manual_refund(&refund, "t").unwrap();
    let months: Vec<String> = env.ledger.months().unwrap().into_iter().map(|m| m.month).collect();
    assert_eq!(months, vec!["2026-10", "2026-09", "2026-08"], "October holds only the manual refund");
}
