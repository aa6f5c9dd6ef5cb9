//! PayPal fixtures: UK and German locales, date-order decisions, time zones across DST,
//! pending/update, memo, holds sharing an id, chargebacks, the three-row conversion.

mod common;

use common::*;
use pl_import::{DateOrder, Format, ImportError, NumberStyle, ParseOptions, RowKind};

#[test]
fn uk_day_first_decided_by_a_day_above_12() {
    let (p, rows) = ok("paypal_uk.csv");
    assert_eq!(p.date_order, Some(DateOrder::DayFirst));
    assert_eq!(row(&rows, "UK0001").occurred_at, ts("2024-03-02T10:00:00Z"), "02/03 is 2 March, GMT");
    let b = row(&rows, "UK0002");
    assert_eq!(b.occurred_at, ts("2024-04-15T09:00:00Z"), "10:00 BST");
    assert_eq!((b.currency.as_str(), b.gross, b.fee, b.net), ("GBP", d("1560.00"), d("52.89"), d("1507.11")));
}

#[test]
fn undecidable_dates_ask_for_date_order() {
    let out = parse("paypal_undecidable.csv", &ParseOptions::default());
    let e = out.parsed.unwrap_err();
    assert!(matches!(e, ImportError::UndecidableDateOrder { line: 2, .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "cannot tell whether the dates in column `Date` are day-first or month-first (e.g. `05/01/2024` on line 2); choose the file's date order: day-first or month-first"
    );
    assert!(out.rows.is_empty() && out.errors.is_empty());

    let day_first = ParseOptions { date_order: Some(DateOrder::DayFirst), ..Default::default() };
    let out = parse("paypal_undecidable.csv", &day_first);
    assert_eq!(out.parsed.unwrap().date_order, Some(DateOrder::DayFirst));
    assert_eq!(row(&out.rows, "UD0002").occurred_at, ts("2024-02-06T16:14:07Z"));

    let month_first = ParseOptions { date_order: Some(DateOrder::MonthFirst), ..Default::default() };
    let out = parse("paypal_undecidable.csv", &month_first);
    assert_eq!(row(&out.rows, "UD0002").occurred_at, ts("2024-06-02T16:14:07Z"));
}

#[test]
fn option_contradicting_the_file_is_refused() {
    let opts = ParseOptions { date_order: Some(DateOrder::MonthFirst), ..Default::default() };
    let e = parse("paypal_uk.csv", &opts).parsed.unwrap_err();
    assert!(matches!(e, ImportError::DateOrderConflict { line: 3, .. }), "{e:?}");
}

#[test]
fn contradictory_dates_are_a_file_error() {
    let e = parse("paypal_contradictory.csv", &ParseOptions::default()).parsed.unwrap_err();
    match &e {
        ImportError::ContradictoryDateOrder { day_first_line, month_first_line, .. } => {
            assert_eq!((*day_first_line, *month_first_line), (2, 3))
        }
        other => panic!("{other:?}"),
    }
    // the operator's option does not override a contradiction
    let opts = ParseOptions { date_order: Some(DateOrder::DayFirst), ..Default::default() };
    assert!(parse("paypal_contradictory.csv", &opts).parsed.is_err());
}

#[test]
fn pst_pdt_across_the_dst_switch_and_unknown_zone() {
    let out = parse("paypal_dst.csv", &ParseOptions::default());
    assert_eq!(out.parsed.unwrap().date_order, Some(DateOrder::MonthFirst));
    assert_eq!(row(&out.rows, "DS0001").occurred_at, ts("2024-03-10T07:30:00Z"));
    assert_eq!(row(&out.rows, "DS0002").occurred_at, ts("2024-03-10T09:59:59Z"));
    assert_eq!(row(&out.rows, "DS0003").occurred_at, ts("2024-03-10T10:00:00Z"), "03:00 PDT follows 01:59:59 PST");
    assert_eq!(row(&out.rows, "DS0004").occurred_at, ts("2024-03-13T16:00:00Z"));
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].to_string(), "line 6, column `TimeZone`: unknown time zone abbreviation `XYZ`");
}

#[test]
fn german_file() {
    let (p, rows) = ok("paypal_de.csv");
    assert_eq!(p.format, Format::PaypalActivity);
    assert_eq!(p.number_style, NumberStyle::Comma);
    let pay = row(&rows, "DE0001");
    assert_eq!(pay.kind, RowKind::Charge);
    assert_eq!((pay.currency.as_str(), pay.gross, pay.fee, pay.net), ("EUR", d("4626.81"), d("161.94"), d("4464.87")));
    assert_eq!(pay.occurred_at, ts("2024-03-30T22:00:00Z"), "23:00 CET");
    assert_eq!(pay.instance_meta.as_deref(), Some("b2e47d10-8a3c-4f65-b1d9-7e0c3a5f9b82"));
    assert_eq!(pay.customer_key.as_deref(), Some("kunde@firma.example"));
    assert_eq!(pay.description.as_deref(), Some("Enterprise-Plan"));
    assert_eq!(pay.dedup_key, "paypal:DE0001|Express-Checkout-Zahlung|EUR|4626.81");
    let debit = row(&rows, "DE0002");
    assert_eq!((debit.kind, debit.gross), (RowKind::Conversion, d("-4464.87")));
    assert_eq!(debit.occurred_at, ts("2024-03-31T01:00:00Z"), "03:00 CEST");
    let credit = row(&rows, "DE0003");
    assert_eq!((credit.kind, credit.currency.as_str(), credit.gross), (RowKind::Conversion, "USD", d("4812.13")));
    assert_eq!(credit.conversion_ref.as_deref(), Some("DE0001"));
    assert_eq!(debit.conversion_ref.as_deref(), Some("DE0001"));
    let refund = row(&rows, "DE0004");
    assert_eq!((refund.kind, refund.fee, refund.original_ref.as_deref()), (RowKind::Refund, d("-0.87"), Some("DE0001")));
    let pending = row(&rows, "DE0005");
    assert_eq!((pending.kind, pending.skip_reason.as_deref()), (RowKind::Skipped, Some("status Ausstehend")));
    assert!(pending.dedup_key.ends_with("|Ausstehend"));
}

#[test]
fn events_holds_memo_pending_chargebacks() {
    let (_, rows) = ok("paypal_events.csv");
    let by_line = |l: u32| rows.iter().find(|r| r.line == l).unwrap();
    let pay = by_line(2);
    assert_eq!((pay.kind, pay.gross, pay.tax), (RowKind::Charge, d("110.00"), d("10.00")));
    // payment, hold and release share a Transaction ID but not a dedup key
    let hold = by_line(3);
    let release = by_line(4);
    assert_eq!((hold.kind, release.kind), (RowKind::Hold, RowKind::Hold));
    assert_eq!(hold.source_id, "EV0001");
    let keys: std::collections::HashSet<_> = rows.iter().map(|r| r.dedup_key.as_str()).collect();
    assert_eq!(keys.len(), rows.len(), "every row has its own key");
    assert_eq!(hold.dedup_key, "paypal:EV0001|Payment Hold|USD|-106.5");
    // pending + its update
    let pending = by_line(5);
    assert_eq!((pending.kind, pending.skip_reason.as_deref()), (RowKind::Skipped, Some("status Pending")));
    let update = by_line(6);
    assert_eq!((update.kind, update.source_id.as_str()), (RowKind::Charge, "EV0002"));
    assert_eq!(update.instance_meta.as_deref(), Some("site-b"), "non-GUID kept raw");
    // memo
    let memo = by_line(7);
    assert_eq!((memo.kind, memo.skip_reason.as_deref()), (RowKind::Skipped, Some("balance impact Memo")));
    // chargeback, its fee, its reversal
    let cb = by_line(8);
    assert_eq!((cb.kind, cb.gross, cb.original_ref.as_deref()), (RowKind::Dispute, d("-110.00"), Some("EV0001")));
    assert_eq!(cb.customer_key.as_deref(), Some("a@shop.example"));
    let fee = by_line(9);
    assert_eq!((fee.kind, fee.gross), (RowKind::Fee, d("-20.00")));
    let rev = by_line(10);
    assert_eq!((rev.kind, rev.original_ref.as_deref()), (RowKind::DisputeReversal, Some("EV0001")));
    // money the account paid: kept as `sent`, never a charge (SPEC §2 "Direction")
    let sent = by_line(11);
    assert_eq!((sent.kind, sent.gross, sent.skip_reason.as_deref()), (RowKind::Sent, d("-4.00"), None));
    assert_eq!(sent.type_name.as_deref(), Some("Payment Sent"));
    assert_eq!(sent.customer_key.as_deref(), Some("x@example"), "the receiver of money going out");
    let denied = by_line(12);
    assert_eq!(denied.skip_reason.as_deref(), Some("status Denied"));
    assert!(rows.iter().all(|r| !format!("{r:?}").contains("\\r")), "no CR is left in any field of a CRLF file");
}

#[test]
fn missing_required_column_is_named() {
    let e = parse("paypal_missing_status.csv", &ParseOptions::default()).parsed.unwrap_err();
    assert_eq!(e.to_string(), "paypal-activity file lacks the required column `Status`");
}

#[test]
fn the_same_row_from_an_overlapping_export_has_the_same_key() {
    // Excel re-saved: unquoted, `29` instead of `29.00`: same key.
    let a = "Date,Time,TimeZone,Type,Status,Currency,Gross,Transaction ID\n06/13/2024,10:00:00,PDT,Website Payment,Completed,USD,29.00,K1\n";
    let b = "Date,Time,TimeZone,Type,Status,Currency,Gross,Transaction ID\n06/13/2024,10:00,PDT,Website Payment,Completed,USD,29,K1\n";
    let key = |s: &str| {
        let mut k = String::new();
        pl_import::parse_bytes(s.as_bytes(), &ParseOptions::default(), |r| k = r.dedup_key, |e| panic!("{e}")).unwrap();
        k
    };
    assert_eq!(key(a), key(b));
}
