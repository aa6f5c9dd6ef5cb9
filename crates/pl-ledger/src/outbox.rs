//! The outbox (SPEC §6): submits a month's approved events to Wix exactly once.
//!
//! Each event moves `queued → sending → sent | rejected | uncertain`:
//! - `sending` is committed (synchronous=FULL) before its request is written;
//! - a request that certainly was not processed (connection refused, 429, 502, 503) goes back
//!   to `queued` and is retried in the run with exponential backoff and jitter;
//! - an ambiguous failure (timeout or reset after writing, 500, 504) makes it `uncertain`, and
//!   nothing ever sends an uncertain event again by itself: the operator resolves it;
//! - 401, 403 and 428 stop the run: the event goes back to `queued` with the rest;
//! - a process that dies mid-request leaves `sending`; the next run (holding the submit lock)
//!   turns it into `uncertain`.
//!
//! Invariant: at most one process submits from a ledger file at a time, so a `sending` seen by
//! the lock holder was left by a crash. The lock follows the file's identity, not the name it
//! was opened by (SPEC §6):
//! - a ledger file with more than one hard link is refused at open (`db::refuse_second_names`),
//!   and again when the lock is taken: two names would also give SQLite two WALs for one file;
//! - the lock is an OS lock (`flock` on Unix, `LockFileEx` on Windows, through
//!   `File::try_lock`) on `<canonical path>.submit.lock`: symlinks, `..` and relative paths all
//!   resolve to the one canonical path of the one remaining name, so every process names the
//!   same lock file. The OS drops the lock when its process dies (SIGKILL included).
//!
//! Why not an OS lock on the ledger file itself: SQLite locks the file with POSIX `fcntl`
//! locks, which a process loses on *every* descriptor of the file as soon as it closes any one
//! of them, so a second descriptor of our own would silently release SQLite's locks when the
//! submit lock is dropped; on Windows a whole-file `LockFileEx` would block SQLite's own reads.
//! (Two mounts of one folder, e.g. a bind mount, still give two canonical paths: that is outside
//! what a path can tell, and SQLite's WAL would be split by it as well.)
//! Invariant: no secret reaches this module's storage: responses are scrubbed by `pl-wix`, and
//! every text stored (attempts' `response` and `message`, `events.last_error`, the audit of a
//! stopped run) goes through `Client::scrub` again here (every encoding, every token).
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pl_wix::{BillingEvent, BillingType, Client, FailureClass, Secrets, WixConfig};
use rand::Rng;
use rusqlite::{params, Connection};
use rust_decimal::Decimal;
use serde::Serialize;
use ts_rs::TS;

use crate::{audit, now_rfc3339, report, settings, Error, Result};

/// The outbox states, in SPEC order.
pub const STATES: [&str; 5] = ["queued", "sending", "sent", "rejected", "uncertain"];

/// How a run behaves; the defaults are the product's.
#[derive(Debug, Clone)]
pub struct SubmitOptions {
    /// Attempts per event in one run for failures that certainly were not processed.
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Requests in flight at once; `None`: the `wix.concurrency` setting.
    pub concurrency: Option<usize>,
    /// Wix's limit: requests per minute per instance.
    pub per_instance_per_minute: usize,
}

impl Default for SubmitOptions {
    fn default() -> Self {
        SubmitOptions {
            max_attempts: 5,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            concurrency: None,
            per_instance_per_minute: 200,
        }
    }
}

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
    pub status: String,
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
    pub state: String,
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

/// The operator's decision about an uncertain (or rejected) event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Checked at Wix: it was received.
    Sent,
    /// Send it again at the next run.
    Resend,
}

/// The lock that makes one process at a time the submitter of a ledger file.
pub struct SubmitLock {
    _file: std::fs::File,
}

/// The submit lock file of the ledger at `db`: `<canonical path>.submit.lock`, the same for every
/// name (symlink, relative path) of the one file. Refuses a ledger with a second hard link.
pub fn lock_path(db: &Path) -> Result<PathBuf> {
    crate::db::refuse_second_names(db)?;
    let real = db.canonicalize().map_err(|source| Error::Io { path: db.to_path_buf(), source })?;
    let mut p = real.into_os_string();
    p.push(".submit.lock");
    Ok(PathBuf::from(p))
}

impl SubmitLock {
    /// Takes the lock, or says that another submission is running.
    pub fn acquire(db: &Path) -> Result<SubmitLock> {
        let path = lock_path(db)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| Error::Io { path: path.clone(), source })?;
        match file.try_lock() {
            Ok(()) => Ok(SubmitLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(Error::Refused("another submission to Wix is running on this ledger; wait for it to finish".into()))
            }
            Err(std::fs::TryLockError::Error(source)) => Err(Error::Io { path, source }),
        }
    }
}

/// Turns `sending` events left by a dead process into `uncertain`. Call only with the lock.
pub(crate) fn recover(conn: &mut Connection, by: &str) -> Result<u32> {
    // Looked at first without the write lock: `outbox list` must not wait for an import.
    let any: bool = conn.query_row("SELECT EXISTS (SELECT 1 FROM events WHERE state = 'sending')", [], |r| r.get(0))?;
    if !any {
        return Ok(0);
    }
    let tx = conn.transaction()?;
    let ids: Vec<String> = tx
        .prepare("SELECT id FROM events WHERE state = 'sending' ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if ids.is_empty() {
        return Ok(0);
    }
    let now = now_rfc3339();
    tx.execute(
        "UPDATE outbox_attempts SET finished_at = ?1, outcome = 'crashed', \
         message = 'the app stopped while this request was out: Wix may or may not have it' \
         WHERE finished_at IS NULL AND event_id IN (SELECT id FROM events WHERE state = 'sending')",
        [&now],
    )?;
    tx.execute(
        "UPDATE events SET state = 'uncertain', last_error = 'the app stopped while this event was being sent; \
         check it in Wix, then resolve it as sent or resend' WHERE state = 'sending'",
        [],
    )?;
    audit::record(&tx, by, "outbox.recover", "outbox", Some(&serde_json::json!({ "sending": ids })), Some(&"uncertain"))?;
    tx.commit()?;
    Ok(ids.len() as u32)
}

/// The Wix connection from settings and the environment. `WIX_API_BASE` overrides the
/// `wix.base_url` setting.
pub fn wix_config(conn: &Connection) -> Result<WixConfig> {
    let app_id = settings::get(conn, "app.id")?
        .ok_or_else(|| Error::Refused("no Wix app id: `partner-ledger app set --id GUID --name NAME`".into()))?;
    let mut cfg = WixConfig::new(app_id);
    let env = std::env::var("WIX_API_BASE").ok().filter(|v| !v.trim().is_empty());
    let (source, base) = match env {
        Some(v) => ("the environment variable WIX_API_BASE", Some(v)),
        None => ("the setting wix.base_url", settings::get(conn, "wix.base_url")?),
    };
    if let Some(base) = base {
        // Checked when used as well as when set: the environment and older ledgers are not
        // checked by `settings set`.
        pl_wix::check_base_url(&base).map_err(|why| Error::Refused(format!("{why} (from {source})")))?;
        cfg.base_url = base;
    }
    if let Some(p) = settings::get(conn, "wix.billing_path")? {
        cfg.billing_path = p;
    }
    let secs: u64 = settings::get(conn, "wix.timeout_secs")?.and_then(|s| s.parse().ok()).unwrap_or(30);
    cfg.timeout = Duration::from_secs(secs);
    Ok(cfg)
}

/// A client with secrets from the environment or the OS keyring.
pub fn client_from_settings(conn: &Connection) -> Result<Client> {
    let cfg = wix_config(conn)?;
    let secrets = Secrets::load(&cfg.app_id);
    if !secrets.any() {
        return Err(Error::Refused(
            "no Wix credentials: set WIX_APP_SECRET (OAuth), or WIX_API_KEY and WIX_ACCOUNT_ID, or store them in the OS keyring".into(),
        ));
    }
    Client::new(cfg, secrets).map_err(|f| Error::Refused(f.message))
}

struct Pending {
    id: String,
    instance: String,
    event: BillingEvent,
    attempts: u32,
}

fn billing_event(id: &str, payload: &str) -> Result<BillingEvent> {
    let bad = |what: &str| Error::Refused(format!("event {id}: its frozen payload has no valid {what}"));
    let v: serde_json::Value = serde_json::from_str(payload).map_err(|_| bad("JSON"))?;
    let ev = &v["event"];
    let dec = |k: &str| ev[k].as_str().and_then(|s| s.parse::<Decimal>().ok()).ok_or_else(|| bad(k));
    Ok(BillingEvent {
        instance_id: ev["instanceId"].as_str().ok_or_else(|| bad("instanceId"))?.to_string(),
        gross_revenue: dec("grossRevenue")?,
        net_revenue: dec("netRevenue")?,
        wix_share: dec("wixShare")?,
        created_date: ev["createdDate"]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc))
            .ok_or_else(|| bad("createdDate"))?,
        billing_type: match ev["billingType"].as_str() {
            Some("CHARGE") => BillingType::Charge,
            Some("REFUND") => BillingType::Refund,
            _ => return Err(bad("billingType")),
        },
    })
}

fn ensure_submittable(conn: &Connection, month: &str) -> Result<()> {
    crate::months::parse_month(month)?;
    match report::month_status(conn, month)?.as_str() {
        "open" => Err(Error::Refused(format!("{month} is not approved; approve it first (`partner-ledger approve --month {month}`)"))),
        _ => Ok(()),
    }
}

fn queued(conn: &Connection, month: &str) -> Result<Vec<Pending>> {
    let mut stmt = conn.prepare("SELECT id, instance_id, payload FROM events WHERE month = ?1 AND state = 'queued' ORDER BY seq")?;
    let rows: Vec<(String, String, String)> =
        stmt.query_map([month], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
    rows.into_iter()
        .map(|(id, instance, payload)| Ok(Pending { event: billing_event(&id, &payload)?, id, instance, attempts: 0 }))
        .collect()
}

/// The exact requests a submission would send, secrets masked (`submit --dry-run`).
pub fn dry_run(conn: &Connection, client: &Client, month: &str) -> Result<Vec<pl_wix::RenderedRequest>> {
    ensure_submittable(conn, month)?;
    Ok(queued(conn, month)?.iter().map(|p| client.render_request(&p.event)).collect())
}

pub(crate) fn counts(conn: &Connection, month: &str) -> Result<StateCounts> {
    let mut c = StateCounts::default();
    let mut stmt = conn.prepare_cached("SELECT state, count(*) FROM events WHERE month = ?1 GROUP BY state")?;
    let mut rows = stmt.query([month])?;
    while let Some(r) = rows.next()? {
        let n: u32 = r.get(1)?;
        match r.get_ref(0)?.as_str()? {
            "queued" => c.queued = n,
            "sending" => c.sending = n,
            "sent" => c.sent = n,
            "rejected" => c.rejected = n,
            "uncertain" => c.uncertain = n,
            _ => {}
        }
    }
    Ok(c)
}

/// Marks a month `submitted` once every one of its events is sent.
pub(crate) fn close_month_if_done(conn: &Connection, month: &str, by: &str) -> Result<String> {
    let status = report::month_status(conn, month)?;
    let c = counts(conn, month)?;
    if status == "approved" && c.queued + c.sending + c.rejected + c.uncertain == 0 {
        conn.execute("UPDATE months SET status = 'submitted' WHERE month = ?1", [month])?;
        audit::record(conn, by, "month.submitted", &format!("month:{month}"), Some(&"approved"), Some(&"submitted"))?;
        return Ok("submitted".into());
    }
    Ok(status)
}

type Outcome = std::result::Result<pl_wix::Accepted, pl_wix::SendFailure>;

/// Attempt times keep milliseconds: they measure Wix's latency.
fn now_millis() -> String {
    Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Commits `sending` for a batch of events (and their attempt rows) in one transaction.
fn mark_sending(conn: &mut Connection, batch: &[Pending]) -> Result<Vec<i64>> {
    let tx = conn.transaction()?;
    let now = now_millis();
    let mut rows = Vec::with_capacity(batch.len());
    {
        let mut upd = tx.prepare_cached("UPDATE events SET state = 'sending' WHERE id = ?1 AND state = 'queued'")?;
        let mut ins = tx.prepare_cached("INSERT INTO outbox_attempts (event_id, started_at) VALUES (?1, ?2)")?;
        for p in batch {
            if upd.execute([&p.id])? != 1 {
                return Err(Error::Refused(format!("event {} is no longer queued", p.id)));
            }
            ins.execute(params![p.id, now])?;
            rows.push(tx.last_insert_rowid());
        }
    }
    tx.commit()?;
    Ok(rows)
}

/// What a result does to its event.
enum Next {
    Done,
    Retry(Pending),
    Stop(String),
}

fn record(tx: &Connection, client: &Client, p: &Pending, attempt_row: i64, outcome: &Outcome, retry_left: bool) -> Result<&'static str> {
    let now = now_millis();
    let flow = |f: pl_wix::AuthFlow| format!("{f:?}");
    // `pl-wix` scrubs what it returns; scrubbed again here, where it is stored (SPEC §6).
    let (state, kind, status, body, message, auth) = match outcome {
        Ok(a) => ("sent", "sent", Some(a.status), Some(client.scrub(&a.body)), None, Some(flow(a.flow))),
        Err(f) => {
            let (state, kind) = match f.class {
                FailureClass::NotSent => ("queued", "retry"),
                FailureClass::Ambiguous => ("uncertain", "uncertain"),
                FailureClass::Rejected => ("rejected", "rejected"),
                FailureClass::Config => ("queued", "stopped"),
            };
            (state, kind, f.status, f.body.as_deref().map(|b| client.scrub(b)), Some(client.scrub(&f.message)), None)
        }
    };
    tx.prepare_cached(
        "UPDATE outbox_attempts SET finished_at = ?2, outcome = ?3, http_status = ?4, response = ?5, message = ?6, auth_flow = ?7 WHERE id = ?1",
    )?
    .execute(params![attempt_row, now, kind, status, body, message, auth])?;
    let last_error = match (&message, state, retry_left) {
        (Some(m), "queued", true) => Some(format!("{m} (will retry)")),
        (m, _, _) => m.clone(),
    };
    tx.prepare_cached("UPDATE events SET state = ?2, last_error = ?3 WHERE id = ?1")?.execute(params![p.id, state, last_error])?;
    Ok(kind)
}

fn backoff(opts: &SubmitOptions, attempt: u32) -> Duration {
    let exp = opts.backoff_base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16)).min(opts.backoff_max);
    // Jitter: between half and all of the exponential step.
    let half = exp / 2;
    half + Duration::from_micros(rand::rng().random_range(0..=half.as_micros().max(1) as u64))
}

/// A rolling one-minute window of request times per instance.
#[derive(Default)]
struct RateWindow {
    sent: HashMap<String, VecDeque<Instant>>,
}

impl RateWindow {
    /// None when a request for `instance` may go now (and records it); else when it may.
    fn take(&mut self, instance: &str, limit: usize, now: Instant) -> Option<Instant> {
        let q = self.sent.entry(instance.to_string()).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60)) {
            q.pop_front();
        }
        if q.len() >= limit {
            return Some(*q.front().expect("non-empty") + Duration::from_secs(60));
        }
        q.push_back(now);
        None
    }
}

/// Submits the queued events of an approved month. The caller holds the [`SubmitLock`] and runs
/// this inside a multi-threaded tokio runtime.
pub async fn submit(
    conn: &mut Connection,
    client: Arc<Client>,
    month: &str,
    opts: &SubmitOptions,
    by: &str,
    mut on_progress: impl FnMut(&SubmitProgress),
) -> Result<SubmitReport> {
    let recovered_uncertain = recover(conn, by)?;
    ensure_submittable(conn, month)?;
    let concurrency = match opts.concurrency {
        Some(c) => c.max(1),
        None => settings::get(conn, "wix.concurrency")?.and_then(|s| s.parse().ok()).unwrap_or(4usize).max(1),
    };
    let mut waiting: VecDeque<Pending> = queued(conn, month)?.into();
    let mut progress =
        SubmitProgress { total: waiting.len() as u32, done: 0, sent: 0, rejected: 0, uncertain: 0, retrying: 0 };
    on_progress(&progress);
    let mut delayed: Vec<(Instant, Pending)> = Vec::new();
    let mut window = RateWindow::default();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Pending, i64, Outcome)>();
    let mut inflight = 0usize;
    let mut requests = 0u32;
    let mut stopped: Option<String> = None;
    loop {
        let now = Instant::now();
        // Retries whose backoff is over join the queue again.
        let (due, later): (Vec<_>, Vec<_>) = delayed.drain(..).partition(|(t, _)| *t <= now);
        delayed = later;
        waiting.extend(due.into_iter().map(|(_, p)| p));
        // Dispatch up to the concurrency, within each instance's rate limit.
        let mut batch = Vec::new();
        if stopped.is_none() {
            while inflight + batch.len() < concurrency {
                let Some(p) = waiting.pop_front() else { break };
                match window.take(&p.instance, opts.per_instance_per_minute, now) {
                    None => batch.push(p),
                    Some(at) => delayed.push((at, p)),
                }
            }
        }
        if !batch.is_empty() {
            let rows = mark_sending(conn, &batch)?;
            for (p, row) in batch.into_iter().zip(rows) {
                inflight += 1;
                requests += 1;
                let (client, tx) = (client.clone(), tx.clone());
                tokio::spawn(async move {
                    let outcome = client.report_event(&p.event).await;
                    let _ = tx.send((p, row, outcome));
                });
            }
        }
        if inflight == 0 && (stopped.is_some() || (waiting.is_empty() && delayed.is_empty())) {
            break;
        }
        // Wait for results, or for the next retry to be due.
        let mut results = Vec::new();
        let next_due = delayed.iter().map(|(t, _)| *t).min();
        // After dispatching, either every slot is busy, or nothing can go before a retry is due
        // (or the run is stopping and only waits for what is in flight).
        let next_due = next_due.filter(|_| stopped.is_none());
        if inflight > 0 {
            let first = match next_due {
                Some(t) => tokio::select! {
                    r = rx.recv() => r,
                    _ = tokio::time::sleep_until(t.into()) => None,
                },
                None => rx.recv().await,
            };
            results.extend(first);
            while let Ok(r) = rx.try_recv() {
                results.push(r);
            }
        } else if let Some(t) = next_due {
            tokio::time::sleep_until(t.into()).await;
        }
        if results.is_empty() {
            continue;
        }
        // Record every result that arrived in one transaction.
        let tx_db = conn.transaction()?;
        let mut next = Vec::with_capacity(results.len());
        for (mut p, row, outcome) in results {
            inflight -= 1;
            p.attempts += 1;
            let retry_left = p.attempts < opts.max_attempts;
            let kind = record(&tx_db, &client, &p, row, &outcome, retry_left)?;
            next.push(match (kind, outcome) {
                ("retry", _) if retry_left && stopped.is_none() => Next::Retry(p),
                ("stopped", Err(f)) => Next::Stop(client.scrub(&f.message)),
                (k, _) => {
                    match k {
                        "sent" => progress.sent += 1,
                        "rejected" => progress.rejected += 1,
                        "uncertain" => progress.uncertain += 1,
                        _ => {}
                    }
                    progress.done += 1;
                    Next::Done
                }
            });
        }
        tx_db.commit()?;
        for n in next {
            match n {
                Next::Done => {}
                Next::Retry(p) => {
                    progress.retrying += 1;
                    delayed.push((Instant::now() + backoff(opts, p.attempts), p));
                }
                Next::Stop(msg) => {
                    stopped.get_or_insert(msg);
                }
            }
        }
        on_progress(&progress);
    }
    let status = close_month_if_done(conn, month, by)?;
    let report = SubmitReport { month: month.to_string(), status, requests, recovered_uncertain, stopped, counts: counts(conn, month)? };
    audit::record(conn, by, "month.submit", &format!("month:{month}"), None::<&()>, Some(&report))?;
    Ok(report)
}

pub(crate) fn list(conn: &Connection, state: Option<&str>, month: Option<&str>) -> Result<Vec<OutboxEntry>> {
    if let Some(s) = state {
        if !STATES.contains(&s) {
            return Err(Error::Refused(format!("`{s}` is not an outbox state; one of {}", STATES.join(", "))));
        }
    }
    let mut stmt = conn.prepare(
        "SELECT e.id, e.month, e.instance_id, e.billing_type, e.gross, e.wix_share, e.state, \
         (SELECT count(*) FROM outbox_attempts a WHERE a.event_id = e.id), e.last_error, \
         (SELECT max(started_at) FROM outbox_attempts a WHERE a.event_id = e.id) \
         FROM events e WHERE (?1 IS NULL OR e.state = ?1) AND (?2 IS NULL OR e.month = ?2) ORDER BY e.month, e.seq",
    )?;
    let rows = stmt.query_map(params![state, month], |r| {
        Ok(OutboxEntry {
            id: r.get(0)?,
            month: r.get(1)?,
            instance_id: r.get(2)?,
            billing_type: r.get(3)?,
            gross: r.get(4)?,
            wix_share: r.get(5)?,
            state: r.get(6)?,
            attempts: r.get(7)?,
            last_error: r.get(8)?,
            last_attempt_at: r.get(9)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A page of a month's approved events, in approval order.
pub(crate) fn page(conn: &Connection, q: &crate::OutboxQuery) -> Result<crate::OutboxPage> {
    if q.limit > crate::report::MAX_PAGE {
        return Err(Error::Refused(format!("a page holds at most {} lines; ask for {} by several pages", crate::report::MAX_PAGE, q.limit)));
    }
    let state = q.state.map(crate::EventState::as_str);
    // instr(lower(x), needle) over a lower-case needle: a case-insensitive substring test.
    let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_lowercase);
    const FILTER: &str = "e.month = ?1 AND (?2 IS NULL OR e.state = ?2) AND (?3 IS NULL OR instr(lower(e.id), ?3) > 0 OR instr(lower(e.instance_id), ?3) > 0)";
    let total: u32 = conn.query_row(&format!("SELECT count(*) FROM events e WHERE {FILTER}"), params![q.month, state, search], |r| r.get(0))?;
    let mut stmt = conn.prepare(&format!(
        "SELECT e.id, e.month, e.instance_id, e.billing_type, e.gross, e.wix_share, e.state, \
         (SELECT count(*) FROM outbox_attempts a WHERE a.event_id = e.id), e.last_error, \
         (SELECT max(started_at) FROM outbox_attempts a WHERE a.event_id = e.id) \
         FROM events e WHERE {FILTER} ORDER BY e.seq LIMIT ?4 OFFSET ?5"
    ))?;
    let rows = stmt.query_map(params![q.month, state, search, q.limit, q.offset], |r| {
        Ok(OutboxEntry {
            id: r.get(0)?,
            month: r.get(1)?,
            instance_id: r.get(2)?,
            billing_type: r.get(3)?,
            gross: r.get(4)?,
            wix_share: r.get(5)?,
            state: r.get(6)?,
            attempts: r.get(7)?,
            last_error: r.get(8)?,
            last_attempt_at: r.get(9)?,
        })
    })?;
    Ok(crate::OutboxPage { total, offset: q.offset.min(total), rows: rows.collect::<rusqlite::Result<_>>()? })
}

pub(crate) fn attempts(conn: &Connection, event_id: &str) -> Result<Vec<AttemptInfo>> {
    let mut stmt = conn.prepare(
        "SELECT started_at, finished_at, outcome, http_status, auth_flow, response, message FROM outbox_attempts WHERE event_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([event_id], |r| {
        Ok(AttemptInfo {
            started_at: r.get(0)?,
            finished_at: r.get(1)?,
            outcome: r.get(2)?,
            http_status: r.get(3)?,
            auth_flow: r.get(4)?,
            response: r.get(5)?,
            message: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The operator resolves an uncertain event (`sent` after checking Wix, or `resend`), or sends
/// a rejected one again. Audited with the reason.
pub(crate) fn resolve(conn: &mut Connection, event_id: &str, how: Resolution, reason: &str, by: &str) -> Result<OutboxEntry> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Refused("a resolution needs a reason (--reason)".into()));
    }
    let tx = conn.transaction()?;
    let (state, month): (String, String) = tx
        .query_row("SELECT state, month FROM events WHERE id = ?1", [event_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .map_err(|_| Error::NotFound(format!("event {event_id}; `partner-ledger outbox list` shows the events")))?;
    let new_state = match (state.as_str(), how) {
        ("uncertain", Resolution::Sent) => "sent",
        ("uncertain" | "rejected", Resolution::Resend) => "queued",
        ("rejected", Resolution::Sent) => {
            return Err(Error::Refused(format!("event {event_id} was rejected by Wix; it can only be resent")));
        }
        (s, _) => return Err(Error::Refused(format!("event {event_id} is {s}; only uncertain or rejected events are resolved"))),
    };
    tx.execute("UPDATE events SET state = ?2, last_error = NULL WHERE id = ?1", params![event_id, new_state])?;
    audit::record(
        &tx,
        by,
        "outbox.resolve",
        &format!("event:{event_id}"),
        Some(&state),
        Some(&serde_json::json!({ "state": new_state, "reason": reason })),
    )?;
    close_month_if_done(&tx, &month, by)?;
    tx.commit()?;
    list(conn, None, Some(&month))?
        .into_iter()
        .find(|e| e.id == event_id)
        .ok_or_else(|| Error::NotFound(event_id.to_string()))
}
