//! Throughput of a generated 1,000,000-row stripe-itemized file.
//! Run: `cargo test --release -p pl-import --test speed -- --ignored --nocapture`

use std::io::Write;
use std::time::Instant;

use pl_import::{parse_path, Format, ParseOptions};

#[test]
#[ignore = "slow: run in release mode on demand"]
fn million_row_itemized() {
    let n = 1_000_000u32;
    let path = std::env::temp_dir().join(format!("pl-import-speed-{}.csv", std::process::id()));
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        writeln!(w, "\"automatic_payout_id\",\"automatic_payout_effective_at\",\"balance_transaction_id\",\"created_utc\",\"created\",\"available_on_utc\",\"available_on\",\"currency\",\"gross\",\"fee\",\"net\",\"reporting_category\",\"source_id\",\"description\",\"customer_facing_amount\",\"customer_facing_currency\",\"customer_id\",\"charge_id\",\"payment_intent_id\",\"invoice_id\",\"payment_metadata[wix_instance_id]\",\"refund_metadata[wix_instance_id]\"").unwrap();
        for i in 0..n {
            let cents = 1000 + (i % 100_000);
            let fee = 30 + cents * 29 / 1000;
            let net = cents - fee;
            writeln!(
                w,
                "\"po_1PDz9yA2b3C4d5E6QqRr{:04}\",\"2024-05-07 20:00:00\",\"txn_3PBa1xA2b3C4d5E6{i:08}\",\"2024-05-{:02} {:02}:{:02}:{:02}\",\"2024-05-01 05:14:07\",\"2024-05-03 00:00:00\",\"2024-05-02 20:00:00\",\"usd\",\"{}.{:02}\",\"{}.{:02}\",\"{}.{:02}\",\"charge\",\"ch_3PBa1xA2b3C4d5E6{i:08}\",\"Pro plan - monthly\",\"{}.{:02}\",\"usd\",\"cus_Q1aBcDeFgH{i:06}\",\"ch_3PBa1xA2b3C4d5E6{i:08}\",\"pi_3PBa1xA2b3C4d5E6{i:08}\",\"in_1PBa1wA2b3C4d5E6{i:08}\",\"6f1c2a9e-3b4d-4e8a-9c1f-{:012x}\",\"\"",
                i % 50, 1 + i % 28, i % 24, i % 60, (i / 7) % 60,
                cents / 100, cents % 100, fee / 100, fee % 100, net / 100, net % 100, cents / 100, cents % 100, i
            )
            .unwrap();
        }
    }
    let size = std::fs::metadata(&path).unwrap().len();
    // Baseline: one bare csv pass over the same file.
    let t0 = Instant::now();
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_path(&path).unwrap();
    let mut rec = csv::ByteRecord::new();
    let mut k = 0u32;
    while rdr.read_byte_record(&mut rec).unwrap() {
        k += 1;
    }
    println!("bare csv pass over {k} records: {:.2} s", t0.elapsed().as_secs_f64());
    let opts = ParseOptions::default();
    let start = Instant::now();
    let mut rows = 0u64;
    let mut errors = 0u64;
    let mut total = rust_decimal::Decimal::ZERO;
    let parsed = parse_path(&path, &opts, |r| {
        rows += 1;
        total += r.gross;
    }, |_| errors += 1)
    .unwrap();
    let secs = start.elapsed().as_secs_f64(); // timing only, never an amount
    std::fs::remove_file(&path).ok();
    assert_eq!(parsed.format, Format::StripeItemized);
    assert_eq!(rows, u64::from(n));
    assert_eq!(errors, 0);
    println!(
        "{n} rows ({:.0} MB) in {secs:.2} s: {:.0} rows/s (gross total {total})",
        size as f64 / 1e6,
        f64::from(n) / secs
    );
}
