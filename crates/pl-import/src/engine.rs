//! The streaming loop shared by every format: BOM, delimiter, header, prescan, rows.

use std::io::{Read, Seek};

use std::path::Path;

use csv::ByteRecord;
use pl_money::NumberStyle;
use rust_decimal::Decimal;

use chrono::{DateTime, NaiveDate, Utc};

use crate::dates::{OrderVote, StyleVote};
use crate::{
    clip, file, mapped, paypal, stripe, DateOrder, Format, ImportError, ParseOptions, Parsed, Row, RowError, RowKind,
    MAX_INTEGER_DIGITS,
};

/// Where the bytes come from; a path is opened again for each pass.
pub(crate) enum Input<'a> {
    Bytes(&'a [u8]),
    Path(&'a Path),
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<'a> Input<'a> {
    /// A reader positioned after any UTF-8 BOM, the file checked first (regular, size); also
    /// returns the length of the BOM skipped.
    fn raw(&self) -> Result<(Box<dyn Read + 'a>, u64), ImportError> {
        match self {
            Input::Bytes(b) => match b.strip_prefix(BOM) {
                Some(rest) => Ok((Box::new(rest), 3)),
                None => Ok((Box::new(*b), 0)),
            },
            Input::Path(p) => {
                let mut f = file::open_checked(p)?;
                let mut first = [0u8; 3];
                let n = read_up_to(&mut f, &mut first)?;
                if n == 3 && first == BOM[..] {
                    Ok((Box::new(f), 3))
                } else {
                    f.rewind()?;
                    Ok((Box::new(f), 0))
                }
            }
        }
    }

    /// A reader for the CSV parser: after any BOM, lines bounded, CR turned into LF in a CR-only
    /// file.
    fn open(&self, cr_only: bool) -> Result<Box<dyn Read + 'a>, ImportError> {
        let (r, _) = self.raw()?;
        Ok(Box::new(file::Lines::new(r, cr_only)))
    }

    /// The bytes from `offset` (counted after any BOM, as the csv reader counts) to the end.
    fn tail(&self, offset: u64) -> Result<Box<dyn Read + 'a>, ImportError> {
        match self {
            Input::Bytes(_) => {
                let (mut r, _) = self.raw()?;
                std::io::copy(&mut (&mut r).take(offset), &mut std::io::sink())?;
                Ok(r)
            }
            Input::Path(p) => {
                let (_, bom) = self.raw()?;
                let mut f = file::open_checked(p)?;
                f.seek(std::io::SeekFrom::Start(bom.saturating_add(offset)))?;
                Ok(Box::new(f))
            }
        }
    }

    /// The first bytes (after any BOM), to find the delimiter and the line ends.
    fn head(&self) -> Result<Vec<u8>, ImportError> {
        let mut buf = vec![0u8; 64 * 1024];
        let n = read_up_to(&mut self.raw()?.0, &mut buf)?;
        buf.truncate(n);
        Ok(buf)
    }
}

fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Whether the file's line ends are old Mac CRs: CRs and no LF in its first bytes.
fn is_cr_only(head: &[u8]) -> bool {
    !head.contains(&b'\n') && head.contains(&b'\r')
}

/// The delimiter of the header line: the most frequent of `,` `;` tab outside quotes (`,` on a tie).
fn sniff_delimiter(head: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &c in head {
        match c {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|&i| (counts[i], usize::from(i == 0))).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

fn reader(r: Box<dyn Read + '_>, delim: u8) -> csv::Reader<Box<dyn Read + '_>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        // Only LF ends a record, so that line numbers stay right in CRLF files; the CR left at the
        // end of the last field is trimmed like any surrounding whitespace.
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(256 * 1024)
        .from_reader(r)
}

/// The header names as written (trimmed, BOM removed) and their lower-case forms for lookup.
pub(crate) struct Headers {
    pub names: Vec<String>,
    lower: Vec<String>,
}

impl Headers {
    pub fn new(names: Vec<String>) -> Headers {
        let names: Vec<String> = names.into_iter().map(|n| n.trim_start_matches('\u{feff}').trim().to_string()).collect();
        let lower = names.iter().map(|n| n.to_lowercase()).collect();
        Headers { names, lower }
    }

    fn from_record(rec: &ByteRecord) -> Headers {
        Headers::new(rec.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect())
    }

    /// The first column named like any of `names` (case-insensitive).
    pub fn find(&self, names: &[&str]) -> Option<Col> {
        names.iter().find_map(|n| {
            let n = n.to_lowercase();
            self.lower.iter().position(|h| *h == n).map(|idx| Col { idx, name: clip(&self.names[idx]) })
        })
    }

    pub fn has(&self, name: &str) -> bool {
        self.find(&[name]).is_some()
    }

    /// Like [`Headers::find`], an error naming the column when absent.
    pub fn require(&self, format: &Format, names: &[&str]) -> Result<Col, ImportError> {
        self.find(names)
            .ok_or_else(|| ImportError::MissingColumn { format: format.id(), column: names[0].to_string() })
    }
}

/// A column of the file: position and name as written (clipped for messages).
#[derive(Debug, Clone)]
pub(crate) struct Col {
    pub idx: usize,
    pub name: String,
}

/// The first day a row may have.
const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// 10^[`MAX_INTEGER_DIGITS`] (10^12): the smallest amount refused.
const AMOUNT_LIMIT: Decimal = Decimal::from_parts(0xD4A5_1000, 0xE8, 0, false, 0);

/// An amount's text parsed, within [`MAX_INTEGER_DIGITS`]; the message quotes the cell clipped.
fn parse_amount(s: &str, style: NumberStyle) -> Result<Decimal, String> {
    match pl_money::parse_decimal(s, style) {
        Ok(d) if d.abs() >= AMOUNT_LIMIT => Err(format!(
            "`{}` has more than {MAX_INTEGER_DIGITS} integer digits: no payment is that large (check the column)",
            clip(s)
        )),
        Ok(d) => Ok(d),
        Err(pl_money::AmountError::Invalid { reason, .. }) => {
            Err(format!("`{}` is not an amount: {}", clip(s), clip(&reason)))
        }
        Err(e) => Err(clip(&e.to_string())),
    }
}

/// One record being read.
pub(crate) struct Rec<'a> {
    pub rec: &'a ByteRecord,
    pub line: u32,
}

impl<'a> Rec<'a> {
    /// The trimmed text of a column.
    pub fn get(&self, col: &Col) -> Result<&'a str, RowError> {
        let f = self.rec.get(col.idx).unwrap_or(b"");
        std::str::from_utf8(f)
            .map(str::trim)
            .map_err(|_| self.err(col, "is not valid UTF-8 text (save the file as UTF-8)".into()))
    }

    /// The trimmed text of an optional column ("" when absent).
    pub fn opt(&self, col: Option<&Col>) -> Result<&'a str, RowError> {
        match col {
            Some(c) => self.get(c),
            None => Ok(""),
        }
    }

    /// A non-empty optional column as an owned string.
    pub fn opt_string(&self, col: Option<&Col>) -> Result<Option<String>, RowError> {
        Ok(non_empty(self.opt(col)?))
    }

    pub fn err(&self, col: &Col, reason: String) -> RowError {
        RowError { line: self.line, column: Some(col.name.clone()), reason }
    }

    /// A required amount (at most [`MAX_INTEGER_DIGITS`] integer digits).
    pub fn amount(&self, col: &Col, style: NumberStyle) -> Result<Decimal, RowError> {
        let s = self.get(col)?;
        if s.is_empty() {
            return Err(self.err(col, "the amount is empty".into()));
        }
        parse_amount(s, style).map_err(|e| self.err(col, e))
    }

    /// A date-time within the bounds of [`Ctx`]: not before 2000, not more than a year ahead.
    pub fn in_range(&self, col: &Col, at: DateTime<Utc>, ctx: &Ctx) -> Result<DateTime<Utc>, RowError> {
        let day = at.date_naive();
        if day < EARLIEST {
            return Err(self.err(col, format!("the date {day} is before 2000: check the column")));
        }
        if day > ctx.latest {
            return Err(self.err(
                col,
                format!("the date {day} is more than a year after today ({}): check the column", ctx.today),
            ));
        }
        Ok(at)
    }

    /// An optional amount: 0 when the column is absent or the cell empty.
    pub fn amount_or_zero(&self, col: Option<&Col>, style: NumberStyle) -> Result<Decimal, RowError> {
        match col {
            None => Ok(Decimal::ZERO),
            Some(c) => {
                let s = self.get(c)?;
                if s.is_empty() {
                    Ok(Decimal::ZERO)
                } else {
                    parse_amount(s, style).map_err(|e| self.err(c, e))
                }
            }
        }
    }

    /// An optional amount: `None` when the column is absent or the cell empty.
    pub fn amount_opt(&self, col: Option<&Col>, style: NumberStyle) -> Result<Option<Decimal>, RowError> {
        match col {
            Some(c) if !self.get(c)?.is_empty() => self.amount(c, style).map(Some),
            _ => Ok(None),
        }
    }

    /// A currency code, upper case.
    pub fn currency(&self, col: &Col) -> Result<String, RowError> {
        let s = self.get(col)?;
        pl_money::Currency::new(s)
            .map(|c| c.as_str().to_string())
            .map_err(|_| self.err(col, format!("`{}` is not a currency code", clip(s))))
    }

    /// A row with the common fields set; the format fills the rest.
    pub fn row(&self, kind: RowKind, dedup_key: String, source_id: String) -> Row {
        Row {
            line: self.line,
            kind,
            skip_reason: None,
            type_name: None,
            dedup_key,
            source_id,
            occurred_at: chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
            currency: String::new(),
            gross: Decimal::ZERO,
            fee: Decimal::ZERO,
            net: Decimal::ZERO,
            tax: Decimal::ZERO,
            instance_meta: None,
            customer_key: None,
            charge_ref: None,
            original_ref: None,
            payout_ref: None,
            conversion_ref: None,
            description: None,
        }
    }
}

pub(crate) fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Whole-file decisions a format's rows are parsed with, and the day the parse started.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx {
    pub style: NumberStyle,
    pub order: Option<DateOrder>,
    /// Today (UTC) and the last day a row may have (a year ahead).
    pub today: NaiveDate,
    pub latest: NaiveDate,
}

/// What a format needs from the prescan.
pub(crate) struct PrescanSpec {
    /// Column whose dates decide the day/month order, if the format can have slash dates.
    pub date: Option<Col>,
    /// Amount columns whose writing decides the number style.
    pub amounts: Vec<Col>,
    /// Style when the values cannot tell (the locale's).
    pub default_style: NumberStyle,
}

/// A format's column plan for one file.
pub(crate) enum Plan {
    Itemized(stripe::Itemized),
    Balance(stripe::Balance),
    Paypal(paypal::Paypal),
    Mapped(Box<mapped::MappedPlan>),
}

impl Plan {
    fn new(format: &Format, h: &Headers, opts: &ParseOptions) -> Result<Plan, ImportError> {
        Ok(match format {
            Format::StripeItemized => Plan::Itemized(stripe::Itemized::new(h, opts)?),
            Format::StripeBalance => Plan::Balance(stripe::Balance::new(h, opts)?),
            Format::PaypalActivity => Plan::Paypal(paypal::Paypal::new(h)?),
            Format::Mapped(name) => {
                let m = opts.mappings.get(name).ok_or_else(|| ImportError::UnknownMapping(name.clone()))?;
                Plan::Mapped(Box::new(mapped::MappedPlan::new(m, h)?))
            }
        })
    }

    fn prescan(&self) -> PrescanSpec {
        match self {
            Plan::Itemized(p) => p.prescan(),
            Plan::Balance(p) => p.prescan(),
            Plan::Paypal(p) => p.prescan(),
            Plan::Mapped(p) => p.prescan(),
        }
    }

    fn row(&self, r: &Rec, ctx: &Ctx) -> Result<Row, RowError> {
        match self {
            Plan::Itemized(p) => p.row(r, ctx),
            Plan::Balance(p) => p.row(r, ctx),
            Plan::Paypal(p) => p.row(r, ctx),
            Plan::Mapped(p) => p.row(r, ctx),
        }
    }
}

/// Detects a built-in format from the header.
pub(crate) fn detect_builtin(h: &Headers) -> Option<Format> {
    if h.has("balance_transaction_id") && h.has("reporting_category") {
        Some(Format::StripeItemized)
    } else if h.has("id")
        && h.has("Type")
        && h.has("Amount")
        && h.has("Net")
        && (h.has("Created (UTC)") || h.has("Created"))
    {
        Some(Format::StripeBalance)
    } else if paypal::looks_like(h) {
        Some(Format::PaypalActivity)
    } else {
        None
    }
}

fn resolve_format(h: &Headers, opts: &ParseOptions) -> Result<Format, ImportError> {
    if let Some(f) = &opts.format {
        return Ok(f.clone());
    }
    if let Some(f) = detect_builtin(h) {
        return Ok(f);
    }
    let mut matching: Vec<&String> =
        opts.mappings.iter().filter(|(_, m)| m.matches(&h.names)).map(|(n, _)| n).collect();
    matching.sort();
    match matching.as_slice() {
        [one] => Ok(Format::Mapped((*one).clone())),
        [] => {
            let mut known: Vec<String> = Format::BUILT_IN.iter().map(|s| s.to_string()).collect();
            let mut names: Vec<&String> = opts.mappings.keys().collect();
            names.sort();
            if names.is_empty() {
                known.push("mapped:<name> (no saved mapping)".into());
            }
            known.extend(names.into_iter().map(|n| format!("mapped:{n}")));
            Err(ImportError::UnknownFormat { headers: h.names.clone(), known })
        }
        many => Err(ImportError::AmbiguousMapping(many.iter().map(|s| s.to_string()).collect())),
    }
}

fn line_of(rec: &ByteRecord) -> u32 {
    rec.position().map(|p| p.line()).unwrap_or(0).min(u64::from(u32::MAX)) as u32
}

fn is_blank(rec: &ByteRecord) -> bool {
    rec.iter().all(|f| f.iter().all(|c| c.is_ascii_whitespace()))
}

fn csv_err(e: csv::Error) -> ImportError {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => match io.get_ref().and_then(|i| i.downcast_ref::<file::LineTooLong>()) {
            Some(l) => ImportError::LineTooLong { line: l.line, limit: file::MAX_LINE_BYTES },
            None => ImportError::Io(io),
        },
        other => ImportError::Csv(clip(&format!("{other:?}"))),
    }
}

/// Parses a whole input: header, format, prescan when needed, then every row.
pub(crate) fn run(
    input: &Input,
    opts: &ParseOptions,
    mut on_row: impl FnMut(Row),
    on_error: impl FnMut(RowError),
) -> Result<Parsed, ImportError> {
    run_with(input, opts, false, |_| false, |row, _| on_row(row), on_error)
}

/// The version of what a record hash stands for: raised whenever a change of the parser could
/// read the same record bytes otherwise, so that no record hash stored before it is trusted.
const RECORD_HASH_VERSION: u32 = 1;

/// What, besides its own fields, decides how a record is read: the parser's version, the format
/// (a mapping by its whole definition), the metadata key, the header (where each column is) and
/// the whole-file decisions. Two records with equal fields under equal contexts parse alike.
fn record_context(format: &Format, opts: &ParseOptions, headers: &ByteRecord, ctx: &Ctx) -> u128 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(&RECORD_HASH_VERSION.to_le_bytes());
    let format_text = match format {
        Format::Mapped(name) => format!("{}\0{:?}", format.id(), opts.mappings.get(name)),
        other => other.id(),
    };
    for part in [format_text.as_bytes(), opts.metadata_key.as_bytes()] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
    for field in headers {
        let field = field.trim_ascii();
        h.update(&(field.len() as u64).to_le_bytes());
        h.update(field);
    }
    let style = match ctx.style {
        NumberStyle::Point => 1u8,
        NumberStyle::Comma => 2,
    };
    let order = match ctx.order {
        None => 0u8,
        Some(DateOrder::MonthFirst) => 1,
        Some(DateOrder::DayFirst) => 2,
    };
    h.update(&[style, order]);
    h.digest128()
}

/// The record hash of a record: 128 bits of xxh3 over its context and its fields (each with its
/// length), written into `buf` first so that one call hashes it all. Fields are hashed without
/// their surrounding ASCII whitespace (the CR of a CRLF line among it): every cell is read
/// trimmed ([`Rec::get`]), and whatever ASCII trimming removes, `str::trim` removes too.
fn record_hash(context: u128, rec: &ByteRecord, buf: &mut Vec<u8>) -> u128 {
    buf.clear();
    buf.extend_from_slice(&context.to_le_bytes());
    for field in rec {
        let field = field.trim_ascii();
        buf.extend_from_slice(&(field.len() as u32).to_le_bytes());
        buf.extend_from_slice(field);
    }
    xxhash_rust::xxh3::xxh3_128(buf)
}

/// Rows the one-pass mode takes its provisional decisions from.
const PREFIX_ROWS: usize = 4096;

/// The whole-file votes: day/month order of the date column, number style of the amounts.
struct Votes<'s> {
    spec: &'s PrescanSpec,
    order: Option<OrderVote>,
    style: StyleVote,
}

impl<'s> Votes<'s> {
    fn new(spec: &'s PrescanSpec) -> Votes<'s> {
        Votes { spec, order: spec.date.as_ref().map(|c| OrderVote::new(&c.name)), style: StyleVote::default() }
    }

    fn see(&mut self, r: &ByteRecord) {
        let line = line_of(r);
        if let (Some(v), Some(c)) = (self.order.as_mut(), self.spec.date.as_ref()) {
            if let Some(Ok(s)) = r.get(c.idx).map(std::str::from_utf8) {
                v.see(line, s);
            }
        }
        if !self.style.done() {
            for c in &self.spec.amounts {
                if let Some(Ok(s)) = r.get(c.idx).map(std::str::from_utf8) {
                    self.style.see(line, &c.name, s);
                }
            }
        }
    }

    fn decide(&self, opts: &ParseOptions, today: NaiveDate) -> Result<Ctx, ImportError> {
        let style = self.style.decide(self.spec.default_style)?;
        let order = match &self.order {
            Some(v) => v.decide(opts.date_order)?,
            None => None,
        };
        let latest = today.checked_add_months(chrono::Months::new(12)).unwrap_or(NaiveDate::MAX);
        Ok(Ctx { style, order, today, latest })
    }
}

/// [`run`], or with `one_pass` the mode of [`crate::parse_path_one_pass`]; a record whose hash
/// `known` holds is counted in [`Parsed::rows_known`] and not parsed (see [`crate::parse_path_known`]).
pub(crate) fn run_with(
    input: &Input,
    opts: &ParseOptions,
    one_pass: bool,
    mut known: impl FnMut(u128) -> bool,
    mut on_row: impl FnMut(Row, u128),
    mut on_error: impl FnMut(RowError),
) -> Result<Parsed, ImportError> {
    let head = input.head()?;
    let delim = sniff_delimiter(&head);
    let cr_only = is_cr_only(&head);
    drop(head);
    let today = Utc::now().date_naive();

    let mut rdr = reader(input.open(cr_only)?, delim);
    let mut rec = ByteRecord::new();
    if !rdr.read_byte_record(&mut rec).map_err(csv_err)? {
        return Err(ImportError::Empty);
    }
    let mut last_start = rec.position().map(|p| (p.byte(), p.line()));
    let header_rec = rec.clone();
    let headers = Headers::from_record(&rec);
    if headers.names.iter().all(|n| n.is_empty()) {
        return Err(ImportError::Empty);
    }
    let format = resolve_format(&headers, opts)?;
    let plan = Plan::new(&format, &headers, opts)?;
    let spec = plan.prescan();
    let ncols = headers.names.len();

    // First pass: decide the number style and the date order once for the whole file. In one
    // pass mode, from the first rows only when they decide without error (else the whole file).
    let mut votes = Votes::new(&spec);
    let mut provisional = None;
    {
        let mut pre = reader(input.open(cr_only)?, delim);
        let mut r = ByteRecord::new();
        let mut first = true;
        let mut seen = 0usize;
        while pre.read_byte_record(&mut r).map_err(csv_err)? {
            if first {
                first = false;
                continue;
            }
            votes.see(&r);
            seen += 1;
            if one_pass && seen == PREFIX_ROWS {
                if let Ok(ctx) = votes.decide(opts, today) {
                    provisional = Some(ctx);
                    break;
                }
            }
        }
    }
    if provisional.is_some() {
        // Every row is voted again as it is parsed.
        votes = Votes::new(&spec);
    }
    let ctx = match provisional {
        Some(ctx) => ctx,
        None => votes.decide(opts, today)?,
    };
    let (style, order) = (ctx.style, ctx.order);
    let context = record_context(&format, opts, &header_rec, &ctx);
    let mut hash_buf = Vec::with_capacity(1024);

    let mut parsed = Parsed {
        format,
        rows_read: 0,
        rows_ok: 0,
        rows_skipped: 0,
        rows_failed: 0,
        rows_known: 0,
        number_style: style,
        date_order: order,
        delimiter: delim as char,
    };
    while rdr.read_byte_record(&mut rec).map_err(csv_err)? {
        last_start = rec.position().map(|p| (p.byte(), p.line()));
        if is_blank(&rec) {
            continue;
        }
        parsed.rows_read += 1;
        if provisional.is_some() {
            votes.see(&rec);
        }
        let line = line_of(&rec);
        if rec.len() != ncols {
            parsed.rows_failed += 1;
            on_error(RowError {
                line,
                column: None,
                reason: format!("has {} fields but the header has {}", rec.len(), ncols),
            });
            continue;
        }
        let hash = record_hash(context, &rec, &mut hash_buf);
        if known(hash) {
            // Read before, in this context, by an import that accepted it: it parses as it did.
            parsed.rows_known += 1;
            continue;
        }
        let r = Rec { rec: &rec, line };
        match plan.row(&r, &ctx) {
            Ok(row) => {
                parsed.rows_ok += 1;
                if row.kind == RowKind::Skipped {
                    parsed.rows_skipped += 1;
                }
                on_row(row, hash)
            }
            Err(e) => {
                parsed.rows_failed += 1;
                on_error(e)
            }
        }
    }
    // The csv reader takes the end of the file as the end of an open quoted field: a file cut
    // short would import its last row cut. Only the last record can hold an open quote.
    if let Some((byte, line)) = last_start {
        if file::ends_inside_quote(input.tail(byte)?, delim)? {
            return Err(ImportError::UnterminatedQuote { line });
        }
    }
    if let Some(guess) = provisional {
        let whole = votes.decide(opts, today)?;
        if (whole.style, whole.order) != (guess.style, guess.order) {
            return Err(ImportError::NeedsTwoPasses);
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amount_limit_is_ten_to_the_max_digits() {
        assert_eq!(AMOUNT_LIMIT, Decimal::from(10i64.pow(MAX_INTEGER_DIGITS)));
    }

    #[test]
    fn delimiters() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1;2"), b',');
        assert_eq!(sniff_delimiter(b"a;b;\"c,d,e\"\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter(b"single"), b',');
    }
}
