//! Benchmark driver for `scripts/bench.sh` (`make bench`).
//!
//! ```text
//! bench gen FILE --rows N --instances K --month YYYY-MM   # a stripe-itemized export
//! bench import DB FILE                                  # Ledger::import_file, timed
//! bench floor DB FILE                                   # the duplicate-only pass, timed
//! ```
//!
//! `floor` is what a re-import of FILE cannot go below when the ledger holds its rows: load the
//! live rows' record hashes, hash the file (SHA-256), read it record by record with the CSV
//! reader, hashing each record and probing the hashes (`pl_ledger::duplicate_floor`); it prints
//! `floor rows=<n> known=<k> secs=<s> load_secs=<l> sha_secs=<h> scan_secs=<c>`.
//!
//! `import` prints one line `import rows=<n> secs=<s> rows_per_sec=<r> peak_mb=<m> imported=<i> duplicates=<d>`
//! where `peak_mb` is this process's peak resident set (VmHWM), so one process per import.
//! The generator is deterministic (a fixed linear-congruential sequence), so runs compare.
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use pl_ledger::{ImportOptions, Ledger};

/// The allocator of the `partner-ledger` binary (src/main.rs), so the figures are the CLI's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const HEADER: &str = "\"automatic_payout_id\",\"automatic_payout_effective_at\",\"balance_transaction_id\",\"created_utc\",\"created\",\"available_on_utc\",\"available_on\",\"currency\",\"gross\",\"fee\",\"net\",\"reporting_category\",\"source_id\",\"description\",\"customer_facing_amount\",\"customer_facing_currency\",\"customer_id\",\"charge_id\",\"payment_intent_id\",\"invoice_id\",\"payment_metadata[wix_instance_id]\",\"refund_metadata[wix_instance_id]\"";

/// A small deterministic generator: no dependency, same file every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The GUID of instance `i` (lower case, as Wix writes them).
fn guid(i: u64) -> String {
    let h = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5bd1_e995_1234_5678;
    format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", (h >> 32) as u32, (h >> 16) as u16, (i >> 4) & 0xfff, i & 0xfff, i)
}

/// A processor id: `<prefix>_` and 24 characters that look random (Stripe ids are not
/// sequential, so index inserts land all over the B-trees, as in real exports).
fn pid(prefix: &str, n: u64) -> String {
    let a = n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ 0xA076_1D64_78BD_642F;
    let b = a.wrapping_mul(0xE703_7ED1_A0B4_28DB) ^ n;
    format!("{prefix}_{a:016x}{:08x}", b as u32)
}

/// Cents as a decimal string (`-2900` → `-29.00`), integers only.
fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

/// Stripe's fee: 2.9 % + 30 cents, rounded half up, in integer cents.
fn fee_of(cents: i64) -> i64 {
    (cents * 29 + 500) / 1000 + 30
}

const PRICES: [(i64, &str); 5] = [
    (900, "Basic plan - monthly"),
    (2900, "Pro plan - monthly"),
    (9900, "Business plan - quarterly"),
    (29900, "Pro plan - annual"),
    (125000, "Enterprise plan - annual"),
];

fn generate(path: &Path, rows: u64, instances: u64, month: &str) -> std::io::Result<()> {
    let (year, mon): (i32, u32) = (month[..4].parse().expect("YYYY-MM"), month[5..].parse().expect("YYYY-MM"));
    let days = match mon {
        2 if year % 4 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    } as u64;
    let span = days * 86_400;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(out, "{HEADER}")?;
    let mut rng = Lcg(42);
    // Charges so far: (number, instance, gross cents) of the last few thousand, for refunds.
    let mut recent: Vec<(u64, u64, i64)> = Vec::with_capacity(4096);
    let mut refunded: std::collections::HashSet<u64> = std::collections::HashSet::new();
    let mut charges = 0u64;
    for n in 0..rows {
        // Rows in time order over the month.
        let t = n * span / rows;
        let (d, s) = (t / 86_400, t % 86_400);
        let created = format!("{year:04}-{mon:02}-{:02} {:02}:{:02}:{:02}", d + 1, s / 3600, (s / 60) % 60, s % 60);
        let payout = pid("po", d);
        let roll = rng.below(10_000);
        let pick_refund = roll < 600 && !recent.is_empty();
        if roll < 1 {
            // A standalone Stripe fee (billing): no instance, no event.
            let cents = 300 + rng.below(2000) as i64;
            writeln!(
                out,
                "\"{payout}\",\"{created}\",\"{t}\",\"{created}\",\"{created}\",\"{created}\",\"{created}\",\"usd\",\"{g}\",\"0.00\",\"{g}\",\"fee\",\"\",\"Billing - Usage Fee\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"",
                g = money(-cents),
                t = pid("txn", n)
            )?;
        } else if (1..10).contains(&roll) && !recent.is_empty() {
            // A dispute of a recent charge, with its 15.00 fee; metadata carried as Stripe does.
            let (c, inst, cents) = recent[rng.below(recent.len() as u64) as usize];
            if !refunded.insert(c) {
                continue_charge(&mut out, &mut rng, &mut recent, &mut charges, n, instances, &created, &payout)?;
                continue;
            }
            writeln!(
                out,
                "\"{payout}\",\"{created}\",\"{t}\",\"{created}\",\"{created}\",\"{created}\",\"{created}\",\"usd\",\"{g}\",\"15.00\",\"{net}\",\"dispute\",\"{du}\",\"Chargeback withdrawal for {ch}\",\"{g}\",\"usd\",\"cus_B{inst:07}\",\"{ch}\",\"{pi}\",\"{inv}\",\"{i}\",\"\"",
                g = money(-cents),
                net = money(-cents - 1500),
                i = guid(inst),
                t = pid("txn", n),
                du = pid("du", n),
                ch = pid("ch", c),
                pi = pid("pi", c),
                inv = pid("in", c)
            )?;
        } else if pick_refund {
            // A full refund of a recent charge; two in three carry no metadata (resolved by charge_id).
            let (c, inst, cents) = recent[rng.below(recent.len() as u64) as usize];
            if !refunded.insert(c) {
                continue_charge(&mut out, &mut rng, &mut recent, &mut charges, n, instances, &created, &payout)?;
                continue;
            }
            let meta = if rng.below(3) == 0 { guid(inst) } else { String::new() };
            writeln!(
                out,
                "\"{payout}\",\"{created}\",\"{t}\",\"{created}\",\"{created}\",\"{created}\",\"{created}\",\"usd\",\"{g}\",\"0.00\",\"{g}\",\"refund\",\"{re}\",\"REFUND FOR CHARGE\",\"{g}\",\"usd\",\"cus_B{inst:07}\",\"{ch}\",\"{pi}\",\"{inv}\",\"\",\"{meta}\"",
                g = money(-cents),
                t = pid("txn", n),
                re = pid("re", n),
                ch = pid("ch", c),
                pi = pid("pi", c),
                inv = pid("in", c)
            )?;
        } else {
            continue_charge(&mut out, &mut rng, &mut recent, &mut charges, n, instances, &created, &payout)?;
        }
    }
    out.flush()
}

#[allow(clippy::too_many_arguments)]
fn continue_charge(
    out: &mut impl Write,
    rng: &mut Lcg,
    recent: &mut Vec<(u64, u64, i64)>,
    charges: &mut u64,
    n: u64,
    instances: u64,
    created: &str,
    payout: &str,
) -> std::io::Result<()> {
    let inst = rng.below(instances);
    let (cents, product) = PRICES[rng.below(PRICES.len() as u64) as usize];
    let fee = fee_of(cents);
    writeln!(
        out,
        "\"{payout}\",\"{created}\",\"{t}\",\"{created}\",\"{created}\",\"{created}\",\"{created}\",\"usd\",\"{g}\",\"{f}\",\"{net}\",\"charge\",\"{ch}\",\"{product}\",\"{g}\",\"usd\",\"cus_B{inst:07}\",\"{ch}\",\"{pi}\",\"{inv}\",\"{i}\",\"\"",
        g = money(cents),
        f = money(fee),
        net = money(cents - fee),
        i = guid(inst),
        t = pid("txn", n),
        ch = pid("ch", n),
        pi = pid("pi", n),
        inv = pid("in", n)
    )?;
    if recent.len() < 4096 {
        recent.push((n, inst, cents));
    } else {
        let k = rng.below(4096) as usize;
        recent[k] = (n, inst, cents);
    }
    *charges += 1;
    Ok(())
}

/// Peak resident set of this process, in MiB (VmHWM).
fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    kb as f64 / 1024.0
}

fn arg_value(args: &[String], name: &str, default: &str) -> String {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.to_string())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen") => {
            let file = Path::new(args.get(1).expect("bench gen FILE"));
            let rows: u64 = arg_value(&args, "--rows", "1000000").parse().expect("--rows N");
            let instances: u64 = arg_value(&args, "--instances", "100000").parse().expect("--instances K");
            let month = arg_value(&args, "--month", "2026-03");
            let t = Instant::now();
            generate(file, rows, instances, &month).expect("the file is written");
            eprintln!("generated {} rows in {:.2}s: {}", rows, t.elapsed().as_secs_f64(), file.display());
        }
        Some("parse") => {
            // The parser alone (pl-import), no database: what an import cannot go below.
            let file = Path::new(args.get(1).expect("bench parse FILE"));
            let t = Instant::now();
            let (mut ok, mut bad) = (0u64, 0u64);
            let parsed = pl_import::parse_path(file, &pl_import::ParseOptions::default(), |_row| ok += 1, |_e| bad += 1)
                .expect("the file parses");
            let secs = t.elapsed().as_secs_f64();
            println!(
                "parse rows={} secs={:.3} rows_per_sec={:.0} peak_mb={:.1} ok={ok} bad={bad}",
                parsed.rows_read,
                secs,
                parsed.rows_read as f64 / secs,
                peak_mb()
            );
        }
        Some("import") => {
            let db = Path::new(args.get(1).expect("bench import DB FILE"));
            let file = Path::new(args.get(2).expect("bench import DB FILE"));
            let mut ledger = Ledger::open(db).expect("the ledger opens");
            let opts = ImportOptions { by: "bench".into(), ..Default::default() };
            let t = Instant::now();
            let r = ledger.import_file(file, &opts).expect("the import runs");
            let in_call = t.elapsed().as_secs_f64();
            let wal = std::fs::metadata(format!("{}-wal", db.display())).map(|m| m.len()).unwrap_or(0);
            // Closing checkpoints the WAL into the file: the CLI pays it too, so it is timed.
            drop(ledger);
            let secs = t.elapsed().as_secs_f64();
            eprintln!("import_file {in_call:.3}s, close {:.3}s, WAL before close {} MB", secs - in_call, wal >> 20);
            assert!(r.rejected.is_empty(), "the generated file has bad rows: {:?}", &r.rejected[..r.rejected.len().min(5)]);
            println!(
                "import rows={} secs={:.3} rows_per_sec={:.0} peak_mb={:.1} imported={} duplicates={} skipped={}",
                r.rows_read,
                secs,
                r.rows_read as f64 / secs,
                peak_mb(),
                r.imported,
                r.duplicates,
                r.skipped
            );
        }
        Some("floor") => {
            let db = Path::new(args.get(1).expect("bench floor DB FILE"));
            let file = Path::new(args.get(2).expect("bench floor DB FILE"));
            let ledger = Ledger::open(db).expect("the ledger opens");
            let t = Instant::now();
            let f = pl_ledger::duplicate_floor(ledger.connection(), file).expect("the file is read");
            let secs = t.elapsed().as_secs_f64();
            println!(
                "floor rows={} known={} secs={secs:.3} load_secs={:.3} sha_secs={:.3} scan_secs={:.3} peak_mb={:.1}",
                f.rows,
                f.known,
                f.load_secs,
                f.sha_secs,
                f.scan_secs,
                peak_mb()
            );
        }
        _ => {
            eprintln!(
                "usage: bench gen FILE [--rows N] [--instances K] [--month YYYY-MM] | bench import DB FILE | bench floor DB FILE"
            );
            std::process::exit(2);
        }
    }
}
