//! The HTTP side: per-connection serving (so a fault can close a connection without
//! answering), the Wix endpoints and the control endpoints.

use crate::faults::{ActivePlan, Fault, FaultPlan};
use crate::{AcceptedEvent, RequestRecord, SimAuthFlow, SimConfig, SimStats};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use hyper_util::rt::TokioIo;
use rand::Rng;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::{HashMap, VecDeque};
use std::str::FromStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

/// Lets a handler close its own connection without answering.
#[derive(Clone)]
struct ConnKill(Arc<Notify>);

pub(crate) struct Shared(Mutex<SimState>);

impl Shared {
    pub fn new(config: SimConfig) -> Self {
        Shared(Mutex::new(SimState {
            config,
            tokens: HashMap::new(),
            stats: SimStats::default(),
            plan: ActivePlan::new(FaultPlan::default()),
            accepted: Vec::new(),
            requests: Vec::new(),
            windows: HashMap::new(),
        }))
    }

    pub fn state(&self) -> MutexGuard<'_, SimState> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(crate) struct SimState {
    pub config: SimConfig,
    tokens: HashMap<String, (String, Instant)>,
    pub stats: SimStats,
    plan: ActivePlan,
    pub accepted: Vec<AcceptedEvent>,
    pub requests: Vec<RequestRecord>,
    windows: HashMap<String, VecDeque<Instant>>,
}

impl SimState {
    pub fn set_plan(&mut self, plan: FaultPlan) {
        self.plan = ActivePlan::new(plan);
    }

    /// Forgets what was recorded; issued tokens stay valid (they are Wix's state, not data).
    pub fn reset(&mut self) {
        self.stats = SimStats::default();
        self.plan = ActivePlan::new(FaultPlan::default());
        self.accepted.clear();
        self.requests.clear();
        self.windows.clear();
    }
}

pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>) {
    let app = router(shared);
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => break,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else { continue };
        let kill = Arc::new(Notify::new());
        let app = app.clone();
        let conn_kill = ConnKill(kill.clone());
        let svc = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(conn_kill.clone());
            app.clone().oneshot(req)
        });
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {} // dropping `conn` closes the socket unanswered
                _ = stop.changed() => {}
            }
        });
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/oauth2/token", post(token))
        .route("/apps/v1/billing-event", post(billing))
        .route("/v1/billing-event", post(billing))
        .route("/site-list/v2/sites/query", post(sites_query))
        .route("/_sim/faults", post(set_faults).get(get_faults))
        .route("/_sim/accepted", get(get_accepted))
        .route("/_sim/requests", get(get_requests))
        .route("/_sim/stats", get(get_stats))
        .route("/_sim/reset", post(reset))
        .with_state(shared)
}

// ---------- Wix error bodies ----------

fn app_error(status: u16, code: &str, message: &str) -> (u16, Value) {
    (
        status,
        json!({"message": message, "details": {"applicationError":
            {"code": code, "description": message, "data": {}}}}),
    )
}

fn validation_error(violations: &[(String, String)]) -> (u16, Value) {
    let list: Vec<Value> = violations
        .iter()
        .map(|(f, d)| json!({"field": f, "description": d, "violatedRule": "VALIDATION"}))
        .collect();
    (
        400,
        json!({"message": "invalid request", "details": {"validationError": {"fieldViolations": list}}}),
    )
}

/// The Wix-style body a status fault answers with.
fn status_body(code: u16) -> (u16, Value) {
    let (c, m) = match code {
        400 => ("INVALID_ARGUMENT", "Invalid request"),
        401 => ("UNAUTHENTICATED", "Authorization is missing or invalid"),
        403 => ("PERMISSION_DENIED", "The caller is not allowed to report billing events for this app"),
        404 => ("NOT_FOUND", "App or instance not found"),
        409 => ("ALREADY_EXISTS", "A conflicting billing event already exists"),
        428 => (
            "FAILED_PRECONDITION",
            "The app isn't configured for external billing or the required conditions aren't met to report external billing events.",
        ),
        429 => ("RESOURCE_EXHAUSTED", "Too many requests"),
        500 => ("INTERNAL", "Internal server error"),
        502 => ("BAD_GATEWAY", "Bad gateway"),
        503 => ("UNAVAILABLE", "Service unavailable"),
        504 => ("DEADLINE_EXCEEDED", "Gateway timeout"),
        _ => ("SIMULATED", "Simulated error"),
    };
    app_error(code, c, m)
}

/// `s` URL-encoded: every byte but `A-Z a-z 0-9 - _ . ~` as `%XX`, a space as `+` when `plus`.
fn url_encode(s: &str, plus: bool) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' if plus => "+".to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// A JSON string literal of `s` with every non-ASCII character as `\uXXXX`.
fn ascii_json(s: &str) -> String {
    let mut out = String::new();
    for c in serde_json::to_string(s).unwrap_or_default().chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// An error answer echoing `secret` verbatim, JSON-escaped, `\u`-escaped and URL-encoded (both
/// forms): what a careless server does with a credential it refuses.
fn echo_answer(status: u16, what: &str, secret: &str) -> Response {
    let verbatim = serde_json::to_string(&format!("{what} {secret} is not valid")).unwrap_or_default();
    let body = format!(
        r#"{{"message":{verbatim},"details":{{"applicationError":{{"code":"UNAUTHENTICATED","description":{},"data":{{"url":"{}","form":"{}"}}}}}}}}"#,
        ascii_json(&format!("rejected {what}: {secret}")),
        url_encode(secret, false),
        url_encode(secret, true),
    );
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
    (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn respond((status, body): (u16, Value)) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(body)).into_response()
}

// ---------- OAuth ----------

async fn token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let mut st = shared.state();
    st.stats.token_requests += 1;
    let answer = st.issue_token(&body);
    if answer.0 >= 400 {
        st.stats.token_refusals += 1;
        if answer.0 == 401 && st.config.echo_client_secret {
            let sent = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v.get("client_secret").and_then(Value::as_str).map(String::from))
                .unwrap_or_default();
            return echo_answer(401, "client_secret", &sent);
        }
    }
    respond(answer)
}

impl SimState {
    pub(crate) fn issued_tokens(&self) -> Vec<String> {
        self.tokens.keys().cloned().collect()
    }

    fn issue_token(&mut self, body: &[u8]) -> (u16, Value) {
        let Ok(Value::Object(req)) = serde_json::from_slice::<Value>(body) else {
            return validation_error(&[("body".into(), "must be a JSON object".into())]);
        };
        let field = |k: &str| req.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let mut missing = Vec::new();
        for k in ["grant_type", "client_id", "client_secret", "instance_id"] {
            if field(k).is_empty() {
                missing.push((k.to_string(), "is required".to_string()));
            }
        }
        if !missing.is_empty() {
            return validation_error(&missing);
        }
        if field("grant_type") != "client_credentials" {
            return app_error(400, "UNSUPPORTED_GRANT_TYPE", "grant_type must be client_credentials");
        }
        if field("client_id") != self.config.app_id || field("client_secret") != self.config.app_secret {
            return app_error(401, "INVALID_CLIENT", "Unknown app id or wrong app secret");
        }
        let instance = field("instance_id");
        if self.config.uninstalled_instances.contains(&instance) {
            return app_error(
                400,
                "APP_NOT_INSTALLED",
                &format!("The app is not installed on the site of instance {instance}"),
            );
        }
        let mut rng = rand::rng();
        let token: String = (0..32).map(|_| format!("{:x}", rng.random_range(0..16u8))).collect();
        let token = format!("OAUTH2.sim.{token}");
        let ttl = self.config.token_ttl_secs;
        self.tokens.insert(token.clone(), (instance, Instant::now() + Duration::from_secs(ttl)));
        (200, json!({"access_token": token, "token_type": "Bearer", "expires_in": ttl}))
    }
}

// ---------- sites (the API key's read-only check) ----------

/// Query Sites with the API key: what a connection test asks to check an API key and account
/// id. The simulated account has no site.
async fn sites_query(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let mut st = shared.state();
    st.stats.sites_queries += 1;
    let answer = match (header(&headers, "authorization"), header(&headers, "wix-account-id")) {
        (None, _) => app_error(401, "UNAUTHENTICATED", "Missing Authorization header"),
        (Some(key), _) if st.config.api_key.as_deref() != Some(key) => app_error(401, "UNAUTHENTICATED", "Invalid or unknown API key"),
        (Some(_), None) => app_error(403, "PERMISSION_DENIED", "wix-account-id header is required with an API key"),
        (Some(_), account) if account != st.config.account_id.as_deref() => {
            app_error(403, "PERMISSION_DENIED", "The API key does not belong to this Wix account")
        }
        _ => (200, json!({"sites": [], "metadata": {"count": 0, "cursors": {}, "hasNext": false}})),
    };
    respond(answer)
}

// ---------- billing ----------

enum Outcome {
    /// An error body echoing a credential ([`Fault::EchoAuth`]).
    Echo(u16, String),
    Answer((u16, Value)),
    AnswerAfter(Duration, (u16, Value)),
    Drop,
}

async fn billing(
    State(shared): State<Arc<Shared>>,
    kill: Option<Extension<ConnKill>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let outcome = {
        let mut st = shared.state();
        st.stats.billing_requests += 1;
        let outcome = st.process_billing(&headers, &body);
        match &outcome {
            Outcome::Answer((s, _)) | Outcome::AnswerAfter(_, (s, _)) | Outcome::Echo(s, _) => {
                *st.stats.by_status.entry(*s).or_default() += 1;
            }
            Outcome::Drop => st.stats.dropped += 1,
        }
        outcome
    };
    match outcome {
        Outcome::Echo(status, auth) => echo_answer(status, "Authorization", &auth),
        Outcome::Answer(a) => respond(a),
        Outcome::AnswerAfter(d, a) => {
            tokio::time::sleep(d).await;
            respond(a)
        }
        Outcome::Drop => match kill {
            Some(Extension(k)) => {
                k.0.notify_one();
                std::future::pending::<Response>().await
            }
            None => respond(status_body(500)),
        },
    }
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|s| !s.is_empty())
}

impl SimState {
    fn process_billing(&mut self, headers: &HeaderMap, body: &[u8]) -> Outcome {
        let request_no = self.stats.billing_requests;
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let event = parsed.as_ref().and_then(|v| v.get("event")).and_then(Value::as_object);
        let auth = header(headers, "authorization");
        let token_instance = auth.and_then(|a| self.tokens.get(a)).map(|(i, _)| i.clone());
        let body_instance = event.and_then(|e| e.get("instanceId")).and_then(Value::as_str).map(String::from);
        let prelim = token_instance.clone().or(body_instance.clone());

        let fault = self.plan.next(prelim.as_deref());
        if fault.is_some() {
            self.stats.faults_applied += 1;
        }
        self.requests.push(RequestRecord {
            request_no,
            instance_id: prelim.clone(),
            event: event.map(|e| Value::Object(e.clone())),
            fault: fault.clone(),
        });
        if let Some(f) = &fault {
            if !f.processes_event() {
                return match f {
                    Fault::Reject => Outcome::Answer(validation_error(&[(
                        "event".into(),
                        "rejected by the simulator's fault plan".into(),
                    )])),
                    Fault::Status { code, .. } => Outcome::Answer(status_body(*code)),
                    Fault::EchoAuth { code } => Outcome::Echo(
                        code.unwrap_or(401),
                        headers.get("authorization").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).unwrap_or_default(),
                    ),
                    _ => Outcome::Drop,
                };
            }
        }

        // Authentication.
        let (flow, instance) = match self.authenticate(auth, headers, event) {
            Ok(a) => a,
            Err(answer) => return Outcome::Answer(answer),
        };
        if !self.config.external_billing_enabled {
            return Outcome::Answer(status_body(428));
        }
        // Rate limit per instance, rolling minute.
        if let Some(limit) = self.config.rate_limit_per_minute {
            let key = instance.clone().unwrap_or_else(|| format!("app:{}", self.config.app_id));
            let now = Instant::now();
            let window = self.windows.entry(key).or_default();
            while window.front().is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60)) {
                window.pop_front();
            }
            if window.len() >= limit as usize {
                self.stats.rate_limited += 1;
                return Outcome::Answer(status_body(429));
            }
            window.push_back(now);
        }
        let violations = validate(parsed.as_ref());
        if !violations.is_empty() {
            return Outcome::Answer(validation_error(&violations));
        }
        let event = event.cloned().unwrap_or_default();
        let mut echo: Map<String, Value> = event.clone();
        echo.insert("appId".into(), Value::String(self.config.app_id.clone()));
        if let Some(i) = &instance {
            echo.insert("instanceId".into(), Value::String(i.clone()));
        }
        self.accepted.push(AcceptedEvent {
            request_no,
            instance_id: instance.clone(),
            flow,
            event: Value::Object(event),
        });
        self.stats.accepted += 1;
        tracing::debug!(request_no, instance = instance.as_deref().unwrap_or(""), "simulator recorded an event");
        let ok = (200, json!({"event": Value::Object(echo)}));
        match fault {
            Some(Fault::Status { code, .. }) => Outcome::Answer(status_body(code)),
            Some(Fault::DropAfterProcessing) => Outcome::Drop,
            Some(Fault::DelayMs { ms }) => Outcome::AnswerAfter(Duration::from_millis(ms), ok),
            _ => Outcome::Answer(ok),
        }
    }

    /// `Ok((flow, instance))` or the error answer.
    #[allow(clippy::type_complexity)]
    fn authenticate(
        &self,
        auth: Option<&str>,
        headers: &HeaderMap,
        event: Option<&Map<String, Value>>,
    ) -> Result<(SimAuthFlow, Option<String>), (u16, Value)> {
        let Some(auth) = auth else {
            return Err(app_error(401, "UNAUTHENTICATED", "Missing Authorization header"));
        };
        let body_str = |k: &str| event.and_then(|e| e.get(k)).and_then(Value::as_str).map(String::from);
        if let Some((instance, expires)) = self.tokens.get(auth) {
            if Instant::now() >= *expires {
                return Err(app_error(401, "UNAUTHENTICATED", "The access token has expired"));
            }
            if let Some(bi) = body_str("instanceId") {
                if &bi != instance {
                    return Err(app_error(
                        403,
                        "PERMISSION_DENIED",
                        "instanceId does not match the access token's instance",
                    ));
                }
            }
            return Ok((SimAuthFlow::OAuth, Some(instance.clone())));
        }
        if self.config.api_key.as_deref() == Some(auth) {
            let account = header(headers, "wix-account-id");
            if account.is_none() {
                return Err(app_error(403, "PERMISSION_DENIED", "wix-account-id header is required with an API key"));
            }
            if account != self.config.account_id.as_deref() {
                return Err(app_error(403, "PERMISSION_DENIED", "The API key does not belong to this Wix account"));
            }
            match body_str("appId") {
                None => {
                    return Err(validation_error(&[(
                        "event.appId".into(),
                        "is required when authenticating with an API key".into(),
                    )]))
                }
                Some(a) if a != self.config.app_id => {
                    return Err(app_error(403, "PERMISSION_DENIED", "This account does not own the given app"))
                }
                Some(_) => {}
            }
            return Ok((SimAuthFlow::ApiKey, body_str("instanceId")));
        }
        Err(app_error(401, "UNAUTHENTICATED", "Invalid or unknown access token"))
    }
}

/// Checks a billing body as Wix documents it; returns field violations.
pub(crate) fn validate(body: Option<&Value>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = Vec::new();
    let Some(body) = body else {
        v.push(("body".into(), "is not valid JSON".into()));
        return v;
    };
    let Some(ev) = body.get("event").and_then(Value::as_object) else {
        v.push(("event".into(), "is required and must be an object".into()));
        return v;
    };
    for (name, required) in [("grossRevenue", true), ("netRevenue", false), ("wixShare", true)] {
        let field = format!("event.{name}");
        match ev.get(name) {
            None | Some(Value::Null) => {
                if required {
                    v.push((field, "is required".into()));
                }
            }
            Some(Value::String(s)) => match Decimal::from_str(s) {
                Ok(d) if s.trim() == s && !s.contains('_') => {
                    if d.scale() > 10 {
                        v.push((field, "has more than 10 decimal places".into()));
                    }
                }
                _ => v.push((field, format!("\"{s}\" is not a decimal number"))),
            },
            Some(Value::Number(_)) => {
                v.push((field, "must be a decimal string such as \"120.50\", not a JSON number".into()))
            }
            Some(_) => v.push((field, "must be a decimal string".into())),
        }
    }
    match ev.get("billingType") {
        None | Some(Value::Null) => v.push(("event.billingType".into(), "is required".into())),
        Some(Value::String(s)) if s == "CHARGE" || s == "REFUND" => {}
        Some(_) => v.push(("event.billingType".into(), "must be CHARGE or REFUND".into())),
    }
    match ev.get("createdDate") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if chrono::DateTime::parse_from_rfc3339(s).is_ok() => {}
        Some(_) => v.push(("event.createdDate".into(), "must be an RFC 3339 date-time".into())),
    }
    for name in ["appId", "instanceId"] {
        if let Some(x) = ev.get(name) {
            if !x.is_string() && !x.is_null() {
                v.push((format!("event.{name}"), "must be a string".into()));
            }
        }
    }
    v
}

// ---------- control ----------

async fn set_faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let text = String::from_utf8_lossy(&body);
    match FaultPlan::from_json(&text) {
        Ok(plan) => {
            let n = plan.rules.len();
            shared.state().set_plan(plan);
            respond((200, json!({"rules": n})))
        }
        Err(e) => respond((400, json!({"message": e}))),
    }
}

async fn get_faults(State(shared): State<Arc<Shared>>) -> Response {
    let plan = shared.state().plan.plan.clone();
    Json(plan).into_response()
}

async fn get_accepted(State(shared): State<Arc<Shared>>) -> Response {
    let list = shared.state().accepted.clone();
    Json(list).into_response()
}

async fn get_stats(State(shared): State<Arc<Shared>>) -> Response {
    let stats = shared.state().stats.clone();
    Json(stats).into_response()
}

async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    shared.state().reset();
    respond((200, json!({"reset": true})))
}

async fn get_requests(State(shared): State<Arc<Shared>>) -> Response {
    let list = shared.state().requests.clone();
    Json(list).into_response()
}
