//! The month and quarter report (SPEC §8 `report --json`), built from frozen and live events.
//! Totals are sums of the rounded event values, so every total reconciles to the cent.
use std::collections::HashMap;

use chrono::NaiveDate;
use pl_money::fmt2;
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::events::{self, Event};
use crate::export::Blocks;
use crate::rules::{BillingType, EventAmounts};
use crate::{exceptions, months, settings, Error, InstanceLine, PayoutCheck, Report, Result, Totals};

/// A report period: one month, or a quarter of three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Period {
    Month(NaiveDate),
    Quarter { year: i32, q: u32 },
}

impl Period {
    pub fn parse_month(s: &str) -> Result<Period> {
        Ok(Period::Month(months::parse_month(s)?))
    }

    pub fn parse_quarter(s: &str) -> Result<Period> {
        let bad = || Error::Refused(format!("`{s}` is not a quarter; write it YYYY-Qn, for example 2026-Q4"));
        let (y, q) = s.split_once("-Q").or_else(|| s.split_once("-q")).ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let q: u32 = q.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&q) || y.len() != 4 {
            return Err(bad());
        }
        Ok(Period::Quarter { year, q })
    }

    pub fn months(&self) -> Vec<NaiveDate> {
        match *self {
            Period::Month(m) => vec![m],
            Period::Quarter { year, q } => {
                (0..3).map(|i| NaiveDate::from_ymd_opt(year, (q - 1) * 3 + 1 + i, 1).expect("valid month")).collect()
            }
        }
    }

    pub fn label(&self) -> String {
        match *self {
            Period::Month(m) => m.format("%Y-%m").to_string(),
            Period::Quarter { year, q } => format!("{year}-Q{q}"),
        }
    }

    /// The Wix report's file name: `<App Name> Billing Report - Q<n> <YYYY>.csv` or
    /// `<App Name> Billing Report - <Month> <YYYY>.csv`.
    pub fn wix_file_name(&self, app_name: &str) -> String {
        let app: String = app_name.chars().map(|c| if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') { '-' } else { c }).collect();
        match *self {
            Period::Month(m) => format!("{app} Billing Report - {}.csv", m.format("%B %Y")),
            Period::Quarter { year, q } => format!("{app} Billing Report - Q{q} {year}.csv"),
        }
    }
}

/// The events and exceptions reported in one month, frozen or live.
pub(crate) struct MonthEvents {
    pub status: String,
    pub events: Vec<Event>,
    pub exceptions: Vec<crate::Exception>,
}

pub(crate) fn month_status(conn: &Connection, month: &str) -> Result<String> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT status FROM months WHERE month = ?1", [month], |r| r.get::<_, String>(0))
        .optional()?
        .unwrap_or_else(|| "open".into()))
}

pub(crate) fn month_events(conn: &Connection, ctx: &events::Context, month: NaiveDate) -> Result<MonthEvents> {
    let label = month.format("%Y-%m").to_string();
    let status = month_status(conn, &label)?;
    match events::reporting_span(conn, month)? {
        None => Ok(MonthEvents { status, events: events::frozen_events(conn, &[label])?, exceptions: Vec::new() }),
        Some(first) => {
            let (start, _) = months::month_bounds(first, ctx.tz);
            let (_, end) = months::month_bounds(month, ctx.tz);
            let (events, mut problems) = events::live_events(conn, ctx, &start, &end, &label)?;
            let mut ex = exceptions::instance_exceptions_between(conn, &start, &end)?;
            ex.append(&mut problems);
            Ok(MonthEvents { status, events, exceptions: ex })
        }
    }
}

fn least_advanced(statuses: &[String]) -> String {
    for s in ["open", "approved", "submitted"] {
        if statuses.iter().any(|x| x == s) {
            return s.into();
        }
    }
    "open".into()
}

pub(crate) fn report(conn: &Connection, period: &Period) -> Result<Report> {
    let ctx = events::load_context(conn)?;
    let mut all = Vec::new();
    let mut exceptions = Vec::new();
    let mut statuses = Vec::new();
    for m in period.months() {
        let mut me = month_events(conn, &ctx, m)?;
        statuses.push(me.status);
        all.append(&mut me.events);
        exceptions.append(&mut me.exceptions);
    }
    let (totals, instances) = aggregate(&all);
    let payouts = payout_checks(conn, &ctx, period)?;
    Ok(Report {
        month: matches!(period, Period::Month(_)).then(|| period.label()),
        quarter: matches!(period, Period::Quarter { .. }).then(|| period.label()),
        app_id: ctx.app_id.clone(),
        app_name: settings::get(conn, "app.name")?,
        status: least_advanced(&statuses),
        totals,
        instances,
        events: all.into_iter().map(Event::into_line).collect(),
        exceptions,
        payouts,
    })
}

#[derive(Default, Clone, Copy)]
struct Sums {
    charges: u32,
    refunds: u32,
    gross: Decimal,
    expenses: Decimal,
    net: Decimal,
    wix_share: Decimal,
}

impl Sums {
    fn add(&mut self, billing: BillingType, a: &EventAmounts) {
        match billing {
            BillingType::Charge => self.charges += 1,
            BillingType::Refund => self.refunds += 1,
        }
        self.gross += a.gross;
        self.expenses += a.expenses;
        self.net += a.net;
        self.wix_share += a.wix_share;
    }

    /// Sums are exact decimals: merging partial sums gives the sums of the whole.
    fn merge(&mut self, o: &Sums) {
        self.charges += o.charges;
        self.refunds += o.refunds;
        self.gross += o.gross;
        self.expenses += o.expenses;
        self.net += o.net;
        self.wix_share += o.wix_share;
    }

    fn line(&self, id: &str) -> InstanceLine {
        InstanceLine {
            instance_id: id.to_string(),
            charges: self.charges,
            refunds: self.refunds,
            gross: fmt2(self.gross),
            expenses: fmt2(self.expenses),
            net: fmt2(self.net),
            wix_share: fmt2(self.wix_share),
        }
    }

    fn totals(&self, events: u32) -> Totals {
        Totals { events, gross: fmt2(self.gross), expenses: fmt2(self.expenses), net: fmt2(self.net), wix_share: fmt2(self.wix_share) }
    }
}

/// Totals and per-instance lines (instances sorted by id).
pub(crate) fn aggregate(events: &[Event]) -> (Totals, Vec<InstanceLine>) {
    let mut total = Sums::default();
    let mut per: HashMap<&str, Sums> = HashMap::new();
    for e in events {
        total.add(e.billing, &e.amounts);
        per.entry(e.instance_id.as_str()).or_default().add(e.billing, &e.amounts);
    }
    let mut instances: Vec<InstanceLine> = per.into_iter().map(|(id, s)| s.line(id)).collect();
    instances.sort_unstable_by(|a, b| a.instance_id.cmp(&b.instance_id));
    (total.totals(events.len() as u32), instances)
}

/// Each payout in the period (by its own date) against the sum of the nets of its rows.
fn payout_checks(conn: &Connection, ctx: &events::Context, period: &Period) -> Result<Vec<PayoutCheck>> {
    let ms = period.months();
    let (start, _) = months::month_bounds(ms[0], ctx.tz);
    let (_, end) = months::month_bounds(*ms.last().expect("a period has months"), ctx.tz);
    // Payouts are few: read them all through their partial index, keep the period's.
    let (lo, hi) = (months::bound_ts(&start), months::bound_ts(&end));
    let mut stmt = conn.prepare(
        "SELECT p.payout_ref, p.currency, p.occurred_at, p.gross, i.items, i.net FROM txns p INDEXED BY txns_payouts \
         LEFT JOIN payout_items i ON i.payout_ref = p.payout_ref \
         WHERE p.kind = 'payout' AND p.undone = 0 AND p.occurred_ts >= ?1 AND p.occurred_ts < ?2 ORDER BY p.occurred_ts",
    )?;
    let rows = stmt.query_map([lo, hi], |r| {
        let items_net: Decimal = r.get::<_, Option<String>>(5)?.and_then(|s| s.parse().ok()).unwrap_or_default();
        let amount = r.get::<_, String>(3)?.parse::<Decimal>().unwrap_or_default().abs();
        Ok(PayoutCheck {
            payout_id: r.get(0)?,
            currency: r.get(1)?,
            payout_date: r.get(2)?,
            amount: fmt2(amount),
            items_net: fmt2(items_net),
            items: r.get::<_, Option<u32>>(4)?.unwrap_or(0),
            matches: amount == items_net,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// ---- the streamed report ------------------------------------------------------------------
//
// `report --json` and `--wix-csv` of a month of 1M events: the events are never built as
// `Event`s or `EventLine`s. Worker threads, each with its own read-only connection to the
// ledger file (WAL lets readers run side by side), take chunks of the month (time slices of
// the live rows, or `seq` ranges of the frozen ones) in turn; for each event they add to their
// own sums and write its JSON object and Wix CSV row into the chunk's buffers. The chunks are
// written in order, so the bytes are those of the whole report serialised at once; the sums
// are exact decimals, so merging the workers' sums gives the same totals.

/// What a streamed report writes besides its summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outputs {
    /// The events as `report --json` prints them.
    pub json: bool,
    /// The rows of Wix's Partner Billed report.
    pub wix_csv: bool,
}

/// A report whose events are already written: its summary (`report` with no `events`) and the
/// events as JSON and/or Wix CSV rows, in report order.
pub struct ReportStream {
    /// Everything but the events (`events` is empty).
    pub report: Report,
    json: Vec<Blocks>,
    wix: Vec<Blocks>,
}

impl ReportStream {
    /// Exactly what `serde_json::to_writer(out, &report)` writes for the full report.
    pub fn write_json<W: std::io::Write>(&self, out: &mut W) -> Result<()> {
        let summary = serde_json::to_vec(&self.report).map_err(|e| Error::Refused(format!("cannot write the report: {e}")))?;
        // `"` inside a JSON string is always escaped, so the first `,"events":[` is the key.
        const KEY: &[u8] = b",\"events\":[";
        let at = summary.windows(KEY.len()).position(|w| w == KEY).expect("a report has events") + KEY.len();
        let io = crate::export::io;
        out.write_all(&summary[..at]).map_err(io)?;
        let mut first = true;
        for part in self.json.iter().filter(|p| !p.is_empty()) {
            if !first {
                out.write_all(b",").map_err(io)?;
            }
            first = false;
            part.write_to(out).map_err(io)?;
        }
        out.write_all(&summary[at..]).map_err(io)?;
        Ok(())
    }

    /// Exactly what [`crate::export::write_wix`] writes for the full report.
    pub fn write_wix<W: std::io::Write>(&self, mut out: W, excel: bool) -> Result<()> {
        let io = crate::export::io;
        out.write_all(&crate::export::wix_head(excel)?).map_err(io)?;
        for part in &self.wix {
            part.write_to(&mut out).map_err(io)?;
        }
        out.flush().map_err(io)
    }
}

/// A fast hasher for the instance ids of the per-instance sums (FxHash).
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn finish(&self) -> u64 {
        // A final avalanche (murmur3's fmix64): instance ids differ in a few bytes only, and the
        // table takes its bucket from the low bits and its tag from the high ones.
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

impl FxHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// Counts and sums of a set of events, in total and per instance. Instance ids are GUIDs: those
/// are kept inline in the table (one memory access per event instead of two).
#[derive(Default)]
struct Acc {
    events: u32,
    total: Sums,
    guids: FxMap<[u8; 36], Sums>,
    others: FxMap<Box<str>, Sums>,
}

impl Acc {
    fn add(&mut self, e: &events::EventRef<'_>) {
        self.events += 1;
        self.total.add(e.billing, &e.amounts);
        let id = e.instance_id;
        if let Ok(key) = <[u8; 36]>::try_from(id.as_bytes()) {
            self.guids.entry(key).or_default().add(e.billing, &e.amounts);
        } else if let Some(s) = self.others.get_mut(id) {
            s.add(e.billing, &e.amounts);
        } else {
            self.others.entry(id.into()).or_default().add(e.billing, &e.amounts);
        }
    }

    fn merge(&mut self, o: Acc) {
        self.events += o.events;
        self.total.merge(&o.total);
        if self.guids.is_empty() {
            self.guids = o.guids;
        } else {
            for (id, s) in o.guids {
                self.guids.entry(id).or_default().merge(&s);
            }
        }
        for (id, s) in o.others {
            self.others.entry(id).or_default().merge(&s);
        }
    }

    /// The instance lines, sorted by id (byte order is `str` order).
    fn lines(&self) -> Vec<InstanceLine> {
        let mut ids: Vec<(&[u8], &Sums)> =
            self.guids.iter().map(|(k, s)| (&k[..], s)).chain(self.others.iter().map(|(k, s)| (k.as_bytes(), s))).collect();
        ids.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let lines = |ids: &[(&[u8], &Sums)]| -> Vec<InstanceLine> {
            ids.iter().map(|(k, s)| s.line(std::str::from_utf8(k).expect("keys come from a str"))).collect()
        };
        if ids.len() < 10_000 {
            return lines(&ids);
        }
        // 100,000 instances: two halves side by side.
        let (a, b) = ids.split_at(ids.len() / 2);
        std::thread::scope(|s| {
            let second = s.spawn(|| lines(b));
            let mut first = lines(a);
            first.extend(second.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            first
        })
    }
}

/// What the events are written as, shared by every worker.
struct Fmt {
    json: bool,
    wix: bool,
    tz: chrono_tz::Tz,
    /// The app id cell of the Wix report, through `safe_text`.
    app_cell: String,
}

/// One chunk's output, in report order.
#[derive(Default)]
struct ChunkOut {
    json: Blocks,
    wix: Blocks,
    problems: Vec<crate::Exception>,
}

/// A worker's scratch buffers.
#[derive(Default)]
struct Scratch {
    id: String,
    product: String,
    note: String,
    /// The last rate and its text (`rate.normalize().to_string()`).
    rate: Option<(Decimal, String)>,
}

/// Whether serde_json writes `s` as is between quotes: no control character, `"` or `\`.
fn json_plain(s: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is zero (classic SWAR test; exact when no byte is at 0x80 or above is
    // needed, so bytes >= 0x80 are masked out by `!x`).
    let has_zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    let mut chunks = s.chunks_exact(8);
    for c in &mut chunks {
        let x = u64::from_le_bytes(c.try_into().expect("8 bytes"));
        // Bytes below 0x20: (x - 0x20 per byte) borrows into the top bit where x's top bit is 0.
        let below = x.wrapping_sub(0x2020_2020_2020_2020) & !x & HI;
        if below | has_zero(x ^ 0x2222_2222_2222_2222) | has_zero(x ^ 0x5c5c_5c5c_5c5c_5c5c) != 0 {
            return false;
        }
    }
    chunks.remainder().iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// Appends `s` as a JSON string, as serde_json writes it.
fn json_str(out: &mut Vec<u8>, s: &str) {
    if json_plain(s.as_bytes()) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, s).expect("a Vec takes any write");
    }
}

/// Adds one event to `acc` and writes it into `out` (JSON object, Wix row).
fn write_event(
    e: &events::EventRef<'_>,
    fmt: &Fmt,
    acc: &mut Acc,
    sc: &mut Scratch,
    json: &mut Blocks,
    wix: Option<&mut crate::export::WixRows>,
) -> Result<()> {
    acc.add(e);
    if !fmt.json && !fmt.wix {
        return Ok(());
    }
    let a = &e.amounts;
    let (mut bg, mut be, mut bn, mut bw) = ([0u8; 48], [0u8; 48], [0u8; 48], [0u8; 48]);
    let gross = events::fmt2_str(a.gross, &mut bg);
    let expenses = events::fmt2_str(a.expenses, &mut be);
    let net = events::fmt2_str(a.net, &mut bn);
    let share = events::fmt2_str(a.wix_share, &mut bw);
    // normalize() maps equal values to one representation, so equal rates print alike.
    if sc.rate.as_ref().is_none_or(|(r, _)| *r != a.rate) {
        sc.rate = Some((a.rate, a.rate.normalize().to_string()));
    }
    let rate = sc.rate.as_ref().map(|(_, s)| s.as_str()).expect("set above");
    sc.product.clear();
    e.write_product(&mut sc.product);
    sc.note.clear();
    e.write_note(&mut sc.note);
    if fmt.json {
        sc.id.clear();
        e.write_id(&mut sc.id);
        let first = json.is_empty();
        // Room for the usual event (a longer one grows its block).
        let j = json.room(1024 + sc.product.len() + sc.note.len());
        if !first {
            j.push(b',');
        }
        j.extend_from_slice(b"{\"id\":");
        json_str(j, &sc.id);
        j.extend_from_slice(b",\"instance_id\":");
        json_str(j, e.instance_id);
        j.extend_from_slice(b",\"billing_type\":");
        json_str(j, e.billing.as_str());
        j.extend_from_slice(b",\"created_date\":");
        json_str(j, e.created_date);
        for (key, v) in [(&b",\"gross\":"[..], gross), (b",\"expenses\":", expenses), (b",\"net\":", net), (b",\"rate\":", rate), (b",\"wix_share\":", share)] {
            j.extend_from_slice(key);
            json_str(j, v);
        }
        j.extend_from_slice(b",\"source\":");
        json_str(j, e.source);
        j.extend_from_slice(b",\"source_id\":");
        match e.source_id {
            Some(s) => json_str(j, s),
            None => j.extend_from_slice(b"null"),
        }
        j.extend_from_slice(if e.late { b",\"late\":true" } else { b",\"late\":false" });
        j.extend_from_slice(b",\"state\":");
        json_str(j, e.state);
        j.extend_from_slice(b",\"product\":");
        json_str(j, &sc.product);
        j.extend_from_slice(b",\"expense_note\":");
        json_str(j, &sc.note);
        j.push(b'}');
    }
    if let Some(w) = wix {
        w.row(&fmt.app_cell, fmt.tz, e.instance_id, e.created_date, &sc.product, gross, net, &sc.note, rate, share)?;
    }
    Ok(())
}

/// A part of a month: live rows with `occurred_ts` in `[lo, hi)`, or frozen events with `seq`
/// in `[lo, hi)`.
#[derive(Debug, Clone, Copy)]
enum Chunk {
    Live { lo: i64, hi: i64 },
    Frozen { lo: i64, hi: i64 },
}

/// `[lo, hi)` cut into at most `n` consecutive non-empty ranges.
fn slices(lo: i64, hi: i64, n: i64) -> Vec<(i64, i64)> {
    if hi <= lo {
        return Vec::new();
    }
    let width = i128::from(hi) - i128::from(lo);
    let at = |k: i64| (i128::from(lo) + width * i128::from(k) / i128::from(n)) as i64;
    (0..n).map(|k| (at(k), at(k + 1))).filter(|(a, b)| a < b).collect()
}

/// What every chunk of a month needs.
struct MonthJob<'a> {
    ctx: &'a events::Context,
    batches: &'a events::Batches,
    frozen: (i64, i64),
    label: &'a str,
    fmt: &'a Fmt,
}

fn run_chunk(conn: &Connection, job: &MonthJob<'_>, chunk: Chunk, acc: &mut Acc, sc: &mut Scratch) -> Result<ChunkOut> {
    let mut out = ChunkOut::default();
    let mut wix = job.fmt.wix.then(crate::export::WixRows::new);
    let mut problems = Vec::new();
    {
        let mut sink = |e: &events::EventRef<'_>| write_event(e, job.fmt, acc, sc, &mut out.json, wix.as_mut());
        match chunk {
            Chunk::Live { lo, hi } => {
                let scan = events::LiveScan { ctx: job.ctx, batches: job.batches, lo, hi, frozen: job.frozen, report_month: job.label };
                events::scan_live_txns(conn, &scan, &mut problems, &mut sink)?;
            }
            Chunk::Frozen { lo, hi } => events::scan_frozen(conn, job.label, lo, hi, &mut sink)?,
        }
    }
    out.problems = problems;
    if let Some(w) = wix {
        out.wix = w.into_bytes()?;
    }
    Ok(out)
}

/// A read-only connection to the ledger file for one worker.
fn open_reader(path: &std::path::Path) -> rusqlite::Result<Connection> {
    use rusqlite::OpenFlags;
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "mmap_size", events::LIVE_MMAP_BYTES)?;
    conn.pragma_update(None, "cache_size", -32_000)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(conn)
}

/// Runs the chunks on the readers (one thread each; the chunks are taken in turn), or on `conn`
/// when there is no reader; `meanwhile` runs on the calling thread. Returns the chunks' outputs
/// in order.
fn run_chunks<T>(
    conn: &Connection,
    readers: &mut [Connection],
    job: &MonthJob<'_>,
    chunks: &[Chunk],
    acc: &mut Acc,
    meanwhile: impl FnOnce() -> Result<T>,
) -> Result<(Vec<ChunkOut>, T)> {
    if readers.is_empty() {
        let mut sc = Scratch::default();
        let outs = chunks.iter().map(|c| run_chunk(conn, job, *c, acc, &mut sc)).collect::<Result<Vec<_>>>()?;
        return Ok((outs, meanwhile()?));
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<ChunkOut>>> = chunks.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let (accs, t) = std::thread::scope(|s| {
        let workers: Vec<_> = readers
            .iter_mut()
            .map(|reader| {
                let (next, slots) = (&next, &slots);
                s.spawn(move || -> Result<Acc> {
                    // One read transaction: every chunk of this worker sees one snapshot.
                    reader.execute_batch("BEGIN")?;
                    let mut acc = Acc::default();
                    let mut sc = Scratch::default();
                    let result = (|| {
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(chunk) = chunks.get(i) else { return Ok(()) };
                            let out = run_chunk(reader, job, *chunk, &mut acc, &mut sc)?;
                            *slots[i].lock().expect("no worker panics holding it") = Some(out);
                        }
                    })();
                    reader.execute_batch("COMMIT")?;
                    result.map(|()| acc)
                })
            })
            .collect();
        let t = meanwhile();
        let accs: Vec<Result<Acc>> =
            workers.into_iter().map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect();
        (accs, t)
    });
    for a in accs {
        acc.merge(a?);
    }
    let t = t?;
    let outs = slots.into_iter().map(|s| s.into_inner().expect("no worker panicked").expect("every chunk ran")).collect();
    Ok((outs, t))
}

/// The report of `period` with its events written as `outputs` asks (see [`ReportStream`]).
/// `path`: the ledger file, read by worker threads; none: everything on `conn`.
pub(crate) fn report_stream(conn: &Connection, path: Option<&std::path::Path>, period: &Period, outputs: Outputs) -> Result<ReportStream> {
    let ctx = events::load_context(conn)?;
    let fmt = Fmt {
        json: outputs.json,
        wix: outputs.wix_csv,
        tz: ctx.tz,
        app_cell: crate::export::safe_text(ctx.app_id.as_deref().unwrap_or("")).into_owned(),
    };
    let batches = events::Batches::load(conn)?;
    let frozen = events::frozen_txn_bounds(conn)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let mut readers: Vec<Connection> = match path {
        Some(p) if p.is_file() => (0..threads).map(|_| open_reader(p)).collect::<rusqlite::Result<_>>().unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut acc = Acc::default();
    let (mut json, mut wix, mut exceptions, mut statuses) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for m in period.months() {
        let label = m.format("%Y-%m").to_string();
        statuses.push(month_status(conn, &label)?);
        let job = MonthJob { ctx: &ctx, batches: &batches, frozen, label: &label, fmt: &fmt };
        let mut outs = match events::reporting_span(conn, m)? {
            None => {
                let (lo, hi): (Option<i64>, Option<i64>) = conn.query_row(
                    "SELECT (SELECT min(seq) FROM events WHERE month = ?1), (SELECT max(seq) FROM events WHERE month = ?1)",
                    [&label],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let chunks: Vec<Chunk> = match (lo, hi) {
                    (Some(lo), Some(hi)) => slices(lo, hi.saturating_add(1), 16).into_iter().map(|(lo, hi)| Chunk::Frozen { lo, hi }).collect(),
                    _ => Vec::new(),
                };
                run_chunks(conn, &mut readers, &job, &chunks, &mut acc, || Ok(()))?.0
            }
            Some(first) => {
                let (start, _) = months::month_bounds(first, ctx.tz);
                let (month_start, end) = months::month_bounds(m, ctx.tz);
                let (lo, mid, hi) = (months::bound_ts(&start), months::bound_ts(&month_start), months::bound_ts(&end));
                // Late rows of the approved months before (mostly frozen) apart from the month's own.
                let chunks: Vec<Chunk> =
                    slices(lo, mid, 4).into_iter().chain(slices(mid, hi, 16)).map(|(lo, hi)| Chunk::Live { lo, hi }).collect();
                let (mut outs, mut ex) =
                    run_chunks(conn, &mut readers, &job, &chunks, &mut acc, || exceptions::instance_exceptions_between(conn, &start, &end))?;
                exceptions.append(&mut ex);
                // Manual refunds (few) come after the rows, as in `live_events`.
                let mut manual = ChunkOut::default();
                let mut w = fmt.wix.then(crate::export::WixRows::new);
                let mut sc = Scratch::default();
                events::scan_manual_refunds(conn, &ctx, &start, &end, &label, &mut manual.problems, &mut |e| {
                    write_event(e, &fmt, &mut acc, &mut sc, &mut manual.json, w.as_mut())
                })?;
                if let Some(w) = w {
                    manual.wix = w.into_bytes()?;
                }
                outs.push(manual);
                outs
            }
        };
        for o in &mut outs {
            exceptions.append(&mut o.problems);
        }
        for o in outs {
            json.push(o.json);
            wix.push(o.wix);
        }
    }
    let instances = acc.lines();
    let payouts = payout_checks(conn, &ctx, period)?;
    let report = Report {
        month: matches!(period, Period::Month(_)).then(|| period.label()),
        quarter: matches!(period, Period::Quarter { .. }).then(|| period.label()),
        app_id: ctx.app_id.clone(),
        app_name: settings::get(conn, "app.name")?,
        status: least_advanced(&statuses),
        totals: acc.total.totals(acc.events),
        instances,
        events: Vec::new(),
        exceptions,
        payouts,
    };
    Ok(ReportStream { report, json, wix })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_str_writes_what_serde_json_writes() {
        let mut cases: Vec<String> = (0u32..0x80).map(|b| char::from_u32(b).unwrap().to_string()).collect();
        for s in ["", "plain", "Pro plan - monthly", "a\"b", "back\\slash", "tab\there", "line\nbreak", "\u{7f}", "é ü 漢字 🎉", "0123456\"", "01234567\u{1}", "=HYPERLINK(\"x\")"] {
            cases.push(s.to_string());
        }
        for b in 0u8..0x80 {
            for at in 0..17 {
                let mut s: String = "abcdefghijklmnopq".into();
                s.replace_range(at..at + 1, &char::from(b).to_string());
                cases.push(s);
            }
        }
        for s in cases {
            let mut out = Vec::new();
            json_str(&mut out, &s);
            assert_eq!(out, serde_json::to_vec(&s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn slices_cover_the_range_in_order() {
        assert!(slices(5, 5, 4).is_empty());
        assert_eq!(slices(0, 3, 16), vec![(0, 1), (1, 2), (2, 3)]);
        assert_eq!(slices(0, 100, 4), vec![(0, 25), (25, 50), (50, 75), (75, 100)]);
        let s = slices(-7, i64::MAX, 16);
        assert_eq!((s[0].0, s[15].1, s.len()), (-7, i64::MAX, 16));
        assert!(s.windows(2).all(|w| w[0].1 == w[1].0));
    }
}
