//! Direction and unknown types (SPEC §2 "Direction, unknown types, conflicts, bounds"): payments
//! the account sent are `Sent`, never charges; income of an unknown type is `Unclassified` with its
//! type name, never dropped; Stripe signs are checked, never corrected; types ignore case.
//! Fixtures are invented in the shape of real US, German and column-less PayPal downloads and
//! Stripe reports.

mod common;

use common::*;
use pl_import::{Format, Mapping, ParseOptions, Row, RowError, RowKind};

fn by_line(rows: &[Row], line: u32) -> &Row {
    rows.iter().find(|r| r.line == line).unwrap_or_else(|| panic!("no row on line {line}"))
}

fn error_on(errors: &[RowError], line: u32) -> &RowError {
    errors.iter().find(|e| e.line == line).unwrap_or_else(|| panic!("no error on line {line}: {errors:?}"))
}

#[test]
fn paypal_payments_sent_are_sent_with_balance_impact() {
    let (_, rows) = ok("paypal_sent_us.csv");
    let charge = row(&rows, "SP0001");
    assert_eq!((charge.kind, charge.gross, charge.type_name.as_deref()), (RowKind::Charge, d("29.00"), Some("Express Checkout Payment")));
    for (id, typ, gross) in [
        ("SP0002", "Website Payment", "-195.00"),
        ("SP0003", "Subscription Payment", "-9.99"),
        ("SP0004", "PreApproved Payment Bill User Payment", "-7.00"),
        ("SP0005", "Recurring Payment Sent", "-12.00"),
        ("SP0006", "Shopping Cart Payment", "-45.50"),
    ] {
        let r = row(&rows, id);
        assert_eq!((r.kind, r.gross, r.type_name.as_deref()), (RowKind::Sent, d(gross), Some(typ)), "{id}");
        assert_eq!(r.charge_ref, None, "{id}: a payment sent is nothing a refund can point to");
    }
    assert_eq!(row(&rows, "SP0002").customer_key.as_deref(), Some("sales@hosting.example"), "the receiver");
    assert_eq!(row(&rows, "SP0002").original_ref, None);
    // a billing agreement id is kept: the ledger finds no payment received under it
    assert_eq!(row(&rows, "SP0004").original_ref.as_deref(), Some("B-7XK20391PL448812A"));
    // the AUD purchase and its own conversion pair: nothing becomes a charge
    let aud = row(&rows, "SP0007");
    assert_eq!((aud.kind, aud.currency.as_str(), aud.gross), (RowKind::Sent, "AUD", d("-50.00")));
    for id in ["SP0008", "SP0009"] {
        let c = row(&rows, id);
        assert_eq!((c.kind, c.conversion_ref.as_deref()), (RowKind::Conversion, Some("SP0007")), "{id}");
    }
    // money paid back under a payment type, pointing to a payment received: a refund candidate
    let back = row(&rows, "SP0010");
    assert_eq!((back.kind, back.original_ref.as_deref()), (RowKind::Sent, Some("SP0001")));
    assert_eq!(back.type_name.as_deref(), Some("website payment"), "as written");
    // the real refund type is a refund
    let refund = row(&rows, "SP0018");
    assert_eq!((refund.kind, refund.original_ref.as_deref(), refund.fee), (RowKind::Refund, Some("SP0001"), d("-0.87")));
    assert_eq!(row(&rows, "SP0019").kind, RowKind::Payout);
    assert!(!rows.iter().any(|r| r.kind == RowKind::Charge && r.gross.is_sign_negative()), "no negative charge");
    assert_eq!(rows.iter().filter(|r| r.kind == RowKind::Charge).count(), 1, "only SP0001 is revenue");
}

#[test]
fn paypal_unknown_income_is_unclassified_and_funding_skipped() {
    let (_, rows) = ok("paypal_sent_us.csv");
    for (id, typ) in [
        ("SP0011", "General Payment"),
        ("SP0012", "Mobile Payment"),
        ("SP0013", "eBay Auction Payment"),
        ("SP0014", "Donation Payment"),
    ] {
        let r = row(&rows, id);
        assert_eq!((r.kind, r.type_name.as_deref(), r.skip_reason.as_deref()), (RowKind::Unclassified, Some(typ), None), "{id}");
        assert_eq!(r.charge_ref.as_deref(), Some(id), "{id}: classified as a charge later, refunds can point to it");
    }
    let g = row(&rows, "SP0011");
    assert_eq!((g.gross, g.fee, g.customer_key.as_deref()), (d("15.00"), d("0.74"), Some("friend@mail.example")));
    for (id, typ) in [
        ("SP0015", "Bank Deposit to PP Account"),
        ("SP0016", "Charge From Debit Card"),
        ("SP0017", "General Credit Card Deposit"),
    ] {
        let r = row(&rows, id);
        assert_eq!(r.kind, RowKind::Skipped, "{id}");
        assert_eq!(r.skip_reason.as_deref(), Some(format!("type {typ} (money moved into or out of the account, not revenue)").as_str()));
        assert_eq!(r.type_name.as_deref(), Some(typ));
    }
}

#[test]
fn paypal_without_balance_impact_the_sign_decides() {
    let (_, rows) = ok("paypal_sent_no_impact.csv");
    let kinds: Vec<(u32, RowKind)> = rows.iter().map(|r| (r.line, r.kind)).collect();
    use RowKind::*;
    assert_eq!(kinds, [(2, Sent), (3, Skipped), (4, Sent), (5, Charge), (6, Unclassified), (7, Skipped), (8, Skipped), (9, Sent)]);
    assert_eq!(by_line(&rows, 3).skip_reason.as_deref(), Some("status Pending"));
    assert_eq!(by_line(&rows, 3).type_name.as_deref(), Some("Bank Deposit to PP Account"), "trimmed");
    assert_eq!(by_line(&rows, 7).skip_reason.as_deref(), Some("type Shopping Cart Item (an item of a shopping cart payment, counted on the payment)"));
    assert_eq!(by_line(&rows, 8).skip_reason.as_deref(), Some("type General Authorization (an authorization: no money moved)"));
    assert_eq!(by_line(&rows, 9).original_ref.as_deref(), Some("NI0004"), "a refund candidate");
}

#[test]
fn paypal_german_soll_haben() {
    let (p, rows) = ok("paypal_de_sent.csv");
    assert_eq!(p.format, Format::PaypalActivity);
    let sent = row(&rows, "GS0001");
    assert_eq!((sent.kind, sent.gross, sent.type_name.as_deref()), (RowKind::Sent, d("-19.99"), Some("Website-Zahlung")));
    assert_eq!(sent.occurred_at, ts("2024-06-14T12:32:15Z"), "MESZ");
    for id in ["GS0002", "GS0004", "GS0005"] {
        assert_eq!(row(&rows, id).kind, RowKind::Unclassified, "{id}");
    }
    assert_eq!(row(&rows, "GS0002").type_name.as_deref(), Some("Handyzahlung"));
    let c = row(&rows, "GS0003");
    assert_eq!((c.kind, c.gross, c.fee), (RowKind::Charge, d("49.00"), d("1.75")));
    assert_eq!(row(&rows, "GS0006").kind, RowKind::Skipped, "card funding");
    let r = row(&rows, "GS0007");
    assert_eq!((r.kind, r.original_ref.as_deref()), (RowKind::Refund, Some("GS0003")));
    assert_eq!(row(&rows, "GS0008").kind, RowKind::Sent, "Zahlung im Einzugsverfahren (preapproved), Soll");
}

#[test]
fn paypal_bad_cells_each_name_line_and_column() {
    let out = parse("paypal_bad_cells.csv", &ParseOptions::default());
    out.parsed.as_ref().unwrap();
    let good: Vec<&str> = out.rows.iter().map(|r| r.source_id.as_str()).collect();
    assert_eq!(good, ["BC0001", "BC0012"], "999,999,999,999.99 has 12 integer digits: allowed");
    let col = |line: u32| error_on(&out.errors, line).column.clone().unwrap_or_default();
    assert_eq!(out.errors.len(), 10, "{:#?}", out.errors);
    assert_eq!(col(3), "Balance Impact");
    assert!(error_on(&out.errors, 3).reason.contains("`Credit` says money in but `Gross` is -10.00"), "{}", error_on(&out.errors, 3));
    assert_eq!(col(4), "Balance Impact");
    assert!(error_on(&out.errors, 4).reason.contains("`Debit` says money out"));
    assert_eq!((col(5), error_on(&out.errors, 5).reason.as_str()), ("Type".into(), "the type is empty"));
    assert_eq!((col(6), error_on(&out.errors, 6).reason.as_str()), ("Status".into(), "the status is empty"));
    assert_eq!(col(7), "Status");
    assert!(error_on(&out.errors, 7).reason.starts_with("`Compl3ted` is not a PayPal status"));
    assert_eq!(col(8), "Gross");
    assert!(error_on(&out.errors, 8).reason.contains("`Payment Refund` with money coming in (29.00)"));
    assert_eq!(col(9), "Date");
    assert!(error_on(&out.errors, 9).reason.contains("1999-12-31 is before 2000"), "{}", error_on(&out.errors, 9));
    assert_eq!(col(10), "Gross");
    assert!(error_on(&out.errors, 10).reason.contains("more than 12 integer digits"));
    assert_eq!(col(11), "Balance Impact");
    assert!(error_on(&out.errors, 11).reason.contains("`Sideways` is not Credit, Debit or Memo"));
    assert_eq!(col(12), "Gross", "a chargeback bringing money in");
}

#[test]
fn stripe_itemized_signs_and_unknown_categories() {
    let out = parse("stripe_itemized_signs.csv", &ParseOptions::default());
    out.parsed.as_ref().unwrap();
    let c = row(&out.rows, "txn_S001");
    assert_eq!((c.kind, c.type_name.as_deref()), (RowKind::Charge, Some("Charge")), "`Charge` = `charge`");
    let r = row(&out.rows, "txn_S010");
    assert_eq!((r.kind, r.gross), (RowKind::Refund, d("-29.00")), "`REFUND` = `refund`");
    let climate = row(&out.rows, "txn_S005");
    assert_eq!((climate.kind, climate.type_name.as_deref()), (RowKind::Unclassified, Some("climate_order_purchase")));
    let failed = row(&out.rows, "txn_S008");
    assert_eq!((failed.kind, failed.gross), (RowKind::Unclassified, d("12.00")));
    let transfer = row(&out.rows, "txn_S006");
    assert_eq!((transfer.kind, transfer.skip_reason.as_deref()), (RowKind::Skipped, Some("reporting_category transfer")));
    let nothing = row(&out.rows, "txn_S007");
    assert_eq!((nothing.kind, nothing.skip_reason.as_deref()), (RowKind::Skipped, Some("reporting_category tax with no money")));
    let msgs: Vec<String> = out.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "line 3, column `gross`: a `charge` of -60.00: a charge is money in (zero or positive); check the row",
            "line 4, column `gross`: a `refund` of 5.00: a refund is money out (negative); check the row",
            "line 5, column `gross`: a `dispute` of 10.00: a dispute is money out (negative); check the row",
            "line 10, column `reporting_category`: the reporting category is empty",
        ]
    );
}

#[test]
fn stripe_balance_signs_and_unknown_types() {
    let out = parse("stripe_balance_unknown.csv", &ParseOptions::default());
    out.parsed.as_ref().unwrap();
    assert_eq!(row(&out.rows, "txn_T001").kind, RowKind::Charge, "`Charge` with a capital C");
    assert_eq!(row(&out.rows, "txn_T001").type_name.as_deref(), Some("Charge"));
    assert_eq!(row(&out.rows, "txn_T003").kind, RowKind::Unclassified, "money out under an unknown type");
    assert_eq!(row(&out.rows, "txn_T004").skip_reason.as_deref(), Some("type topup"));
    let p = row(&out.rows, "txn_T007");
    assert_eq!((p.kind, p.type_name.as_deref()), (RowKind::Unclassified, Some("Payment_Failure_Refund")));
    let lines: Vec<(u32, Option<&str>)> = out.errors.iter().map(|e| (e.line, e.column.as_deref())).collect();
    assert_eq!(lines, [(3, Some("Amount")), (6, Some("Amount")), (7, Some("Type"))]);
}

#[test]
fn mapped_unmapped_type_with_money_is_unclassified() {
    let m = Mapping::from_toml_str(
        "shop",
        r#"
id = "Order"
date = "Date"
date_format = "%Y-%m-%d"
amount = "Gross"
fixed_currency = "USD"
type_column = "Kind"
default_kind = "skipped"
refund_amounts_positive = true
[kinds]
"Sale" = "charge"
"Refund" = "refund"
"#,
    )
    .unwrap();
    let opts = ParseOptions { mappings: [("shop".to_string(), m)].into(), ..Default::default() };
    let csv = "Order,Date,Kind,Gross\nO1,2024-06-01,sale,10.00\nO2,2024-06-02,Adjustment,3.00\nO3,2024-06-03,Note,0\nO4,2024-06-04,Refund,-10.00\nO5,2024-06-05,,4.00\nO6,2024-06-05,Refund,10.00\n";
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    pl_import::parse_bytes(csv.as_bytes(), &opts, |r| rows.push(r), |e| errors.push(e)).unwrap();
    assert_eq!((rows[0].kind, rows[0].type_name.as_deref()), (RowKind::Charge, Some("sale")));
    assert_eq!((rows[1].kind, rows[1].type_name.as_deref()), (RowKind::Unclassified, Some("Adjustment")));
    assert_eq!(rows[1].charge_ref.as_deref(), Some("O2"));
    assert_eq!((rows[2].kind, rows[2].skip_reason.as_deref()), (RowKind::Skipped, Some("type Note with no money")));
    assert_eq!((rows[3].kind, rows[3].gross), (RowKind::Refund, d("-10.00")), "positive in the file, negated");
    let msgs: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(
        msgs,
        [
            "line 5, column `Gross`: a refund written negative (-10.00) where the mapping says refund amounts are written positive",
            "line 6, column `Kind`: the type is empty",
        ]
    );
}
