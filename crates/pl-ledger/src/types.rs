//! Plain data the engine hands to the CLI and the desktop shell. Every type here derives
//! `ts_rs::TS`: the desktop's TypeScript bindings are generated from these definitions.
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What `Ledger::import_file` reports for one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportReport {
    pub file: String,
    /// The format id: `stripe-itemized`, `stripe-balance`, `paypal-activity` or `mapped:<name>`.
    pub format: String,
    /// The new batch, or none when nothing was imported (a dry run, a rejected file, or a file
    /// whose every row was already in the ledger).
    #[ts(type = "number | null")]
    pub batch_id: Option<i64>,
    pub dry_run: bool,
    pub rows_read: u32,
    /// New rows other than the `skipped`, `sent` and `unclassified` ones (charges, refunds,
    /// fees, payouts, ...): `rows_read` = imported + duplicates + skipped + sent + unclassified.
    pub imported: u32,
    pub duplicates: u32,
    pub skipped: u32,
    /// New rows of money the account paid out (a purchase, a payment to a supplier): kept and
    /// shown, never a billing event. A refund candidate promoted to a refund is `imported`.
    pub sent: u32,
    /// New rows of money in under a type nobody classified yet: each is an `unclassified_type`
    /// exception of its month until its type is classified.
    pub unclassified: u32,
    /// Rows that made the whole file refused; when not empty, nothing was imported.
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RejectedRow {
    /// 1-based line in the file (the header is line 1).
    pub line: u32,
    /// The column (by its header name) at fault, when one is.
    pub column: Option<String>,
    pub reason: String,
}

/// One import batch, as `batches list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BatchSummary {
    #[ts(type = "number")]
    pub id: i64,
    pub file_name: String,
    pub sha256: String,
    pub format: String,
    /// RFC 3339, UTC.
    pub imported_at: String,
    pub imported_by: String,
    pub rows_read: u32,
    pub imported: u32,
    pub duplicates: u32,
    pub skipped: u32,
    /// As in [`ImportReport::sent`].
    pub sent: u32,
    /// As in [`ImportReport::unclassified`].
    pub unclassified: u32,
    /// RFC 3339, UTC, when the batch was undone.
    pub undone_at: Option<String>,
}

/// Something that needs the operator before a month can be approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Exception {
    /// `unresolved_instance`, `invalid_instance`, `unclassified_type`, ...
    pub kind: ExceptionKind,
    /// The format id of the row's batch (`manual` for manual refunds).
    pub source: String,
    /// The processor's transaction id.
    pub source_id: String,
    /// The ledger row, for `exceptions assign`.
    #[ts(type = "number | null")]
    pub txn_id: Option<i64>,
    /// charge, refund, dispute, dispute_reversal, unclassified.
    pub row_kind: String,
    /// RFC 3339, UTC.
    pub created_date: String,
    /// `<file name>:<line>` where the row came from.
    pub file: String,
    /// What is wrong and what to do about it.
    pub detail: String,
}

/// The operator's classification of a type the importer does not know, for one source format
/// (SPEC §2): rows of that source and type (matched ignoring case) that came in as
/// `unclassified` become charges (money in), refunds (money out) or skipped rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ClassifyRule {
    /// The format id: `paypal-activity`, `stripe-balance`, `mapped:<name>`, ...
    pub source: String,
    /// The type as the operator wrote it.
    pub type_name: String,
    /// `charge`, `refund` or `ignore`.
    pub action: String,
    /// RFC 3339, UTC.
    pub saved_at: String,
    pub saved_by: String,
}

/// What saving or removing a classification rule did to the rows already in the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ClassifyOutcome {
    /// The rule saved; none after a removal.
    pub rule: Option<ClassifyRule>,
    /// Rows of this source and type the rule now classifies (charges, refunds or skipped).
    pub classified: u32,
    /// Rows of this source and type whose money goes the other way than the rule says (a
    /// `charge` rule on money out, a `refund` rule on money in): they stay exceptions.
    pub disagreeing: u32,
    /// Rows of this type that are `unclassified` again (after a removal or a change of rule).
    pub unclassified: u32,
    /// Rows left as they were because an approved month froze them.
    pub frozen: u32,
}

/// One line of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AuditEntry {
    #[ts(type = "number")]
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    pub who: String,
    pub action: String,
    /// What changed, as `kind:id` (`batch:3`, `setting:timezone`, ...).
    pub entity: String,
    #[ts(type = "unknown")]
    pub before: Option<serde_json::Value>,
    #[ts(type = "unknown")]
    pub after: Option<serde_json::Value>,
}

/// A saved column mapping for `mapped:<name>` imports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ColumnMappingInfo {
    pub name: String,
    pub saved_at: String,
    pub saved_by: String,
}

/// Totals of a report: sums of the rounded event values, so they reconcile to the cent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Totals {
    pub events: u32,
    pub gross: String,
    pub expenses: String,
    pub net: String,
    pub wix_share: String,
}

/// One instance's line in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InstanceLine {
    pub instance_id: String,
    pub charges: u32,
    pub refunds: u32,
    pub gross: String,
    pub expenses: String,
    pub net: String,
    pub wix_share: String,
}

/// One billing event, as reports and exports show it. Amounts are decimal strings with two
/// decimals; `rate` is a percent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EventLine {
    /// `tx-<row>` for an imported row, `mr-<n>` for a manual refund; stable.
    pub id: String,
    pub instance_id: String,
    pub billing_type: String,
    pub created_date: String,
    pub gross: String,
    pub expenses: String,
    pub net: String,
    pub rate: String,
    pub wix_share: String,
    /// The format id (`stripe-itemized`, ...) or `manual`.
    pub source: String,
    /// The processor's transaction id; none for manual refunds.
    pub source_id: Option<String>,
    pub late: bool,
    /// `draft` while its month is open; after approval the outbox state (`queued`, `sending`,
    /// `sent`, `rejected`, `uncertain`).
    pub state: EventState,
    pub product: String,
    /// What was deducted from gross, in words (the Wix report's explanation column).
    pub expense_note: String,
    /// Which rate gave the share and why, in words: `rate in force on 2026-11-04` (the event's own
    /// date) or `rate of the original charge of 2025-11-03` (setting `refund_rate` =
    /// `original_charge`); empty for an event approved before these words existed.
    pub rate_basis: String,
}

/// A payout against the sum of its items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PayoutCheck {
    pub payout_id: String,
    pub currency: String,
    pub payout_date: String,
    /// The amount paid out (positive).
    pub amount: String,
    /// The sum of the nets of the rows in the payout.
    pub items_net: String,
    pub items: u32,
    pub matches: bool,
}

/// The month (or quarter) report of SPEC §8.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Report {
    /// `YYYY-MM` for a month report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
    /// `YYYY-Qn` for a quarter report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quarter: Option<String>,
    pub app_id: Option<String>,
    pub app_name: Option<String>,
    /// `open`, `approved` or `submitted` (a quarter: the least advanced of its months).
    pub status: MonthStatus,
    pub totals: Totals,
    pub instances: Vec<InstanceLine>,
    pub events: Vec<EventLine>,
    pub exceptions: Vec<Exception>,
    pub payouts: Vec<PayoutCheck>,
}

/// A month's state, for the month picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MonthInfo {
    pub month: String,
    pub status: MonthStatus,
    pub approved_at: Option<String>,
    pub approved_by: Option<String>,
}

/// One rate of the schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RateInfo {
    pub effective_from: String,
    pub percent: String,
    pub instance_id: Option<String>,
    pub added_at: String,
    pub added_by: String,
}

/// A manual refund as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ManualRefundInfo {
    /// Its event id, `mr-<n>`.
    pub id: String,
    pub instance_id: String,
    pub date: String,
    pub amount: String,
    pub fee_returned: String,
    pub charge: Option<String>,
    pub reason: String,
}

/// An approval as the desktop window receives it: the approved month's summary, or the
/// exceptions that refused it (`Error::ApprovalRefused`), as data rather than a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ApprovalOutcome {
    Approved { summary: Box<MonthSummary> },
    Refused { month: String, exceptions: Vec<Exception> },
}

impl ApprovalOutcome {
    /// The outcome of [`crate::Ledger::approve`]: a refusal for exceptions is an outcome, any
    /// other error stays an error.
    pub fn from_result(r: crate::Result<MonthSummary>) -> crate::Result<ApprovalOutcome> {
        match r {
            Ok(summary) => Ok(ApprovalOutcome::Approved { summary: Box::new(summary) }),
            Err(crate::Error::ApprovalRefused { month, exceptions }) => Ok(ApprovalOutcome::Refused { month, exceptions }),
            Err(e) => Err(e),
        }
    }
}

// ---- the window's pages ----------------------------------------------------------------------
//
// The window never receives a whole month: it asks for the month's summary (totals, counts,
// exceptions, payouts) at once, and for instances, events and outbox entries by page, sorted,
// filtered and searched in Rust (`Ledger::month_summary`, `instance_page`, `event_page`,
// `outbox_page`). All of them read one scan of the month, kept while the ledger is unchanged.

/// A month's state: `open` → `approved` → `submitted` (ordered so: a quarter is its least
/// advanced month's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MonthStatus {
    Open,
    Approved,
    Submitted,
}

/// An event's state: `draft` while its month is open; after approval, the outbox's
/// `queued` → `sending` → `sent` | `rejected` | `uncertain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EventState {
    Draft,
    Queued,
    Sending,
    Sent,
    Rejected,
    Uncertain,
}

/// What blocks a month's approval (SPEC §5), by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// A row with no instance (no metadata, no original charge, no customer mapping).
    UnresolvedInstance,
    /// A row whose metadata names something that is not a Wix instance id.
    InvalidInstance,
    /// Money in under a type nobody classified yet.
    UnclassifiedType,
    /// A non-USD row without a rate in the FX table.
    MissingFxRate,
    /// No revenue-share rate in force on the event's date.
    NoRate,
    /// A refund that takes its charge's refunds above the charge.
    RefundExceedsCharge,
}

impl ExceptionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExceptionKind::UnresolvedInstance => "unresolved_instance",
            ExceptionKind::InvalidInstance => "invalid_instance",
            ExceptionKind::UnclassifiedType => "unclassified_type",
            ExceptionKind::MissingFxRate => "missing_fx_rate",
            ExceptionKind::NoRate => "no_rate",
            ExceptionKind::RefundExceedsCharge => "refund_exceeds_charge",
        }
    }
}

impl MonthStatus {
    /// The status of its word (`open` for anything else: a month with no approval row).
    pub fn of_str(s: &str) -> MonthStatus {
        match s {
            "approved" => MonthStatus::Approved,
            "submitted" => MonthStatus::Submitted,
            _ => MonthStatus::Open,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MonthStatus::Open => "open",
            MonthStatus::Approved => "approved",
            MonthStatus::Submitted => "submitted",
        }
    }
}

/// The words (`open`, `queued`, `no_rate`, ...) as they print and compare.
macro_rules! words {
    ($($t:ty),*) => {$(
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
        impl PartialEq<str> for $t {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }
        impl PartialEq<&str> for $t {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    )*};
}
words!(ExceptionKind, MonthStatus, EventState);

impl EventState {
    /// The state of its word (`draft` for anything else).
    pub fn of_str(s: &str) -> EventState {
        match s {
            "queued" => EventState::Queued,
            "sending" => EventState::Sending,
            "sent" => EventState::Sent,
            "rejected" => EventState::Rejected,
            "uncertain" => EventState::Uncertain,
            _ => EventState::Draft,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EventState::Draft => "draft",
            EventState::Queued => "queued",
            EventState::Sending => "sending",
            EventState::Sent => "sent",
            EventState::Rejected => "rejected",
            EventState::Uncertain => "uncertain",
        }
    }
}

/// Everything the Month view shows at once: the month's totals and counts, its exceptions and
/// payout checks. Its instances and events come by page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MonthSummary {
    pub month: String,
    pub status: MonthStatus,
    pub app_id: Option<String>,
    pub app_name: Option<String>,
    pub totals: Totals,
    /// Charge events (charges and won disputes) and refund events (refunds, disputes, manual).
    pub charges: u32,
    pub refunds: u32,
    /// Events of rows from an earlier, already approved month.
    pub late: u32,
    /// Instances with at least one event.
    pub instances: u32,
    pub exceptions: Vec<Exception>,
    pub payouts: Vec<PayoutCheck>,
}

/// How instance lines are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum InstanceSort {
    #[default]
    InstanceId,
    Events,
    Gross,
    Expenses,
    Net,
    WixShare,
}

/// A page of a month's instance lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InstanceQuery {
    pub month: String,
    /// Instance ids containing this text (case-insensitive); none or empty: all.
    pub search: Option<String>,
    pub sort: InstanceSort,
    pub descending: bool,
    pub offset: u32,
    /// At most 1,000.
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InstancePage {
    /// How many lines match the query (the page is `rows` from `offset`).
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<InstanceLine>,
}

/// How event lines are ordered: `report` is the report's own order (by date, then row).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EventSort {
    #[default]
    Report,
    Instance,
    Gross,
    Net,
    WixShare,
}

/// A page of a month's event lines; every filter given must hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EventQuery {
    pub month: String,
    /// Only this instance's events.
    pub instance: Option<String>,
    /// `CHARGE` or `REFUND`.
    pub billing_type: Option<String>,
    pub late: Option<bool>,
    pub state: Option<EventState>,
    /// Events whose id, source id or instance id contains this text (case-insensitive).
    pub search: Option<String>,
    pub sort: EventSort,
    pub descending: bool,
    pub offset: u32,
    /// At most 1,000.
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EventPage {
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<EventLine>,
}

/// A page of a month's approved events as the outbox holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OutboxQuery {
    pub month: String,
    pub state: Option<EventState>,
    /// Events whose id or instance id contains this text (case-insensitive).
    pub search: Option<String>,
    pub offset: u32,
    /// At most 1,000.
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct OutboxPage {
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<crate::outbox_types::OutboxEntry>,
}

/// Options of one import (`Ledger::import_file`). Not an IPC type (the desktop shell builds it
/// from a command's arguments), so it has no TypeScript binding.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `None`: detect from the header.
    pub format: Option<String>,
    pub dry_run: bool,
    /// Who imports (audit).
    pub by: String,
    /// Day/month order for a file whose dates cannot decide it.
    pub date_order: Option<pl_import::DateOrder>,
}

// ---- the window's Setup and Audit views ---------------------------------------------------

/// The Wix app the ledger reports for (`app.id`, `app.name`); none until it is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AppInfo {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// A setting as the window shows it: its value in force, its default, what it means and, when
/// it takes one of a few words, those words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SettingInfo {
    pub key: String,
    /// The value in force: the stored one, else the default; none when neither exists.
    pub value: Option<String>,
    pub default: Option<String>,
    /// Whether the operator stored a value (else the default applies).
    pub stored: bool,
    pub help: String,
    /// The values it accepts when they are few (`true`, `false`; ...); empty for free text.
    /// The time zone's names come from `Ledger::timezones`.
    pub choices: Vec<String>,
}

/// One currency of the FX table: how many daily rates it has, from when to when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FxCurrency {
    pub currency: String,
    pub rates: u32,
    /// `YYYY-MM-DD`.
    pub first: String,
    pub last: String,
    /// USD per unit on `last`, as stored.
    pub last_rate: String,
}

/// A saved customer mapping: a processor's customer (Stripe customer id, PayPal payer e-mail)
/// and the Wix instance its rows belong to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CustomerMapping {
    pub customer_key: String,
    pub instance_id: String,
    /// RFC 3339, UTC.
    pub saved_at: String,
    pub saved_by: String,
}

/// A page of the saved customer mappings, by customer key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CustomerMappingQuery {
    /// Mappings whose customer key or instance id contains this text (case-insensitive).
    pub search: Option<String>,
    pub offset: u32,
    /// At most 1,000.
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CustomerMappingPage {
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<CustomerMapping>,
}

/// What removing a customer mapping did to the rows it had resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UnmapOutcome {
    /// Rows without an instance again (exceptions of their months until resolved).
    pub unresolved: u32,
    /// Rows left as they were because an approved month froze them.
    pub frozen: u32,
}

/// A type the importer does not know, with rows waiting for the operator to classify it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UnclassifiedType {
    /// The format id of the rows' batches.
    pub source: String,
    pub type_name: String,
    pub rows: u32,
}

/// What a column mapping reads from a sample file, before it is saved: the first rows as the
/// ledger would hold them, the first bad rows, and counts for the whole file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MappingPreview {
    pub file: String,
    /// `mapped:<name>`.
    pub format: String,
    pub rows_read: u32,
    /// Rows read without an error (skipped ones included).
    pub rows_ok: u32,
    pub rows_failed: u32,
    /// Good rows by kind (`charge`, `refund`, `skipped`, ...), most first.
    pub kinds: Vec<KindCount>,
    /// `point` or `comma`.
    pub number_style: String,
    /// The first good rows (at most `PREVIEW_ROWS`).
    pub rows: Vec<PreviewRow>,
    /// The first bad rows (at most `PREVIEW_ERRORS`); any bad row refuses the file at import.
    pub errors: Vec<RejectedRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KindCount {
    pub kind: String,
    pub rows: u32,
}

/// One row of a file as a mapping reads it (amounts as decimal strings, as in the file's sign).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PreviewRow {
    pub line: u32,
    pub kind: String,
    pub source_id: String,
    /// RFC 3339, UTC.
    pub occurred_at: String,
    pub currency: String,
    pub gross: String,
    pub fee: String,
    pub net: String,
    pub tax: String,
    pub instance: Option<String>,
    pub customer: Option<String>,
    pub type_name: Option<String>,
    pub original_ref: Option<String>,
    pub description: Option<String>,
    pub skip_reason: Option<String>,
}

/// Which Wix credentials are set for the ledger's app (never their values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CredentialsInfo {
    /// Credentials are kept per app: none can be stored before the app id is set.
    pub app_id: Option<String>,
    /// False when the OS keyring is turned off for this process (`PARTNER_LEDGER_KEYRING=off`).
    pub keyring: bool,
    pub credentials: Vec<CredentialInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CredentialInfo {
    /// `app-secret`, `api-key` or `account-id`.
    pub name: String,
    pub set: bool,
    /// `keyring` or `env` (an environment variable, which wins over the keyring); none when not set.
    pub source: Option<String>,
    /// The environment variable that would override the keyring.
    pub env_var: String,
    /// Also stored in the OS keyring (unused while the environment variable is set).
    pub in_keyring: bool,
}

/// What a connection test found: one check per configured way of signing in to Wix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConnectionTest {
    pub base_url: String,
    /// Every check passed.
    pub ok: bool,
    pub checks: Vec<ConnectionCheck>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConnectionCheck {
    /// `oauth` (app id and app secret) or `api_key` (API key and account id).
    pub flow: String,
    pub ok: bool,
    /// What was asked and what Wix answered, in words (secrets never included).
    pub message: String,
}

/// A page of the audit log, newest first, filtered by the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AuditQuery {
    /// `YYYY-MM`: changes made during that month, in the ledger's time zone.
    pub month: Option<String>,
    /// Who made the change (exact).
    pub who: Option<String>,
    /// What kind of change (`rate.set`, `batch.import`, ...; exact).
    pub action: Option<String>,
    /// Entries whose entity (`batch:3`, `setting:timezone`, ...) contains this text.
    pub search: Option<String>,
    pub offset: u32,
    /// At most 1,000.
    pub limit: u32,
}

/// One line of the audit log as the window lists it: the values before and after as compact
/// JSON, cut to a few hundred characters (`Ledger::audit_entry` gives an entry whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AuditLine {
    #[ts(type = "number")]
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    /// `YYYY-MM-DD HH:MM` in the ledger's time zone.
    pub at_local: String,
    pub who: String,
    pub action: String,
    pub entity: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AuditPage {
    pub total: u32,
    pub offset: u32,
    /// The ledger's time zone, which `at_local` and the month filter use.
    pub timezone: String,
    pub rows: Vec<AuditLine>,
}

/// What the audit log's filters can choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AuditFacets {
    /// Months with changes, newest first (ledger time zone).
    pub months: Vec<String>,
    pub operators: Vec<String>,
    pub actions: Vec<String>,
}

/// Who the desktop session records as the operator of what it does (the audit log's `who`):
/// the name saved for this desktop user, else a default until one is saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OperatorInfo {
    /// The saved name; none until the user gives one (the window then asks).
    pub saved: Option<String>,
    /// The name in use now: the saved one, else `suggestion`.
    pub current: String,
    /// The OS user's name (or `desktop`), offered when asking.
    pub suggestion: String,
}

// ---- an import set: preview, then commit ------------------------------------------------------
//
// The window imports several files as one reviewable step: a preview of what each file would
// do (`Ledger::preview_imports`, nothing written), then a commit that writes exactly what the
// preview showed or refuses (`Ledger::commit_imports`).

/// One file of an import set, as the window asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportFileRequest {
    pub path: String,
    /// A format id (`stripe-itemized`, `mapped:<name>`, ...); none: detected from the header.
    pub format: Option<String>,
    /// `month-first` or `day-first`, for a file whose slash dates cannot decide it.
    pub date_order: Option<String>,
}

/// A reason (why rows were skipped, a type nobody classified) and how many rows had it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RowCount {
    pub what: String,
    pub rows: u32,
}

/// What importing one file of a set would do, after the files before it in the set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FilePreview {
    pub request: ImportFileRequest,
    /// The file's name, for display.
    pub file_name: String,
    /// The counts and rejected rows the import would report (`dry_run` true, no batch); none
    /// when the file could not be read as an export (see `error`).
    pub report: Option<ImportReport>,
    /// The file's SHA-256 when it was read: the commit refuses a file that changed since.
    pub sha256: Option<String>,
    /// The new rows that would be skipped, by reason.
    pub skipped: Vec<RowCount>,
    /// The new rows of types nobody classified yet, by type: exceptions until classified.
    pub unclassified_types: Vec<RowCount>,
    /// Of the rejected rows, those whose key the ledger holds with other content.
    pub conflicts: u32,
    /// The file's slash dates cannot tell day from month: give `date_order` and preview again.
    pub needs_date_order: bool,
    /// Why the file cannot be imported at all (unreadable, not an export, undecidable dates).
    pub error: Option<String>,
}

impl FilePreview {
    /// A file the commit writes: read, and no row rejected.
    pub fn importable(&self) -> bool {
        self.error.is_none() && self.report.as_ref().is_some_and(|r| r.rejected.is_empty())
    }
}

/// The preview of an import set, file by file in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportPreview {
    pub files: Vec<FilePreview>,
}

/// How far a preview or an import of a set is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportProgress {
    /// The file being read (0-based) and how many the set has.
    pub file: u32,
    pub files: u32,
    pub file_name: String,
    /// Rows of the file handled so far, and about how many it has (from its length).
    pub rows: u32,
    pub estimated_rows: u32,
    /// False while previewing, true while writing.
    pub committing: bool,
}

// ---- the manual refund form ---------------------------------------------------------------------

/// A field of a manual refund (SPEC §5), as the window's form names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RefundField {
    Instance,
    Date,
    Amount,
    FeeReturned,
    Charge,
    Reason,
}

/// What is wrong with one field of a manual refund, in the engine's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FieldProblem {
    pub field: RefundField,
    pub message: String,
}

/// A manual refund added, or refused with what is wrong, field by field (nothing written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RefundOutcome {
    Added { refund: ManualRefundInfo },
    Refused { problems: Vec<FieldProblem> },
}

// ---- the window's charts and exports ------------------------------------------------------------

/// One month of the month-by-month chart: its totals as the month's report gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MonthPoint {
    pub month: String,
    pub status: MonthStatus,
    pub events: u32,
    pub gross: String,
    pub net: String,
    pub wix_share: String,
    /// Rows that block the month's approval.
    pub exceptions: u32,
}

/// Which CSV export (SPEC §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ExportKind {
    /// Wix's Partner Billed report (Wix's template).
    Wix,
    /// One line per instance.
    Instances,
    /// One line per event.
    Events,
}
