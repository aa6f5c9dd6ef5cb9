//! ListCharges benchmark (issue 13): a ledger of INSTANCES instances with ROWS usage rows each
//! in March 2026, the provider on loopback, Wix's calls signed ahead of the run (the simulator's
//! test key), driven by CONCURRENCY clients in this process; the server and the clients share
//! the machine's cores.
//!
//! ```text
//! cargo run --release -p pl-provider --example bench_charges -- DB [INSTANCES] [ROWS] [CALLS] [CONCURRENCY]
//! #   default bench-data/charges.sqlite 100000 10 40000 16
//! ```
//! The ledger is built on the first run (a usage CSV imported through `usage import`'s path) and
//! kept; each run works on a copy of it (`DB.run`, removed after), so runs do not see each
//! other's frozen answers. Prints two lines, `key=value` each:
//! `display_only calls=.. secs=.. calls_per_sec=.. p50_ms=.. p99_ms=.. max_ms=.. bad=..`
//! (random instances, DISPLAY_ONLY) and `create_invoice ...` (CALLS / 4 distinct instances, each
//! frozen once over March: every call stores an answer and consumes its ~10 usage rows). `bad`
//! counts the answers that were not a 200 with charges.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pl_ledger::Ledger;
use pl_wix_sim::charges::{ListCharges, PeriodEncoding, WixSigner, TEST_PUBLIC_KEY_PEM};

const APP: &str = "9a1b2c3d-0000-4000-8000-00000000a001";
const MARCH: i64 = 1_772_323_200_000; // 2026-03-01T00:00:00Z
const DAY: i64 = 86_400_000;

fn instance(i: usize) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", 0xbe00_0000u32 as usize + i / 1_000_000, i)
}

fn build(db: &std::path::Path, instances: usize, rows: usize) {
    let t = Instant::now();
    let mut l = Ledger::open(db).unwrap();
    l.set_app(APP, "Bench", "bench").unwrap();
    l.set_app_public_key(TEST_PUBLIC_KEY_PEM, "bench").unwrap();
    for (m, p) in [("emails", "USD=0.0019"), ("sms", "USD=0.045"), ("api_calls", "USD=0.0004"), ("storage_gb", "USD=0.21")] {
        let plan = pl_ledger::NewPlan { metric: m.into(), prices: p.into(), description: None, from: None, instance: None };
        l.set_plan(&plan, "bench").unwrap();
    }
    l.set_charge_limit(None, "USD", "500", "bench").unwrap();
    let csv = db.with_extension("usage.csv");
    {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(&csv).unwrap());
        writeln!(out, "id,instance_id,occurred_at,metric,quantity").unwrap();
        let metrics = ["emails", "sms", "api_calls", "storage_gb"];
        for i in 0..instances {
            let inst = instance(i);
            for r in 0..rows {
                let ms = MARCH + ((i * 7 + r * 3) % 28) as i64 * DAY + (r as i64 * 3_600_000);
                let at = chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                writeln!(out, "u{i}-{r},{inst},{at},{},{}", metrics[(i + r) % metrics.len()], 50 + (i * 31 + r * 17) % 950).unwrap();
            }
        }
    }
    let r = l.import_usage(&csv, false, "bench").unwrap();
    assert!(r.rejected.is_empty(), "{:?}", &r.rejected[..r.rejected.len().min(3)]);
    std::fs::remove_file(&csv).ok();
    eprintln!("built {} usage rows for {instances} instances in {:.1} s", r.imported, t.elapsed().as_secs_f64());
}

fn sign_all(calls: Vec<ListCharges>) -> Vec<String> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let chunk = calls.len().div_ceil(threads).max(1);
    let calls = Arc::new(calls);
    let handles: Vec<_> = (0..threads)
        .map(|k| {
            let calls = Arc::clone(&calls);
            std::thread::spawn(move || {
                let signer = WixSigner::test(APP);
                calls.iter().skip(k * chunk).take(chunk).map(|c| signer.list_charges(c)).collect::<Vec<_>>()
            })
        })
        .collect();
    handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
}

async fn drive(base: &str, tokens: Vec<String>, concurrency: usize) -> (Duration, Vec<Duration>, usize) {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap();
    let tokens = Arc::new(tokens);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, tokens, next, url) = (client.clone(), Arc::clone(&tokens), Arc::clone(&next), format!("{base}/v1/charges"));
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut bad = 0usize;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(t) = tokens.get(i) else { break };
                let t0 = Instant::now();
                let resp = client.post(&url).body(t.clone()).send().await.unwrap();
                let ok = resp.status().is_success();
                let body = resp.bytes().await.unwrap();
                lat.push(t0.elapsed());
                if !ok || !body.starts_with(b"{\"charges\":[{") {
                    bad += 1;
                }
            }
            (lat, bad)
        }));
    }
    let mut all = Vec::new();
    let mut bad = 0;
    for t in tasks {
        let (l, b) = t.await.unwrap();
        all.extend(l);
        bad += b;
    }
    let secs = start.elapsed();
    all.sort_unstable();
    (secs, all, bad)
}

fn report(label: &str, secs: Duration, lat: &[Duration], bad: usize) {
    println!(
        "{label} calls={} secs={:.2} calls_per_sec={:.0} p50_ms={:.2} p99_ms={:.2} max_ms={:.2} bad={bad}",
        lat.len(),
        secs.as_secs_f64(),
        lat.len() as f64 / secs.as_secs_f64(),
        percentile(lat, 0.50),
        percentile(lat, 0.99),
        percentile(lat, 1.0),
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let db = std::path::PathBuf::from(args.next().unwrap_or_else(|| "bench-data/charges.sqlite".into()));
    let instances: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10);
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(40_000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    if !db.exists() {
        build(&db, instances, rows);
    }
    let base = db;
    let db = base.with_extension("run.sqlite");
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
    std::fs::copy(&base, &db).unwrap();

    // Signing is done ahead of the run: DISPLAY_ONLY for random instances over March, and
    // CREATE_INVOICE for distinct instances over March (a stride of 7,919, a prime: distinct
    // unless INSTANCES is a multiple of it).
    let t = Instant::now();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut pick = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % instances as u64) as usize
    };
    let display: Vec<ListCharges> = (0..calls)
        .map(|k| ListCharges {
            instance_id: instance(pick()),
            currency: "USD".into(),
            period_start_ms: MARCH,
            period_end_ms: MARCH + 31 * DAY,
            intent: "DISPLAY_ONLY".into(),
            encoding: if k % 2 == 0 { PeriodEncoding::EpochMillis } else { PeriodEncoding::Rfc3339 },
            request_id: format!("bench-{k}"),
        })
        .collect();
    let first = pick();
    let invoices: Vec<ListCharges> = (0..(calls / 4).min(instances))
        .map(|k| ListCharges {
            instance_id: instance((first + k * 7919) % instances),
            currency: "USD".into(),
            period_start_ms: MARCH,
            period_end_ms: MARCH + 31 * DAY,
            intent: "CREATE_INVOICE".into(),
            encoding: PeriodEncoding::EpochMillis,
            request_id: format!("bench-inv-{k}"),
        })
        .collect();
    let display = sign_all(display);
    let invoices = sign_all(invoices);
    eprintln!("signed {} calls in {:.1} s", display.len() + invoices.len(), t.elapsed().as_secs_f64());

    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let server = pl_provider::Server::start(pl_provider::Config { db: db.clone(), listen: "127.0.0.1:0".parse().unwrap() }).await.unwrap();
        let base = server.base_url();
        // Warm up: the OS page cache and the readers' connections.
        let warm: Vec<String> = display.iter().take(2000).cloned().collect();
        drive(&base, warm, concurrency).await;
        let (secs, lat, bad) = drive(&base, display, concurrency).await;
        report("display_only", secs, &lat, bad);
        let (secs, lat, bad) = drive(&base, invoices, concurrency).await;
        report("create_invoice", secs, &lat, bad);
        server.stop().await.unwrap();
    });
    for ext in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{ext}", db.display()));
    }
}
