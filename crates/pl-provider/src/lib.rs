//! The Custom Charges provider (SPEC §9): the HTTP server `partner-ledger serve` runs, over the
//! same ledger file as the CLI and the window.
//!
//! Wix calls `POST /v1/charges` (ListCharges), `/v1/usages` (ListUsages), `/v1/charge-limit`,
//! `/v1/invoice-created`, `/v1/charges-rejected` and `/v1/limit-updated`, each with the compact
//! JWT as its body ([`jwt`]); the vendor's backend posts usage to `POST /v1/usage` with a bearer
//! ingestion token; `GET /health` answers `{"status":"ok"}`. Every call from Wix is logged,
//! accepted or refused (`charges log`). The answers are the engine's
//! (`pl_ledger::provider::Provider`): this crate holds HTTP, tokens and logs, no money rule.
//!
//! Limits: a Wix body of at most 64 KiB, a usage body of at most 4 MiB and 10,000 records, 10 s
//! per request; SIGTERM or Ctrl-C stops accepting, lets the calls in flight finish and commits
//! the log before the process ends. Logs (tracing) never hold a token or a key.
// No unsafe code in this crate (the engine's only unsafe code is pl-ledger/src/raw.rs).
#![forbid(unsafe_code)]

pub mod jwt;
mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pl_ledger::provider::Provider;

/// The address `serve` listens on by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
/// The largest body Wix's calls may have.
pub const MAX_WIX_BODY: usize = 64 * 1024;
/// The largest `POST /v1/usage` body.
pub const MAX_USAGE_BODY: usize = 4 * 1024 * 1024;
/// The most records one `POST /v1/usage` may carry.
pub const MAX_USAGE_RECORDS: usize = 10_000;
/// How long one request may take, body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// What to serve and where.
#[derive(Debug, Clone)]
pub struct Config {
    pub db: PathBuf,
    pub listen: SocketAddr,
}

/// A running provider.
pub struct Server {
    addr: SocketAddr,
    provider: Arc<Provider>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish_non_exhaustive()
    }
}

/// Why the provider could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Ledger(#[from] pl_ledger::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
}

impl Server {
    /// Opens the ledger, binds `config.listen` (port 0: any free port) and serves in the
    /// background. Must be called inside a tokio runtime.
    pub async fn start(config: Config) -> Result<Server, StartError> {
        let provider = Arc::new(Provider::open(&config.db)?);
        let listener = tokio::net::TcpListener::bind(config.listen).await.map_err(|source| StartError::Listen { addr: config.listen, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen { addr: config.listen, source })?;
        match provider.app_auth()? {
            (Some(_), Some(_)) => {}
            (app, key) => tracing::warn!(
                app_id_set = app.is_some(),
                public_key_set = key.is_some(),
                "Wix's calls will be refused until the app id and the app's public key are set"
            ),
        }
        let router = routes::router(Arc::clone(&provider));
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
        });
        tracing::info!(%addr, db = %config.db.display(), "Custom Charges provider listening");
        Ok(Server { addr, provider, stop, task })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The engine's handle (tests and benchmarks read the ledger through it).
    pub fn provider(&self) -> &Arc<Provider> {
        &self.provider
    }

    /// Stops gracefully: no new connection, the calls in flight finish, the log is committed,
    /// the writer thread ends.
    pub async fn stop(self) -> std::io::Result<()> {
        let _ = self.stop.send(true);
        let served = match self.task.await {
            Ok(r) => r,
            Err(e) => Err(std::io::Error::other(format!("the server task failed: {e}"))),
        };
        if let Err(e) = self.provider.flush().await {
            tracing::error!(error = %e, "the last calls could not be logged");
        }
        let provider = self.provider;
        tokio::task::spawn_blocking(move || provider.close()).await.map_err(|e| std::io::Error::other(e.to_string()))?;
        tracing::info!("Custom Charges provider stopped");
        served
    }

    /// Serves until `signal` resolves, then stops gracefully.
    pub async fn run_until(self, signal: impl std::future::Future<Output = ()>) -> std::io::Result<()> {
        signal.await;
        tracing::info!("stopping: finishing the calls in flight");
        self.stop().await
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
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
