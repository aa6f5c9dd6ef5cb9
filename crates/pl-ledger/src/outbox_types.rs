//! The outbox's IPC types (vocabulary: no SQL), shown by the Submission view and `outbox list`;
//! `crate::outbox` re-exports them under their old paths.
use serde::Serialize;
use ts_rs::TS;

/// Counts of a month's events per outbox state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
pub struct StateCounts {
    pub queued: u32,
    pub sending: u32,
    pub sent: u32,
    pub rejected: u32,
    pub uncertain: u32,
}

/// What `submit` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SubmitReport {
    pub month: String,
    /// The month's status after the run: `approved` or `submitted`.
    pub status: crate::MonthStatus,
    /// Requests written in this run.
    pub requests: u32,
    /// Events left `uncertain` by a crashed earlier run, found at the start of this one.
    pub recovered_uncertain: u32,
    /// Why the run stopped early (401, 403, 428), when it did.
    pub stopped: Option<String>,
    /// The month's events per state after the run.
    pub counts: StateCounts,
}

/// Progress during a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SubmitProgress {
    pub total: u32,
    pub done: u32,
    pub sent: u32,
    pub rejected: u32,
    pub uncertain: u32,
    pub retrying: u32,
}

/// One event of the outbox, for `outbox list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct OutboxEntry {
    pub id: String,
    pub month: String,
    pub instance_id: String,
    pub billing_type: String,
    pub gross: String,
    pub wix_share: String,
    pub state: crate::EventState,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub last_attempt_at: Option<String>,
}

/// One stored attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AttemptInfo {
    pub started_at: String,
    pub finished_at: Option<String>,
    pub outcome: Option<String>,
    pub http_status: Option<u16>,
    pub auth_flow: Option<String>,
    pub response: Option<String>,
    pub message: Option<String>,
}
