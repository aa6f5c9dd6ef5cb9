//! Saved mappings (Paddle, Braintree examples in `mappings/`), unknown headers, format ids.

mod common;

use std::collections::HashMap;

use common::*;
use pl_import::{detect, Format, ImportError, Mapping, ParseOptions, RowKind};

fn mapping(name: &str) -> Mapping {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("mappings").join(format!("{name}.toml"));
    Mapping::from_toml_str(name, &std::fs::read_to_string(path).unwrap()).unwrap()
}

fn with_mappings() -> ParseOptions {
    let mut mappings = HashMap::new();
    for n in ["paddle", "braintree"] {
        mappings.insert(n.to_string(), mapping(n));
    }
    ParseOptions { mappings, ..Default::default() }
}

#[test]
fn paddle_mapping() {
    let out = parse("paddle_orders.csv", &with_mappings());
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    assert_eq!(out.parsed.unwrap().format, Format::Mapped("paddle".into()), "detected by its columns");
    let sale = row(&out.rows, "P-1001");
    assert_eq!(sale.kind, RowKind::Charge);
    assert_eq!(sale.dedup_key, "mapped:paddle:P-1001");
    assert_eq!((sale.gross, sale.tax, sale.fee, sale.net), (d("34.80"), d("5.80"), d("2.24"), d("26.76")));
    assert_eq!(sale.occurred_at, ts("2024-06-01T10:00:00Z"));
    assert_eq!(sale.instance_meta.as_deref(), Some("6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31"));
    assert_eq!(sale.customer_key.as_deref(), Some("owner@acme.example"));
    assert_eq!(sale.charge_ref.as_deref(), Some("P-1001"));
    assert_eq!(sale.description.as_deref(), Some("Pro plan - monthly"));
    let refund = row(&out.rows, "P-1002");
    assert_eq!((refund.kind, refund.gross, refund.fee), (RowKind::Refund, d("-34.80"), d("-2.24")));
    assert_eq!(refund.original_ref.as_deref(), Some("P-1001"));
    assert_eq!(row(&out.rows, "P-1003").kind, RowKind::Payout);
    let cb = row(&out.rows, "P-1004");
    assert_eq!((cb.kind, cb.fee, cb.original_ref.as_deref()), (RowKind::Dispute, d("15.00"), Some("P-0999")));
}

#[test]
fn braintree_mapping() {
    let mut opts = with_mappings();
    opts.format = Format::from_id("mapped:braintree");
    let out = parse("braintree_transactions.csv", &opts);
    assert!(out.errors.is_empty(), "{:?}", out.errors);
    let sale = row(&out.rows, "bt_aa11");
    assert_eq!((sale.kind, sale.gross, sale.fee, sale.net), (RowKind::Charge, d("49.00"), d("1.72"), d("47.28")));
    assert_eq!(sale.occurred_at, ts("2024-06-01T15:00:00Z"), "10:00 in America/Chicago (CDT)");
    assert_eq!(sale.customer_key.as_deref(), Some("cust_1"));
    let credit = row(&out.rows, "bt_bb22");
    assert_eq!((credit.kind, credit.gross, credit.net), (RowKind::Refund, d("-49.00"), d("-49.00")), "positive credits negated");
    assert_eq!(credit.original_ref.as_deref(), Some("bt_aa11"));
    let declined = row(&out.rows, "bt_cc33");
    assert_eq!((declined.kind, declined.skip_reason.as_deref()), (RowKind::Skipped, Some("status processor_declined")));
}

#[test]
fn mapped_bad_date_names_the_column() {
    let m = Mapping::from_toml_str(
        "bank",
        r#"
id = ["Ref", "Seq"]
date = "Booked"
date_format = "%d.%m.%Y"
timezone = "Europe/Berlin"
amount = "Betrag"
fixed_currency = "eur"
number_style = "comma"
"#,
    )
    .unwrap();
    let opts = ParseOptions { format: Some(Format::Mapped("bank".into())), mappings: HashMap::from([("bank".into(), m)]), ..Default::default() };
    let csv = "Ref;Seq;Booked;Betrag\nR1;1;01.06.2024;1.234,50\nR1;2;2024-06-02;3,00\n";
    let (mut rows, mut errs) = (Vec::new(), Vec::new());
    pl_import::parse_bytes(csv.as_bytes(), &opts, |r| rows.push(r), |e| errs.push(e)).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].dedup_key, "mapped:bank:R1|1");
    assert_eq!((rows[0].currency.as_str(), rows[0].gross, rows[0].kind), ("EUR", d("1234.50"), RowKind::Charge));
    assert_eq!(rows[0].occurred_at, ts("2024-05-31T22:00:00Z"), "midnight in Berlin (CEST)");
    assert_eq!(errs[0].to_string(), "line 3, column `Booked`: `2024-06-02` does not match the date format `%d.%m.%Y`");
}

#[test]
fn invalid_mappings_are_refused() {
    let e = Mapping::from_toml_str("x", "id = \"A\"\ndate = \"D\"\ndate_format = \"%Y\"\namount = \"G\"\n").unwrap_err();
    assert!(e.to_string().contains("currency"), "{e}");
    let e = Mapping::from_toml_str("x", "id = \"A\"\ndate = \"D\"\ndate_format = \"%Y\"\namount = \"G\"\nfixed_currency = \"USD\"\ntimezone = \"Mars/Base\"\n").unwrap_err();
    assert!(e.to_string().contains("unknown timezone"), "{e}");
    let e = Mapping::from_toml_str("x", "id = \"A\"\ndate = \"D\"\ndate_format = \"%Y\"\namount = \"G\"\nfixed_currency = \"USD\"\ntype_column = \"T\"\n[kinds]\nSale = \"sale\"\n").unwrap_err();
    assert!(e.to_string().contains("invalid mapping `x`"), "{e}");
    let e = Mapping::from_toml_str("x", "id = \"A\"\ndate = \"D\"\ndate_format = \"%Y\"\namount = \"G\"\nfixed_currency = \"USD\"\ncolour = \"blue\"\n").unwrap_err();
    assert!(e.to_string().contains("colour"), "unknown keys are refused: {e}");
}

#[test]
fn unknown_header_lists_the_formats() {
    let out = parse("unknown_header.csv", &with_mappings());
    match out.parsed {
        Err(e @ ImportError::UnknownFormat { .. }) => {
            let m = e.to_string();
            assert!(m.contains("the header has 3 column(s): `Order`, `When`, `Total`;"), "{m}");
            assert!(m.contains("stripe-itemized, stripe-balance, paypal-activity, mapped:braintree, mapped:paddle"), "{m}");
        }
        other => panic!("{other:?}"),
    }
    let e = parse("unknown_header.csv", &ParseOptions { format: Some(Format::Mapped("nope".into())), ..Default::default() }).parsed.unwrap_err();
    assert_eq!(e.to_string(), "no saved mapping named `nope`");
}

#[test]
fn format_ids_and_detection() {
    for f in [Format::StripeItemized, Format::StripeBalance, Format::PaypalActivity, Format::Mapped("paddle".into())] {
        assert_eq!(Format::from_id(&f.id()), Some(f));
    }
    assert_eq!(Format::from_id("mapped:"), None);
    assert_eq!(Format::from_id("stripe"), None);
    let h = |s: &str| s.split(',').map(str::to_string).collect::<Vec<_>>();
    assert_eq!(detect(&h("\u{feff}balance_transaction_id,reporting_category,gross")), Some(Format::StripeItemized));
    assert_eq!(detect(&h("id,Type,Amount,Net,Created (UTC)")), Some(Format::StripeBalance));
    assert_eq!(detect(&h("Datum,Typ,Brutto,Transaktionscode")), Some(Format::PaypalActivity));
    assert_eq!(detect(&h("Order,Total")), None);
    assert_eq!(RowKind::parse("dispute_reversal"), Some(RowKind::DisputeReversal));
    assert_eq!(RowKind::DisputeReversal.as_str(), "dispute_reversal");
}

#[test]
fn empty_file() {
    let e = pl_import::parse_bytes(b"", &ParseOptions::default(), |_| {}, |_| {}).unwrap_err();
    assert!(matches!(e, ImportError::Empty));
    let e = pl_import::parse_bytes(b"\xEF\xBB\xBF", &ParseOptions::default(), |_| {}, |_| {}).unwrap_err();
    assert!(matches!(e, ImportError::Empty));
}
