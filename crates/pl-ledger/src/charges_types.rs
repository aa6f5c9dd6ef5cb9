//! The words of Custom Charges (SPEC §9) that cross the engine's boundary: usage records, plans,
//! limits, the request Wix makes, the answer and what it left out, and the call log. Plain data,
//! exported to TypeScript for the window's Usage view.
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What Wix intends to do with a ListCharges answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Intent {
    /// Show the customer what the app would charge now: computed, nothing frozen.
    DisplayOnly,
    /// Create an invoice: the answer is frozen and its usage never charged again.
    CreateInvoice,
}

impl Intent {
    pub fn as_str(self) -> &'static str {
        match self {
            Intent::DisplayOnly => "DISPLAY_ONLY",
            Intent::CreateInvoice => "CREATE_INVOICE",
        }
    }

    pub fn parse(s: &str) -> Option<Intent> {
        match s.trim() {
            "DISPLAY_ONLY" => Some(Intent::DisplayOnly),
            "CREATE_INVOICE" => Some(Intent::CreateInvoice),
            _ => None,
        }
    }
}

/// Which method answers: ListCharges (the app prices its usage) or ListUsages (Wix prices it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    Charges,
    Usages,
}

impl AnswerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::Charges => "charges",
            AnswerKind::Usages => "usages",
        }
    }
}

/// One ListCharges (or ListUsages) question: an instance, a currency, the period
/// `[start_ms, end_ms)` in Unix milliseconds and the intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ChargesQuery {
    pub kind: AnswerKind,
    /// The instance, a lower-case GUID.
    pub instance_id: String,
    /// ISO 4217, upper case.
    pub currency: String,
    #[ts(type = "number")]
    pub start_ms: i64,
    #[ts(type = "number")]
    pub end_ms: i64,
    pub intent: Intent,
    /// Wix's `metadata.requestId`, for the log.
    pub request_id: Option<String>,
}

/// Why part of the usage of a period is not in the answer (SPEC §9: it goes to the log, never
/// into a later period).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LeftOutReason {
    /// The charge, truncated to the currency's minor units, is below 0.50.
    BelowMinimum,
    /// No unit price in the requested currency was in force when the usage occurred.
    NoPrice,
    /// Past the charge limit (`amount` is what was cut off, or the whole charge).
    OverLimit,
    /// No charge limit is known for the instance and currency (nor an app default).
    NoLimit,
    /// The amount is beyond any plausible charge (10^15 in the currency or more).
    TooLarge,
}

/// Something of the period left out of an answer, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LeftOut {
    /// The metric, or `Other usage` for the folded charge.
    pub metric: String,
    pub reason: LeftOutReason,
    /// Units of usage concerned (a decimal string).
    pub quantity: String,
    /// The amount left out, in the requested currency, when it has a price.
    pub amount: Option<String>,
}

/// One charge of an answer, as Wix receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Charge {
    /// Stable: a function of (instance, period, metric); a GUID (36 characters).
    pub id: String,
    pub description: String,
    /// The currency's minor units exactly (`12.30`, `1234` for JPY).
    pub amount: String,
    #[serde(rename = "usagePeriod")]
    #[ts(rename = "usagePeriod")]
    pub usage_period: UsagePeriod,
}

/// The first and last usage a charge covers (RFC 3339, milliseconds, UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UsagePeriod {
    #[serde(rename = "startDate")]
    #[ts(rename = "startDate")]
    pub start_date: String,
    #[serde(rename = "endDate")]
    #[ts(rename = "endDate")]
    pub end_date: String,
}

/// Whether an answer froze, or was frozen before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Frozen {
    /// Computed, nothing frozen (DISPLAY_ONLY).
    No,
    /// Frozen by this call (CREATE_INVOICE).
    Now,
    /// The bytes frozen by an earlier CREATE_INVOICE of the same instance, currency and period.
    Before,
}

impl Frozen {
    pub fn as_str(self) -> &'static str {
        match self {
            Frozen::No => "no",
            Frozen::Now => "now",
            Frozen::Before => "before",
        }
    }
}

/// An answer: the exact JSON body Wix receives, and what the computation left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ChargesAnswer {
    /// The response body, byte for byte (`{"charges":[...]}` or `{"usages":[...]}`).
    pub body: String,
    /// Left out of this computation (empty when the answer was frozen before).
    pub left_out: Vec<LeftOut>,
    pub frozen: Frozen,
    /// Usage rows of the period the answer covers.
    pub usage_rows: u32,
}

/// One usage record as the vendor sends it (CSV row or JSON object).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UsageRecord {
    pub id: String,
    pub instance_id: String,
    /// RFC 3339.
    pub occurred_at: String,
    pub metric: String,
    /// A decimal ≥ 0, as a string.
    pub quantity: String,
}

/// What a usage import (CSV or `POST /v1/usage`) did: all or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UsageImportReport {
    /// The file, or `POST /v1/usage`.
    pub source: String,
    pub dry_run: bool,
    pub rows_read: u32,
    pub imported: u32,
    /// Rows whose id was already in the ledger with the same content.
    pub duplicates: u32,
    /// When not empty, nothing was imported.
    pub rejected: Vec<crate::RejectedRow>,
}

/// A unit price of a plan entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlanPrice {
    pub currency: String,
    pub unit_price: String,
}

/// A plan entry: a metric's prices in force from a UTC day, for the app or one instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlanInfo {
    pub metric: String,
    /// An instance override, or none for the app's plan.
    pub instance_id: Option<String>,
    /// YYYY-MM-DD (UTC).
    pub effective_from: String,
    pub description: String,
    pub prices: Vec<PlanPrice>,
    pub added_at: String,
    pub added_by: String,
}

/// A new plan entry, as the operator enters it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewPlan {
    pub metric: String,
    /// `CUR=AMOUNT[,CUR=AMOUNT...]`.
    pub prices: String,
    pub description: Option<String>,
    /// YYYY-MM-DD; none: in force for all usage.
    pub from: Option<String>,
    pub instance: Option<String>,
}

/// A charge limit: per instance and currency, or the app's default for the currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ChargeLimitInfo {
    pub instance_id: Option<String>,
    pub currency: String,
    pub amount: String,
    pub updated_at: String,
    /// The operator, or `wix` when a Charges Rejected or Limit Updated event set it.
    pub updated_by: String,
}

/// One call Wix made to the provider, accepted or refused (SPEC §9 "Log").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ChargeCall {
    #[ts(type = "number")]
    pub id: i64,
    pub received_at: String,
    /// `charges`, `usages`, `charge-limit`, `invoice-created`, `charges-rejected`, `limit-updated`.
    pub endpoint: String,
    pub status: u16,
    pub request_id: Option<String>,
    pub instance_id: Option<String>,
    pub intent: Option<String>,
    pub currency: Option<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    /// The body answered (for the charge endpoints).
    pub answer: Option<String>,
    /// JSON list of [`LeftOut`], when something was.
    pub left_out: Option<String>,
    /// `no`, `now` or `before` for ListCharges / ListUsages.
    pub frozen: Option<String>,
    #[ts(type = "number | null")]
    pub token_iat: Option<i64>,
    #[ts(type = "number | null")]
    pub token_exp: Option<i64>,
    /// Why the call was refused (401, 400, 404), or what an accepted event did.
    pub note: Option<String>,
}

/// A call to log: [`ChargeCall`] without its id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCall {
    pub received_at: String,
    pub endpoint: String,
    pub status: u16,
    pub request_id: Option<String>,
    pub instance_id: Option<String>,
    pub intent: Option<String>,
    pub currency: Option<String>,
    pub period_start: Option<String>,
    pub period_end: Option<String>,
    pub answer: Option<String>,
    pub left_out: Option<String>,
    pub frozen: Option<String>,
    pub token_iat: Option<i64>,
    pub token_exp: Option<i64>,
    pub note: Option<String>,
}

/// What Invoice Created did: the frozen charges it marked, and the charge ids it named that no
/// frozen answer holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct InvoiceOutcome {
    pub marked: u32,
    pub unknown: Vec<String>,
}

/// A charge of a frozen answer, with its invoice when Wix created one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FrozenCharge {
    #[ts(type = "number")]
    pub answer_id: i64,
    pub instance_id: String,
    pub currency: String,
    /// The period (RFC 3339, milliseconds).
    pub period_start: String,
    pub period_end: String,
    pub charge_id: String,
    pub description: String,
    pub amount: String,
    pub invoice_id: Option<String>,
    /// Wix rejected the answer (Charges Rejected) before any invoice: its usage was released.
    pub rejected: bool,
}

/// How much usage the ledger holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UsageCounts {
    #[ts(type = "number")]
    pub rows: u64,
    /// Rows no frozen answer consumed yet.
    #[ts(type = "number")]
    pub open: u64,
}

/// The Usage view's header: how much usage there is and whether the provider can verify Wix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UsageStatus {
    pub counts: UsageCounts,
    /// SHA-256 of the app's public key, when set.
    pub key_fingerprint: Option<String>,
    /// The app id Wix's tokens must be addressed to, when set.
    pub app_id: Option<String>,
}
