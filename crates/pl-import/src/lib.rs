//! Reads processor CSV exports (Stripe, PayPal, mapped) into normalised rows; pure parsing, no database.
//!
//! Entry points: [`parse_path`] / [`parse_bytes`] stream a file, calling back once per good row
//! ([`Row`]) and once per bad row ([`RowError`]); file-level problems are an [`ImportError`].
//! Formats are detected from the header ([`detect`]); columns are always found by name.
//!
//! What every format accepts:
//! - UTF-8 with or without BOM, LF or CRLF, quoted or bare fields; the delimiter (`,` `;` tab) is
//!   taken from the header line (Excel in European locales saves with `;`).
//! - Amounts `1,250.00`, `1250`, `-29` or decimal-comma `4.626,81`: the style is decided once per
//!   file from all amount values (a German PayPal header defaults to comma); a file using both is
//!   an [`ImportError::ConflictingNumberStyles`]. Mapped files state their style.
//! - Dates: Stripe `YYYY-MM-DD HH:MM[:SS]` (UTC). Files re-saved by Excel are supported too:
//!   `5/1/2024 9:14` (slash, day/month order decided per file like PayPal's) and
//!   `01.05.2024 09:14` (dot: day first), still read as UTC; seconds may be lost by Excel, which
//!   does not matter to the dedup key (the transaction id).
//! - PayPal dates `MM/DD/YYYY`, `DD/MM/YYYY`, `DD.MM.YYYY`; the slash order is decided once per
//!   file (a component above 12 decides; contradictions are an error; an undecidable file needs
//!   [`ParseOptions::date_order`], and an option contradicting the file is an error). Time-zone
//!   abbreviations map to fixed offsets (US, European incl. German `MEZ`/`MESZ`, Asian, Australian,
//!   `GMT+1`-style offsets); `IST` is read as India (+05:30). An unknown one is a row error.
//! - A record whose field count differs from the header's is a row error; blank records are ignored.
//! - Old Mac line ends (CR only) are read as line ends; a file ending inside a quoted field is
//!   refused ([`ImportError::UnterminatedQuote`]).
//!
//! Bounds (SPEC §2): only regular files are read, at most [`MAX_FILE_BYTES`] ([`check_file`]); a
//! line longer than [`MAX_LINE_BYTES`] is refused before it is held in memory; an amount with more
//! than [`MAX_INTEGER_DIGITS`] integer digits, a date before 2000 or more than a year after today,
//! an empty type and an empty or unknown PayPal status are bad rows. Every message that quotes the
//! file's content goes through [`clip`] (at most [`CLIP_CHARS`] characters, control characters
//! escaped).
// No unsafe code in this crate (the engine's only unsafe code is pl-ledger/src/raw.rs).
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use chrono::{DateTime, Utc};
pub use pl_money::NumberStyle;
use rust_decimal::Decimal;

mod dates;
mod engine;
mod file;
mod mapped;
mod paypal;
mod stripe;

pub use file::{check_file, MAX_FILE_BYTES, MAX_LINE_BYTES};
pub use mapped::{FeeSign, Mapping};

/// The most characters of a cell or header an error message quotes.
pub const CLIP_CHARS: usize = 80;

/// Amounts with more integer digits than this are refused: no payment is a trillion.
pub const MAX_INTEGER_DIGITS: u32 = 12;

/// Text from a file, made safe to quote in a message: at most [`CLIP_CHARS`] characters, control
/// characters escaped (`\u{1b}`, `\r`, `\n`, `\t`), and how many characters were left out.
/// Every message quoting a cell or a header goes through it.
pub fn clip(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(CLIP_CHARS * 2));
    let mut chars = s.chars();
    for c in chars.by_ref().take(CLIP_CHARS) {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    let rest = chars.count();
    if rest > 0 {
        out.push_str(&format!("… ({rest} more characters)"));
    }
    out
}

/// At most a few header names, clipped, and how many more there are.
fn header_list(headers: &[String]) -> String {
    const SHOWN: usize = 8;
    let mut out: Vec<String> = headers.iter().take(SHOWN).map(|h| format!("`{}`", clip(h))).collect();
    if headers.len() > SHOWN {
        out.push(format!("and {} more", headers.len() - SHOWN));
    }
    out.join(", ")
}

/// A supported export format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Format {
    /// Stripe itemized payout reconciliation / balance change from activity (itemized).
    StripeItemized,
    /// Stripe Dashboard balance history ("All activity") export.
    StripeBalance,
    /// PayPal Activity download (English or German headers).
    PaypalActivity,
    /// Any other CSV through a saved mapping, by name.
    Mapped(String),
}

impl Format {
    /// The format id: `stripe-itemized`, `stripe-balance`, `paypal-activity`, `mapped:<name>`.
    pub fn id(&self) -> String {
        match self {
            Format::StripeItemized => "stripe-itemized".into(),
            Format::StripeBalance => "stripe-balance".into(),
            Format::PaypalActivity => "paypal-activity".into(),
            Format::Mapped(n) => format!("mapped:{n}"),
        }
    }

    /// Parses a format id (`mapped:x` → `Mapped("x")`); `None` for an unknown id.
    pub fn from_id(s: &str) -> Option<Format> {
        match s.trim() {
            "stripe-itemized" => Some(Format::StripeItemized),
            "stripe-balance" => Some(Format::StripeBalance),
            "paypal-activity" => Some(Format::PaypalActivity),
            other => other
                .strip_prefix("mapped:")
                .filter(|n| !n.trim().is_empty())
                .map(|n| Format::Mapped(n.trim().to_string())),
        }
    }

    /// The built-in format ids, for messages.
    pub const BUILT_IN: [&'static str; 3] = ["stripe-itemized", "stripe-balance", "paypal-activity"];
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

/// What a row is, for the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    Charge,
    Refund,
    Dispute,
    DisputeReversal,
    /// A standalone processor fee (not a fee carried on a payment row).
    Fee,
    Payout,
    /// PayPal currency-conversion leg.
    Conversion,
    /// PayPal hold / release / reserve.
    Hold,
    /// Money the account paid out that does not pay a customer back (a purchase, a payment to a
    /// supplier): kept and shown, never a billing event (SPEC §2 "Direction").
    ///
    /// **A `Sent` row with `original_ref` set is a refund candidate**: PayPal writes money paid
    /// back to a customer under the payment's own type too (`Website Payment` −29.00 with a
    /// `Reference Txn ID`); the importer cannot see the ledger, so the ledger promotes such a row
    /// to a `Refund` when `original_ref` is a payment received in the ledger, and keeps it `Sent`
    /// otherwise (a billing agreement id `B-…`, a purchase's own reference).
    Sent,
    /// Money that came in under a type the importer does not know: never dropped silently, it is
    /// an `unclassified_type` exception until the operator classifies its type (`Row::type_name`).
    Unclassified,
    /// Not a money event for the ledger; see `Row::skip_reason`.
    Skipped,
}

impl RowKind {
    /// `charge`, `refund`, `dispute`, `dispute_reversal`, `fee`, `payout`, `conversion`, `hold`,
    /// `sent`, `unclassified`, `skipped`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RowKind::Charge => "charge",
            RowKind::Refund => "refund",
            RowKind::Dispute => "dispute",
            RowKind::DisputeReversal => "dispute_reversal",
            RowKind::Fee => "fee",
            RowKind::Payout => "payout",
            RowKind::Conversion => "conversion",
            RowKind::Hold => "hold",
            RowKind::Sent => "sent",
            RowKind::Unclassified => "unclassified",
            RowKind::Skipped => "skipped",
        }
    }

    /// Inverse of [`RowKind::as_str`].
    pub fn parse(s: &str) -> Option<RowKind> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "charge" => RowKind::Charge,
            "refund" => RowKind::Refund,
            "dispute" => RowKind::Dispute,
            "dispute_reversal" => RowKind::DisputeReversal,
            "fee" => RowKind::Fee,
            "payout" => RowKind::Payout,
            "conversion" => RowKind::Conversion,
            "hold" => RowKind::Hold,
            "sent" => RowKind::Sent,
            "unclassified" => RowKind::Unclassified,
            "skipped" => RowKind::Skipped,
            _ => return None,
        })
    }
}

impl fmt::Display for RowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Order of day and month in slash dates (`05/06/2024`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateOrder {
    /// `MM/DD/YYYY` (US).
    MonthFirst,
    /// `DD/MM/YYYY`.
    DayFirst,
}

impl DateOrder {
    /// `month-first` / `day-first`, as on the command line.
    pub fn as_str(&self) -> &'static str {
        match self {
            DateOrder::MonthFirst => "month-first",
            DateOrder::DayFirst => "day-first",
        }
    }
    /// Parses `month-first` / `day-first`.
    pub fn parse(s: &str) -> Option<DateOrder> {
        match s.trim() {
            "month-first" => Some(DateOrder::MonthFirst),
            "day-first" => Some(DateOrder::DayFirst),
            _ => None,
        }
    }
}

/// How to parse one file.
#[derive(Debug, Clone)]
pub struct ParseOptions {
    /// `None`: detect from the header (built-in formats, then the saved mappings).
    pub format: Option<Format>,
    /// Metadata key holding the Wix instance id; default `wix_instance_id`.
    pub metadata_key: String,
    /// Operator's `--date-order`, used when the file cannot decide.
    pub date_order: Option<DateOrder>,
    /// Saved `mapped:<name>` definitions, by name.
    pub mappings: HashMap<String, Mapping>,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            format: None,
            metadata_key: "wix_instance_id".into(),
            date_order: None,
            mappings: HashMap::new(),
        }
    }
}

/// One normalised row of an export.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// 1-based line where the record starts (the header is line 1).
    pub line: u32,
    pub kind: RowKind,
    /// Why a `Skipped` row is skipped (`status Pending`, `balance impact Memo`, ...).
    pub skip_reason: Option<String>,
    /// The processor's own name for the row's type, as written in the file (PayPal `Type` without
    /// an `Update to ` prefix, Stripe `reporting_category` or `Type`, a mapped type column): what a
    /// classification rule of the operator matches (case-insensitively) for its source. Set on
    /// every row of a format that has a type column; `None` when the format has none.
    pub type_name: Option<String>,
    /// Stable key across imports: `stripe:<txn>`, `paypal:<id>|<type>|<cur>|<gross>[|<status>]`, `mapped:<name>:<id>`.
    pub dedup_key: String,
    /// The processor's own transaction id (Stripe balance transaction id, PayPal Transaction ID).
    pub source_id: String,
    pub occurred_at: DateTime<Utc>,
    /// Settlement currency, upper case.
    pub currency: String,
    /// Signed as in the file (refunds negative).
    pub gross: Decimal,
    /// Positive = a cost to the vendor.
    pub fee: Decimal,
    /// As in the file (or gross − fee when the file has none).
    pub net: Decimal,
    /// Sales tax carried on the row, else 0.
    pub tax: Decimal,
    /// Raw metadata value, trimmed; `None` when empty. See [`normalise_guid`].
    pub instance_meta: Option<String>,
    /// Stripe customer id; PayPal counterparty e-mail (the payer).
    pub customer_key: Option<String>,
    /// On a charge: the id refunds and disputes point back to.
    pub charge_ref: Option<String>,
    /// On a refund / dispute / dispute reversal: the original charge, when known.
    pub original_ref: Option<String>,
    /// The payout this row belongs to; on payout rows their own payout id.
    pub payout_ref: Option<String>,
    /// PayPal conversion rows: the payment they convert.
    pub conversion_ref: Option<String>,
    /// Product name.
    pub description: Option<String>,
}

/// A bad row: the file must be refused, but every bad row is reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u32,
    /// The column as named in the file's header, when one column is at fault.
    pub column: Option<String>,
    pub reason: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}, column `{}`: {}", self.line, c, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

impl std::error::Error for RowError {}

/// A problem with the whole file: nothing of it can be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is empty (no header line)")]
    Empty,
    #[error("unknown file format: the header has {} column(s): {}; known formats: {}", headers.len(), header_list(headers), known.join(", "))]
    UnknownFormat { headers: Vec<String>, known: Vec<String> },
    #[error("unknown format id `{0}`; known formats: stripe-itemized, stripe-balance, paypal-activity, mapped:<name>")]
    UnknownFormatId(String),
    #[error("no saved mapping named `{0}`")]
    UnknownMapping(String),
    #[error("the header matches several saved mappings ({}); choose the file's format: mapped:<name>", .0.join(", "))]
    AmbiguousMapping(Vec<String>),
    #[error("invalid mapping `{name}`: {reason}")]
    InvalidMapping { name: String, reason: String },
    #[error("{format} file lacks the required column `{column}`")]
    MissingColumn { format: String, column: String },
    #[error("cannot tell whether the dates in column `{column}` are day-first or month-first (e.g. `{example}` on line {line}); choose the file's date order: day-first or month-first")]
    UndecidableDateOrder { column: String, line: u32, example: String },
    /// Only from [`parse_path_one_pass`]: the whole file decided its number style or date order
    /// otherwise than its first rows did, so the rows already given must be discarded and the
    /// file read again with [`parse_path`].
    #[error("the file's number style or date order differs from its first rows; it must be read in two passes")]
    NeedsTwoPasses,
    #[error("the dates in column `{column}` contradict each other: `{day_first}` (line {day_first_line}) is day-first but `{month_first}` (line {month_first_line}) is month-first")]
    ContradictoryDateOrder {
        column: String,
        day_first: String,
        day_first_line: u32,
        month_first: String,
        month_first_line: u32,
    },
    #[error("the date order {given} contradicts the file: `{example}` in column `{column}` (line {line}) is only valid {found}")]
    DateOrderConflict { given: String, found: String, column: String, line: u32, example: String },
    #[error("the amounts contradict each other: `{point}` (line {point_line}, column `{point_column}`) uses a decimal point but `{comma}` (line {comma_line}, column `{comma_column}`) uses a decimal comma")]
    ConflictingNumberStyles {
        point: String,
        point_line: u32,
        point_column: String,
        comma: String,
        comma_line: u32,
        comma_column: String,
    },
    #[error("`{path}` is {what}, not a regular file: pass the path of a CSV export")]
    NotARegularFile { path: String, what: &'static str },
    #[error("`{path}` is {size} bytes, above the limit of {limit} bytes for one export: split the export by date range")]
    TooLarge { path: String, size: u64, limit: u64 },
    #[error("line {line} runs over {limit} bytes without a line end: this is not a CSV export, or it is damaged")]
    LineTooLong { line: u64, limit: usize },
    #[error("the file ends inside a quoted field that starts on line {line}: it was cut short; download the export again")]
    UnterminatedQuote { line: u64 },
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    #[error("malformed CSV: {0}")]
    Csv(String),
}

/// What a parse found. Rows themselves are streamed to the callbacks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub format: Format,
    /// Data records read (blank records not counted).
    pub rows_read: u32,
    /// Rows passed to `on_row` (skipped rows included).
    pub rows_ok: u32,
    /// Of those, rows of kind `Skipped`.
    pub rows_skipped: u32,
    /// Rows passed to `on_error`.
    pub rows_failed: u32,
    /// Rows not parsed because the caller knew their record hash ([`parse_path_known`]); 0 for
    /// the other entry points.
    pub rows_known: u32,
    /// The number style used for the whole file.
    pub number_style: NumberStyle,
    /// The date order used for the whole file, when it has slash dates.
    pub date_order: Option<DateOrder>,
    /// The field delimiter found in the header line.
    pub delimiter: char,
}

/// Streams the file at `path`: `on_row` for every good row, `on_error` for every bad one. Files
/// needing a whole-file decision (date order, decimal style) are read twice.
pub fn parse_path(
    path: &Path,
    opts: &ParseOptions,
    on_row: impl FnMut(Row),
    on_error: impl FnMut(RowError),
) -> Result<Parsed, ImportError> {
    engine::run(&engine::Input::Path(path), opts, on_row, on_error)
}

/// Like [`parse_path`], reading the file once: the whole-file decisions (number style, date
/// order) are taken from the first rows and checked against every row as the file is read. When
/// the whole file decides the same (every export seen so far), the rows given are exactly those
/// of [`parse_path`]; a file-level error is returned as [`parse_path`] would return it; when the
/// whole file decides otherwise, [`ImportError::NeedsTwoPasses`] is returned at the end and the
/// caller must discard what it was given and call [`parse_path`].
pub fn parse_path_one_pass(
    path: &Path,
    opts: &ParseOptions,
    on_row: impl FnMut(Row),
    on_error: impl FnMut(RowError),
) -> Result<Parsed, ImportError> {
    let mut on_row = on_row;
    engine::run_with(&engine::Input::Path(path), opts, true, |_| false, |row, _| on_row(row), on_error)
}

/// [`parse_path`] (or, with `one_pass`, [`parse_path_one_pass`]) for a reader that already holds
/// rows of earlier files: each record's **record hash** is taken before it is parsed, and a record
/// whose hash `known` holds is not parsed at all, only counted ([`Parsed::rows_known`]); every
/// other good row goes to `on_row` with its record hash, for the caller to keep.
///
/// A record hash is 128 bits of xxh3 over the record's fields (as the CSV reader gives them,
/// so quoting and line ends do not matter) and its context: the format (a mapping by its whole
/// definition), the metadata key, the header, the file's number style and date order, and a
/// version of the parser. Records with the same record hash therefore parse to the same row
/// (but for its line). Known records still take part in the whole-file decisions (date
/// order, number style): they are voted like every record, so rows that are new are read as
/// the whole file says.
pub fn parse_path_known(
    path: &Path,
    opts: &ParseOptions,
    one_pass: bool,
    known: impl FnMut(u128) -> bool,
    on_row: impl FnMut(Row, u128),
    on_error: impl FnMut(RowError),
) -> Result<Parsed, ImportError> {
    engine::run_with(&engine::Input::Path(path), opts, one_pass, known, on_row, on_error)
}

/// Same as [`parse_path`], for bytes in memory.
pub fn parse_bytes(
    bytes: &[u8],
    opts: &ParseOptions,
    on_row: impl FnMut(Row),
    on_error: impl FnMut(RowError),
) -> Result<Parsed, ImportError> {
    engine::run(&engine::Input::Bytes(bytes), opts, on_row, on_error)
}

/// Detects a built-in format from the header names (saved mappings are tried by the parse functions).
pub fn detect(headers: &[String]) -> Option<Format> {
    let h = engine::Headers::new(headers.to_vec());
    engine::detect_builtin(&h)
}

/// A GUID in canonical lower case (`6F1C2A9E-...` → `6f1c2a9e-...`, braces allowed), or `None`
/// when `s` is not a GUID.
pub fn normalise_guid(s: &str) -> Option<String> {
    let t = s.trim();
    let t = t.strip_prefix('{').and_then(|x| x.strip_suffix('}')).unwrap_or(t);
    let b = t.as_bytes();
    if b.len() != 36 {
        return None;
    }
    for (i, &c) in b.iter().enumerate() {
        let ok = if matches!(i, 8 | 13 | 18 | 23) { c == b'-' } else { c.is_ascii_hexdigit() };
        if !ok {
            return None;
        }
    }
    Some(t.to_ascii_lowercase())
}
