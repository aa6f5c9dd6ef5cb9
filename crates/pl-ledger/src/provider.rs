//! The provider's access to the ledger (SPEC §9): what `partner-ledger serve` answers Wix with,
//! over the same file the CLI and the window use.
//!
//! - Reads (DISPLAY_ONLY answers, the frozen-answer lookup, tokens, limits, the app's key) run on
//!   a pool of read-only connections, each in one read transaction: WAL readers run beside each
//!   other and beside the writer.
//! - Writes go to one writer thread with its own connection: CREATE_INVOICE freezes, usage
//!   ingestion, Wix's events and the call log. It takes every job waiting, runs them in one
//!   `IMMEDIATE` transaction (each in its own savepoint, so one failing job changes nothing of
//!   the others) and answers them after the commit (group commit: one fsync for many calls).
//!   Jobs run one after the other, so two identical CREATE_INVOICE calls at once freeze one
//!   answer: the second finds the first's. The writer's connection keeps the savepoints'
//!   sub-journal in memory and checkpoints every 256 pages (`store::usage::tune_writer`: why,
//!   and BENCHMARKS.md for the measurements).
//!
//! The computation itself is `crate::charges`; the same function answers `charges preview`.
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::charges::{self, UsageIn};
use crate::{
    db, now_rfc3339, plans, store, usage, AnswerKind, ChargesAnswer, ChargesQuery, Error, Frozen, Intent, InvoiceOutcome, NewCall, Result, UsageImportReport,
    UsageRecord,
};

/// Who Wix's events are audited as.
pub const WIX: &str = "wix";
/// Jobs waiting for the writer before senders wait.
const QUEUE: usize = 8192;
/// Jobs the writer runs in one transaction at most.
const BATCH: usize = 512;
/// Read connections kept for reuse.
const MAX_IDLE_READERS: usize = 16;

/// Checks a question before anything reads the ledger.
fn check_query(q: &ChargesQuery) -> Result<pl_money::Currency> {
    pl_import::normalise_guid(&q.instance_id)
        .filter(|g| *g == q.instance_id)
        .ok_or_else(|| Error::Refused(format!("`{}` is not a lower-case instance GUID", pl_import::clip(&q.instance_id))))?;
    let cur = pl_money::Currency::new(&q.currency).map_err(|_| Error::Refused(format!("`{}` is not a currency code", pl_import::clip(&q.currency))))?;
    if cur.as_str() != q.currency {
        return Err(Error::Refused(format!("`{}` is not an upper-case currency code", pl_import::clip(&q.currency))));
    }
    if q.start_ms >= q.end_ms {
        return Err(Error::Refused(format!("the period is empty: it starts at {} and ends at {}", charges::instant(q.start_ms), charges::instant(q.end_ms))));
    }
    Ok(cur)
}

/// Answers `q` on `conn` (a read transaction, or the writer's savepoint when `freeze`): the
/// frozen bytes when the key was frozen before, else the computation over the open usage of
/// the period; with `freeze` (CREATE_INVOICE) the answer is stored and its usage consumed.
pub(crate) fn answer(conn: &Connection, q: &ChargesQuery, freeze: bool) -> Result<ChargesAnswer> {
    let cur = check_query(q)?;
    let key = store::answers::Key { kind: q.kind.as_str(), instance_id: &q.instance_id, currency: &q.currency, start_ms: q.start_ms, end_ms: q.end_ms };
    if let Some(body) = store::answers::frozen_body(conn, &key)? {
        return Ok(ChargesAnswer { body, left_out: Vec::new(), frozen: Frozen::Before, usage_rows: 0 });
    }
    let open = store::usage::open_in_period(conn, &q.instance_id, q.start_ms, q.end_ms)?;
    let mut rows = Vec::with_capacity(open.len());
    for o in &open {
        let quantity = Decimal::from_str(&o.quantity).map_err(|_| Error::Refused(format!("usage row {} holds an unreadable quantity `{}`", o.seq, pl_import::clip(&o.quantity))))?;
        rows.push(UsageIn { occurred_ms: o.occurred_ms, metric: o.metric.clone(), quantity });
    }
    let book = plans::price_book(conn, &q.instance_id)?;
    let (body, left_out, lines) = match q.kind {
        AnswerKind::Charges => {
            let limit = plans::limit_in_force(conn, &q.instance_id, &q.currency)?;
            let c = charges::list_charges(&rows, &book, cur, limit, &q.instance_id, q.start_ms, q.end_ms);
            (charges::charges_body(&c.charges), c.left_out, c.charges)
        }
        AnswerKind::Usages => (charges::usages_body(&charges::list_usages(&rows, &book, &q.currency)), Vec::new(), Vec::new()),
    };
    let usage_rows = u32::try_from(open.len()).unwrap_or(u32::MAX);
    if !freeze {
        return Ok(ChargesAnswer { body, left_out, frozen: Frozen::No, usage_rows });
    }
    let left_json = serde_json::to_string(&left_out).unwrap_or_else(|_| "[]".into());
    let id = store::answers::insert(conn, &key, &body, &left_json, q.request_id.as_deref(), &now_rfc3339())?;
    let stored: Vec<store::answers::Line<'_>> = lines
        .iter()
        .map(|c| store::answers::Line { charge_id: &c.charge.id, metric: &c.metric, description: &c.charge.description, amount: &c.charge.amount })
        .collect();
    store::answers::insert_lines(conn, id, &stored)?;
    // The same rows as `open`: the writer is the only one writing, inside this savepoint.
    let consumed = store::usage::consume(conn, &q.instance_id, q.start_ms, q.end_ms, id)?;
    if consumed != open.len() as u64 {
        return Err(Error::Refused(format!(
            "the usage of instance {} changed while its answer was frozen ({} rows read, {consumed} marked); nothing was frozen, ask again",
            q.instance_id,
            open.len()
        )));
    }
    Ok(ChargesAnswer { body, left_out, frozen: Frozen::Now, usage_rows })
}

/// What DISPLAY_ONLY would answer now, on any connection (`charges preview`).
pub(crate) fn preview(conn: &Connection, q: &ChargesQuery) -> Result<ChargesAnswer> {
    db::in_read(conn, || answer(conn, q, false))
}

/// What the writer answers a job with.
enum Reply {
    Answer(ChargesAnswer),
    Import(UsageImportReport),
    Invoice(InvoiceOutcome),
    Count(u32),
    Done,
}

enum Job {
    Freeze(ChargesQuery),
    Log(Box<NewCall>),
    Ingest(Vec<(u32, UsageRecord)>),
    Invoice { instance: String, invoice_id: String, lines: Vec<(String, Option<String>)> },
    Rejected { instance: String, currency: String, charge_ids: Vec<String>, limit: Option<String>, reasons: Vec<String> },
    Limit { instance: String, currency: String, amount: String },
    Flush,
}

type ReplyTo = Option<tokio::sync::oneshot::Sender<Result<Reply>>>;

/// The provider's handle on a ledger file: a pool of readers and the writer thread.
pub struct Provider {
    path: PathBuf,
    readers: Mutex<Vec<Connection>>,
    jobs: Mutex<Option<tokio::sync::mpsc::Sender<(Job, ReplyTo)>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider").field("path", &self.path).finish_non_exhaustive()
    }
}

fn closed() -> Error {
    Error::Refused("the provider is shutting down".into())
}

impl Provider {
    /// Opens the ledger (creating and migrating it when needed) and starts the writer thread.
    pub fn open(path: &Path) -> Result<Provider> {
        let conn = db::open(path)?;
        store::usage::tune_writer(&conn)?;
        let (tx, rx) = tokio::sync::mpsc::channel(QUEUE);
        let writer = std::thread::Builder::new()
            .name("provider-writer".into())
            .spawn(move || write_loop(conn, rx))
            .map_err(|source| Error::Io { path: path.to_path_buf(), source })?;
        Ok(Provider { path: path.to_path_buf(), readers: Mutex::new(Vec::new()), jobs: Mutex::new(Some(tx)), writer: Mutex::new(Some(writer)) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in a read transaction on a pooled read connection.
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = db::open_reader(&self.path)?;
                store::usage::tune_reader(&c)?;
                c
            }
        };
        let out = db::in_read(&conn, || f(&conn));
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < MAX_IDLE_READERS {
            pool.push(conn);
        }
        out
    }

    async fn send(&self, job: Job) -> Result<Reply> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sender = self.jobs.lock().unwrap_or_else(|p| p.into_inner()).clone().ok_or_else(closed)?;
        sender.send((job, Some(tx))).await.map_err(|_| closed())?;
        rx.await.map_err(|_| closed())?
    }

    /// The app id and the app's public key (PEM), as set with `app set` and `app key`.
    pub fn app_auth(&self) -> Result<(Option<String>, Option<String>)> {
        self.read(|c| Ok((store::settings::stored(c, "app.id")?, store::settings::stored(c, plans::PUBLIC_KEY_SETTING)?)))
    }

    /// ListCharges / ListUsages: DISPLAY_ONLY on a reader; CREATE_INVOICE through the writer.
    pub async fn answer(&self, q: ChargesQuery) -> Result<ChargesAnswer> {
        match q.intent {
            Intent::DisplayOnly => self.read(|c| answer(c, &q, false)),
            Intent::CreateInvoice => {
                check_query(&q)?;
                match self.send(Job::Freeze(q)).await? {
                    Reply::Answer(a) => Ok(a),
                    _ => Err(closed()),
                }
            }
        }
    }

    /// Adds a call to the log (committed with the writer's next batch, within milliseconds).
    pub async fn log(&self, call: NewCall) {
        let sender = self.jobs.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(s) = sender {
            if s.send((Job::Log(Box::new(call)), None)).await.is_err() {
                tracing::warn!("a call could not be logged: the provider is shutting down");
            }
        }
    }

    /// `POST /v1/usage`: the records, whole or not at all (as `usage import`).
    pub async fn ingest(&self, records: Vec<(u32, UsageRecord)>) -> Result<UsageImportReport> {
        match self.send(Job::Ingest(records)).await? {
            Reply::Import(r) => Ok(r),
            _ => Err(closed()),
        }
    }

    /// Whether `token` is a live ingestion token.
    pub fn token_valid(&self, token: &str) -> Result<bool> {
        self.read(|c| usage::token_valid(c, token))
    }

    /// The limit in force for an instance and currency (its own, else the app's default).
    pub fn charge_limit(&self, instance: &str, currency: &str) -> Result<Option<Decimal>> {
        self.read(|c| plans::limit_in_force(c, instance, currency))
    }

    /// Invoice Created: marks the frozen charges it names as invoiced.
    pub async fn invoice_created(&self, instance: String, invoice_id: String, lines: Vec<(String, Option<String>)>) -> Result<InvoiceOutcome> {
        match self.send(Job::Invoice { instance, invoice_id, lines }).await? {
            Reply::Invoice(o) => Ok(o),
            _ => Err(closed()),
        }
    }

    /// Charges Rejected: the frozen answers holding the rejected charges (none invoiced) stop
    /// binding their key and give their usage back, so Wix's next call is computed again; a
    /// limit it carries becomes the instance's (audited). Returns the answers released.
    pub async fn charges_rejected(&self, instance: String, currency: String, charge_ids: Vec<String>, limit: Option<String>, reasons: Vec<String>) -> Result<u32> {
        match self.send(Job::Rejected { instance, currency, charge_ids, limit, reasons }).await? {
            Reply::Count(n) => Ok(n),
            _ => Err(closed()),
        }
    }

    /// Charge Limit Updated: stores the instance's new limit (audited).
    pub async fn limit_updated(&self, instance: String, currency: String, amount: String) -> Result<()> {
        self.send(Job::Limit { instance, currency, amount }).await.map(|_| ())
    }

    /// Waits until every job sent before is committed.
    pub async fn flush(&self) -> Result<()> {
        self.send(Job::Flush).await.map(|_| ())
    }

    /// Stops taking jobs, lets the writer commit what it has, and waits for it.
    pub fn close(&self) {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(w) = self.writer.lock().unwrap_or_else(|p| p.into_inner()).take() {
            if w.join().is_err() {
                tracing::error!("the provider's writer thread panicked");
            }
        }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.close();
    }
}

/// A Wix-sent limit, truncated to the currency's minor units (Wix's own truncation).
fn wix_limit(amount: &str, currency: &str) -> Result<(pl_money::Currency, String)> {
    let cur = pl_money::Currency::new(currency).map_err(|_| Error::Refused(format!("`{}` is not a currency code", pl_import::clip(currency))))?;
    let d = usage::check_amount(amount, "charge limit").map_err(Error::Refused)?;
    Ok((cur, d.round_dp_with_strategy(cur.minor_units(), rust_decimal::RoundingStrategy::ToZero).to_string()))
}

fn run_job(conn: &Connection, job: Job) -> Result<Reply> {
    match job {
        Job::Freeze(q) => answer(conn, &q, true).map(Reply::Answer),
        Job::Log(call) => store::calls::insert(conn, &call).map(|_| Reply::Done),
        Job::Ingest(records) => {
            let r = usage::apply(conn, "POST /v1/usage", &records, Vec::new(), false)?;
            if r.rejected.is_empty() && r.imported > 0 {
                store::audit::record(conn, WIX, "usage.ingest", "usage:POST /v1/usage", None::<&()>, Some(&serde_json::json!({ "imported": r.imported, "duplicates": r.duplicates })))?;
            }
            // A refused request changes nothing: the writer rolls its savepoint back.
            Ok(Reply::Import(r))
        }
        Job::Invoice { instance, invoice_id, lines } => {
            let at = now_rfc3339();
            let mut out = InvoiceOutcome { marked: 0, unknown: Vec::new() };
            for (charge_id, amount) in &lines {
                if store::answers::mark_invoiced(conn, &instance, charge_id, &invoice_id, amount.as_deref(), &at)? {
                    out.marked += 1;
                } else {
                    out.unknown.push(charge_id.clone());
                }
            }
            store::audit::record(conn, WIX, "charges.invoiced", &format!("invoice:{invoice_id}"), None::<&()>, Some(&serde_json::json!({ "instance_id": instance, "marked": out.marked, "unknown": out.unknown })))?;
            Ok(Reply::Invoice(out))
        }
        Job::Rejected { instance, currency, charge_ids, limit, reasons } => {
            let at = now_rfc3339();
            let reasons_text = reasons.join(", ");
            let mut released = 0u32;
            for id in &charge_ids {
                for answer_id in store::answers::rejectable(conn, &instance, id)? {
                    store::answers::reject(conn, answer_id, &reasons_text, &at)?;
                    store::usage::release(conn, answer_id)?;
                    released += 1;
                }
            }
            if let Some(limit) = limit {
                let (cur, amount) = wix_limit(&limit, &currency)?;
                plans::set_limit(conn, Some(&instance), cur.as_str(), &amount, WIX)?;
            }
            store::audit::record(conn, WIX, "charges.rejected", &format!("instance:{instance}"), None::<&()>, Some(&serde_json::json!({ "charge_ids": charge_ids, "reasons": reasons, "answers_released": released })))?;
            Ok(Reply::Count(released))
        }
        Job::Limit { instance, currency, amount } => {
            let (cur, amount) = wix_limit(&amount, &currency)?;
            plans::set_limit(conn, Some(&instance), cur.as_str(), &amount, WIX)?;
            Ok(Reply::Done)
        }
        Job::Flush => Ok(Reply::Done),
    }
}

/// The writer thread: batches of jobs, one transaction each, each job in a savepoint.
fn write_loop(mut conn: Connection, mut rx: tokio::sync::mpsc::Receiver<(Job, ReplyTo)>) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let mut replies: Vec<(ReplyTo, Result<Reply>)> = Vec::with_capacity(batch.len());
        let committed = (|| -> Result<()> {
            let mut tx = conn.transaction()?;
            for (job, reply) in batch.drain(..) {
                let mut sp = tx.savepoint()?;
                let out = run_job(&sp, job);
                match (&out, &reply) {
                    (Ok(Reply::Import(r)), _) if !r.rejected.is_empty() => sp.rollback()?,
                    (Ok(_), _) => sp.commit()?,
                    (Err(e), None) => {
                        tracing::error!(error = %e, "a call could not be logged");
                        sp.rollback()?;
                    }
                    (Err(_), Some(_)) => sp.rollback()?,
                }
                replies.push((reply, out));
            }
            tx.commit()?;
            Ok(())
        })();
        match committed {
            Ok(()) => {
                for (to, out) in replies {
                    if let Some(to) = to {
                        let _ = to.send(out);
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "the provider's write failed; its calls are answered with an error");
                let msg = e.to_string();
                for (to, _) in replies {
                    if let Some(to) = to {
                        let _ = to.send(Err(Error::Refused(format!("the ledger could not be written: {msg}"))));
                    }
                }
                // Jobs of the batch not reached yet get the same answer.
                for (_, to) in batch.drain(..) {
                    if let Some(to) = to {
                        let _ = to.send(Err(Error::Refused(format!("the ledger could not be written: {msg}"))));
                    }
                }
            }
        }
    }
}
