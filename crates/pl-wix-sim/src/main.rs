//! `wix-sim`: runs the Wix API simulator on 127.0.0.1 until Ctrl-C / SIGTERM.
//! The first line on stdout is `listening on http://127.0.0.1:PORT`.
//!
//! Its subcommands play Wix calling an app's Custom Charges provider (signed with the test key):
//! `wix-sim public-key`, `wix-sim charges ...`, `wix-sim invoice-created ...`,
//! `wix-sim charges-rejected ...`; each prints the provider's answer on stdout.
// No unsafe code in this crate (the engine's only unsafe code is pl-ledger/src/raw.rs).
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use pl_wix_sim::charges::{ListCharges, PeriodEncoding, WixSigner};
use pl_wix_sim::{FaultPlan, SimConfig, Simulator};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Wix API simulator (OAuth token + Report External Billing Event) with fault injection.
#[derive(Debug, Parser)]
#[command(name = "wix-sim", version, args_conflicts_with_subcommands = true)]
struct Args {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// App id accepted as OAuth client_id and as appId with the API key.
    #[arg(long)]
    app_id: Option<String>,
    /// App secret accepted by /oauth2/token.
    #[arg(long)]
    app_secret: Option<String>,
    /// API key accepted in the Authorization header.
    #[arg(long)]
    api_key: Option<String>,
    /// Account id required in wix-account-id with the API key.
    #[arg(long)]
    account_id: Option<String>,
    /// Instance whose token requests are refused (app uninstalled); repeatable.
    #[arg(long = "uninstalled", value_name = "GUID")]
    uninstalled: Vec<String>,
    /// Requests per instance per rolling minute before 429.
    #[arg(long, default_value_t = 200)]
    rate_limit: u32,
    /// No throttling at all.
    #[arg(long)]
    no_rate_limit: bool,
    /// Answer every billing call with 428 FAILED_PRECONDITION.
    #[arg(long)]
    no_external_billing: bool,
    /// Lifetime of issued access tokens in seconds.
    #[arg(long, default_value_t = 14_400)]
    token_ttl_secs: u64,
    /// A refused token request (wrong app secret) echoes the secret it got, in every encoding.
    #[arg(long)]
    echo_client_secret: bool,
    /// Fault plan (JSON) to install at start.
    #[arg(long, value_name = "FILE")]
    faults: Option<PathBuf>,
}

/// Wix calling an app's Custom Charges provider, signed with the simulator's test key.
#[derive(Debug, Subcommand)]
enum Cmd {
    /// Print the test public key (PEM): give it to the provider's ledger as the app's key
    PublicKey,
    /// Call ListCharges (or ListUsages) as Wix would
    Charges {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value = "USD")]
        currency: String,
        /// Period start (RFC 3339)
        #[arg(long)]
        from: String,
        /// Period end, excluded (RFC 3339)
        #[arg(long)]
        to: String,
        /// DISPLAY_ONLY or CREATE_INVOICE
        #[arg(long, default_value = "DISPLAY_ONLY")]
        intent: String,
        /// Send the period as epoch milliseconds (Wix's example) instead of RFC 3339
        #[arg(long)]
        epoch_ms: bool,
        /// Call ListUsages (/v1/usages) instead of ListCharges
        #[arg(long)]
        usages: bool,
    },
    /// Send Invoice Created for charges of a frozen answer
    InvoiceCreated {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value = "USD")]
        currency: String,
        #[arg(long)]
        invoice_id: String,
        /// A line item, CHARGE_ID=AMOUNT (repeatable)
        #[arg(long = "charge", value_name = "ID=AMOUNT")]
        charges: Vec<String>,
    },
    /// Send Charges Rejected
    ChargesRejected {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value = "USD")]
        currency: String,
        /// A rejected charge id (repeatable)
        #[arg(long = "charge", value_name = "ID")]
        charges: Vec<String>,
        /// The charge limit Wix says is in force
        #[arg(long)]
        limit: Option<String>,
        /// CHARGE_LIMIT_EXCEEDED, TOO_MANY_CHARGES or INVALID_FORMAT (repeatable)
        #[arg(long = "reason", default_value = "CHARGE_LIMIT_EXCEEDED")]
        reasons: Vec<String>,
    },
}

/// Which provider, app and instance a call is for.
#[derive(Debug, clap::Args)]
struct Target {
    /// The provider's base URL (http://127.0.0.1:8787)
    #[arg(long)]
    provider: String,
    /// The app id (the token's audience)
    #[arg(long)]
    app_id: String,
    /// The instance (GUID)
    #[arg(long)]
    instance: String,
}

fn rfc3339_ms(s: &str) -> Result<i64, String> {
    chrono::DateTime::parse_from_rfc3339(s.trim()).map(|d| d.timestamp_millis()).map_err(|_| format!("`{s}` is not an RFC 3339 instant"))
}

/// Runs a Custom Charges subcommand: the provider's answer on stdout, its status on stderr.
async fn run_cmd(cmd: Cmd) -> Result<bool, String> {
    let client = reqwest::Client::new();
    let (path, target, token) = match cmd {
        Cmd::PublicKey => {
            print!("{}", pl_wix_sim::charges::TEST_PUBLIC_KEY_PEM);
            return Ok(true);
        }
        Cmd::Charges { target, currency, from, to, intent, epoch_ms, usages } => {
            let signer = WixSigner::test(&target.app_id);
            let call = ListCharges {
                instance_id: target.instance.clone(),
                currency,
                period_start_ms: rfc3339_ms(&from)?,
                period_end_ms: rfc3339_ms(&to)?,
                intent,
                encoding: if epoch_ms { PeriodEncoding::EpochMillis } else { PeriodEncoding::Rfc3339 },
                request_id: format!("sim-{}", chrono::Utc::now().timestamp_millis()),
            };
            (if usages { "/v1/usages" } else { "/v1/charges" }, target, signer.list_charges(&call))
        }
        Cmd::InvoiceCreated { target, currency, invoice_id, charges } => {
            let lines = charges
                .iter()
                .map(|c| c.split_once('=').map(|(i, a)| (i.to_string(), a.to_string())).ok_or_else(|| format!("`{c}` is not ID=AMOUNT")))
                .collect::<Result<Vec<_>, _>>()?;
            let token = WixSigner::test(&target.app_id).invoice_created(&target.instance, &currency, &invoice_id, &lines);
            ("/v1/invoice-created", target, token)
        }
        Cmd::ChargesRejected { target, currency, charges, limit, reasons } => {
            let reasons: Vec<&str> = reasons.iter().map(String::as_str).collect();
            let token = WixSigner::test(&target.app_id).charges_rejected(&target.instance, &currency, &charges, limit.as_deref(), &reasons);
            ("/v1/charges-rejected", target, token)
        }
    };
    let (status, body) = pl_wix_sim::charges::call(&client, &target.provider, path, token).await?;
    eprintln!("POST {path}: HTTP {status}");
    println!("{body}");
    Ok((200..300).contains(&status))
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = Args::parse();
    if let Some(cmd) = args.cmd.take() {
        return match run_cmd(cmd).await {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("wix-sim: {e}");
                ExitCode::from(1)
            }
        };
    }
    let defaults = SimConfig::default();
    let plan = match &args.faults {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))
            .and_then(|t| FaultPlan::from_json(&t))
        {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("wix-sim: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    let config = SimConfig {
        app_id: args.app_id.unwrap_or(defaults.app_id),
        app_secret: args.app_secret.unwrap_or(defaults.app_secret),
        api_key: args.api_key.or(defaults.api_key),
        account_id: args.account_id.or(defaults.account_id),
        uninstalled_instances: args.uninstalled.into_iter().collect(),
        rate_limit_per_minute: (!args.no_rate_limit).then_some(args.rate_limit),
        external_billing_enabled: !args.no_external_billing,
        token_ttl_secs: args.token_ttl_secs,
        port: args.port,
        echo_client_secret: args.echo_client_secret,
    };
    let handle = match Simulator::start(config).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("wix-sim: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::from(1);
        }
    };
    if let Some(plan) = plan {
        handle.set_faults(plan);
    }
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening on {}", handle.base_url());
    let _ = out.flush();
    wait_for_signal().await;
    handle.shutdown();
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
