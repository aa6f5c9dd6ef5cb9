//! `wix-sim`: runs the Wix API simulator on 127.0.0.1 until Ctrl-C / SIGTERM.
//! The first line on stdout is `listening on http://127.0.0.1:PORT`.
// No unsafe code in this crate (the engine's only unsafe code is pl-ledger/src/raw.rs).
#![forbid(unsafe_code)]

use clap::Parser;
use pl_wix_sim::{FaultPlan, SimConfig, Simulator};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Wix API simulator (OAuth token + Report External Billing Event) with fault injection.
#[derive(Debug, Parser)]
#[command(name = "wix-sim", version)]
struct Args {
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

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
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
