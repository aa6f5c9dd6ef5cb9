//! Submission benchmark (issue 4): N approved events submitted to the in-process Wix simulator
//! over real HTTP on loopback, no throttling, no faults; the real outbox with its durable
//! commits (WAL, synchronous=FULL).
//!
//! ```text
//! cargo run --release --example bench_submit -- [EVENTS] [CONCURRENCY]   # default 10000 16
//! ```
//! Prints `submit events=<n> concurrency=<c> secs=<s> events_per_sec=<r> p50_ms=<..> p99_ms=<..> max_ms=<..>`,
//! latency per event being from its `sending` commit to its result's commit.
use std::sync::Arc;
use std::time::{Duration, Instant};

use pl_ledger::{ImportOptions, Ledger, SubmitOptions};
use pl_wix::{Client, Secrets, WixConfig};
use pl_wix_sim::{SimConfig, Simulator};

const APP: &str = "9a1b2c3d-0000-4000-8000-00000000a001";

fn main() {
    let mut args = std::env::args().skip(1);
    let n: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(&dir.path().join("bench.sqlite")).unwrap();
    ledger.set_app(APP, "Bench", "bench").unwrap();
    ledger.add_rate("2020-01-01", "20", None, "bench").unwrap();
    let mut csv = String::from("balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,source_id,customer_id,charge_id,payment_metadata[wix_instance_id]\n");
    for i in 0..n {
        let at = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap().and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::seconds(i as i64 * 2);
        csv.push_str(&format!(
            "txn_{i},{},usd,{}.00,0.50,{}.50,charge,ch_{i},cus_{i},ch_{i},{:08x}-0000-4000-8000-{:012x}\n",
            at.format("%Y-%m-%d %H:%M:%S"),
            10 + i % 90,
            9 + i % 90,
            0x1000 + i % 1000,
            i % 1000
        ));
    }
    let file = dir.path().join("oct.csv");
    std::fs::write(&file, csv).unwrap();
    ledger.import_file(&file, &ImportOptions { by: "bench".into(), ..Default::default() }).unwrap();
    ledger.approve("2026-10", "bench").unwrap();

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let sim = rt.block_on(Simulator::start(SimConfig { rate_limit_per_minute: None, ..SimConfig::default() })).unwrap();
    let secrets = Secrets::from_lookup(|k| (k == "WIX_APP_SECRET").then(|| "sim-app-secret".to_string()));
    let client = Arc::new(Client::new(WixConfig::new(APP).with_base_url(sim.base_url()).with_timeout(Duration::from_secs(30)), secrets).unwrap());
    let opts = SubmitOptions { concurrency: Some(concurrency), ..SubmitOptions::default() };
    let lock = ledger.submit_lock().unwrap();
    let t0 = Instant::now();
    let report = rt.block_on(ledger.submit(&lock, client, "2026-10", &opts, "bench", |_| {})).unwrap();
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(report.counts.sent, n, "{report:?}");
    assert_eq!(sim.accepted().len(), n as usize);

    let mut lat: Vec<i64> = ledger
        .connection()
        .prepare("SELECT started_at, finished_at FROM outbox_attempts")
        .unwrap()
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(|r| {
            let (a, b) = r.unwrap();
            let p = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
            (p(&b) - p(&a)).num_milliseconds()
        })
        .collect();
    lat.sort_unstable();
    let pct = |q: f64| lat[((lat.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "submit events={n} concurrency={concurrency} secs={secs:.2} events_per_sec={:.0} p50_ms={} p99_ms={} max_ms={}",
        n as f64 / secs,
        pct(0.50),
        pct(0.99),
        lat.last().unwrap()
    );
}
