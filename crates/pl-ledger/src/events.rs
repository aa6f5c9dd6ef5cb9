//! Billing events (SPEC §4): computed live from the ledger's rows for open months, frozen into
//! the `events` table by an approval. Which month an event is reported in, and which rows are
//! late, is decided here.
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use pl_money::fmt2;
use rusqlite::Connection;
use rust_decimal::Decimal;

use pl_import::clip;
use crate::store::scan::ChargeBy;
use crate::rules::{self, BillingType, Conversion, EventAmounts, FxTable, RateBook, RowAmounts};
use crate::{calendar, exceptions, kinds, settings, store, Error, Exception, ExceptionKind, Result};

/// Everything the rules need besides the rows: settings, rates, FX.
pub(crate) struct Context {
    pub deduct_fees: bool,
    pub tz: Tz,
    pub rates: RateBook,
    pub fx: FxTable,
    pub app_id: Option<String>,
    /// Setting `refund_rate` = `original_charge`: a refund or dispute whose original charge is
    /// in the ledger takes the rate in force on the charge's date.
    pub rate_of_charge: bool,
}

/// A stored decimal; none when the text is not one (a ledger edited by hand).
fn dec(s: &str) -> Option<Decimal> {
    Decimal::from_str(s).ok()
}

/// A stored value that cannot be read: names what holds it and says what to do.
fn bad_stored(what: &str, value: &str, fix: &str) -> Error {
    Error::Refused(format!("{what}: the ledger holds `{}`, which cannot be right; {fix}", clip(value)))
}

pub(crate) fn load_context(conn: &Connection) -> Result<Context> {
    let deduct_fees = settings::get(conn, "deduct_processor_fees")?.as_deref() != Some("false");
    let tz = exceptions::reporting_tz(conn)?;
    let mut rates = RateBook::default();
    for (from, pct, inst) in store::rates::all(conn)? {
        let what = || format!("the revenue-share rate from {} ({})", clip(&from), inst.as_deref().unwrap_or("the app"));
        let fix = "add the rate again with its date and percent";
        let percent = dec(&pct).filter(|p| rules::valid_rate(*p)).ok_or_else(|| bad_stored(&format!("{} has no percent between 0 and 100", what()), &pct, fix))?;
        rates.insert(day(&from).ok_or_else(|| bad_stored(&format!("{} has no date", what()), &from, fix))?, percent, inst.as_deref());
    }
    let mut fx = FxTable::default();
    for (d, cur, rate) in store::rates::all_fx(conn)? {
        let what = format!("the FX rate of {} on {}", clip(&cur), clip(&d));
        let fix = "import the FX table again with a corrected row";
        let usd_per_unit = dec(&rate)
            .filter(|r| *r > Decimal::ZERO)
            .ok_or_else(|| bad_stored(&format!("{what} is not a positive number of USD per unit"), &rate, fix))?;
        fx.insert(&cur, day(&d).ok_or_else(|| bad_stored(&format!("{what} has no date"), &d, fix))?, usd_per_unit);
    }
    let rate_of_charge = match settings::get(conn, "refund_rate")?.as_deref() {
        None | Some("event_date") => false,
        Some("original_charge") => true,
        Some(other) => {
            return Err(Error::Refused(format!(
                "the setting refund_rate holds `{}`; set it again to one of: {}",
                clip(other),
                settings::REFUND_RATES.join(", ")
            )))
        }
    };
    Ok(Context { deduct_fees, tz, rates, fx, app_id: settings::get(conn, "app.id")?, rate_of_charge })
}

/// A stored date (`YYYY-MM-DD`).
fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn processor_name(source: &str) -> &str {
    if source.starts_with("stripe") {
        "Stripe"
    } else if source.starts_with("paypal") {
        "PayPal"
    } else if let Some(name) = source.strip_prefix("mapped:") {
        name
    } else {
        source
    }
}

/// The months (first..=last, `YYYY-MM`) whose live rows are reported in `month`: the month
/// itself and the run of approved months right before it (their late rows). None when `month`
/// is approved: it has only frozen events.
pub(crate) fn reporting_span(conn: &Connection, month: NaiveDate) -> Result<Option<NaiveDate>> {
    let approved = approved_months(conn)?;
    let key = |d: NaiveDate| d.format("%Y-%m").to_string();
    if approved.contains(&key(month)) {
        return Ok(None);
    }
    let mut first = month;
    while let Some(prev) = first.checked_sub_months(chrono::Months::new(1)) {
        if !approved.contains(&key(prev)) {
            break;
        }
        first = prev;
    }
    Ok(Some(first))
}

pub(crate) fn approved_months(conn: &Connection) -> Result<HashSet<String>> {
    Ok(store::months::approved(conn)?.into_iter().collect())
}


/// An event's id: `tx-<row>` or `mr-<n>` (a frozen event's too: migration 0009 derives it
/// from the same keys).
#[derive(Debug, Clone, Copy)]
pub(crate) enum EventId {
    Txn(i64),
    Manual(i64),
}

/// An event's product name: as stored, or a manual refund's reason.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Product<'a> {
    Stored(&'a str),
    ManualRefund(&'a str),
}

/// Which rate an event took: the one in force on its own date, or on its original charge's date
/// (setting `refund_rate`), as days from the common era; or the words frozen with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RateBasis<'a> {
    EventDate(i32),
    OriginalCharge(i32),
    Stored(&'a str),
}

impl RateBasis<'_> {
    /// The live basis of a date.
    pub fn of(date: NaiveDate, of_charge: bool) -> RateBasis<'static> {
        let days = date.num_days_from_ce();
        if of_charge { RateBasis::OriginalCharge(days) } else { RateBasis::EventDate(days) }
    }

    /// Appends the words: `rate in force on 2026-11-04`, `rate of the original charge of
    /// 2025-11-03`, or as frozen (empty for an event approved before the words existed).
    pub fn write(self, out: &mut String) {
        let (words, days) = match self {
            RateBasis::Stored(s) => return out.push_str(s),
            RateBasis::EventDate(d) => ("rate in force on ", d),
            RateBasis::OriginalCharge(d) => ("rate of the original charge of ", d),
        };
        out.push_str(words);
        match NaiveDate::from_num_days_from_ce_opt(days) {
            Some(d) => calendar::push_date(out, d, true),
            None => out.push('?'),
        }
    }
}

/// An event's expense note: as frozen, or from the rules ([`expense_note`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Note<'a> {
    Stored(&'a str),
    Rules { deduct_fees: bool, tax: bool, converted: Option<&'a str> },
}

/// One event borrowing the strings of the row it comes from: what the scans hand to their
/// sink, so that a report of 1M events allocates nothing per event.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventRef<'a> {
    pub id: EventId,
    pub txn_id: Option<i64>,
    pub manual_id: Option<i64>,
    pub instance_id: &'a str,
    pub billing: BillingType,
    pub created_date: &'a str,
    /// When known: `created_date` is this instant written `YYYY-MM-DDTHH:MM:SSZ` (exactly what
    /// [`calendar::write_canonical`] writes for it).
    pub created_secs: Option<i64>,
    pub amounts: EventAmounts,
    pub source: &'a str,
    pub source_id: Option<&'a str>,
    pub product: Product<'a>,
    pub note: Note<'a>,
    pub rate_basis: RateBasis<'a>,
    pub late: bool,
    pub state: &'a str,
}

impl EventId {
    /// The id Wix and the operator see: `tx-<row id>` or `mr-<manual refund id>`.
    pub fn write(&self, out: &mut String) {
        use std::fmt::Write;
        match self {
            EventId::Txn(n) => write!(out, "tx-{n}").expect("write to a String"),
            EventId::Manual(n) => write!(out, "mr-{n}").expect("write to a String"),
        }
    }
}

impl EventRef<'_> {
    pub fn write_id(&self, out: &mut String) {
        self.id.write(out);
    }

    pub fn write_product(&self, out: &mut String) {
        match self.product {
            Product::Stored(s) => out.push_str(s),
            Product::ManualRefund(reason) => {
                out.push_str("Manual refund: ");
                out.push_str(reason);
            }
        }
    }
}

/// What receives each event of a scan, in order.
pub(crate) type Sink<'s> = dyn FnMut(&EventRef<'_>) -> Result<()> + 's;

/// `fmt2` (two decimals, rounded half away from zero, never `-0.00`) into a stack buffer.
pub(crate) fn fmt2_bytes(d: Decimal, buf: &mut [u8; 48]) -> &[u8] {
    // Event amounts are already in cents: rounding them changes nothing.
    let r = if d.scale() <= 2 { d } else { pl_money::round_cents(d) };
    let neg = r.is_sign_negative() && !r.is_zero();
    let mut v: u128 = r.mantissa().unsigned_abs();
    for _ in r.scale()..2 {
        v *= 10;
    }
    let mut i = buf.len() - 3;
    // u64 arithmetic when the value fits (u128 division is a library call).
    let (units, cents) = match u64::try_from(v) {
        Ok(v) => (u128::from(v / 100), (v % 100) as u8),
        Err(_) => (v / 100, (v % 100) as u8),
    };
    let c = usize::from(cents) * 2;
    buf[i..].copy_from_slice(&[b'.', DIGIT_PAIRS[c], DIGIT_PAIRS[c + 1]]);
    i = push_int(buf, i, units);
    if neg {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// Writes `v` in decimal right-aligned before `buf[i]`; returns where it starts. Digits come
/// from `u64` arithmetic, 19 at a time (u128 division is slow and cent values rarely need it).
fn push_int(buf: &mut [u8], mut i: usize, v: u128) -> usize {
    const CHUNK: u128 = 10_000_000_000_000_000_000; // 10^19
    let (mut w, rest) = if v < CHUNK { (v as u64, 0) } else { ((v % CHUNK) as u64, v / CHUNK) };
    // A chunk below a higher one is zero-padded to its 19 digits.
    let min_digits = if rest == 0 { 1 } else { 19 };
    let end = i;
    // Two digits a division.
    while w >= 100 {
        let d = (w % 100) as usize * 2;
        w /= 100;
        i -= 2;
        buf[i..i + 2].copy_from_slice(&DIGIT_PAIRS[d..d + 2]);
    }
    while w != 0 || end - i < min_digits {
        i -= 1;
        buf[i] = b'0' + (w % 10) as u8;
        w /= 10;
    }
    if rest == 0 { i } else { push_int(buf, i, rest) }
}

/// "00", "01", … "99", one after the other.
static DIGIT_PAIRS: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

/// An event's gross, expenses and net as [`fmt2_str`] prints them.
pub(crate) struct Printed<'a> {
    pub gross: &'a str,
    pub expenses: &'a str,
    pub net: &'a str,
}

/// [`write_expense_note`] from the amounts already printed (`expenses`: the value, for its sign).
pub(crate) fn write_note_words(note: &mut String, p: &Printed<'_>, expenses: Decimal, source: &str, deduct_fees: bool, tax: bool, converted: Option<&str>) {
    note.push_str("Gross ");
    note.push_str(p.gross);
    if let Some(c) = converted {
        note.push_str(" (");
        note.push_str(c);
        note.push(')');
    }
    if tax {
        note.push_str(" (sales tax excluded)");
    }
    if !deduct_fees {
        note.push_str("; processor fees not deducted");
    } else if expenses.is_zero() {
        note.push_str("; no processing fee");
    } else if expenses.is_sign_negative() {
        // The fee without its sign (rounding is symmetric; a value that rounds to zero prints `0.00`).
        note.push_str(" plus ");
        note.push_str(p.expenses.strip_prefix('-').unwrap_or(p.expenses));
        note.push_str(" processing fee returned by ");
        note.push_str(processor_name(source));
    } else {
        note.push_str(" minus ");
        note.push_str(p.expenses);
        note.push_str(" processing fee (");
        note.push_str(processor_name(source));
        note.push(')');
    }
    note.push_str(" = net ");
    note.push_str(p.net);
}

/// The import batches: format and file name by id (few; read once per scan).
pub(crate) struct Batches(HashMap<i64, (String, String)>);

impl Batches {
    pub fn load(conn: &Connection) -> Result<Batches> {
        Ok(Batches(store::scan::batches(conn)?.into_iter().map(|(id, format, file)| (id, (format, file))).collect()))
    }
}

pub(crate) use store::scan::{frozen_txn_bounds, ScanStatements};

/// The month events are reported in: an event whose own date (in the reporting time zone) falls in
/// another month is **late** (SPEC §5: a row arriving for an approved month joins the first open
/// month after it). The one place lateness is decided.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReportMonth(Option<(i32, u32)>);

impl ReportMonth {
    /// `YYYY-MM`; anything else (the all-months scan of `exceptions`) makes nothing late.
    pub fn of(month: &str) -> ReportMonth {
        ReportMonth(month.split_once('-').and_then(|(y, m)| Some((y.parse::<i32>().ok()?, m.parse::<u32>().ok()?))))
    }

    pub fn is_late(self, date: NaiveDate) -> bool {
        self.0.is_some_and(|ym| (date.year(), date.month()) != ym)
    }
}

/// One scan of live rows: the rules' context, and the rows whose `occurred_ts` is in `[lo, hi)`.
pub(crate) struct LiveScan<'a> {
    pub ctx: &'a Context,
    pub batches: &'a Batches,
    pub lo: i64,
    pub hi: i64,
    /// [`frozen_txn_bounds`].
    pub frozen: (i64, i64),
    /// `YYYY-MM`: rows of another month are late.
    pub report_month: &'a str,
    /// [`Originals::load`], read before the scan.
    pub originals: &'a Originals,
}

/// Live events of imported rows, in `(occurred_ts, id)` order, and their exceptions.
pub(crate) fn scan_live_txns<'c>(
    conn: &'c Connection,
    stmts: &mut ScanStatements<'c>,
    scan: &LiveScan<'_>,
    problems: &mut Vec<Exception>,
    to_check: &mut RefundsToCheck,
    sink: &mut Sink<'_>,
) -> Result<()> {
    let ctx = scan.ctx;
    // Conversions are only needed for non-USD rows: read them when the first one comes.
    let mut conversions: Option<HashMap<String, Decimal>> = None;
    let mut refund_check = RefundCheck::new(conn)?;
    let report = ReportMonth::of(scan.report_month);
    // Only what every event needs is read; a row's line (for an exception) is read when needed.
    let mut rows = store::scan::live_rows(conn, stmts, scan.lo, scan.hi, scan.frozen)?;
    let mut created = [0u8; 20];
    // Rows of one batch come together: its format and file name are looked up once.
    let mut batch: Option<(i64, Option<&(String, String)>)> = None;
    while let Some(r) = rows.next()? {
        let txn_id = r.id();
        let kind = r.kind()?;
        let Some(billing) = kinds::billing_type_bytes(kind) else { continue };
        let ts = r.ts();
        let occurred = r.occurred_at()?;
        // Import writes `occurred_at` and `occurred_ts` from one instant: the text is the seconds
        // written `YYYY-MM-DDTHH:MM:SSZ` (but for a leap second, or a year past 9999).
        calendar::write_canonical(ts, &mut created);
        let created_secs = (created == occurred.as_bytes()).then_some(ts);
        // Checked as UTF-8 only when it is not USD (it is then named in notes and exceptions).
        let currency = if r.currency_bytes()? == b"USD" { "USD" } else { r.currency()? };
        let texts = r.amounts()?;
        let [gross, fee, net, tax] = texts.map(dec_bytes);
        let instance = r.instance_id()?;
        let source_id = r.source_id()?;
        let product = r.description()?;
        let batch_id = r.batch_id();
        let this_batch = match batch {
            Some((id, b)) if id == batch_id => b,
            _ => batch.insert((batch_id, scan.batches.0.get(&batch_id))).1,
        };
        // The batch always exists (a foreign key); a row without one gives nothing, as a join would.
        let Some((source, file_name)) = this_batch.map(|(s, f)| (s.as_str(), f.as_str())) else { continue };
        // A value no import writes (a ledger written before the importer's bounds, or edited by
        // hand): an error naming the row, never a panic.
        let row_error = |what: String| -> Error {
            let line = store::scan::line_of(conn, txn_id).ok().flatten();
            let at = line.map_or_else(String::new, |l| format!(" line {l}"));
            Error::Refused(format!(
                "{source} row {} (file {}{at}, ledger row {txn_id}): {what}; undo its import (batch {batch_id}) and import a corrected file",
                clip(source_id),
                clip(file_name),
            ))
        };
        let (Some(gross), Some(fee), Some(net), Some(tax)) = (gross, fee, net, tax) else {
            let texts = texts.map(|b| String::from_utf8_lossy(b).into_owned());
            return Err(row_error(format!(
                "an amount is not a decimal (gross `{}`, fee `{}`, net `{}`, tax `{}`)",
                clip(&texts[0]),
                clip(&texts[1]),
                clip(&texts[2]),
                clip(&texts[3])
            )));
        };
        let amounts = RowAmounts { gross, fee, net, tax };
        let Some(at) = DateTime::<Utc>::from_timestamp(ts, 0) else {
            return Err(row_error(format!("its date ({ts} seconds) is out of range")));
        };
        let date = at.with_timezone(&ctx.tz).date_naive();
        let problem = |kind_: ExceptionKind, detail: String| -> Result<Exception> {
            row_exception(conn, RowNames { source, file_name, source_id, txn_id, kind, created: occurred }, kind_, detail)
        };
        // A charge that some row names as its original: what the refund check after the scan
        // needs of it (`check_refunds`).
        if kind == b"charge" && r.charge_hash().is_some_and(|h| scan.originals.count(h) > 0) {
            if let Some(charge_ref) = r.charge_ref()? {
                to_check.charges.push((txn_id, SeenCharge { charge_ref: charge_ref.into(), currency: currency.into(), gross: amounts.gross }));
            }
        }
        let conversion = if currency == "USD" {
            Conversion::Usd
        } else if let Some(net_usd) = match &conversions {
            Some(c) => c,
            None => conversions.insert(linked_conversions(conn)?),
        }
        .get(source_id)
        {
            Conversion::Linked { net_usd: *net_usd }
        } else if let Some(rate) = ctx.fx.rate(currency, at.date_naive()) {
            Conversion::Table { usd_per_unit: rate }
        } else {
            problems.push(problem(
                ExceptionKind::MissingFxRate,
                format!(
                    "no {currency} rate in the FX table on or up to {} days before {}; import an FX table that has one",
                    rules::FX_MAX_AGE_DAYS,
                    at.date_naive()
                ),
            )?);
            continue;
        };
        // With refund_rate = original_charge, a refund or dispute whose charge is in the ledger
        // takes the rate in force on the charge's date (and the charge's instance override).
        let charge = match (ctx.rate_of_charge && billing == BillingType::Refund, r.original_ref()?) {
            (true, Some(original)) => original_charge(conn, ChargeBy::Ref { hash: crate::import::key_hash(original), charge_ref: original }, ctx.tz)?,
            _ => None,
        };
        let (rate_date, rate_instance, rate_basis) = match &charge {
            Some((d, i)) => (*d, i.as_deref().unwrap_or(instance), RateBasis::of(*d, true)),
            None => (date, instance, RateBasis::of(date, false)),
        };
        let Some(rate) = ctx.rates.rate(rate_instance, rate_date) else {
            let whose = if charge.is_some() { " (the date of its original charge: setting refund_rate is original_charge)" } else { "" };
            problems.push(problem(
                ExceptionKind::NoRate,
                format!("no revenue-share rate in force on {rate_date}{whose}; add a rate effective on or before that date"),
            )?);
            continue;
        };
        if kind == b"refund" {
            if let Some(original) = r.original_ref()? {
                match r.original_hash() {
                    // The usual refund is its charge's only one: checked after the scan, against
                    // the charges it met (`check_refunds`), its exception put here.
                    Some(hash) if scan.originals.count(hash) == 1 => to_check.pending.push(PendingRefund {
                        txn_id,
                        hash,
                        original: original.into(),
                        currency: currency.into(),
                        gross: amounts.gross,
                        batch_id,
                        at: problems.len(),
                        order: to_check.pending.len(),
                    }),
                    _ => {
                        if refund_check.exceeds(txn_id, original)? {
                            problems.push(problem(ExceptionKind::RefundExceedsCharge, REFUND_OVER.into())?);
                        }
                    }
                }
            }
        }
        let impossible = || row_error(format!("{} (gross {currency} {gross}, fee {fee}, net {net}, tax {tax})", rules::IMPOSSIBLE_AMOUNT));
        let usd = rules::to_usd(&amounts, conversion).ok_or_else(impossible)?;
        let converted = match conversion {
            Conversion::Usd => None,
            Conversion::Linked { net_usd } => {
                Some(format!("{currency} {} converted by {} to USD {}", amounts.gross, processor_name(source), fmt2(net_usd)))
            }
            Conversion::Table { usd_per_unit } => Some(format!("{currency} {} at {usd_per_unit} USD per {currency}", amounts.gross)),
        };
        let a = rules::event_amounts(billing, usd, ctx.deduct_fees, rate).ok_or_else(impossible)?;
        let late = report.is_late(date);
        sink(&EventRef {
            id: EventId::Txn(txn_id),
            txn_id: Some(txn_id),
            manual_id: None,
            instance_id: instance,
            billing,
            created_date: occurred,
            created_secs,
            amounts: a,
            source,
            source_id: Some(source_id),
            product: Product::Stored(product.unwrap_or_default()),
            note: Note::Rules { deduct_fees: ctx.deduct_fees, tax: !amounts.tax.is_zero(), converted: converted.as_deref() },
            rate_basis,
            late,
            state: "draft",
        })?;
    }
    Ok(())
}

/// A stored amount (a decimal string) from its bytes. The usual form, `-?\d+(\.\d+)?` with at
/// most 18 digits, is read directly into the decimal `from_str` gives (same digits, same scale);
/// anything else goes through `from_str`. None when the text is not a decimal.
pub(crate) fn dec_bytes(b: &[u8]) -> Option<Decimal> {
    let (neg, digits) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    let from_str = || dec(&String::from_utf8_lossy(b));
    let (mut m, mut int_digits, mut scale, mut point) = (0i64, 0u32, 0u32, false);
    for &c in digits {
        match c {
            // 18 digits always fit an i64; a 19th goes to from_str.
            b'0'..=b'9' if int_digits + scale < 18 => {
                m = m * 10 + i64::from(c - b'0');
                if point { scale += 1 } else { int_digits += 1 }
            }
            b'.' if !point => point = true,
            _ => return from_str(),
        }
    }
    // No digit before or after the point: as from_str.
    if int_digits == 0 || (point && scale == 0) {
        return from_str();
    }
    Some(Decimal::new(if neg { -m } else { m }, scale))
}

/// Live events of manual refunds created in `[start, end)`, and their exceptions.
pub(crate) fn scan_manual_refunds(
    conn: &Connection,
    ctx: &Context,
    start: &str,
    end: &str,
    report_month: &str,
    problems: &mut Vec<Exception>,
    sink: &mut Sink<'_>,
) -> Result<()> {
    for m in store::scan::manual_rows(conn, start, end)? {
        let (id, instance, created) = (m.id, m.instance_id.as_str(), m.created_date.as_str());
        let what = |field: &str| format!("manual refund mr-{id} ({field})");
        let fix = "delete it and enter it again";
        let at = calendar::parse_instant(created).ok_or_else(|| bad_stored(&what("date"), created, fix))?;
        let date = at.with_timezone(&ctx.tz).date_naive();
        let charge = match (ctx.rate_of_charge, m.charge_event.as_deref().and_then(store::events::EventKey::txn_of)) {
            (true, Some(txn)) => original_charge(conn, ChargeBy::Row(txn), ctx.tz)?,
            _ => None,
        };
        let (rate_date, rate_instance, rate_basis) = match &charge {
            Some((d, i)) => (*d, i.as_deref().unwrap_or(instance), RateBasis::of(*d, true)),
            None => (date, instance, RateBasis::of(date, false)),
        };
        let Some(rate) = ctx.rates.rate(rate_instance, rate_date) else {
            problems.push(Exception {
                kind: ExceptionKind::NoRate,
                source: "manual".into(),
                source_id: format!("mr-{id}"),
                txn_id: None,
                row_kind: "refund".into(),
                created_date: created.to_string(),
                file: "manual refund".into(),
                detail: format!("no revenue-share rate in force on {rate_date}"),
            });
            continue;
        };
        let (amount, fee) = (m.amount.as_str(), m.fee_returned.as_str());
        let amount_d = dec(amount).ok_or_else(|| bad_stored(&what("amount"), amount, fix))?;
        let fee_d = dec(fee).ok_or_else(|| bad_stored(&what("returned fee"), fee, fix))?;
        let a = rules::manual_refund_amounts(amount_d, fee_d, ctx.deduct_fees, rate)
            .ok_or_else(|| bad_stored(&format!("{}: {}", what("amount and returned fee"), rules::IMPOSSIBLE_AMOUNT), &format!("{amount} / {fee}"), fix))?;
        sink(&EventRef {
            id: EventId::Manual(id),
            txn_id: None,
            manual_id: Some(id),
            instance_id: instance,
            billing: BillingType::Refund,
            created_date: created,
            created_secs: None,
            amounts: a,
            source: "manual",
            source_id: None,
            product: Product::ManualRefund(&m.reason),
            note: Note::Rules { deduct_fees: ctx.deduct_fees, tax: false, converted: None },
            rate_basis,
            late: ReportMonth::of(report_month).is_late(date),
            state: "draft",
        })?;
    }
    Ok(())
}

/// The live charge a refund names (the earliest when several do): its date in the reporting
/// time zone and its instance. None when no such charge is in the ledger.
fn original_charge(conn: &Connection, by: ChargeBy<'_>, tz: Tz) -> Result<Option<(NaiveDate, Option<String>)>> {
    let Some((id, ts, instance)) = store::scan::original_charge(conn, by)? else { return Ok(None) };
    let at = DateTime::<Utc>::from_timestamp(ts, 0)
        .ok_or_else(|| Error::Refused(format!("original charge tx-{id}: its date ({ts} seconds) is out of range; undo its import and import a corrected file")))?;
    Ok(Some((at.with_timezone(&tz).date_naive(), instance)))
}

/// USD credited (or debited) by PayPal currency conversions, by the payment they convert.
fn linked_conversions(conn: &Connection) -> Result<HashMap<String, Decimal>> {
    let mut map: HashMap<String, Decimal> = HashMap::new();
    for (payment, gross) in store::scan::usd_conversions(conn)? {
        let gross = gross.as_str();
        let bad = |why: &str| {
            Error::Refused(format!(
                "the USD currency conversion of PayPal payment {} {why} (`{}`); undo its import and import a corrected file",
                clip(&payment),
                clip(gross)
            ))
        };
        let credit = dec(gross).ok_or_else(|| bad("has an amount that is not a decimal"))?;
        let sum = map.entry(payment.clone()).or_default();
        *sum = sum.checked_add(credit).filter(|s| rules::in_bounds(*s)).ok_or_else(|| bad(rules::IMPOSSIBLE_AMOUNT))?;
    }
    Ok(map)
}

/// The detail of a refund-exceeds-charge exception.
const REFUND_OVER: &str = "this refund takes the refunds of its charge above the charge's amount; check the export or the manual refunds";

/// What names an imported row in an exception.
struct RowNames<'a> {
    source: &'a str,
    file_name: &'a str,
    source_id: &'a str,
    txn_id: i64,
    kind: &'a [u8],
    created: &'a str,
}

/// An exception of an imported row: its file and line, its source and id.
fn row_exception(conn: &Connection, row: RowNames<'_>, kind: ExceptionKind, detail: String) -> Result<Exception> {
    let line = store::scan::line_of(conn, row.txn_id)?.unwrap_or(0);
    Ok(Exception {
        kind,
        source: row.source.to_string(),
        source_id: row.source_id.to_string(),
        txn_id: Some(row.txn_id),
        row_kind: String::from_utf8_lossy(row.kind).into_owned(),
        created_date: row.created.to_string(),
        file: format!("{}:{line}", row.file_name),
        detail,
    })
}

/// How many rows name each original charge (refunds and disputes, live or undone, by
/// `original_hash`), read before a scan from the `txns_original` index. A refund that is the
/// only row naming its charge, the usual case, is checked after the scan ([`check_refunds`]);
/// the others as the scan meets them ([`RefundCheck`]). A charge no row names is not kept.
#[derive(Default)]
pub(crate) struct Originals(rustc_hash::FxHashMap<i64, u32>);

impl Originals {
    pub fn load(conn: &Connection) -> Result<Originals> {
        Ok(Originals(store::scan::original_hash_counts(conn)?))
    }

    fn count(&self, hash: i64) -> u32 {
        self.0.get(&hash).copied().unwrap_or(0)
    }
}

/// What a scan leaves to [`check_refunds`]: its charges' only refunds, and the charges it met
/// that some row names.
#[derive(Default)]
pub(crate) struct RefundsToCheck {
    pending: Vec<PendingRefund>,
    charges: Vec<(i64, SeenCharge)>,
}

struct PendingRefund {
    txn_id: i64,
    /// `original_hash`.
    hash: i64,
    original: Box<str>,
    currency: Box<str>,
    gross: Decimal,
    batch_id: i64,
    /// Where its exception goes in the scan's exceptions, and its place among the scan's
    /// pending refunds (several may go at one place).
    at: usize,
    order: usize,
}

/// A live charge as the scan read it.
struct SeenCharge {
    charge_ref: Box<str>,
    currency: Box<str>,
    gross: Decimal,
}

/// Checks the refunds scans left ([`RefundsToCheck`]), each with the exceptions its scan wrote,
/// and puts a refund-exceeds-charge exception where the scan would have. A refund is over when
/// the one live charge of its reference and currency is smaller than it (no such charge: not
/// over; several: as [`RefundCheck`] decides).
///
/// The rows that may be a refund's charge come from the `txns_charge` index, probed in hash
/// order so that each index page is read once, the refunds cut into hash ranges read by the
/// `readers` side by side (on `conn` when there is none). Each such row is the charge a scan met
/// or, when none did (a charge of another month, without an instance, or undone), read from the
/// ledger. Checked during the scan, each refund cost two random page reads: 0.15 s of a
/// 1M-event month's 0.5 s; here 0.03 s.
pub(crate) fn check_refunds(
    conn: &Connection,
    readers: &mut [Connection],
    batches: &Batches,
    scans: Vec<(RefundsToCheck, &mut Vec<Exception>)>,
) -> Result<()> {
    let mut seen: rustc_hash::FxHashMap<i64, SeenCharge> = rustc_hash::FxHashMap::default();
    let mut todo: Vec<(usize, PendingRefund)> = Vec::new();
    let mut lists = Vec::with_capacity(scans.len());
    for (i, (checks, problems)) in scans.into_iter().enumerate() {
        seen.extend(checks.charges);
        todo.extend(checks.pending.into_iter().map(|p| (i, p)));
        lists.push(problems);
    }
    if todo.is_empty() {
        return Ok(());
    }
    todo.sort_unstable_by_key(|(_, p)| p.hash);
    let seen = &seen;
    let mut over = if readers.len() < 2 || todo.len() < 1024 {
        refunds_over(conn, seen, &todo)?
    } else {
        let part = todo.len().div_ceil(readers.len());
        let parts: Vec<Result<Vec<usize>>> = std::thread::scope(|s| {
            let handles: Vec<_> = readers
                .iter_mut()
                .zip(todo.chunks(part).enumerate())
                .map(|(r, (k, refunds))| s.spawn(move || Ok(refunds_over(r, seen, refunds)?.into_iter().map(|j| k * part + j).collect())))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
        });
        let mut all = Vec::new();
        for p in parts {
            all.extend(p?);
        }
        all
    };
    // Last first, so that each goes where its scan would have put it.
    over.sort_unstable_by_key(|&j| std::cmp::Reverse((todo[j].0, todo[j].1.at, todo[j].1.order)));
    for j in over {
        let (i, p) = &todo[j];
        let Some((source, file_name)) = batches.0.get(&p.batch_id) else { continue };
        let (source_id, created) = store::scan::row_names(conn, p.txn_id)?;
        let names = RowNames { source, file_name, source_id: &source_id, txn_id: p.txn_id, kind: b"refund", created: &created };
        let e = row_exception(conn, names, ExceptionKind::RefundExceedsCharge, REFUND_OVER.into())?;
        if let Some(list) = lists.get_mut(*i) {
            list.insert(p.at.min(list.len()), e);
        }
    }
    Ok(())
}

/// The positions in `refunds` (in hash order) of those over their charge, read on `conn` in one
/// read transaction.
fn refunds_over(conn: &Connection, seen: &rustc_hash::FxHashMap<i64, SeenCharge>, refunds: &[(usize, PendingRefund)]) -> Result<Vec<usize>> {
    crate::db::in_read(conn, || {
        let mut over = Vec::new();
        let mut ids = Vec::new();
        let mut several = RefundCheck::new(conn)?;
        for (j, (_, p)) in refunds.iter().enumerate() {
            store::scan::rows_with_charge_hash(conn, p.hash, &mut ids)?;
            let (mut charges, mut gross) = (0u32, Decimal::ZERO);
            for &id in &ids {
                let matched = match seen.get(&id) {
                    Some(c) => (c.charge_ref == p.original && c.currency == p.currency).then_some(c.gross),
                    None => match store::scan::charge_facts(conn, id)? {
                        Some(f) if f.live_charge && f.charge_ref.as_deref() == Some(&*p.original) && *f.currency == *p.currency => {
                            Some(charge_amount(&p.original, "the gross", &f.gross)?)
                        }
                        _ => None,
                    },
                };
                if let Some(g) = matched {
                    charges += 1;
                    gross = g;
                }
            }
            let is_over = match charges {
                0 => false,
                1 => p.gross.abs() > gross.abs(),
                _ => several.exceeds(p.txn_id, &p.original)?,
            };
            if is_over {
                over.push(j);
            }
        }
        Ok(over)
    })
}

/// An amount stored for original charge `original` (`what`: whose amount it is), or the error
/// that names it.
fn charge_amount(original: &str, what: &str, v: &str) -> Result<Decimal> {
    dec(v).ok_or_else(|| bad_stored(&format!("{what} of original charge {}", clip(original)), v, "undo its import and import a corrected file"))
}

/// Refund rows that take the refunds of their charge above the charge's gross (same currency):
/// per original charge, its live refunds in `(occurred_at, id)` order against the charge, each
/// refund adding to the refunded amount. Read per charge through the `original_hash` and
/// `charge_hash` indexes (the text is always compared), only for the refunds a scan meets whose
/// charge has several refunds or several charges (the scan's own columns decide the others).
struct RefundCheck<'c> {
    conn: &'c Connection,
    /// The refunds over their charge, by original charge, for charges with several refunds
    /// (a charge with one refund is asked about once).
    seen: HashMap<String, Vec<i64>>,
    rows: Vec<(String, i64, Decimal, Decimal)>,
}

impl<'c> RefundCheck<'c> {
    fn new(conn: &'c Connection) -> Result<RefundCheck<'c>> {
        Ok(RefundCheck { conn, seen: HashMap::new(), rows: Vec::new() })
    }

    /// Whether refund `id` (of the charge `original`) is one that takes its charge's refunds
    /// above the charge.
    fn exceeds(&mut self, id: i64, original: &str) -> Result<bool> {
        if let Some(over) = self.seen.get(original) {
            return Ok(over.contains(&id));
        }
        self.rows.clear();
        for (at, rid, refund, charge) in store::scan::refunds_of_charge(self.conn, crate::import::key_hash(original), original)? {
            let refund_d = charge_amount(original, "a refund's gross", &refund)?;
            let charge_d = charge_amount(original, "the gross", &charge)?;
            self.rows.push((at, rid, refund_d, charge_d));
        }
        // In (occurred_at, id) order (a sort here costs less than one in SQL per charge).
        self.rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let mut over = Vec::new();
        let mut refunded = Decimal::ZERO;
        for (_, rid, gross, charge) in &self.rows {
            // Above any charge's gross, the sum is over whatever it adds up to.
            refunded = refunded.checked_add(gross.abs()).unwrap_or(Decimal::MAX);
            if refunded > charge.abs() {
                over.push(*rid);
            }
        }
        let hit = over.contains(&id);
        if self.rows.len() > 1 {
            self.seen.insert(original.to_string(), over);
        }
        Ok(hit)
    }
}

/// Frozen events of one month with `seq` in `[seq_lo, seq_hi)`, in their approval order.
pub(crate) fn scan_frozen<'c>(
    conn: &'c Connection,
    stmts: &mut ScanStatements<'c>,
    month: &str,
    seq_lo: i64,
    seq_hi: i64,
    sink: &mut Sink<'_>,
) -> Result<()> {
    let mut rows = store::scan::frozen_rows(conn, stmts, month, seq_lo, seq_hi)?;
    while let Some(r) = rows.next()? {
        // Every frozen event has exactly one of the two keys (a CHECK of migration 0009).
        let id = match (r.txn_id(), r.manual_id()) {
            (Some(n), _) => EventId::Txn(n),
            (None, Some(n)) => EventId::Manual(n),
            (None, None) => return Err(bad_stored(&format!("an approved event of {month}"), "", "reopen the month and approve it again")),
        };
        let d = |(name, b): (&str, &[u8])| -> Result<Decimal> {
            dec_bytes(b).filter(|v| rules::in_bounds(*v)).ok_or_else(|| {
                let mut text = String::new();
                id.write(&mut text);
                bad_stored(&format!("approved event {text} of {month} ({name})"), &String::from_utf8_lossy(b), "reopen the month and approve it again")
            })
        };
        let [gross, expenses, net, rate, wix_share] = r.amounts()?;
        sink(&EventRef {
            id,
            txn_id: r.txn_id(),
            manual_id: r.manual_id(),
            instance_id: r.instance_id()?,
            billing: if r.billing_type()? == b"CHARGE" { BillingType::Charge } else { BillingType::Refund },
            created_date: r.created_date()?,
            created_secs: None,
            amounts: EventAmounts { gross: d(gross)?, expenses: d(expenses)?, net: d(net)?, rate: d(rate)?, wix_share: d(wix_share)? },
            source: r.source()?,
            source_id: r.source_id()?,
            product: Product::Stored(r.product()?),
            note: Note::Stored(r.expense_note()?),
            rate_basis: RateBasis::Stored(r.rate_basis()?),
            late: r.late(),
            state: r.state()?,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The note as it was written before `write_expense_note` (format! per part).
    fn reference_note(a: &EventAmounts, source: &str, deduct_fees: bool, tax: bool, converted: Option<&str>) -> String {
        let mut note = format!("Gross {}", fmt2(a.gross));
        if let Some(c) = converted {
            note.push_str(&format!(" ({c})"));
        }
        if tax {
            note.push_str(" (sales tax excluded)");
        }
        if !deduct_fees {
            note.push_str("; processor fees not deducted");
        } else if a.expenses.is_zero() {
            note.push_str("; no processing fee");
        } else if a.expenses.is_sign_negative() {
            note.push_str(&format!(" plus {} processing fee returned by {}", fmt2(-a.expenses), processor_name(source)));
        } else {
            note.push_str(&format!(" minus {} processing fee ({})", fmt2(a.expenses), processor_name(source)));
        }
        note.push_str(&format!(" = net {}", fmt2(a.net)));
        note
    }

    fn samples() -> Vec<Decimal> {
        let mut v: Vec<Decimal> = ["0", "-0", "0.00", "-0.00", "0.004", "-0.004", "0.005", "-0.005", "1", "-1", "0.1", "-0.1", "12.345", "-12.345",
            "29.00", "-29.00", "1234567.891", "99.995", "-99.995", "0.01", "-0.01", "7922816251426433759354395033", "-7922816251426433759354395033",
            "79228162514264337593543950.335", "18446744073709551.615", "18446744073709551.616", "184467440737095516.16", "1e-28", "-1e-28"]
        .iter()
        .map(|s| Decimal::from_scientific(s).or_else(|_| s.parse()).unwrap())
        .collect();
        let mut x: i64 = 0x2545F4914F6CDD1D;
        for scale in 0..6 {
            for _ in 0..200 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                v.push(Decimal::new(x % 10_000_000_000, scale));
                v.push(Decimal::new(x % 1000, scale));
            }
        }
        v
    }

    #[test]
    fn fmt2_bytes_prints_what_fmt2_prints() {
        for d in samples() {
            let mut b = [0u8; 48];
            assert_eq!(fmt2_bytes(d, &mut b), fmt2(d).as_bytes(), "{d:?}");
        }
    }

    #[test]
    fn write_expense_note_writes_the_same_words() {
        let ds = samples();
        for (i, w) in ds.windows(3).enumerate() {
            let a = EventAmounts { gross: w[0], expenses: w[1], net: w[2], rate: Decimal::ONE, wix_share: w[0] };
            for source in ["stripe-itemized", "paypal-activity", "mapped:bank", "manual"] {
                let converted = (i % 3 == 0).then_some("EUR 45.00 converted by PayPal to USD 45.77");
                for (deduct, tax) in [(true, false), (true, true), (false, false), (false, true)] {
                    let mut s = String::new();
                    let (g, x, n) = (fmt2(a.gross), fmt2(a.expenses), fmt2(a.net));
                    write_note_words(&mut s, &Printed { gross: &g, expenses: &x, net: &n }, a.expenses, source, deduct, tax, converted);
                    assert_eq!(s, reference_note(&a, source, deduct, tax, converted));
                }
            }
        }
    }

    proptest::proptest! {
        /// Stored amounts read from their bytes are what `from_str` reads: same value, scale and
        /// sign (so they print alike), for the usual form and for anything else.
        #[test]
        fn dec_bytes_reads_what_from_str_reads(
            s in proptest::prop_oneof![
                "-?[0-9]{1,20}(\\.[0-9]{0,10})?",
                "-?0+(\\.0*)?",
                "[-+.0-9eE ]{1,12}",
            ]
        ) {
            if let Ok(want) = Decimal::from_str(&s) {
                let got = dec_bytes(s.as_bytes()).unwrap();
                proptest::prop_assert_eq!((got, got.scale(), got.to_string()), (want, want.scale(), want.to_string()), "{}", s);
            }
        }
    }

}
