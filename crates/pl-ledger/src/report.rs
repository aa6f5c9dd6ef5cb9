//! The month and quarter report (SPEC §8 `report --json`), built from frozen and live events.
//! Totals are sums of the rounded event values, so every total reconciles to the cent.

use chrono::NaiveDate;
use pl_money::fmt2;
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::events;
use crate::record::{guid_pack, guid_unpack, Segment};
use crate::rules::{BillingType, EventAmounts};
use crate::{exceptions, months, settings, Error, EventLine, InstanceLine, PayoutCheck, Report, Result, Totals};

mod view;
pub use view::{MonthView, MAX_PAGE};

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

pub(crate) fn month_status(conn: &Connection, month: &str) -> Result<String> {
    Ok(crate::store::months::status(conn, month)?.unwrap_or_else(|| "open".into()))
}

/// The report of `period` with its events as lines: the streamed report's records read back
/// (`path`: the ledger file for worker threads; none inside a write transaction).
pub(crate) fn report(conn: &Connection, path: Option<&std::path::Path>, period: &Period) -> Result<Report> {
    report_stream(conn, path, period, Keep::Records)?.into_report()
}

/// Every exception of the live rows, whatever their month (`exceptions` without `--month`): the
/// same scan as a report's, its events dropped.
pub(crate) fn all_exceptions(conn: &Connection) -> Result<Vec<crate::Exception>> {
    let ctx = events::load_context(conn)?;
    let batches = events::Batches::load(conn)?;
    let mut ex = exceptions::instance_exceptions_between(conn, "", "9999")?;
    let originals = events::Originals::load(conn)?;
    let scan = events::LiveScan {
        ctx: &ctx,
        batches: &batches,
        lo: i64::MIN,
        hi: i64::MAX,
        frozen: events::frozen_txn_bounds(conn)?,
        report_month: "",
        originals: &originals,
    };
    let mut to_check = events::RefundsToCheck::default();
    events::scan_live_txns(conn, &mut events::ScanStatements::default(), &scan, &mut ex, &mut to_check, &mut |_| Ok(()))?;
    events::check_refunds(conn, &mut [], &batches, vec![(to_check, &mut ex)])?;
    events::scan_manual_refunds(conn, &ctx, "", "9999", "", &mut ex, &mut |_| Ok(()))?;
    Ok(ex)
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
        self.add_amounts(a);
    }

    /// Adds the amounts of `a` (its rate aside), not counting an event.
    fn add_amounts(&mut self, a: &EventAmounts) {
        self.gross += a.gross;
        self.expenses += a.expenses;
        self.net += a.net;
        self.wix_share += a.wix_share;
    }

    /// Adds sums in cents (gross, expenses, net, Wix share), not counting an event.
    fn add_cents(&mut self, c: [i64; 4]) {
        self.gross += Decimal::new(c[0], 2);
        self.expenses += Decimal::new(c[1], 2);
        self.net += Decimal::new(c[2], 2);
        self.wix_share += Decimal::new(c[3], 2);
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

/// Each itemized payout in the period (by its own date) against the sum of the nets of its rows.
///
/// A PayPal withdrawal is not an itemized payout: the activity download never says which
/// payments a withdrawal took out of the balance (it moves whatever the balance holds, in any
/// amount, whenever the operator asks), so there are no items to compare it with and it is left
/// out of the check rather than reported as not matching "its 0 item(s)".
fn payout_checks(conn: &Connection, ctx: &events::Context, period: &Period) -> Result<Vec<PayoutCheck>> {
    let ms = period.months();
    let (start, _) = months::month_bounds(ms[0], ctx.tz);
    let (_, end) = months::month_bounds(*ms.last().expect("a period has months"), ctx.tz);
    let (lo, hi) = (months::bound_ts(&start), months::bound_ts(&end));
    let mut out = Vec::new();
    for p in crate::store::txns::payouts_between(conn, lo, hi)? {
        // A stored amount that is not a decimal (a ledger edited by hand) is named, not read as 0.
        let bad = |what: &str, v: &str| {
            Error::Refused(format!(
                "payout {}: its {what} `{}` in the ledger is not an amount; undo its import and import a corrected file",
                pl_import::clip(&p.payout_ref),
                pl_import::clip(v)
            ))
        };
        let amount = p.gross.parse::<Decimal>().map_err(|_| bad("amount", &p.gross))?.abs();
        let items_net = match &p.items_net {
            Some(n) => n.parse::<Decimal>().map_err(|_| bad("items' net", n))?,
            None => Decimal::ZERO,
        };
        out.push(PayoutCheck {
            amount: fmt2(amount),
            items_net: fmt2(items_net),
            items: p.items.unwrap_or(0),
            matches: amount == items_net,
            payout_id: p.payout_ref,
            currency: p.currency,
            payout_date: p.occurred_at,
        });
    }
    Ok(out)
}

// ---- the streamed report ------------------------------------------------------------------
//
// `report --json` and `--wix-csv` of a month of 1M events: the events are never built as
// `Event`s or `EventLine`s. Worker threads, each with its own read-only connection to the
// ledger file (WAL lets readers run side by side), take chunks of the month (time slices of
// the live rows, or `seq` ranges of the frozen ones) in turn; for each event they add to their
// own sums and append a compact record of it (`record.rs`, a quarter of its JSON). The sums are
// exact decimals, so merging the workers' sums gives the same totals. Once the totals are known,
// the records are written out, segment by segment in report order, formatted by worker threads
// into a few recycled buffers: the bytes are those of the whole report serialised at once.

/// A report whose events are kept as compact records: its summary (`report` with no `events`)
/// and, when it was asked for, the events, written as JSON or Wix CSV rows in report order.
pub struct ReportStream {
    /// Everything but the events and the instance lines (both empty).
    report: Report,
    /// Refund events and late events (charges are the other events).
    refunds: u32,
    late: u32,
    /// The instance lines' ids and sums, sorted by id.
    instances: Vec<(InstanceKey, Sums)>,
    segments: Option<Vec<Segment>>,
    fmt: Fmt,
}

impl ReportStream {
    /// The report without its events (`events` is empty).
    pub fn summary(&self) -> Report {
        Report { instances: lines(&self.instances), ..self.report.clone() }
    }

    /// What the window shows of a month at once (a quarter: its label as the month).
    pub fn month_summary(&self) -> Result<crate::MonthSummary> {
        let r = &self.report;
        Ok(crate::MonthSummary {
            month: r.month.clone().or_else(|| r.quarter.clone()).unwrap_or_default(),
            status: r.status,
            app_id: r.app_id.clone(),
            app_name: r.app_name.clone(),
            totals: r.totals.clone(),
            charges: r.totals.events - self.refunds,
            refunds: self.refunds,
            late: self.late,
            instances: u32::try_from(self.instances.len()).unwrap_or(u32::MAX),
            exceptions: r.exceptions.clone(),
            payouts: r.payouts.clone(),
        })
    }

    /// The whole report, its events read back from their records as lines.
    pub fn into_report(self) -> Result<Report> {
        let mut events = Vec::with_capacity(self.report.totals.events as usize);
        let mut sc = Scratch::default();
        for seg in self.segments()? {
            seg.each(|e| {
                events.push(line_of(e, &mut sc));
                Ok::<(), Error>(())
            })?;
        }
        Ok(Report { instances: lines(&self.instances), events, ..self.report })
    }

    /// Calls `f` with each event, in report order, and its texts as reports print them.
    pub(crate) fn each_event(&self, mut f: impl FnMut(&events::EventRef<'_>, &Texts<'_>) -> Result<()>) -> Result<()> {
        let mut sc = Scratch::default();
        for seg in self.segments()? {
            seg.each(|e| {
                let t = sc.texts(e);
                f(e, &t)
            })?;
        }
        Ok(())
    }

    /// The app's name (what the Wix file is named after).
    pub fn app_name(&self) -> Option<&str> {
        self.report.app_name.as_deref()
    }

    /// Exactly what `serde_json::to_writer(out, &report)` writes for the full report.
    pub fn write_json<W: std::io::Write>(&self, out: &mut W) -> Result<()> {
        let segments = self.segments()?;
        let summary = serde_json::to_vec(&self.report).map_err(|e| Error::Refused(format!("cannot write the report: {e}")))?;
        // `"` inside a JSON string is always escaped, so the first `,"instances":[` and the first
        // `,"events":[` after it are the keys (both arrays are empty in the summary).
        let after = |from: usize, key: &[u8]| from + summary[from..].windows(key.len()).position(|w| w == key).expect("a report has the key") + key.len();
        let instances_at = after(0, b",\"instances\":[");
        let events_at = after(instances_at, b",\"events\":[");
        let io = crate::export::io;
        out.write_all(&summary[..instances_at]).map_err(io)?;
        let parts: Vec<&[(InstanceKey, Sums)]> = self.instances.chunks(INSTANCES_PART).collect();
        write_parts(&parts, out, |part, buf| {
            let mut t = [0u8; 36];
            for (k, s) in part.iter() {
                if !buf.is_empty() {
                    buf.push(b',');
                }
                serde_json::to_writer(&mut *buf, &s.line(k.text(&mut t))).map_err(|e| Error::Refused(format!("cannot write the report: {e}")))?;
            }
            Ok(())
        }, Some(b','))?;
        out.write_all(&summary[instances_at..events_at]).map_err(io)?;
        write_parts(segments, out, |seg, buf| {
            let mut sc = Scratch::default();
            seg.each(|e| {
                if !buf.is_empty() {
                    buf.push(b',');
                }
                serde_json::to_writer(&mut *buf, &line_of(e, &mut sc)).map_err(|e| Error::Refused(format!("cannot write the report: {e}")))
            })
        }, Some(b','))?;
        out.write_all(&summary[events_at..]).map_err(io)?;
        Ok(())
    }

    /// Exactly what [`crate::export::write_wix`] writes for the full report.
    pub fn write_wix<W: std::io::Write>(&self, mut out: W, excel: bool) -> Result<()> {
        let segments = self.segments()?;
        let io = crate::export::io;
        out.write_all(&crate::export::wix_head(excel)?).map_err(io)?;
        let fmt = &self.fmt;
        write_parts(segments, &mut out, |seg, buf| {
            let mut sc = Scratch::default();
            let mut rows = crate::export::WixRows::new(std::mem::take(buf));
            seg.each(|e| {
                let t = sc.texts(e);
                let [gross, _, net, share] = t.amounts.texts();
                rows.row(&fmt.app_cell, fmt.tz, e.instance_id, e.created_date, t.product, gross, net, t.note, t.rate, share, t.basis)
            })?;
            *buf = rows.into_bytes()?;
            Ok(())
        }, None)?;
        out.flush().map_err(io)
    }

    fn segments(&self) -> Result<&[Segment]> {
        self.segments.as_deref().ok_or_else(|| Error::Refused("this report was computed without its events: call `report_stream` with `with_events`".into()))
    }
}

/// How many formatted parts may wait to be written (bounds the memory of the writing).
const SEGMENTS_AHEAD: usize = 6;

/// Instance lines formatted as one part.
const INSTANCES_PART: usize = 4096;

/// Formats `parts` of the output with `format` (into an empty buffer, one part each) on worker
/// threads and writes them to `out` in order, `sep` between two parts.
fn write_parts<T: Sync, W: std::io::Write + ?Sized>(
    parts: &[T],
    out: &mut W,
    format: impl Fn(&T, &mut Vec<u8>) -> Result<()> + Sync,
    sep: Option<u8>,
) -> Result<()> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::{mpsc, Condvar, Mutex};
    let io = crate::export::io;
    let write = |out: &mut W, i: usize, buf: &[u8]| -> Result<()> {
        if i > 0 {
            if let Some(c) = sep {
                out.write_all(&[c]).map_err(io)?;
            }
        }
        out.write_all(buf).map_err(io)
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    if parts.len() < 2 || threads < 2 {
        let mut buf = Vec::new();
        for (i, seg) in parts.iter().enumerate() {
            buf.clear();
            format(seg, &mut buf)?;
            write(out, i, &buf)?;
        }
        return Ok(());
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // How many parts are written; a worker waits while its segment is too far ahead.
    let written = (Mutex::new(0usize), Condvar::new());
    let pool: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    let (done, results) = mpsc::channel::<(usize, Result<Vec<u8>>)>();
    std::thread::scope(|s| {
        for _ in 0..threads {
            let done = done.clone();
            let (next, stop, written, pool, format) = (&next, &stop, &written, &pool, &format);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= parts.len() || stop.load(Ordering::Relaxed) {
                    return;
                }
                {
                    let mut w = written.0.lock().expect("no panic holding it");
                    while i >= *w + SEGMENTS_AHEAD && !stop.load(Ordering::Relaxed) {
                        w = written.1.wait(w).expect("no panic holding it");
                    }
                }
                let mut buf = pool.lock().expect("no panic holding it").pop().unwrap_or_default();
                buf.clear();
                let r = format(&parts[i], &mut buf).map(|()| buf);
                if done.send((i, r)).is_err() {
                    return;
                }
            });
        }
        drop(done);
        let mut pending = std::collections::BTreeMap::new();
        let mut at = 0;
        let result = (|| {
            while at < parts.len() {
                let (i, r) = results.recv().expect("a worker sends every segment it takes until stopped");
                pending.insert(i, r);
                while let Some(r) = pending.remove(&at) {
                    let buf = r?;
                    write(out, at, &buf)?;
                    pool.lock().expect("no panic holding it").push(buf);
                    at += 1;
                    *written.0.lock().expect("no panic holding it") = at;
                    written.1.notify_all();
                }
            }
            Ok(())
        })();
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
            let _w = written.0.lock().expect("no panic holding it");
            written.1.notify_all();
        }
        result
    })
}

type FxMap<K, V> = rustc_hash::FxHashMap<K, V>;

/// Amounts in cents (gross, expenses, net, Wix share), when each is a whole number of cents that
/// fits an `i64` (event amounts are rounded to cents: always, but for absurd values).
fn to_cents(a: &EventAmounts) -> Option<[i64; 4]> {
    let c = |d: Decimal| -> Option<i64> {
        let m = d.mantissa();
        match d.scale() {
            2 => i64::try_from(m).ok(),
            1 => i64::try_from(m.checked_mul(10)?).ok(),
            0 => i64::try_from(m.checked_mul(100)?).ok(),
            _ => None,
        }
    };
    Some([c(a.gross)?, c(a.expenses)?, c(a.net)?, c(a.wix_share)?])
}

/// Adds `c` to `acc` unless one of the sums would overflow (then `acc` is left as it was).
fn add_cents(acc: &mut [i64; 4], c: [i64; 4]) -> bool {
    let mut sum = [0i64; 4];
    for i in 0..4 {
        match acc[i].checked_add(c[i]) {
            Some(v) => sum[i] = v,
            None => return false,
        }
    }
    *acc = sum;
    true
}

/// One instance's counts and sums in cents: a cache line, so that adding an event costs one
/// memory access (a month's 100,000 instances are far bigger than the caches).
#[derive(Clone, Copy, Default)]
#[repr(C, align(64))]
struct Slot {
    key: u128,
    charges: u32,
    refunds: u32,
    cents: [i64; 4],
}

impl Slot {
    /// A slot holds an instance once it has an event.
    fn is_empty(&self) -> bool {
        self.charges == 0 && self.refunds == 0
    }
}

/// Per-instance sums of GUID instances, by the GUID's 128-bit value: open addressing, linear
/// probing. What cents cannot hold (a sub-cent or huge amount, an overflow)
/// is summed as exact decimals in `exact`; an instance's sums are its slot's plus its `exact`.
struct GuidSums {
    slots: Vec<Slot>,
    len: usize,
    exact: FxMap<u128, Sums>,
    /// Events not added yet (key, counted as a refund, cents): added [`PENDING`] at a time, so
    /// that their slots are fetched from memory side by side rather than one after the other
    /// (with 100,000 instances nearly every event's slot is a cache miss).
    pending: Vec<(u128, bool, [i64; 4])>,
}

/// How many events [`GuidSums`] adds at once.
const PENDING: usize = 16;

impl Default for GuidSums {
    fn default() -> GuidSums {
        GuidSums { slots: vec![Slot::default(); 1024], len: 0, exact: FxMap::default(), pending: Vec::with_capacity(PENDING) }
    }
}

impl GuidSums {
    fn index(key: u128, mask: usize) -> usize {
        let mut h = rustc_hash::FxHasher::default();
        std::hash::Hasher::write_u128(&mut h, key);
        std::hash::Hasher::finish(&h) as usize & mask
    }

    /// The slot of `key`, claimed when new (the caller counts an event in it). The table is
    /// kept at most 4/5 full: probes stay short (neighbouring slots are neighbouring cache lines)
    /// and 100,000 instances fit in 8 MB.
    fn slot(&mut self, key: u128) -> &mut Slot {
        if (self.len + 1) * 5 > self.slots.len() * 4 {
            let bigger = vec![Slot::default(); self.slots.len() * 2];
            let old = std::mem::replace(&mut self.slots, bigger);
            let mask = self.slots.len() - 1;
            for s in old.into_iter().filter(|s| !s.is_empty()) {
                let mut i = Self::index(s.key, mask);
                while !self.slots[i].is_empty() {
                    i = (i + 1) & mask;
                }
                self.slots[i] = s;
            }
        }
        let mask = self.slots.len() - 1;
        let mut i = Self::index(key, mask);
        loop {
            let s = &self.slots[i];
            if s.is_empty() {
                self.len += 1;
                self.slots[i].key = key;
                return &mut self.slots[i];
            }
            if s.key == key {
                return &mut self.slots[i];
            }
            i = (i + 1) & mask;
        }
    }

    /// Adds an event with amounts `a`; `cents`: `to_cents(a)`.
    fn add(&mut self, key: u128, billing: BillingType, a: &EventAmounts, cents: Option<[i64; 4]>) {
        let refund = billing == BillingType::Refund;
        let Some(c) = cents else {
            let slot = self.slot(key);
            if refund { slot.refunds += 1 } else { slot.charges += 1 }
            self.exact.entry(key).or_default().add_amounts(a);
            return;
        };
        self.pending.push((key, refund, c));
        if self.pending.len() == PENDING {
            self.flush();
        }
    }

    /// Adds the pending events. Their slots are read first, in a loop with no dependency from
    /// one read to the next, so that the processor fetches them in parallel.
    fn flush(&mut self) {
        let mask = self.slots.len() - 1;
        let mut touch = 0u64;
        for (key, _, _) in &self.pending {
            touch ^= self.slots[Self::index(*key, mask)].charges as u64;
        }
        std::hint::black_box(touch);
        let mut pending = std::mem::take(&mut self.pending);
        for &(key, refund, c) in &pending {
            self.add_to(key, u32::from(!refund), u32::from(refund), c);
        }
        pending.clear();
        self.pending = pending;
    }

    /// Adds event counts and cents to `key`'s slot (what the slot's cents cannot hold goes to
    /// `exact`).
    fn add_to(&mut self, key: u128, charges: u32, refunds: u32, c: [i64; 4]) {
        let slot = self.slot(key);
        slot.charges += charges;
        slot.refunds += refunds;
        if !add_cents(&mut slot.cents, c) {
            self.exact.entry(key).or_default().add_cents(c);
        }
    }

    fn merge(&mut self, mut o: GuidSums) {
        self.flush();
        o.flush();
        // Into the bigger table: the smaller one's instances are added to it.
        if o.len > self.len {
            std::mem::swap(self, &mut o);
        }
        for s in o.slots.iter().filter(|s| !s.is_empty()) {
            self.add_to(s.key, s.charges, s.refunds, s.cents);
        }
        for (k, s) in o.exact {
            self.exact.entry(k).or_default().merge(&s);
        }
    }

    /// Each instance's key and sums, in key order (the keys are sorted with their slots' places,
    /// so that whole sums are not moved).
    fn sums(&self) -> impl Iterator<Item = (u128, Sums)> + '_ {
        debug_assert!(self.pending.is_empty(), "flushed first");
        let mut order: Vec<(u128, usize)> =
            self.slots.iter().enumerate().filter(|(_, s)| !s.is_empty()).map(|(i, s)| (s.key, i)).collect();
        order.sort_unstable_by_key(|o| o.0);
        order.into_iter().map(|(key, i)| {
            let s = &self.slots[i];
            let mut sums = Sums { charges: s.charges, refunds: s.refunds, ..Sums::default() };
            sums.add_cents(s.cents);
            // `exact` counts no events: only its amounts add.
            if let Some(x) = self.exact.get(&key) {
                sums.merge(x);
            }
            (key, sums)
        })
    }
}

/// Counts and sums of a set of events, in total and per instance. GUID instance ids (all of
/// them, in practice) are keyed by their 128-bit value in [`GuidSums`]; any other by its text.
#[derive(Default)]
struct Acc {
    events: u32,
    refunds: u32,
    late: u32,
    /// The total in cents, and what cents cannot hold.
    total_cents: [i64; 4],
    total_exact: Sums,
    guids: GuidSums,
    others: FxMap<Box<str>, Sums>,
}

impl Acc {
    /// Adds `e`; `guid` is `guid_pack(e.instance_id)`.
    fn add(&mut self, e: &events::EventRef<'_>, guid: Option<u128>) {
        self.events += 1;
        self.refunds += u32::from(e.billing == BillingType::Refund);
        self.late += u32::from(e.late);
        let cents = to_cents(&e.amounts);
        if !cents.is_some_and(|c| add_cents(&mut self.total_cents, c)) {
            self.total_exact.add_amounts(&e.amounts);
        }
        let id = e.instance_id;
        if let Some(key) = guid {
            self.guids.add(key, e.billing, &e.amounts, cents);
        } else if let Some(s) = self.others.get_mut(id) {
            s.add(e.billing, &e.amounts);
        } else {
            self.others.entry(id.into()).or_default().add(e.billing, &e.amounts);
        }
    }

    fn merge(&mut self, o: Acc) {
        self.events += o.events;
        self.refunds += o.refunds;
        self.late += o.late;
        if !add_cents(&mut self.total_cents, o.total_cents) {
            self.total_exact.add_cents(o.total_cents);
        }
        self.total_exact.merge(&o.total_exact);
        self.guids.merge(o.guids);
        for (id, s) in o.others {
            self.others.entry(id).or_default().merge(&s);
        }
    }

    fn totals(&self) -> Totals {
        let mut t = self.total_exact;
        t.add_cents(self.total_cents);
        t.totals(self.events)
    }

    /// Each instance's id and sums, sorted by id (byte order is `str` order).
    fn instances(&mut self) -> Vec<(InstanceKey, Sums)> {
        self.guids.flush();
        // A packed GUID's order is its text's (`guid_pack`): GUIDs come sorted as numbers, the
        // other ids (rare) are sorted as texts, and the two runs merged.
        let mut others: Vec<(&str, Sums)> = self.others.iter().map(|(k, s)| (&**k, *s)).collect();
        others.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut others = others.into_iter().peekable();
        let mut all: Vec<(InstanceKey, Sums)> = Vec::with_capacity(self.guids.len + self.others.len());
        let mut t = [0u8; 36];
        for (k, s) in self.guids.sums() {
            if others.peek().is_some() {
                guid_unpack(k, &mut t);
                while let Some((o, os)) = others.next_if(|(o, _)| o.as_bytes() < &t[..]) {
                    all.push((InstanceKey::Text(o.into()), os));
                }
            }
            all.push((InstanceKey::Guid(k), s));
        }
        all.extend(others.map(|(o, os)| (InstanceKey::Text(o.into()), os)));
        all
    }

    #[cfg(test)]
    fn lines(&mut self) -> Vec<InstanceLine> {
        lines(&self.instances())
    }
}

/// An instance id: a packed GUID (`guid_pack`), or any other id.
enum InstanceKey {
    Guid(u128),
    Text(Box<str>),
}

impl InstanceKey {
    /// The id's text (a GUID's written in `buf`).
    fn text<'a>(&'a self, buf: &'a mut [u8; 36]) -> &'a str {
        match self {
            InstanceKey::Guid(k) => {
                guid_unpack(*k, buf);
                crate::raw::utf8(buf).expect("hex digits and dashes")
            }
            InstanceKey::Text(s) => s,
        }
    }
}

/// The instance lines of sorted instance sums.
fn lines(instances: &[(InstanceKey, Sums)]) -> Vec<InstanceLine> {
    let lines = |ids: &[(InstanceKey, Sums)]| -> Vec<InstanceLine> { ids.iter().map(|(k, s)| s.line(k.text(&mut [0; 36]))).collect() };
    if instances.len() < 10_000 {
        return lines(instances);
    }
    // 100,000 instances: two halves side by side.
    let (a, b) = instances.split_at(instances.len() / 2);
    std::thread::scope(|s| {
        let second = s.spawn(|| lines(b));
        let mut first = lines(a);
        first.extend(second.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        first
    })
}

/// What the Wix rows need besides the events.
struct Fmt {
    tz: chrono_tz::Tz,
    /// The app id cell of the Wix report, through `safe_text`.
    app_cell: String,
}

/// One chunk's output, in report order.
#[derive(Default)]
struct ChunkOut {
    segments: Vec<Segment>,
    problems: Vec<crate::Exception>,
    /// Checked once every chunk of the month has run.
    refunds: events::RefundsToCheck,
}

/// A writer's scratch buffers.
#[derive(Default)]
pub(crate) struct Scratch {
    product: String,
    note: String,
    basis: String,
    /// The last rate and its text (`rate.normalize().to_string()`).
    rate: Option<(Decimal, String)>,
}

/// An event's amounts as reports print them: gross, expenses, net and Wix share one after the
/// other (ASCII), and where each ends.
pub(crate) struct Fields {
    text: [u8; 4 * 48],
    ends: [usize; 4],
}

impl Fields {
    fn new(amounts: [Decimal; 4]) -> Fields {
        let mut f = Fields { text: [0; 4 * 48], ends: [0; 4] };
        let mut at = 0;
        for (i, d) in amounts.into_iter().enumerate() {
            let mut b = [0u8; 48];
            let t = events::fmt2_bytes(d, &mut b);
            f.text[at..at + t.len()].copy_from_slice(t);
            at += t.len();
            f.ends[i] = at;
        }
        f
    }

    /// Gross, expenses, net and Wix share (one UTF-8 check for the four).
    pub fn texts(&self) -> [&str; 4] {
        let all = crate::raw::utf8(&self.text[..self.ends[3]]).expect("ASCII digits");
        let e = self.ends;
        [&all[..e[0]], &all[e[0]..e[1]], &all[e[1]..e[2]], &all[e[2]..]]
    }
}

/// An event's texts as reports print them.
pub(crate) struct Texts<'a> {
    pub amounts: Fields,
    pub rate: &'a str,
    pub product: &'a str,
    pub note: &'a str,
    pub basis: &'a str,
}

impl Scratch {
    /// Prints the event's amounts, and gives its rate, product and expense note: as stored, or
    /// built in the scratch buffers (the note from the printed amounts).
    fn texts<'a>(&'a mut self, e: &events::EventRef<'a>) -> Texts<'a> {
        let a = &e.amounts;
        // normalize() maps equal values to one representation, so equal rates print alike.
        if self.rate.as_ref().is_none_or(|(r, _)| *r != a.rate) {
            self.rate = Some((a.rate, a.rate.normalize().to_string()));
        }
        let amounts = Fields::new([a.gross, a.expenses, a.net, a.wix_share]);
        let note = match e.note {
            events::Note::Stored(s) => s,
            events::Note::Rules { deduct_fees, tax, converted } => {
                let [gross, expenses, net, _] = amounts.texts();
                self.note.clear();
                events::write_note_words(&mut self.note, &events::Printed { gross, expenses, net }, a.expenses, e.source, deduct_fees, tax, converted);
                &self.note
            }
        };
        let product = match e.product {
            events::Product::Stored(s) => s,
            events::Product::ManualRefund(_) => {
                self.product.clear();
                e.write_product(&mut self.product);
                &self.product
            }
        };
        let basis = match e.rate_basis {
            events::RateBasis::Stored(s) => s,
            live => {
                self.basis.clear();
                live.write(&mut self.basis);
                &self.basis
            }
        };
        let rate = self.rate.as_ref().map(|(_, t)| t.as_str()).expect("set above");
        Texts { amounts, rate, product, note, basis }
    }
}

/// One event as reports show it (`report --json` serialises it, `Ledger::report` keeps it).
pub(crate) fn line_of(e: &events::EventRef<'_>, sc: &mut Scratch) -> EventLine {
    let t = sc.texts(e);
    let [gross, expenses, net, wix_share] = t.amounts.texts();
    let mut id = String::new();
    e.write_id(&mut id);
    EventLine {
        id,
        instance_id: e.instance_id.into(),
        billing_type: e.billing.as_str().into(),
        created_date: e.created_date.into(),
        gross: gross.into(),
        expenses: expenses.into(),
        net: net.into(),
        rate: t.rate.into(),
        wix_share: wix_share.into(),
        source: e.source.into(),
        source_id: e.source_id.map(Into::into),
        late: e.late,
        state: crate::EventState::of_str(e.state),
        product: t.product.into(),
        expense_note: t.note.into(),
        rate_basis: t.basis.into(),
    }
}

/// Adds one event to `acc`, and keeps its record when the events are kept.
fn record_event(e: &events::EventRef<'_>, acc: &mut Acc, segments: Option<&mut Vec<Segment>>, keys: bool) {
    let guid = guid_pack(e.instance_id);
    acc.add(e, guid);
    if let Some(segs) = segments {
        let seg = match segs.last_mut() {
            Some(seg) if !seg.is_full() => seg,
            _ => {
                segs.push(Segment::default());
                segs.last_mut().expect("pushed")
            }
        };
        seg.push(e, guid);
        if keys {
            if seg.keys.capacity() == 0 {
                seg.keys.reserve_exact(crate::record::SEGMENT_EVENTS as usize);
            }
            seg.keys.push(crate::record::EventKey::of(e, guid));
        }
    }
}

/// What a streamed report keeps of each event besides the sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Nothing: the totals, instance lines and exceptions only.
    Sums,
    /// Its record (to be written as JSON or CSV, or read back as lines).
    Records,
    /// Its record and its sort and filter keys (the window's pages).
    RecordsAndKeys,
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

/// How many chunks a month is cut into. The workers take them in turn, so the last one to finish
/// waits for the other about one chunk's time at most: with 16 chunks (~60,000 events each) the
/// two workers of a 2-core machine finished 65-90 ms apart. Each chunk also costs a few MB of peak
/// memory in a live month (measured, 1M events: 16 chunks 530 MB, 32 580 MB, 64 685 MB).
const CHUNKS: i64 = 32;

/// What every chunk of a month needs.
struct MonthJob<'a> {
    ctx: &'a events::Context,
    batches: &'a events::Batches,
    frozen: (i64, i64),
    label: &'a str,
    keep: Keep,
    originals: &'a events::Originals,
}

fn run_chunk<'c>(conn: &'c Connection, stmts: &mut events::ScanStatements<'c>, job: &MonthJob<'_>, chunk: Chunk, acc: &mut Acc) -> Result<ChunkOut> {
    let mut out = ChunkOut::default();
    let mut problems = Vec::new();
    {
        let (keep, keys) = (job.keep != Keep::Sums, job.keep == Keep::RecordsAndKeys);
        let segments = &mut out.segments;
        let mut sink = |e: &events::EventRef<'_>| {
            record_event(e, acc, keep.then_some(&mut *segments), keys);
            Ok(())
        };
        match chunk {
            Chunk::Live { lo, hi } => {
                let scan = events::LiveScan { ctx: job.ctx, batches: job.batches, lo, hi, frozen: job.frozen, report_month: job.label, originals: job.originals };
                events::scan_live_txns(conn, stmts, &scan, &mut problems, &mut out.refunds, &mut sink)?;
            }
            Chunk::Frozen { lo, hi } => events::scan_frozen(conn, stmts, job.label, lo, hi, &mut sink)?,
        }
    }
    out.problems = problems;
    Ok(out)
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
        let mut stmts = events::ScanStatements::default();
        let outs = chunks.iter().map(|c| run_chunk(conn, &mut stmts, job, *c, acc)).collect::<Result<Vec<_>>>()?;
        return Ok((outs, meanwhile()?));
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<ChunkOut>>> = chunks.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let (accs, t) = std::thread::scope(|s| {
        let workers: Vec<_> = readers
            .iter_mut()
            .map(|reader| {
                let (next, slots) = (&next, &slots);
                // One read transaction: every chunk of this worker sees one snapshot.
                s.spawn(move || -> Result<Acc> {
                    let reader: &Connection = reader;
                    crate::db::in_read(reader, || {
                        let mut acc = Acc::default();
                        let mut stmts = events::ScanStatements::default();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(chunk) = chunks.get(i) else { return Ok(acc) };
                            let out = run_chunk(reader, &mut stmts, job, *chunk, &mut acc)?;
                            *slots[i].lock().expect("no worker panics holding it") = Some(out);
                        }
                    })
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

/// The report of `period`, with what `keep` asks of its events (see [`ReportStream`]).
/// `path`: the ledger file, read by worker threads; none: everything on `conn`.
pub(crate) fn report_stream(conn: &Connection, path: Option<&std::path::Path>, period: &Period, keep: Keep) -> Result<ReportStream> {
    let keep_events = keep != Keep::Sums;
    let ctx = events::load_context(conn)?;
    let fmt = Fmt { tz: ctx.tz, app_cell: crate::export::safe_text(ctx.app_id.as_deref().unwrap_or("")).into_owned() };
    let batches = events::Batches::load(conn)?;
    let frozen = events::frozen_txn_bounds(conn)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let mut readers: Vec<Connection> = match path {
        Some(p) if p.is_file() => (0..threads).map(|_| crate::db::open_reader(p)).collect::<Result<_>>().unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut acc = Acc::default();
    let (mut segments, mut exceptions, mut statuses) = (Vec::new(), Vec::new(), Vec::new());
    // Read for the first month with live rows.
    let mut originals: Option<events::Originals> = None;
    let no_originals = events::Originals::default();
    for m in period.months() {
        let label = m.format("%Y-%m").to_string();
        statuses.push(crate::MonthStatus::of_str(&month_status(conn, &label)?));
        let span = events::reporting_span(conn, m)?;
        if span.is_some() && originals.is_none() {
            originals = Some(events::Originals::load(conn)?);
        }
        let job = MonthJob { ctx: &ctx, batches: &batches, frozen, label: &label, keep, originals: originals.as_ref().unwrap_or(&no_originals) };
        let mut outs = match span {
            None => {
                let chunks: Vec<Chunk> = match crate::store::scan::frozen_seq_bounds(conn, &label)? {
                    Some((lo, hi)) => slices(lo, hi.saturating_add(1), CHUNKS).into_iter().map(|(lo, hi)| Chunk::Frozen { lo, hi }).collect(),
                    None => Vec::new(),
                };
                run_chunks(conn, &mut readers, &job, &chunks, &mut acc, || Ok(()))?.0
            }
            Some(first) => {
                let (start, _) = months::month_bounds(first, ctx.tz);
                let (month_start, end) = months::month_bounds(m, ctx.tz);
                let (lo, mid, hi) = (months::bound_ts(&start), months::bound_ts(&month_start), months::bound_ts(&end));
                // Late rows of the approved months before (mostly frozen) apart from the month's own.
                let chunks: Vec<Chunk> =
                    slices(lo, mid, 4).into_iter().chain(slices(mid, hi, CHUNKS)).map(|(lo, hi)| Chunk::Live { lo, hi }).collect();
                let (mut outs, mut ex) =
                    run_chunks(conn, &mut readers, &job, &chunks, &mut acc, || exceptions::instance_exceptions_between(conn, &start, &end))?;
                exceptions.append(&mut ex);
                let scans = outs.iter_mut().map(|o| (std::mem::take(&mut o.refunds), &mut o.problems)).collect();
                events::check_refunds(conn, &mut readers, &batches, scans)?;
                // Manual refunds (few) come after the rows, as in `live_events`.
                let mut manual = ChunkOut::default();
                let mut keep = keep_events.then_some(&mut manual.segments);
                events::scan_manual_refunds(conn, &ctx, &start, &end, &label, &mut manual.problems, &mut |e| {
                    record_event(e, &mut acc, keep.as_deref_mut(), job.keep == Keep::RecordsAndKeys);
                    Ok(())
                })?;
                outs.push(manual);
                outs
            }
        };
        for o in &mut outs {
            exceptions.append(&mut o.problems);
        }
        for o in outs {
            segments.extend(o.segments);
        }
    }
    let instances = acc.instances();
    let payouts = payout_checks(conn, &ctx, period)?;
    let report = Report {
        month: matches!(period, Period::Month(_)).then(|| period.label()),
        quarter: matches!(period, Period::Quarter { .. }).then(|| period.label()),
        app_id: ctx.app_id.clone(),
        app_name: settings::get(conn, "app.name")?,
        // A quarter is as advanced as its least advanced month (`MonthStatus` orders them).
        status: statuses.iter().min().copied().unwrap_or(crate::MonthStatus::Open),
        totals: acc.totals(),
        instances: Vec::new(),
        events: Vec::new(),
        exceptions,
        payouts,
    };
    // Closing a reader unmaps the hundreds of MB of the file it read (~10 ms each): done on a
    // thread of its own, beside the writing, rather than before it.
    if !readers.is_empty() {
        std::thread::spawn(move || drop(readers));
    }
    Ok(ReportStream { report, refunds: acc.refunds, late: acc.late, instances, segments: keep_events.then_some(segments), fmt })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount() -> impl proptest::strategy::Strategy<Value = Decimal> {
        use proptest::prelude::*;
        prop_oneof![
            // Cents, as events have them.
            (-100_000_000i64..100_000_000).prop_map(|c| Decimal::new(c, 2)),
            // Whole units and tenths (scale 0 and 1).
            (-1_000_000i64..1_000_000, 0u32..2).prop_map(|(m, s)| Decimal::new(m, s)),
            // Sub-cent values, and values whose cents overflow an i64 or come close to.
            (-1_000_000i64..1_000_000).prop_map(|m| Decimal::new(m, 3)),
            (-3i64..=3).prop_map(|k| Decimal::new(i64::MAX - 5 + k, 2) * Decimal::from(k.signum())),
            (1i64..1000).prop_map(|k| Decimal::from(k) * Decimal::new(100_000_000_000_000_000, 0)),
        ]
    }

    proptest::proptest! {
        /// Sums kept in cents (and in decimals where cents cannot hold them), split across two
        /// workers and merged, are the plain decimal sums.
        #[test]
        fn sums_in_cents_are_the_exact_sums(
            events in proptest::collection::vec((0usize..4, proptest::bool::ANY, [amount(), amount(), amount(), amount()]), 0..60),
            split in 0usize..60,
        ) {
            const IDS: [&str; 4] = ["157f033e-c1ae-4418-adb0-79d2bcd9d4a8", "00000000-0000-0000-0000-000000000001", "Not-A-GUID", "ffffffff-ffff-4fff-bfff-ffffffffffff"];
            let refs: Vec<events::EventRef<'_>> = events.iter().map(|(i, refund, a)| events::EventRef {
                id: events::EventId::Txn(1),
                txn_id: None,
                manual_id: None,
                instance_id: IDS[*i],
                billing: if *refund { BillingType::Refund } else { BillingType::Charge },
                created_date: "2026-10-01T00:00:00Z",
                created_secs: None,
                amounts: EventAmounts { gross: a[0], expenses: a[1], net: a[2], rate: Decimal::TEN, wix_share: a[3] },
                source: "s",
                source_id: None,
                product: events::Product::Stored("p"),
                note: events::Note::Stored("n"),
                rate_basis: events::RateBasis::Stored(""),
                late: false,
                state: "draft",
            }).collect();
            let (mut a, mut b) = (Acc::default(), Acc::default());
            for (n, e) in refs.iter().enumerate() {
                let acc = if n < split { &mut a } else { &mut b };
                acc.add(e, guid_pack(e.instance_id));
            }
            a.merge(b);
            let mut total = Sums::default();
            let mut per: std::collections::BTreeMap<&str, Sums> = Default::default();
            for e in &refs {
                total.add(e.billing, &e.amounts);
                per.entry(e.instance_id).or_default().add(e.billing, &e.amounts);
            }
            proptest::prop_assert_eq!(a.totals(), total.totals(refs.len() as u32));
            let want: Vec<InstanceLine> = per.iter().map(|(id, s)| s.line(id)).collect();
            proptest::prop_assert_eq!(a.lines(), want);
        }
    }

    #[test]
    fn guid_sums_grow_while_events_are_pending() {
        // 5,000 instances (the table starts with 1,024 slots), each event's slot added in batches.
        let mut g = GuidSums::default();
        let mut want: std::collections::BTreeMap<u128, (u32, u32, i64)> = Default::default();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for n in 0..40_000i64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let key = u128::from(x % 5_000) << 64 | 0xabc;
            let refund = n % 7 == 0;
            let cents = Decimal::new(n % 1000 - 300, 2);
            let a = EventAmounts { gross: cents, expenses: Decimal::ZERO, net: cents, rate: Decimal::TEN, wix_share: Decimal::ZERO };
            g.add(key, if refund { BillingType::Refund } else { BillingType::Charge }, &a, to_cents(&a));
            let w = want.entry(key).or_default();
            if refund { w.1 += 1 } else { w.0 += 1 }
            w.2 += n % 1000 - 300;
        }
        g.flush();
        let got: Vec<(u128, (u32, u32, i64))> =
            g.sums().map(|(k, s)| (k, (s.charges, s.refunds, (s.gross * Decimal::ONE_HUNDRED).try_into().unwrap()))).collect();
        assert!(want.len() > 4_900 && g.len == want.len());
        assert_eq!(got, want.into_iter().collect::<Vec<_>>());
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
