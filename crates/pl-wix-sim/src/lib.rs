//! A Wix API simulator (OAuth token + billing-event) over real HTTP, recording what it accepted and injecting faults.
//!
//! Start it with [`Simulator::start`]; it listens on 127.0.0.1 and serves `POST /oauth2/token`,
//! `POST /apps/v1/billing-event` (alias `/v1/billing-event`), `POST /site-list/v2/sites/query`
//! (an API-key check: the account has no site) and control endpoints under
//! `/_sim/` (`POST /_sim/faults`, `GET /_sim/faults`, `GET /_sim/accepted`, `GET /_sim/stats`,
//! `POST /_sim/reset`). "Accepted" is exactly the set of events Wix would have processed,
//! including those whose answer a fault then lost (see [`Fault::processes_event`]).
//!
//! [`charges`] plays Wix's other side: the Custom Charges calls it makes to an app's provider
//! (ListCharges in both period encodings and both intents, Invoice Created, Charges Rejected,
//! Limit Updated, Get Charge Limit), signed RS256 with a test-only key.
// No unsafe code in this crate (the engine's only unsafe code is pl-ledger/src/raw.rs).
#![forbid(unsafe_code)]

pub mod charges;
pub mod faults;
mod server;

pub use faults::{Fault, FaultPlan, FaultRule};

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;

/// How the simulator behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// The app id (OAuth `client_id`, and the `appId` required in the API-key flow).
    pub app_id: String,
    /// The app secret accepted by `/oauth2/token`.
    pub app_secret: String,
    /// The API key accepted in the `Authorization` header; `None` disables the API-key flow.
    pub api_key: Option<String>,
    /// The account id required in `wix-account-id` with the API key.
    pub account_id: Option<String>,
    /// Instances whose token requests are refused (the app was uninstalled).
    pub uninstalled_instances: HashSet<String>,
    /// Billing requests allowed per instance per rolling minute; `None` = no throttling.
    pub rate_limit_per_minute: Option<u32>,
    /// `false` → every authenticated billing call answers 428 FAILED_PRECONDITION.
    pub external_billing_enabled: bool,
    /// Lifetime of issued access tokens, in seconds.
    pub token_ttl_secs: u64,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// A refused token request (wrong app secret) echoes the `client_secret` it received in its
    /// error body, in every encoding (like [`Fault::EchoAuth`]): tests that secrets are scrubbed.
    pub echo_client_secret: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            app_id: "9a1b2c3d-0000-4000-8000-00000000a001".to_string(),
            app_secret: "sim-app-secret".to_string(),
            api_key: Some("sim-api-key".to_string()),
            account_id: Some("sim-account-id".to_string()),
            uninstalled_instances: HashSet::new(),
            rate_limit_per_minute: Some(200),
            external_billing_enabled: true,
            token_ttl_secs: 14_400,
            port: 0,
            echo_client_secret: false,
        }
    }
}

/// The auth flow a billing request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SimAuthFlow {
    /// An access token from `/oauth2/token`.
    OAuth,
    /// The API key with `wix-account-id`.
    ApiKey,
}

/// One event the simulator processed, as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptedEvent {
    /// The billing request number (1-based, since start or the last reset).
    pub request_no: u64,
    /// The instance: the token's, else the body's `instanceId`.
    pub instance_id: Option<String>,
    /// The auth flow used.
    pub flow: SimAuthFlow,
    /// The `event` object exactly as the client sent it.
    pub event: serde_json::Value,
}

/// One billing request as the simulator saw it, with the fault the plan applied to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// The billing request number (1-based, since start or the last reset).
    pub request_no: u64,
    /// The instance: the token's, else the body's `instanceId`.
    pub instance_id: Option<String>,
    /// The `event` object as received, when the body had one.
    pub event: Option<serde_json::Value>,
    /// The fault applied, if any.
    pub fault: Option<Fault>,
}

/// Counters since start or the last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimStats {
    /// Calls to `/oauth2/token`.
    pub token_requests: u64,
    /// Token requests refused.
    pub token_refusals: u64,
    /// Calls to Query Sites (`/site-list/v2/sites/query`, the API key's read-only check).
    #[serde(default)]
    pub sites_queries: u64,
    /// Calls to the billing-event endpoint.
    pub billing_requests: u64,
    /// Events recorded as accepted.
    pub accepted: u64,
    /// Billing requests that a fault rule matched.
    pub faults_applied: u64,
    /// Billing requests answered 429 by the rate limiter.
    pub rate_limited: u64,
    /// Connections closed without an answer.
    pub dropped: u64,
    /// Billing answers by HTTP status.
    pub by_status: BTreeMap<u16, u64>,
}

/// Entry point.
pub struct Simulator;

impl Simulator {
    /// Binds 127.0.0.1 (port from the config, 0 = any) and serves until the handle is dropped
    /// or shut down. Must be called inside a tokio runtime.
    pub async fn start(config: SimConfig) -> std::io::Result<SimHandle> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(server::Shared::new(config));
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(server::serve(listener, shared.clone(), rx));
        tracing::info!(%addr, "Wix simulator listening");
        Ok(SimHandle { addr, shared, shutdown: tx })
    }
}

/// A running simulator; stops when dropped.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<server::Shared>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`, to use as the Wix base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The events processed so far, in order.
    pub fn accepted(&self) -> Vec<AcceptedEvent> {
        self.shared.state().accepted.clone()
    }

    /// Every billing request so far with the fault applied to it, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.state().requests.clone()
    }

    /// Installs a fault plan (its request counter starts at 0).
    pub fn set_faults(&self, plan: FaultPlan) {
        self.shared.state().set_plan(plan);
    }

    /// Removes all faults.
    pub fn clear_faults(&self) {
        self.set_faults(FaultPlan::default());
    }

    /// Number of `/oauth2/token` calls.
    pub fn token_requests(&self) -> u64 {
        self.shared.state().stats.token_requests
    }

    /// Every access token issued so far (tests look for them where they must not be).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.shared.state().issued_tokens()
    }

    /// Number of billing-event calls.
    pub fn billing_requests(&self) -> u64 {
        self.shared.state().stats.billing_requests
    }

    /// All counters.
    pub fn stats(&self) -> SimStats {
        self.shared.state().stats.clone()
    }

    /// Forgets accepted events, counters, rate windows and faults; keeps the config and the
    /// access tokens already issued (so a running client is not logged out).
    pub fn reset(&self) {
        self.shared.state().reset();
    }

    /// Turns external billing on or off (off → 428).
    pub fn set_external_billing_enabled(&self, enabled: bool) {
        self.shared.state().config.external_billing_enabled = enabled;
    }

    /// Marks an instance as uninstalled: its token requests are refused from now on.
    pub fn uninstall(&self, instance_id: &str) {
        self.shared.state().config.uninstalled_instances.insert(instance_id.to_string());
    }

    /// Stops serving (also done on drop).
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
