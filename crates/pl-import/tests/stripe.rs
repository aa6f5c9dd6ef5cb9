//! Stripe fixtures: BOM, CRLF, quoting, reordered and missing columns, thousands separators,
//! decimal commas, Excel re-saves, dispute fees, refund metadata.

mod common;

use common::*;
use pl_import::{normalise_guid, Format, ImportError, NumberStyle, ParseOptions, RowKind};

#[test]
fn itemized_with_bom_crlf_and_thousands() {
    let (p, rows) = ok("stripe_itemized_bom_crlf.csv");
    assert_eq!(p.format, Format::StripeItemized, "the BOM does not hide the first header");
    assert_eq!(p.rows_read, 8);
    let c = row(&rows, "txn_A001");
    assert_eq!(c.line, 2);
    assert_eq!((c.gross, c.fee, c.net), (d("1250.00"), d("36.55"), d("1213.45")));
    assert_eq!(c.occurred_at, ts("2024-06-01T10:00:00Z"));
    assert_eq!(c.payout_ref.as_deref(), Some("po_A1"));
    // raw metadata kept as written; the ledger normalises GUIDs
    assert_eq!(c.instance_meta.as_deref(), Some("0D9E5C7A-1F2B-4C3D-8E4F-5A6B7C8D9E0F"));
    assert_eq!(
        normalise_guid(c.instance_meta.as_deref().unwrap()).as_deref(),
        Some("0d9e5c7a-1f2b-4c3d-8e4f-5a6b7c8d9e0f")
    );
    assert!(rows.iter().all(|r| !format!("{r:?}").contains("\\r")), "no CR is left in any field of a CRLF file");

    let refund = row(&rows, "txn_A002");
    assert_eq!(refund.kind, RowKind::Refund);
    assert_eq!((refund.gross, refund.fee), (d("-1250.00"), d("0.00")));
    assert_eq!(refund.original_ref.as_deref(), Some("ch_A001"));
    assert_eq!(refund.instance_meta.as_deref(), Some("0D9E5C7A-1F2B-4C3D-8E4F-5A6B7C8D9E0F"));

    let dispute = row(&rows, "txn_A003");
    assert_eq!((dispute.kind, dispute.fee, dispute.net), (RowKind::Dispute, d("15.00"), d("-114.00")));
    assert_eq!(dispute.original_ref.as_deref(), Some("ch_A004"));
    let won = row(&rows, "txn_A004");
    assert_eq!((won.kind, won.gross, won.fee), (RowKind::DisputeReversal, d("99.00"), d("-15.00")));

    assert_eq!(row(&rows, "txn_A005").kind, RowKind::Fee);
    let payout = row(&rows, "txn_A006");
    assert_eq!((payout.kind, payout.payout_ref.as_deref()), (RowKind::Payout, Some("po_A0")));
    let adj = row(&rows, "txn_A007");
    assert_eq!(adj.kind, RowKind::Skipped);
    assert_eq!(adj.skip_reason.as_deref(), Some("reporting_category other_adjustment"));

    // refund_metadata fallback, non-GUID metadata kept raw (trimmed)
    let legacy = row(&rows, "txn_A008");
    assert_eq!(legacy.instance_meta.as_deref(), Some("site-42 (legacy)"));
    assert_eq!(normalise_guid("site-42 (legacy)"), None);
}

#[test]
fn itemized_reordered_bare_older_columns() {
    let (p, rows) = ok("stripe_itemized_reordered.csv");
    assert_eq!(p.format, Format::StripeItemized);
    let c = row(&rows, "txn_B001");
    assert_eq!((c.currency.as_str(), c.gross, c.fee, c.net), ("EUR", d("29.00"), d("1.14"), d("27.86")));
    assert_eq!(c.occurred_at, ts("2024-06-01T09:14:00Z"), "minutes only");
    assert_eq!(c.charge_ref.as_deref(), Some("py_B001"), "from source_id when charge_id is empty");
    assert_eq!(c.instance_meta.as_deref(), Some("not-a-guid-123"));
    assert_eq!((c.payout_ref.clone(), c.customer_key.clone()), (None, None));
    let r = row(&rows, "txn_B002");
    assert_eq!(r.original_ref.as_deref(), Some("py_B001"));
    assert_eq!(r.instance_meta, None, "empty metadata is None");
    assert_eq!(r.occurred_at, ts("2024-06-02T09:14:05Z"));
}

#[test]
fn itemized_excel_resave_us() {
    // Excel re-save: bare fields, `5/13/2024 16:40`, `29` for 29.00; the order is decided by 13.
    let (p, rows) = ok("stripe_itemized_excel_us.csv");
    assert_eq!(p.date_order, Some(pl_import::DateOrder::MonthFirst));
    assert_eq!(row(&rows, "txn_E001").occurred_at, ts("2024-05-01T09:14:00Z"));
    assert_eq!(row(&rows, "txn_E002").occurred_at, ts("2024-05-13T16:40:00Z"));
    assert_eq!(row(&rows, "txn_E001").gross, d("29"));
}

#[test]
fn itemized_garbage_rows_are_each_reported() {
    let out = parse("stripe_itemized_garbage.csv", &ParseOptions::default());
    let p = out.parsed.unwrap();
    assert_eq!(p.rows_read, 7);
    assert_eq!(p.rows_failed, 5);
    let ids: Vec<_> = out.rows.iter().map(|r| r.source_id.as_str()).collect();
    assert_eq!(ids, ["txn_G001", "txn_G003"], "good rows still parse");
    let msgs: Vec<String> = out.errors.iter().map(|e| e.to_string()).collect();
    assert_eq!(msgs[0], "line 3, column `gross`: `12abc` is not an amount: unexpected character `a`");
    assert_eq!(out.errors[0].line, 3);
    assert_eq!(out.errors[0].column.as_deref(), Some("gross"));
    assert!(msgs[1].starts_with("line 5, column `created_utc`: `2024-13-01 12:00:00`"), "{}", msgs[1]);
    assert_eq!(msgs[2], "line 6, column `currency`: `us dollars` is not a currency code");
    assert_eq!(msgs[3], "line 7: has 5 fields but the header has 7");
    assert!(msgs[4].starts_with("line 8, column `gross`: `1,25,0.00` is not an amount"), "{}", msgs[4]);
}

#[test]
fn balance_old_export_without_some_columns() {
    let (p, rows) = ok("stripe_balance_old.csv");
    assert_eq!(p.format, Format::StripeBalance);
    let c = row(&rows, "txn_C001");
    assert_eq!((c.kind, c.charge_ref.as_deref()), (RowKind::Charge, Some("py_C001")));
    assert_eq!(c.occurred_at, ts("2024-06-01T10:00:01Z"));
    assert_eq!(c.payout_ref.as_deref(), Some("po_C1"));
    let r = row(&rows, "txn_C002");
    assert_eq!((r.kind, r.original_ref.as_deref()), (RowKind::Refund, Some("py_C001")));
    let dis = row(&rows, "txn_C003");
    assert_eq!((dis.kind, dis.original_ref.as_deref(), dis.fee), (RowKind::Dispute, Some("ch_C009"), d("15.00")));
    let rev = row(&rows, "txn_C004");
    assert_eq!((rev.kind, rev.original_ref.as_deref()), (RowKind::DisputeReversal, Some("ch_C009")));
    let other = row(&rows, "txn_C005");
    assert_eq!(other.kind, RowKind::Skipped);
    assert_eq!(other.skip_reason.as_deref(), Some("adjustment `Negative balance recovery`"));
    assert_eq!(row(&rows, "txn_C006").kind, RowKind::Fee);
    let tr = row(&rows, "txn_C007");
    assert_eq!((tr.kind, tr.skip_reason.as_deref()), (RowKind::Skipped, Some("type transfer")));
    let plain_refund = row(&rows, "txn_C008");
    assert_eq!(plain_refund.original_ref, None);
}

#[test]
fn balance_decimal_comma() {
    let (p, rows) = ok("stripe_balance_eu.csv");
    assert_eq!(p.number_style, NumberStyle::Comma);
    let a = row(&rows, "txn_D001");
    assert_eq!((a.gross, a.fee, a.net), (d("4626.81"), d("134.42"), d("4492.39")));
    let b = row(&rows, "txn_D002");
    assert_eq!((b.gross, b.fee, b.net), (d("1250"), d("0.25"), d("1249.75")), "`1.250` is a thousand in a comma file");
    assert_eq!(row(&rows, "txn_D003").gross, d("-29.00"));
}

#[test]
fn balance_conflicting_number_styles() {
    let out = parse("stripe_balance_conflict.csv", &ParseOptions::default());
    match out.parsed {
        Err(e @ ImportError::ConflictingNumberStyles { .. }) => {
            let m = e.to_string();
            assert!(m.contains("`12.50` (line 2, column `Amount`)") && m.contains("`29,00` (line 3"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    assert!(out.rows.is_empty() && out.errors.is_empty());
}

#[test]
fn balance_excel_resave_german_semicolons() {
    let (p, rows) = ok("stripe_balance_excel_de.csv");
    assert_eq!((p.delimiter, p.number_style), (';', NumberStyle::Comma));
    let a = row(&rows, "txn_H001");
    assert_eq!((a.gross, a.fee, a.net), (d("29.00"), d("1.14"), d("27.86")));
    assert_eq!(a.occurred_at, ts("2024-05-01T09:14:00Z"));
    assert_eq!(row(&rows, "txn_H002").gross, d("1250"));
    assert_eq!(a.instance_meta.as_deref(), Some("6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31"));
}

#[test]
fn format_override_checks_required_columns() {
    let opts = ParseOptions { format: Some(Format::StripeBalance), ..Default::default() };
    let out = parse("stripe_itemized_reordered.csv", &opts);
    match out.parsed {
        Err(ImportError::MissingColumn { format, column }) => assert_eq!((format.as_str(), column.as_str()), ("stripe-balance", "id")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn metadata_key_is_configurable() {
    let csv = "balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,payment_metadata[site]\n\
               txn_1,2024-06-01 10:00:00,usd,1.00,0.00,1.00,charge,abc\n";
    let opts = ParseOptions { metadata_key: "site".into(), ..Default::default() };
    let mut rows = Vec::new();
    pl_import::parse_bytes(csv.as_bytes(), &opts, |r| rows.push(r), |e| panic!("{e}")).unwrap();
    assert_eq!(rows[0].instance_meta.as_deref(), Some("abc"));
}
