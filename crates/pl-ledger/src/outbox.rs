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
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use pl_wix::{BillingEvent, BillingType, Client, FailureClass, Secrets, WixConfig};
use rand::Rng;
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::store::outbox::QueuedRow;
use crate::{calendar, now_rfc3339, report, settings, store, Error, Result};

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

pub use crate::outbox_types::{AttemptInfo, OutboxEntry, StateCounts, SubmitProgress, SubmitReport};

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
    if !store::outbox::any_sending(conn)? {
        return Ok(0);
    }
    let tx = conn.transaction()?;
    let ids = store::outbox::sending_ids(&tx)?;
    if ids.is_empty() {
        return Ok(0);
    }
    store::outbox::sending_to_uncertain(
        &tx,
        &now_rfc3339(),
        "the app stopped while this request was out: Wix may or may not have it",
        "the app stopped while this event was being sent; check it in Wix, then resolve it as sent or resend",
    )?;
    store::audit::record(&tx, by, "outbox.recover", "outbox", Some(&serde_json::json!({ "sending": ids })), Some(&"uncertain"))?;
    tx.commit()?;
    Ok(ids.len() as u32)
}

/// The Wix connection from settings and the environment. `WIX_API_BASE` overrides the
/// `wix.base_url` setting.
pub fn wix_config(conn: &Connection) -> Result<WixConfig> {
    let app_id = settings::get(conn, "app.id")?
        .ok_or_else(|| Error::Refused("no Wix app id: set the app's id and name first".into()))?;
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

/// The request of a frozen event, from its own columns: the amounts, date and type the reports
/// showed when it was approved. (Ledgers before issue 11 also kept a JSON payload per event;
/// where it disagrees with the columns, the columns win.)
fn billing_event(row: QueuedRow) -> Result<Pending> {
    let QueuedRow { id, instance_id, billing_type, created_date, gross, net, wix_share } = row;
    let bad = |what: &str| Error::Refused(format!("event {id}: its frozen {what} is not valid; reopen its month and approve it again"));
    let dec = |what: &str, v: &str| v.parse::<Decimal>().map_err(|_| bad(what));
    let event = BillingEvent {
        gross_revenue: dec("gross", &gross)?,
        net_revenue: dec("net", &net)?,
        wix_share: dec("Wix share", &wix_share)?,
        created_date: DateTime::parse_from_rfc3339(&created_date).map(|d| d.with_timezone(&Utc)).map_err(|_| bad("created date"))?,
        billing_type: BillingType::parse(&billing_type).ok_or_else(|| bad("billing type"))?,
        instance_id: instance_id.clone(),
    };
    Ok(Pending { id, instance: instance_id, event, attempts: 0 })
}

/// Refuses a month that is not approved, or that was approved for another Wix app than the
/// client's (its events were frozen for that app).
fn ensure_submittable(conn: &Connection, client: &Client, month: &str) -> Result<()> {
    calendar::parse_month(month)?;
    if report::month_status(conn, month)? == "open" {
        return Err(Error::Refused(format!("{month} is not approved; approve it first")));
    }
    match store::months::app_id(conn, month)? {
        Some(frozen) if frozen != client.config().app_id => Err(Error::Refused(format!(
            "{month} was approved for Wix app {frozen}, but the ledger's app is now {}; set the app id back to {frozen}, \
             or reopen {month} and approve it again for the new app",
            client.config().app_id
        ))),
        _ => Ok(()),
    }
}

fn queued(conn: &Connection, month: &str) -> Result<Vec<Pending>> {
    store::outbox::queued(conn, month)?.into_iter().map(billing_event).collect()
}

/// The exact requests a submission would send, secrets masked (`submit --dry-run`).
pub fn dry_run(conn: &Connection, client: &Client, month: &str) -> Result<Vec<pl_wix::RenderedRequest>> {
    ensure_submittable(conn, client, month)?;
    Ok(queued(conn, month)?.iter().map(|p| client.render_request(&p.event)).collect())
}

pub(crate) fn counts(conn: &Connection, month: &str) -> Result<StateCounts> {
    let mut c = StateCounts::default();
    for (state, n) in store::outbox::state_counts(conn, month)? {
        match state.as_str() {
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
        store::months::set_submitted(conn, month)?;
        store::audit::record(conn, by, "month.submitted", &format!("month:{month}"), Some(&"approved"), Some(&"submitted"))?;
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
    let ids: Vec<&str> = batch.iter().map(|p| p.id.as_str()).collect();
    let rows = store::outbox::mark_sending(&tx, &ids, &now_millis())?
        .map_err(|id| Error::Refused(format!("event {id} is no longer queued")))?;
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
    let end = store::outbox::AttemptEnd {
        finished_at: &now,
        outcome: kind,
        http_status: status,
        response: body.as_deref(),
        message: message.as_deref(),
        auth_flow: auth.as_deref(),
    };
    store::outbox::finish_attempt(tx, attempt_row, &end)?;
    let last_error = match (&message, state, retry_left) {
        (Some(m), "queued", true) => Some(format!("{m} (will retry)")),
        (m, _, _) => m.clone(),
    };
    store::outbox::set_state(tx, &p.id, state, last_error.as_deref())?;
    Ok(kind)
}

fn backoff(opts: &SubmitOptions, attempt: u32) -> Duration {
    let exp = opts.backoff_base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16)).min(opts.backoff_max);
    // Jitter: between half and all of the exponential step.
    let half = exp / 2;
    half + Duration::from_micros(rand::rng().random_range(0..=half.as_micros().max(1) as u64))
}

/// A rolling one-minute window of request times per instance (looked up once per request sent).
#[derive(Default)]
struct RateWindow {
    sent: rustc_hash::FxHashMap<String, VecDeque<Instant>>,
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
    ensure_submittable(conn, &client, month)?;
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
    let report = SubmitReport { month: month.to_string(), status: crate::MonthStatus::of_str(&status), requests, recovered_uncertain, stopped, counts: counts(conn, month)? };
    store::audit::record(conn, by, "month.submit", &format!("month:{month}"), None::<&()>, Some(&report))?;
    Ok(report)
}

pub(crate) fn list(conn: &Connection, state: Option<&str>, month: Option<&str>) -> Result<Vec<OutboxEntry>> {
    if let Some(s) = state {
        if !STATES.contains(&s) {
            return Err(Error::Refused(format!("`{s}` is not an outbox state; one of {}", STATES.join(", "))));
        }
    }
    store::outbox::list(conn, state, month)
}

/// A page of a month's approved events, in approval order.
pub(crate) fn page(conn: &Connection, q: &crate::OutboxQuery) -> Result<crate::OutboxPage> {
    if q.limit > crate::report::MAX_PAGE {
        return Err(Error::Refused(format!("a page holds at most {} lines; ask for {} by several pages", crate::report::MAX_PAGE, q.limit)));
    }
    let search = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_lowercase);
    let (total, rows) = store::outbox::page(conn, &q.month, q.state.map(crate::EventState::as_str), search.as_deref(), q.offset, q.limit)?;
    Ok(crate::OutboxPage { total, offset: q.offset.min(total), rows })
}


pub(crate) fn attempts(conn: &Connection, event_id: &str) -> Result<Vec<AttemptInfo>> {
    store::outbox::attempts(conn, event_id)
}

/// The operator resolves an uncertain event (`sent` after checking Wix, or `resend`), or sends
/// a rejected one again. Audited with the reason.
pub(crate) fn resolve(conn: &mut Connection, event_id: &str, how: Resolution, reason: &str, by: &str) -> Result<OutboxEntry> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::Refused("a resolution needs a reason".into()));
    }
    let tx = conn.transaction()?;
    let (state, month) = store::outbox::state_and_month(&tx, event_id)?
        .ok_or_else(|| Error::NotFound(format!("event {event_id} in the submission queue (an approved month's events are there)")))?;
    let new_state = match (state.as_str(), how) {
        ("uncertain", Resolution::Sent) => "sent",
        ("uncertain" | "rejected", Resolution::Resend) => "queued",
        ("rejected", Resolution::Sent) => {
            return Err(Error::Refused(format!("event {event_id} was rejected by Wix; it can only be resent")));
        }
        (s, _) => return Err(Error::Refused(format!("event {event_id} is {s}; only uncertain or rejected events are resolved"))),
    };
    store::outbox::set_state(&tx, event_id, new_state, None)?;
    store::audit::record(
        &tx,
        by,
        "outbox.resolve",
        &format!("event:{event_id}"),
        Some(&state),
        Some(&serde_json::json!({ "state": new_state, "reason": reason })),
    )?;
    close_month_if_done(&tx, &month, by)?;
    tx.commit()?;
    store::outbox::get(conn, event_id)?.ok_or_else(|| Error::NotFound(event_id.to_string()))
}
