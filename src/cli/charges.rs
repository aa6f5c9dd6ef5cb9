//! The Custom Charges commands (SPEC §8 for §9): `app key`, `plan set/list`, `limit set/list`,
//! `usage import/token`, `charges preview/log`, `serve`. Arguments and printing only: every
//! rule is the engine's, the server is `pl-provider`.
use std::path::PathBuf;

use clap::Subcommand;
use pl_ledger::{AnswerKind, NewPlan};
use serde_json::json;

use super::{err, out, Ctx, Failure};

#[derive(Subcommand)]
pub(super) enum PlanCmd {
    /// Set a metric's unit prices from a day (replaces the entry of that metric, day and instance)
    Set {
        /// The metric, as in the usage rows
        #[arg(long)]
        metric: String,
        /// Unit prices: CUR=AMOUNT[,CUR=AMOUNT...] (for example USD=0.02,EUR=0.018)
        #[arg(long, value_name = "CUR=AMOUNT[,...]")]
        price: String,
        /// What the charge says, before the quantity [default: the metric]
        #[arg(long)]
        description: Option<String>,
        /// The UTC day it is in force from [default: for all usage]
        #[arg(long, value_name = "YYYY-MM-DD")]
        from: Option<String>,
        /// An override for one instance (it wins over the app's plan)
        #[arg(long, value_name = "GUID")]
        instance: Option<String>,
    },
    /// The plan entries: the app's, then the instance overrides
    List,
}

#[derive(Subcommand)]
pub(super) enum LimitCmd {
    /// Set a charge limit: per instance and currency, or the app's default (no --instance)
    Set {
        #[arg(long, value_name = "GUID")]
        instance: Option<String>,
        #[arg(long, value_name = "CUR")]
        currency: String,
        #[arg(long, value_name = "A")]
        amount: String,
    },
    /// Every limit: the app's defaults, then each instance's
    List,
}

#[derive(Subcommand)]
pub(super) enum UsageCmd {
    /// Import a usage CSV (header id,instance_id,occurred_at,metric,quantity), whole or not at all
    Import {
        file: PathBuf,
        /// Check everything, change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// Print a new ingestion token for POST /v1/usage (stored hashed: shown only now)
    Token,
}

#[derive(Subcommand)]
pub(super) enum ChargesCmd {
    /// Print exactly what a DISPLAY_ONLY ListCharges call would answer now (the same JSON)
    Preview {
        #[arg(long, value_name = "GUID")]
        instance: String,
        /// Period start (RFC 3339, or YYYY-MM-DD for midnight UTC)
        #[arg(long, value_name = "T")]
        from: String,
        /// Period end, excluded (RFC 3339, or YYYY-MM-DD)
        #[arg(long, value_name = "T")]
        to: String,
        #[arg(long, value_name = "CUR")]
        currency: String,
        /// What ListUsages would answer instead
        #[arg(long)]
        usages: bool,
    },
    /// The provider's log of Wix's calls, newest first
    Log {
        #[arg(long, value_name = "GUID")]
        instance: Option<String>,
        /// At most this many calls
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

pub(super) fn app_key(ctx: &Ctx, file: &std::path::Path) -> Result<(), Failure> {
    let meta = std::fs::metadata(file).map_err(|e| Failure(format!("cannot read {}: {e}", file.display())))?;
    if !meta.is_file() || meta.len() > 64 * 1024 {
        return Err(Failure(format!("{} is not a key file (a PEM file of a few hundred bytes)", file.display())));
    }
    let text = std::fs::read_to_string(file).map_err(|e| Failure(format!("cannot read {}: {e}", file.display())))?;
    let fp = ctx.open()?.set_app_public_key(&text, &ctx.by)?;
    ctx.print(&json!({ "public_key": "set", "sha256": fp }), || format!("the app's public key is set (SHA-256 {fp}); a running `serve` uses it within a second"));
    Ok(())
}

pub(super) fn plan(ctx: &Ctx, cmd: PlanCmd) -> Result<(), Failure> {
    match cmd {
        PlanCmd::Set { metric, price, description, from, instance } => {
            let p = ctx.open()?.set_plan(&NewPlan { metric, prices: price, description, from, instance }, &ctx.by)?;
            ctx.print(&p, || {
                let prices: Vec<String> = p.prices.iter().map(|x| format!("{} {}", x.unit_price, x.currency)).collect();
                format!(
                    "{} ({}) from {}: {} per unit{}",
                    p.metric,
                    p.description,
                    p.effective_from,
                    prices.join(", "),
                    p.instance_id.as_ref().map(|i| format!(" for instance {i}")).unwrap_or_default()
                )
            });
        }
        PlanCmd::List => {
            let plans = ctx.open()?.plans()?;
            ctx.print(&json!({ "plans": plans }), || {
                if plans.is_empty() {
                    return "No usage plan: `partner-ledger plan set --metric NAME --price USD=0.02`".into();
                }
                plans
                    .iter()
                    .map(|p| {
                        let prices: Vec<String> = p.prices.iter().map(|x| format!("{}={}", x.currency, x.unit_price)).collect();
                        format!("{:<24} from {}  {:<28} {:<38} {}", p.metric, p.effective_from, prices.join(","), p.instance_id.as_deref().unwrap_or("(app)"), p.description)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

pub(super) fn limit(ctx: &Ctx, cmd: LimitCmd) -> Result<(), Failure> {
    match cmd {
        LimitCmd::Set { instance, currency, amount } => {
            let l = ctx.open()?.set_charge_limit(instance.as_deref(), &currency, &amount, &ctx.by)?;
            ctx.print(&l, || match &l.instance_id {
                Some(i) => format!("charge limit {} {} for instance {i}", l.amount, l.currency),
                None => format!("charge limit {} {} for every instance without its own", l.amount, l.currency),
            });
        }
        LimitCmd::List => {
            let limits = ctx.open()?.charge_limits()?;
            ctx.print(&json!({ "limits": limits }), || {
                if limits.is_empty() {
                    return "No charge limit: `partner-ledger limit set --currency USD --amount 100`".into();
                }
                limits
                    .iter()
                    .map(|l| format!("{:<38} {} {:>14}  (set {} by {})", l.instance_id.as_deref().unwrap_or("(app default)"), l.currency, l.amount, l.updated_at, l.updated_by))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

pub(super) fn usage(ctx: &Ctx, cmd: UsageCmd) -> Result<i32, Failure> {
    match cmd {
        UsageCmd::Import { file, dry_run } => {
            let r = ctx.open()?.import_usage(&file, dry_run, &ctx.by)?;
            let failed = !r.rejected.is_empty();
            ctx.print(&r, || {
                if failed {
                    return String::new();
                }
                let verb = if r.dry_run { "would import" } else { "imported" };
                format!("{}: {} rows read: {verb} {}, {} already in the ledger", r.source, r.rows_read, r.imported, r.duplicates)
            });
            if failed {
                if !ctx.json {
                    err(&format!("error: {} refused, nothing imported:\n", r.source));
                    for bad in &r.rejected {
                        let col = bad.column.as_ref().map(|c| format!(", column `{c}`")).unwrap_or_default();
                        err(&format!("  {}:{}{col}: {}\n", r.source, bad.line, bad.reason));
                    }
                }
                return Ok(1);
            }
        }
        UsageCmd::Token => {
            let token = ctx.open()?.new_ingestion_token(&ctx.by)?;
            ctx.print(&json!({ "token": token }), || {
                err("This token is shown once (the ledger keeps only its hash): give it to the backend that posts usage to POST /v1/usage as `Authorization: Bearer <token>`.\n");
                token.clone()
            });
        }
    }
    Ok(0)
}

pub(super) fn charges(ctx: &Ctx, cmd: ChargesCmd) -> Result<(), Failure> {
    match cmd {
        ChargesCmd::Preview { instance, from, to, currency, usages } => {
            let kind = if usages { AnswerKind::Usages } else { AnswerKind::Charges };
            let a = ctx.open()?.preview_charges(&instance, &currency, &from, &to, kind)?;
            // The body, byte for byte, with or without --json.
            out(&format!("{}\n", a.body));
            if !ctx.json {
                if a.frozen == pl_ledger::Frozen::Before {
                    err("note: this period was frozen by an invoice: Wix gets these bytes again\n");
                }
                for l in &a.left_out {
                    let amount = l.amount.as_ref().map(|a| format!(" ({a} {})", currency.trim().to_uppercase())).unwrap_or_default();
                    err(&format!("left out: {} × {}{amount}: {}\n", l.quantity, l.metric, serde_json::to_value(l.reason).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()));
                }
            }
        }
        ChargesCmd::Log { instance, limit } => {
            let calls = ctx.open()?.charge_calls(instance.as_deref(), limit)?;
            ctx.print(&json!({ "calls": calls }), || {
                if calls.is_empty() {
                    return "No calls from Wix yet: `partner-ledger serve` answers them.".into();
                }
                calls
                    .iter()
                    .map(|c| {
                        let period = match (&c.period_start, &c.period_end) {
                            (Some(s), Some(e)) => format!(" {s}..{e}"),
                            _ => String::new(),
                        };
                        let what = c.note.clone().or_else(|| c.answer.clone()).unwrap_or_default();
                        format!(
                            "{} {:<16} {} {} {} {}{period}{} — {what}",
                            c.received_at,
                            c.endpoint,
                            c.status,
                            c.instance_id.as_deref().unwrap_or("-"),
                            c.intent.as_deref().unwrap_or("-"),
                            c.currency.as_deref().unwrap_or("-"),
                            c.frozen.as_ref().map(|f| format!(" frozen:{f}")).unwrap_or_default(),
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
    }
    Ok(())
}

/// `serve`: the provider until SIGTERM or Ctrl-C; the first line on stdout is
/// `listening on http://ADDR`.
pub(super) fn serve(ctx: &Ctx, listen: &str) -> Result<(), Failure> {
    use std::net::ToSocketAddrs;
    let addr = listen
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| Failure(format!("`{listen}` is not an address to listen on (like 127.0.0.1:8787)")))?;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
    if !addr.ip().is_loopback() {
        tracing::warn!(%addr, "listening beyond this machine: put a TLS-terminating proxy in front (Wix calls an https:// base URI)");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| Failure(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let server = pl_provider::Server::start(pl_provider::Config { db: ctx.db.clone(), listen: addr }).await.map_err(|e| Failure(e.to_string()))?;
        out(&format!("listening on {}\n", server.base_url()));
        server.run_until(pl_provider::shutdown_signal()).await.map_err(|e| Failure(format!("the provider stopped with an error: {e}")))
    })
}
