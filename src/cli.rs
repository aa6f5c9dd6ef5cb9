use std::path::PathBuf;

/// The Custom Charges commands (SPEC §9).
mod charges;

use clap::{Args, Parser, Subcommand, ValueEnum};
use pl_ledger::{DateOrder, ImportOptions, Ledger};
use serde::Serialize;
use serde_json::json;

/// A line on standard output ([`out`]).
macro_rules! outln {
    ($($arg:tt)*) => { out(&format!("{}\n", format_args!($($arg)*))) };
}

/// A line on standard error ([`err`]).
macro_rules! errln {
    () => { err("\n") };
    ($($arg:tt)*) => { err(&format!("{}\n", format_args!($($arg)*))) };
}

/// Writes to standard output. A reader that went away (`partner-ledger report --json | head -1`)
/// ends the process quietly with exit 0: whatever the command did is done and committed, only
/// its output was no longer wanted. Any other failure (a full disk) is exit 1 with a message.
/// (Rust ignores SIGPIPE, so without this `println!` would panic on the closed pipe.)
fn out(text: &str) {
    use std::io::Write;
    let mut o = std::io::stdout().lock();
    if let Err(e) = o.write_all(text.as_bytes()).and_then(|_| o.flush()) {
        stdout_failed(&e);
    }
}

/// Ends the process after standard output failed: quietly (exit 0) on a closed pipe.
fn stdout_failed(e: &std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    err(&format!("error: cannot write to standard output: {e}\n"));
    std::process::exit(1);
}

/// Writes to standard error, ignoring failure: a closed stderr must not stop a submission
/// half-way (its progress lines go there).
fn err(text: &str) {
    use std::io::Write;
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Standard output for bulk writes: a closed pipe ends the process quietly ([`stdout_failed`])
/// even when the writing happens deep in the engine, which would only see an error.
struct QuietPipe<W>(W);

impl<W: std::io::Write> std::io::Write for QuietPipe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).inspect_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                stdout_failed(e)
            }
        })
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().inspect_err(|e| {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                stdout_failed(e)
            }
        })
    }
}

#[derive(Parser)]
#[command(name = "partner-ledger", version, about = "Reconcile a Wix Partner Billed App's revenue and report it to Wix")]
struct Cli {
    /// The ledger file [default: $PARTNER_LEDGER_DB, else the desktop app's data file]
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Print one JSON document on stdout
    #[arg(long, global = true)]
    json: bool,
    /// Who does this, for the audit log [default: the OS user]
    #[arg(long, global = true, value_name = "NAME")]
    by: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The Wix app being reported
    #[command(subcommand)]
    App(AppCmd),
    /// Settings: deduct_processor_fees, timezone, instance_metadata_key, wix.base_url, ...
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// Import processor exports (each file whole or not at all)
    Import(ImportArgs),
    /// Import batches
    #[command(subcommand)]
    Batches(BatchesCmd),
    /// What must be fixed before a month can be approved
    #[command(subcommand)]
    Exceptions(ExceptionsCmd),
    /// Map a processor customer to an instance
    #[command(subcommand)]
    Map(MapCmd),
    /// Classify a type the importer does not know, for one source format (its rows stop being
    /// `unclassified_type` exceptions); `--list` shows the saved classifications
    Classify(ClassifyArgs),
    /// Saved column mappings for `--format mapped:NAME`
    #[command(subcommand)]
    Mapping(MappingCmd),
    /// Revenue-share rates (effective-dated; an instance override wins)
    #[command(subcommand)]
    Rates(RatesCmd),
    /// The FX table used for non-USD rows
    #[command(subcommand)]
    Fx(FxCmd),
    /// Manual refunds
    #[command(subcommand)]
    Refund(RefundCmd),
    /// The month or quarter report, and its CSV exports
    Report(ReportArgs),
    /// Months and their state
    #[command(subcommand)]
    Months(MonthsCmd),
    /// Approve a month: freezes its events (refused while it has exceptions)
    Approve {
        #[arg(long, value_name = "YYYY-MM")]
        month: String,
    },
    /// Reopen an approved month whose events were not sent
    Reopen {
        #[arg(long, value_name = "YYYY-MM")]
        month: String,
        #[arg(long)]
        reason: String,
    },
    /// Submit an approved month's events to Wix, each exactly once
    Submit {
        #[arg(long, value_name = "YYYY-MM")]
        month: String,
        /// Print the exact requests (secrets masked), send nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// The submission queue
    #[command(subcommand)]
    Outbox(OutboxCmd),
    /// The audit log
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Wix credentials in the OS keyring (an environment variable wins over the keyring)
    #[command(subcommand)]
    Credentials(CredentialsCmd),
    /// Custom Charges: usage-based plans billed by Wix (per metric, per currency)
    #[command(subcommand)]
    Plan(charges::PlanCmd),
    /// Custom Charges: charge limits per instance and currency (or the app's default)
    #[command(subcommand)]
    Limit(charges::LimitCmd),
    /// Custom Charges: metered usage (CSV import, ingestion tokens for POST /v1/usage)
    #[command(subcommand)]
    Usage(charges::UsageCmd),
    /// Custom Charges: what ListCharges answers (preview) and the log of Wix's calls
    #[command(subcommand)]
    Charges(charges::ChargesCmd),
    /// Run the Custom Charges provider (Wix's ListCharges and its events) until SIGTERM/Ctrl-C
    Serve {
        /// The address to listen on
        #[arg(long, value_name = "ADDR", default_value = pl_provider::DEFAULT_LISTEN)]
        listen: String,
    },
}

#[derive(Subcommand)]
enum CredentialsCmd {
    /// Store a credential in the OS keyring; its value is read from standard input, never an argument
    Set {
        #[arg(value_enum)]
        name: CredentialName,
    },
    /// Which credentials are set, where each comes from, masked
    Show,
}

#[derive(Clone, Copy, ValueEnum)]
enum CredentialName {
    AppSecret,
    ApiKey,
    AccountId,
}

impl CredentialName {
    fn kind(self) -> pl_wix::CredentialKind {
        match self {
            CredentialName::AppSecret => pl_wix::CredentialKind::AppSecret,
            CredentialName::ApiKey => pl_wix::CredentialKind::ApiKey,
            CredentialName::AccountId => pl_wix::CredentialKind::AccountId,
        }
    }
}

#[derive(Subcommand)]
enum OutboxCmd {
    /// Events and their outbox state
    List {
        /// queued, sending, sent, rejected or uncertain
        #[arg(long, value_name = "S")]
        state: Option<String>,
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<String>,
    },
    /// Every attempt to send one event
    Show { event_id: String },
    /// Resolve an uncertain event: `sent` after checking Wix, or `resend`
    Resolve {
        event_id: String,
        #[arg(long = "as", value_enum)]
        how: ResolveAs,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ResolveAs {
    Sent,
    Resend,
}

#[derive(Subcommand)]
enum RatesCmd {
    /// Add the percent in force from a date (for the app, or one instance)
    Add {
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: String,
        #[arg(long, value_name = "P")]
        percent: String,
        #[arg(long, value_name = "GUID")]
        instance: Option<String>,
    },
    /// List the schedule
    List,
}

#[derive(Subcommand)]
enum FxCmd {
    /// Import a CSV `date,currency,usd_per_unit`
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum RefundCmd {
    /// Enter a manual refund (a REFUND event)
    Add {
        #[arg(long, value_name = "GUID")]
        instance: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        date: String,
        /// The refunded gross in USD, positive
        #[arg(long, value_name = "A", allow_hyphen_values = true)]
        amount: String,
        /// The processing fee returned by the processor, in USD
        #[arg(long, value_name = "F")]
        fee_returned: Option<String>,
        /// The original charge's event id (tx-<n>)
        #[arg(long, value_name = "EVENT_ID")]
        charge: Option<String>,
        #[arg(long)]
        reason: String,
    },
    /// Delete a manual refund while its month is open
    Delete { id: String },
}

#[derive(Args)]
struct ReportArgs {
    #[arg(long, value_name = "YYYY-MM", conflicts_with = "quarter", required_unless_present = "quarter")]
    month: Option<String>,
    #[arg(long, value_name = "YYYY-Qn")]
    quarter: Option<String>,
    /// Write the event lines CSV
    #[arg(long, value_name = "FILE")]
    csv: Option<PathBuf>,
    /// Write the per-instance summary CSV
    #[arg(long, value_name = "FILE")]
    instances_csv: Option<PathBuf>,
    /// Write Wix's Partner Billed report CSV (a folder: the file gets Wix's conventional name)
    #[arg(long, value_name = "FILE")]
    wix_csv: Option<PathBuf>,
    /// Start the CSV files with a BOM so Excel reads them as UTF-8
    #[arg(long)]
    excel: bool,
}

#[derive(Subcommand)]
enum MonthsCmd {
    /// Months with activity or an approval
    List,
}

#[derive(Subcommand)]
enum AppCmd {
    /// Set the app id and name
    Set {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
    },
    /// Show the app
    Show,
    /// Set the app's public key (PEM from Wix's app dashboard) that verifies Wix's Custom Charges calls
    Key { file: PathBuf },
}

#[derive(Subcommand)]
enum SettingsCmd {
    /// Set KEY to VALUE
    Set { key: String, value: String },
    /// List every setting with its value
    List,
}

#[derive(Args)]
struct ImportArgs {
    /// CSV files
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// stripe-itemized, stripe-balance, paypal-activity or mapped:NAME [default: detected from the header]
    #[arg(long)]
    format: Option<String>,
    /// Show what would be imported, change nothing
    #[arg(long)]
    dry_run: bool,
    /// Day/month order of slash dates, for a file whose dates cannot decide it
    #[arg(long, value_enum)]
    date_order: Option<DateOrderArg>,
}

#[derive(Clone, Copy, ValueEnum)]
enum DateOrderArg {
    DayFirst,
    MonthFirst,
}

#[derive(Subcommand)]
enum BatchesCmd {
    /// List import batches, newest first
    List,
    /// Undo a batch (refused while one of its rows is in an approved month)
    Undo { batch_id: i64 },
}

#[derive(Subcommand)]
enum ExceptionsCmd {
    /// List exceptions
    List {
        #[arg(long, value_name = "YYYY-MM")]
        month: Option<String>,
    },
    /// Assign an instance to one row (TXN_ID from `exceptions list`)
    Assign {
        txn_id: i64,
        #[arg(long)]
        instance: String,
        /// Also map the row's customer to this instance for later imports
        #[arg(long)]
        save_mapping: bool,
    },
}

#[derive(Subcommand)]
enum MapCmd {
    /// Map a customer (Stripe customer id, PayPal payer e-mail) to an instance
    Customer {
        key: String,
        #[arg(long)]
        instance: String,
    },
}

#[derive(Args)]
struct ClassifyArgs {
    /// The source format: stripe-itemized, stripe-balance, paypal-activity or mapped:NAME
    #[arg(long, value_name = "FORMAT", required_unless_present = "list")]
    source: Option<String>,
    /// The processor's type, as in the file (case is ignored)
    #[arg(long = "type", value_name = "TEXT", required_unless_present = "list", allow_hyphen_values = true)]
    type_name: Option<String>,
    /// What rows of this type are: a charge (money in), a refund (money out), or to ignore
    #[arg(long = "as", value_enum, required_unless_present_any = ["list", "remove"], conflicts_with = "remove")]
    action: Option<ClassifyAs>,
    /// Remove the classification: its rows are exceptions again (except in approved months)
    #[arg(long)]
    remove: bool,
    /// List the saved classifications
    #[arg(long, conflicts_with_all = ["source", "type_name", "action", "remove"])]
    list: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ClassifyAs {
    Charge,
    Refund,
    Ignore,
}

#[derive(Subcommand)]
enum MappingCmd {
    /// Save (or replace) a column mapping from a TOML file
    Add { name: String, file: PathBuf },
    /// List saved mappings
    List,
}

#[derive(Subcommand)]
enum AuditCmd {
    /// Every change, oldest first
    List,
}

/// A refused or failed operation: its message goes to stderr and the exit code is 1.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

struct Ctx {
    json: bool,
    by: String,
    db: PathBuf,
}

impl Ctx {
    fn open(&self) -> Result<Ledger, Failure> {
        Ok(Ledger::open(&self.db)?)
    }

    /// Prints `value` as JSON, or `human` as text.
    fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            outln!("{}", serde_json::to_string_pretty(value).expect("output serialises"));
        } else {
            let text = human();
            if !text.is_empty() {
                outln!("{text}");
            }
        }
    }
}

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let ctx = Ctx {
        json: cli.json,
        by: cli.by.clone().unwrap_or_else(pl_ledger::os_user),
        db: cli.db.clone().unwrap_or_else(Ledger::db_path_from_env),
    };
    match dispatch(&ctx, cli.command) {
        Ok(code) => code,
        Err(Failure(msg)) => {
            if ctx.json {
                outln!("{}", json!({ "error": msg }));
            }
            errln!("error: {msg}");
            1
        }
    }
}

fn dispatch(ctx: &Ctx, command: Command) -> Result<i32, Failure> {
    match command {
        Command::App(AppCmd::Set { id, name }) => {
            let mut l = ctx.open()?;
            l.set_app(&id, &name, &ctx.by)?;
            app_show(ctx, &l)?;
        }
        Command::App(AppCmd::Show) => app_show(ctx, &ctx.open()?)?,
        Command::App(AppCmd::Key { file }) => charges::app_key(ctx, &file)?,
        Command::Plan(cmd) => charges::plan(ctx, cmd)?,
        Command::Limit(cmd) => charges::limit(ctx, cmd)?,
        Command::Usage(cmd) => return charges::usage(ctx, cmd),
        Command::Charges(cmd) => charges::charges(ctx, cmd)?,
        Command::Serve { listen } => charges::serve(ctx, &listen)?,
        Command::Settings(SettingsCmd::Set { key, value }) => {
            let mut l = ctx.open()?;
            let stored = l.set_setting(&key, &value, &ctx.by)?;
            ctx.print(&json!({ "key": key, "value": stored }), || format!("{key} = {stored}"));
        }
        Command::Settings(SettingsCmd::List) => {
            let l = ctx.open()?;
            let mut out = serde_json::Map::new();
            let mut text = String::new();
            for d in pl_ledger::settings::SETTINGS {
                let v = l.setting(d.key)?;
                text.push_str(&format!("{:<24} {:<32} {}\n", d.key, v.as_deref().unwrap_or("(not set)"), d.help));
                out.insert(d.key.to_string(), json!(v));
            }
            ctx.print(&out, || text.trim_end().to_string());
        }
        Command::Import(args) => return import(ctx, args),
        Command::Batches(BatchesCmd::List) => {
            let batches = ctx.open()?.list_batches()?;
            ctx.print(&json!({ "batches": batches }), || {
                if batches.is_empty() {
                    return "No import batches yet: `partner-ledger import FILE.csv` imports a processor export.".into();
                }
                let mut t = format!(
                    "{:>5}  {:<20}  {:<16}  {:>8} {:>8} {:>6} {:>7} {:>6} {:>7}  {}\n",
                    "batch", "imported at", "format", "read", "imported", "dups", "skipped", "sent", "unclass", "file"
                );
                for b in &batches {
                    t.push_str(&format!(
                        "{:>5}  {:<20}  {:<16}  {:>8} {:>8} {:>6} {:>7} {:>6} {:>7}  {}{}\n",
                        b.id, b.imported_at, b.format, b.rows_read, b.imported, b.duplicates, b.skipped, b.sent, b.unclassified, b.file_name,
                        b.undone_at.as_ref().map(|u| format!("  (undone {u})")).unwrap_or_default()
                    ));
                }
                t.trim_end().to_string()
            });
        }
        Command::Batches(BatchesCmd::Undo { batch_id }) => {
            let b = ctx.open()?.undo_batch(batch_id, &ctx.by)?;
            ctx.print(&b, || {
                format!("batch {} ({}) undone: its {} rows left the ledger", b.id, b.file_name, b.imported + b.skipped + b.sent + b.unclassified)
            });
        }
        Command::Exceptions(ExceptionsCmd::List { month }) => {
            let ex = ctx.open()?.exceptions(month.as_deref())?;
            ctx.print(&json!({ "month": month, "exceptions": ex }), || {
                if ex.is_empty() {
                    return "No exceptions.".into();
                }
                ex.iter()
                    .map(|e| format!("{} [row {}] {} {} {} ({}): {}", e.kind, e.txn_id.unwrap_or_default(), e.created_date, e.row_kind, e.source_id, e.file, e.detail))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Exceptions(ExceptionsCmd::Assign { txn_id, instance, save_mapping }) => {
            ctx.open()?.assign_instance(txn_id, &instance, save_mapping, &ctx.by)?;
            ctx.print(&json!({ "txn_id": txn_id, "instance_id": instance.to_lowercase(), "mapping_saved": save_mapping }), || {
                format!("row {txn_id} assigned to instance {}", instance.to_lowercase())
            });
        }
        Command::Map(MapCmd::Customer { key, instance }) => {
            let n = ctx.open()?.map_customer(&key, &instance, &ctx.by)?;
            ctx.print(&json!({ "customer": key, "instance_id": instance.to_lowercase(), "rows_resolved": n }), || {
                format!("customer {key} → instance {}; {n} row(s) resolved", instance.to_lowercase())
            });
        }
        Command::Classify(args) => classify(ctx, args)?,
        Command::Mapping(MappingCmd::Add { name, file }) => {
            let text = std::fs::read_to_string(&file).map_err(|e| Failure(format!("cannot read {}: {e}", file.display())))?;
            ctx.open()?.add_column_mapping(&name, &text, &ctx.by)?;
            ctx.print(&json!({ "mapping": name, "saved": true }), || {
                format!("mapping `{name}` saved; import with `partner-ledger import FILE --format mapped:{name}`")
            });
        }
        Command::Mapping(MappingCmd::List) => {
            let maps = ctx.open()?.list_column_mappings()?;
            ctx.print(&json!({ "mappings": maps }), || {
                if maps.is_empty() {
                    return "No saved mappings: `partner-ledger mapping add NAME FILE.toml` saves one.".into();
                }
                maps.iter().map(|m| format!("{}  (saved {} by {})", m.name, m.saved_at, m.saved_by)).collect::<Vec<_>>().join("\n")
            });
        }
        Command::Rates(RatesCmd::Add { from, percent, instance }) => {
            let r = ctx.open()?.add_rate(&from, &percent, instance.as_deref(), &ctx.by)?;
            ctx.print(&r, || match &r.instance_id {
                Some(i) => format!("from {}: {}% for instance {i}", r.effective_from, r.percent),
                None => format!("from {}: {}%", r.effective_from, r.percent),
            });
        }
        Command::Rates(RatesCmd::List) => {
            let rates = ctx.open()?.rates()?;
            ctx.print(&json!({ "rates": rates }), || {
                if rates.is_empty() {
                    return "No rates: `partner-ledger rates add --from YYYY-MM-DD --percent 20`".into();
                }
                rates
                    .iter()
                    .map(|r| format!("{}  {:>6}%  {}", r.effective_from, r.percent, r.instance_id.as_deref().unwrap_or("(app)")))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Fx(FxCmd::Import { file }) => {
            let r = ctx.open()?.import_fx(&file, &ctx.by)?;
            let failed = !r.rejected.is_empty();
            ctx.print(&r, || {
                if failed {
                    return String::new();
                }
                format!("{}: {} rate(s) imported", r.file, r.rates)
            });
            if failed {
                if !ctx.json {
                    errln!("error: {} refused, nothing imported:", r.file);
                    for bad in &r.rejected {
                        let col = bad.column.as_ref().map(|c| format!(", column `{c}`")).unwrap_or_default();
                        errln!("  {}:{}{col}: {}", r.file, bad.line, bad.reason);
                    }
                }
                return Ok(1);
            }
        }
        Command::Refund(RefundCmd::Add { instance, date, amount, fee_returned, charge, reason }) => {
            let r = ctx.open()?.add_manual_refund(
                &pl_ledger::NewManualRefund { instance, date, amount, fee_returned, charge, reason },
                &ctx.by,
            )?;
            ctx.print(&r, || format!("manual refund {} of {} USD for instance {} on {}", r.id, r.amount, r.instance_id, r.date));
        }
        Command::Refund(RefundCmd::Delete { id }) => {
            ctx.open()?.delete_manual_refund(&id, &ctx.by)?;
            ctx.print(&json!({ "deleted": id }), || format!("manual refund {id} deleted"));
        }
        Command::Report(args) => report(ctx, args)?,
        Command::Months(MonthsCmd::List) => {
            let months = ctx.open()?.months()?;
            ctx.print(&json!({ "months": months }), || {
                if months.is_empty() {
                    return "No months yet: import an export first.".into();
                }
                months
                    .iter()
                    .map(|m| match &m.approved_at {
                        Some(at) => format!("{}  {:<9}  approved {} by {}", m.month, m.status, at, m.approved_by.as_deref().unwrap_or("")),
                        None => format!("{}  {}", m.month, m.status),
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Approve { month } => {
            let mut l = ctx.open()?;
            match l.approve(&month, &ctx.by) {
                Ok(r) => ctx.print(&r, || {
                    format!("{month} approved: {} events, gross {}, net {}, Wix share {}", r.totals.events, r.totals.gross, r.totals.net, r.totals.wix_share)
                }),
                Err(pl_ledger::Error::ApprovalRefused { month, exceptions }) => {
                    if ctx.json {
                        outln!("{}", serde_json::to_string_pretty(&json!({ "error": format!("{month} cannot be approved"), "exceptions": exceptions })).expect("serialises"));
                    }
                    errln!("error: {month} cannot be approved: {} exception(s) to fix first:", exceptions.len());
                    for e in &exceptions {
                        errln!("  {} {} {} ({}): {}", e.kind, e.source_id, e.created_date, e.file, e.detail);
                    }
                    return Ok(1);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Reopen { month, reason } => {
            ctx.open()?.reopen(&month, &reason, &ctx.by)?;
            ctx.print(&json!({ "month": month, "status": "open" }), || format!("{month} reopened"));
        }
        Command::Submit { month, dry_run } => return submit(ctx, &month, dry_run),
        Command::Outbox(OutboxCmd::List { state, month }) => {
            let mut l = ctx.open()?;
            l.recover_outbox(&ctx.by)?;
            let entries = l.outbox(state.as_deref(), month.as_deref())?;
            ctx.print(&json!({ "events": entries }), || {
                if entries.is_empty() {
                    return "No events in the outbox: approve a month first.".into();
                }
                entries
                    .iter()
                    .map(|e| {
                        format!(
                            "{:<10} {} {:<9} {:>10} {:>9}  attempts {}{}",
                            e.id, e.month, e.state, e.gross, e.wix_share, e.attempts,
                            e.last_error.as_ref().map(|m| format!("  — {m}")).unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Outbox(OutboxCmd::Show { event_id }) => {
            let attempts = ctx.open()?.outbox_attempts(&event_id)?;
            ctx.print(&json!({ "event_id": event_id, "attempts": attempts }), || {
                if attempts.is_empty() {
                    return format!("{event_id}: no attempt yet");
                }
                attempts
                    .iter()
                    .map(|a| {
                        format!(
                            "{}  {}  HTTP {}  {}",
                            a.started_at,
                            a.outcome.as_deref().unwrap_or("in flight"),
                            a.http_status.map(|s| s.to_string()).unwrap_or_else(|| "-".into()),
                            a.message.as_deref().unwrap_or("")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Outbox(OutboxCmd::Resolve { event_id, how, reason }) => {
            let how = match how {
                ResolveAs::Sent => pl_ledger::Resolution::Sent,
                ResolveAs::Resend => pl_ledger::Resolution::Resend,
            };
            let e = ctx.open()?.resolve_event(&event_id, how, &reason, &ctx.by)?;
            ctx.print(&e, || format!("{} is now {}", e.id, e.state));
        }
        Command::Credentials(CredentialsCmd::Set { name }) => credentials_set(ctx, name.kind())?,
        Command::Credentials(CredentialsCmd::Show) => credentials_show(ctx)?,
        Command::Audit(AuditCmd::List) => {
            let log = ctx.open()?.audit_log()?;
            ctx.print(&json!({ "audit": log }), || {
                log.iter()
                    .map(|a| {
                        let show = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.to_string()).unwrap_or_else(|| "-".into());
                        format!("{} {} {} {} {} → {}", a.at, a.who, a.action, a.entity, show(&a.before), show(&a.after))
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(0)
}

/// Standard output for a large write, buffered: on Unix the same file, without the line
/// buffering of `std::io::stdout()` (which looks for a newline in every byte written: ~3 % of a
/// 440 MB `report --json`). Nothing else may be written to standard output meanwhile.
fn bulk_stdout() -> Result<std::io::BufWriter<QuietPipe<impl std::io::Write>>, Failure> {
    #[cfg(unix)]
    let out = {
        use std::os::fd::AsFd;
        std::io::stdout().as_fd().try_clone_to_owned().map(std::fs::File::from)
    };
    #[cfg(not(unix))]
    let out = std::io::Result::Ok(std::io::stdout());
    let out = out.map_err(|e| Failure(format!("cannot write to standard output: {e}")))?;
    Ok(std::io::BufWriter::with_capacity(1 << 20, QuietPipe(out)))
}

fn report(ctx: &Ctx, args: ReportArgs) -> Result<(), Failure> {
    let l = ctx.open()?;
    let period = match (&args.month, &args.quarter) {
        (Some(m), _) => pl_ledger::Period::parse_month(m)?,
        (None, Some(q)) => pl_ledger::Period::parse_quarter(q)?,
        (None, None) => unreachable!("clap requires one"),
    };
    let wix_path = |app_name: Option<&str>, p: &PathBuf| -> Result<PathBuf, Failure> {
        Ok(if p.is_dir() {
            let name = app_name.ok_or_else(|| Failure("no app name for the Wix file name: `partner-ledger app set --id GUID --name NAME`".into()))?;
            p.join(period.wix_file_name(name))
        } else {
            p.clone()
        })
    };
    let mut written = Vec::new();
    let r = if args.csv.is_none() && args.instances_csv.is_none() {
        // The events are computed and written by worker threads (the same bytes as serialising
        // the whole report), kept in between only when they are to be written.
        let stream = l.report_stream(&period, ctx.json || args.wix_csv.is_some())?;
        if let Some(p) = &args.wix_csv {
            let p = wix_path(stream.app_name(), p)?;
            l.write_export(&p, |out| stream.write_wix(out, args.excel))?;
            written.push(p);
        }
        if ctx.json {
            use std::io::Write;
            let mut out = bulk_stdout()?;
            stream.write_json(&mut out)?;
            writeln!(out).and_then(|_| out.flush()).map_err(|e| Failure(e.to_string()))?;
            return Ok(());
        }
        stream.summary()
    } else {
        let r = l.report(&period)?;
        let tz = l.timezone()?;
        if let Some(p) = &args.csv {
            l.write_export(p, |out| pl_ledger::export::write_events(&r, out, args.excel))?;
            written.push(p.clone());
        }
        if let Some(p) = &args.instances_csv {
            l.write_export(p, |out| pl_ledger::export::write_instances(&r, out, args.excel))?;
            written.push(p.clone());
        }
        if let Some(p) = &args.wix_csv {
            let p = wix_path(r.app_name.as_deref(), p)?;
            l.write_export(&p, |out| pl_ledger::export::write_wix(&r, tz, out, args.excel))?;
            written.push(p);
        }
        if ctx.json {
            use std::io::Write;
            let mut out = bulk_stdout()?;
            serde_json::to_writer(&mut out, &r).map_err(|e| Failure(e.to_string()))?;
            writeln!(out).and_then(|_| out.flush()).map_err(|e| Failure(e.to_string()))?;
            return Ok(());
        }
        r
    };
    // The text is built first and printed at once (a report can list 100,000 instances).
    use std::fmt::Write as _;
    let mut text = String::new();
    let label = period.label();
    let _ = writeln!(text, "{label} — {}{}", r.status, r.app_name.as_ref().map(|n| format!(" — {n}")).unwrap_or_default());
    let t = &r.totals;
    let _ = writeln!(text, "{} events: gross {}  expenses {}  net {}  Wix share {}", t.events, t.gross, t.expenses, t.net, t.wix_share);
    if !r.instances.is_empty() {
        let _ = writeln!(text, "\n{:<38} {:>7} {:>7} {:>12} {:>10} {:>12} {:>10}", "instance", "charges", "refunds", "gross", "expenses", "net", "wix share");
        for i in &r.instances {
            let _ = writeln!(text, "{:<38} {:>7} {:>7} {:>12} {:>10} {:>12} {:>10}", i.instance_id, i.charges, i.refunds, i.gross, i.expenses, i.net, i.wix_share);
        }
    }
    if !r.exceptions.is_empty() {
        let _ = writeln!(text, "\n{} exception(s) block approval:", r.exceptions.len());
        for e in &r.exceptions {
            let _ = writeln!(text, "  {} {} ({}): {}", e.kind, e.source_id, e.file, e.detail);
        }
    }
    for p in r.payouts.iter().filter(|p| !p.matches) {
        let _ = writeln!(text, "warning: payout {} of {} {} does not equal its {} item(s), net {}", p.payout_id, p.amount, p.currency, p.items, p.items_net);
    }
    for p in written {
        let _ = writeln!(text, "wrote {}", p.display());
    }
    out(&text);
    Ok(())
}

fn submit(ctx: &Ctx, month: &str, dry_run: bool) -> Result<i32, Failure> {
    let mut l = ctx.open()?;
    let client = l.wix_client()?;
    if dry_run {
        let reqs = l.submit_dry_run(&client, month)?;
        let out: Vec<_> = reqs
            .iter()
            .map(|r| json!({ "method": r.method, "url": r.url, "headers": r.headers, "body": r.body }))
            .collect();
        ctx.print(&json!({ "month": month, "requests": out }), || {
            let mut t = format!("{} request(s) would be sent:\n", out.len());
            for r in &reqs {
                t.push_str(&format!("{} {}\n", r.method, r.url));
                for (k, v) in &r.headers {
                    t.push_str(&format!("  {k}: {v}\n"));
                }
                t.push_str(&format!("  {}\n", r.body));
            }
            t.trim_end().to_string()
        });
        return Ok(0);
    }
    let lock = l.submit_lock()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure(format!("cannot start the async runtime: {e}")))?;
    let show_progress = !ctx.json;
    let tty = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let mut last_shown = 0u32;
    let report = runtime.block_on(l.submit(&lock, std::sync::Arc::new(client), month, &pl_ledger::SubmitOptions::default(), &ctx.by, |p| {
        if !show_progress || (p.done != p.total && p.done < last_shown + 100 && p.done != 0) {
            return;
        }
        last_shown = p.done;
        let line = format!(
            "{month}: {}/{} done — {} sent, {} rejected, {} uncertain, {} retried",
            p.done, p.total, p.sent, p.rejected, p.uncertain, p.retrying
        );
        if tty {
            err(&format!("\r{line}"));
        } else {
            errln!("{line}");
        }
    }))?;
    if show_progress && tty {
        errln!();
    }
    let c = &report.counts;
    ctx.print(&report, || {
        let mut t = format!(
            "{month} is {}: {} sent, {} rejected, {} uncertain, {} queued ({} request(s) in this run)",
            report.status, c.sent, c.rejected, c.uncertain, c.queued, report.requests
        );
        if report.recovered_uncertain > 0 {
            t.push_str(&format!(
                "\n{} event(s) were being sent when an earlier run stopped: they are uncertain, check them in Wix and \
                 `partner-ledger outbox resolve ID --as sent|resend --reason ...`",
                report.recovered_uncertain
            ));
        }
        if c.uncertain > 0 {
            t.push_str("\nuncertain events are never re-sent by themselves: `partner-ledger outbox list --state uncertain`");
        }
        t
    });
    if let Some(msg) = &report.stopped {
        errln!("error: the submission stopped: {msg}");
        return Ok(1);
    }
    Ok(0)
}

/// The longest credential value read from standard input.
const MAX_CREDENTIAL_BYTES: u64 = 64 * 1024;

/// Reads a credential from standard input (a prompt on a terminal; one line there, else all of
/// it), trimmed. Never from an argument: arguments show in `ps` and shell histories.
fn read_credential(kind: pl_wix::CredentialKind) -> Result<String, Failure> {
    use std::io::{BufRead, IsTerminal, Read};
    let stdin = std::io::stdin();
    let mut value = String::new();
    if stdin.is_terminal() {
        err(&format!("{}: paste the value, then Enter: ", kind.name()));
        stdin.lock().take(MAX_CREDENTIAL_BYTES).read_line(&mut value)
    } else {
        stdin.lock().take(MAX_CREDENTIAL_BYTES + 1).read_to_string(&mut value)
    }
    .map_err(|e| Failure(format!("cannot read the {} from standard input: {e}", kind.name())))?;
    if value.len() as u64 > MAX_CREDENTIAL_BYTES {
        return Err(Failure(format!("the {} on standard input is longer than {MAX_CREDENTIAL_BYTES} bytes: not a credential", kind.name())));
    }
    let value = value.trim().to_string();
    if value.is_empty() {
        return Err(Failure(format!(
            "no {} on standard input: `printf %s \"$VALUE\" | partner-ledger credentials set {}`",
            kind.name(),
            kind.name()
        )));
    }
    Ok(value)
}

fn app_id_for_credentials(l: &Ledger) -> Result<String, Failure> {
    l.setting("app.id")?.ok_or_else(|| Failure("no Wix app id: credentials are kept per app; `partner-ledger app set --id GUID --name NAME` first".into()))
}

fn credentials_set(ctx: &Ctx, kind: pl_wix::CredentialKind) -> Result<(), Failure> {
    let mut l = ctx.open()?;
    let app_id = app_id_for_credentials(&l)?;
    let value = read_credential(kind)?;
    pl_wix::store_credential(kind, &app_id, &value).map_err(|e| Failure(e.to_string()))?;
    l.note_credential_stored(kind.name(), &ctx.by)?;
    let env_wins = std::env::var(kind.env_var()).is_ok_and(|v| !v.trim().is_empty());
    let masked = pl_wix::mask(&value);
    ctx.print(&json!({ "name": kind.name(), "app_id": app_id, "stored": "keyring", "masked": masked, "env_overrides": env_wins }), || {
        let mut t = format!("{} stored in the OS keyring for app {app_id} ({masked})", kind.name());
        if env_wins {
            t.push_str(&format!("\nnote: {} is set in this environment and wins over the keyring", kind.env_var()));
        }
        t
    });
    Ok(())
}

fn credentials_show(ctx: &Ctx) -> Result<(), Failure> {
    let l = ctx.open()?;
    let app_id = l.setting("app.id")?;
    // Without an app id no keyring entry can be named: only the environment counts.
    let statuses = pl_wix::credential_status(app_id.as_deref().unwrap_or(""));
    let keyring = if pl_wix::keyring_enabled() { "on" } else { "off" };
    let list: Vec<_> = statuses
        .iter()
        .map(|c| {
            json!({
                "name": c.kind.name(), "set": c.source.is_some(), "source": c.source, "masked": c.masked,
                "env_var": c.kind.env_var(), "in_keyring": c.in_keyring,
            })
        })
        .collect();
    ctx.print(&json!({ "app_id": app_id, "keyring": keyring, "precedence": ["env", "keyring"], "credentials": list }), || {
        let mut t = String::new();
        for c in &statuses {
            let line = match (c.source, &c.masked) {
                (Some("env"), Some(m)) => {
                    let also = if c.in_keyring { " (also in the OS keyring, unused while it is set)" } else { "" };
                    format!("{:<11} set ({m}) from {}{also}", format!("{}:", c.kind.name()), c.kind.env_var())
                }
                (Some(_), Some(m)) => format!("{:<11} set ({m}) from the OS keyring", format!("{}:", c.kind.name())),
                _ => format!("{:<11} not set", format!("{}:", c.kind.name())),
            };
            t.push_str(&line);
            t.push('\n');
        }
        if keyring == "off" {
            t.push_str(&format!("the OS keyring is turned off ({}=off): only the environment counts\n", pl_wix::KEYRING_ENV));
        } else if app_id.is_none() {
            t.push_str("no app id yet (`partner-ledger app set`): only the environment counts\n");
        }
        t.push_str("an environment variable wins over the keyring");
        t
    });
    Ok(())
}

fn app_show(ctx: &Ctx, l: &Ledger) -> Result<(), Failure> {
    let (id, name) = (l.setting("app.id")?, l.setting("app.name")?);
    ctx.print(&json!({ "app_id": id, "app_name": name }), || match (&id, &name) {
        (Some(id), Some(name)) => format!("{name} ({id})"),
        _ => "No app set: `partner-ledger app set --id GUID --name NAME`".into(),
    });
    Ok(())
}

fn import(ctx: &Ctx, args: ImportArgs) -> Result<i32, Failure> {
    let mut l = ctx.open()?;
    let opts = ImportOptions {
        format: args.format,
        dry_run: args.dry_run,
        by: ctx.by.clone(),
        date_order: args.date_order.map(|d| match d {
            DateOrderArg::DayFirst => DateOrder::DayFirst,
            DateOrderArg::MonthFirst => DateOrder::MonthFirst,
        }),
    };
    // Each file is its own batch, whole or nothing; a refused file does not stop the others
    // (fix it and import it again: rows already in are never added twice).
    let mut reports = Vec::new();
    let mut failed = false;
    for file in &args.files {
        match l.import_file(file, &opts) {
            Ok(r) => {
                failed |= !r.rejected.is_empty();
                if !ctx.json {
                    print_import(&r);
                } else if !r.rejected.is_empty() {
                    errln!("error: {} refused, nothing imported: {} bad row(s)", r.file, r.rejected.len());
                }
                reports.push(json!(r));
            }
            Err(e) => {
                failed = true;
                errln!("error: {}: {e}", file.display());
                reports.push(json!({ "file": file.display().to_string(), "error": e.to_string() }));
            }
        }
    }
    if ctx.json {
        outln!("{}", serde_json::to_string_pretty(&json!({ "files": reports })).expect("serialises"));
    }
    Ok(if failed { 1 } else { 0 })
}

fn print_import(r: &pl_ledger::ImportReport) {
    if !r.rejected.is_empty() {
        errln!("error: {} refused, nothing imported: {} bad row(s)", r.file, r.rejected.len());
        for bad in &r.rejected {
            let col = bad.column.as_ref().map(|c| format!(", column `{c}`")).unwrap_or_default();
            errln!("  {}:{}{col}: {}", r.file, bad.line, bad.reason);
        }
        return;
    }
    let verb = if r.dry_run { "would import" } else { "imported" };
    let batch = r.batch_id.map(|b| format!(" as batch {b}")).unwrap_or_default();
    outln!(
        "{}: {} ({}), {} rows read: {verb} {}, {} sent (paid out, never reported), {} unclassified, {} skipped, {} already in the ledger{batch}",
        r.file, if r.dry_run { "dry run" } else { "ok" }, r.format, r.rows_read, r.imported, r.sent, r.unclassified, r.skipped, r.duplicates
    );
    if r.unclassified > 0 {
        outln!(
            "  {} row(s) came in under types not known for {}: they are exceptions until their type is classified \
             (`partner-ledger exceptions list` names them; `partner-ledger classify --source {} --type TYPE --as charge|refund|ignore`)",
            r.unclassified, r.format, r.format
        );
    }
}

fn classify(ctx: &Ctx, args: ClassifyArgs) -> Result<(), Failure> {
    if args.list {
        let rules = ctx.open()?.classify_rules()?;
        ctx.print(&json!({ "rules": rules }), || {
            if rules.is_empty() {
                return "No classifications: `partner-ledger classify --source FORMAT --type TEXT --as charge|refund|ignore` saves one.".into();
            }
            rules
                .iter()
                .map(|r| format!("{:<20} {:<32} {:<7} (saved {} by {})", r.source, r.type_name, r.action, r.saved_at, r.saved_by))
                .collect::<Vec<_>>()
                .join("\n")
        });
        return Ok(());
    }
    // Clap requires both unless --list.
    let (source, type_name) = (args.source.unwrap_or_default(), args.type_name.unwrap_or_default());
    let mut l = ctx.open()?;
    if args.remove {
        let out = l.remove_classification(&source, &type_name, &ctx.by)?;
        ctx.print(&out, || {
            let mut t = format!("classification of type `{}` for {source} removed: {} row(s) are unclassified again", type_name.trim(), out.unclassified);
            if out.frozen > 0 {
                t.push_str(&format!("; {} row(s) of approved months keep their kind", out.frozen));
            }
            t
        });
        return Ok(());
    }
    let action = match args.action {
        Some(ClassifyAs::Charge) => "charge",
        Some(ClassifyAs::Refund) => "refund",
        Some(ClassifyAs::Ignore) => "ignore",
        None => return Err(Failure("say what the type is: --as charge, refund or ignore".into())),
    };
    let out = l.classify_type(&source, &type_name, action, &ctx.by)?;
    ctx.print(&out, || {
        let mut t = format!("type `{}` of {source} classified as {action}: {} row(s) classified", type_name.trim(), out.classified);
        if out.disagreeing > 0 {
            t.push_str(&format!(
                "; {} row(s) stay exceptions: their money goes the other way ({})",
                out.disagreeing,
                if action == "charge" { "a charge is money in" } else { "a refund is money out" }
            ));
        }
        t
    });
    Ok(())
}
