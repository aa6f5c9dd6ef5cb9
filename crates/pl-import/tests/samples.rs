//! The shared samples (`shared/samples`, copied into `tests/fixtures/samples`) parse with the expected kinds and values.

mod common;

use common::*;
use pl_import::{DateOrder, Format, ImportError, ParseOptions, RowKind};

#[test]
fn stripe_itemized_sample() {
    let out = parse_file(&sample("stripe_payout_reconciliation_itemized.csv"), &ParseOptions::default());
    let p = out.parsed.unwrap();
    assert_eq!(p.format, Format::StripeItemized);
    assert!(out.errors.is_empty());
    assert_eq!(p.rows_read, 7);
    let kinds: Vec<_> = out.rows.iter().map(|r| r.kind).collect();
    use RowKind::*;
    assert_eq!(kinds, [Charge, Charge, Fee, Charge, Charge, Refund, Dispute]);
    let c = &out.rows[0];
    assert_eq!(c.line, 2);
    assert_eq!(c.dedup_key, "stripe:txn_3PBa1xA2b3C4d5E6chg0001");
    assert_eq!(c.source_id, "txn_3PBa1xA2b3C4d5E6chg0001");
    assert_eq!(c.occurred_at, ts("2024-05-01T09:14:07Z"));
    assert_eq!((c.currency.as_str(), c.gross, c.fee, c.net), ("USD", d("29.00"), d("1.14"), d("27.86")));
    assert_eq!(c.instance_meta.as_deref(), Some("6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31"));
    assert_eq!(c.customer_key.as_deref(), Some("cus_Q1aBcDeFgH0001"));
    assert_eq!(c.charge_ref.as_deref(), Some("ch_3PBa1xA2b3C4d5E60001"));
    assert_eq!(c.payout_ref.as_deref(), Some("po_1PDz9yA2b3C4d5E6QqRrSsTt"));
    assert_eq!(c.description.as_deref(), Some("Pro plan - monthly"));
    // refund: fee 0, metadata carried on it, original charge
    let r = &out.rows[5];
    assert_eq!((r.gross, r.fee, r.net), (d("-29.00"), d("0"), d("-29.00")));
    assert_eq!(r.original_ref.as_deref(), Some("ch_3PBa1xA2b3C4d5E60001"));
    assert_eq!(r.instance_meta.as_deref(), Some("6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31"));
    // dispute with its dispute fee
    let x = &out.rows[6];
    assert_eq!((x.gross, x.fee, x.net), (d("-99.00"), d("15.00"), d("-114.00")));
    assert_eq!(x.original_ref.as_deref(), Some("ch_3PBq2mA2b3C4d5E60004"));
    // the standalone fee row
    assert_eq!((out.rows[2].gross, out.rows[2].instance_meta.as_deref()), (d("-3.75"), None));
}

#[test]
fn stripe_balance_sample() {
    let out = parse_file(&sample("stripe_balance_history.csv"), &ParseOptions::default());
    assert_eq!(out.parsed.unwrap().format, Format::StripeBalance);
    assert!(out.errors.is_empty());
    use RowKind::*;
    let kinds: Vec<_> = out.rows.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [Payout, Dispute, Refund, Charge, Charge, Fee, Charge, Charge]);
    let payout = &out.rows[0];
    assert_eq!(payout.payout_ref.as_deref(), Some("po_1PDz9yA2b3C4d5E6QqRrSsTt"));
    assert_eq!(payout.gross, d("-1236.55"));
    let dispute = &out.rows[1];
    assert_eq!(dispute.original_ref.as_deref(), Some("ch_3PBq2mA2b3C4d5E60004"));
    assert_eq!((dispute.fee, dispute.net), (d("15.00"), d("-114.00")));
    let refund = &out.rows[2];
    assert_eq!(refund.original_ref, None, "the description names no charge");
    assert_eq!(refund.occurred_at, ts("2024-05-04T16:40:00Z"));
    let charge = &out.rows[7];
    assert_eq!(charge.charge_ref.as_deref(), Some("ch_3PBa1xA2b3C4d5E60001"));
    assert_eq!(charge.instance_meta.as_deref(), Some("6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31"));
    // both Stripe exports share balance transaction ids, hence dedup keys
    assert_eq!(charge.dedup_key, "stripe:txn_3PBa1xA2b3C4d5E6chg0001");
}

#[test]
fn paypal_sample_needs_the_date_order() {
    // Every date of the sample is 05/01..05/10/2024: undecidable by the file itself.
    let out = parse_file(&sample("paypal_activity_download.csv"), &ParseOptions::default());
    match out.parsed {
        Err(e @ ImportError::UndecidableDateOrder { .. }) => {
            assert!(e.to_string().contains("choose the file's date order: day-first or month-first"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert!(out.rows.is_empty());
}

#[test]
fn paypal_sample() {
    let opts = ParseOptions { date_order: Some(DateOrder::MonthFirst), ..Default::default() };
    let out = parse_file(&sample("paypal_activity_download.csv"), &opts);
    let p = out.parsed.unwrap();
    assert_eq!(p.format, Format::PaypalActivity);
    assert!(out.errors.is_empty());
    use RowKind::*;
    let kinds: Vec<_> = out.rows.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [Charge, Charge, Charge, Conversion, Conversion, Refund, Skipped, Charge, Payout]);
    let c = &out.rows[0];
    assert_eq!(c.occurred_at, ts("2024-05-01T16:14:07Z"), "09:14:07 PDT");
    assert_eq!((c.gross, c.fee, c.net), (d("29.00"), d("1.50"), d("27.50")));
    assert_eq!(c.dedup_key, "paypal:7AB12345CD6789012E|Express Checkout Payment|USD|29");
    assert_eq!(c.customer_key.as_deref(), Some("owner@acmestudio.example"));
    assert_eq!(c.charge_ref.as_deref(), Some("7AB12345CD6789012E"));
    assert_eq!(c.instance_meta.as_deref(), Some("6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31"));
    assert_eq!(out.rows[1].gross, d("1250.00"), "thousands separator");
    // the three-row currency conversion
    let eur = &out.rows[2];
    assert_eq!((eur.currency.as_str(), eur.gross), ("EUR", d("45.00")));
    for conv in &out.rows[3..5] {
        assert_eq!(conv.conversion_ref.as_deref(), Some("9CD34567EF8901234G"));
        assert_eq!(conv.fee.to_string(), "0.00", "no negative zero");
    }
    assert_eq!((out.rows[4].currency.as_str(), out.rows[4].gross), ("USD", d("45.77")));
    // refund: returned fee positive in the file → normalised negative
    let r = &out.rows[5];
    assert_eq!((r.gross, r.fee, r.net), (d("-29.00"), d("-1.01"), d("-27.99")));
    assert_eq!(r.original_ref.as_deref(), Some("7AB12345CD6789012E"));
    assert_eq!(r.customer_key.as_deref(), Some("owner@acmestudio.example"), "the payer, not the vendor");
    // pending then its completed update: distinct keys
    let pending = &out.rows[6];
    assert_eq!(pending.skip_reason.as_deref(), Some("status Pending"));
    assert_eq!(pending.dedup_key, "paypal:4GH78901JK2345678L|eCheck Received|USD|99|Pending");
    let update = &out.rows[7];
    assert_eq!(update.dedup_key, "paypal:4GH78901JK2345678L|Update to eCheck Received|USD|99");
    assert_eq!(update.occurred_at, ts("2024-05-09T10:15:09Z"));
    let w = &out.rows[8];
    assert_eq!((w.gross, w.payout_ref.as_deref()), (d("-2000.00"), Some("5HJ89012KL3456789M")));
}

#[test]
fn unified_payments_is_not_a_supported_format() {
    let out = parse_file(&sample("stripe_unified_payments.csv"), &ParseOptions::default());
    assert!(matches!(out.parsed, Err(ImportError::UnknownFormat { .. })), "{:?}", out.parsed);
}
