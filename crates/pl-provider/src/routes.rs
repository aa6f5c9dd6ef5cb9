//! The endpoints: each of Wix's verifies the JWT body, reads its envelope, asks the engine and
//! logs the call, whatever the outcome.
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use pl_ledger::provider::Provider;
use pl_ledger::{AnswerKind, ChargesQuery, Intent, NewCall, UsageRecord};
use serde_json::{json, Value};
use tower_http::timeout::TimeoutLayer;

use crate::jwt::{Refusal, Verified, Verifier};
use crate::{MAX_USAGE_BODY, MAX_USAGE_RECORDS, MAX_WIX_BODY, REQUEST_TIMEOUT};

/// How long the app id and key read from the ledger are trusted before they are read again
/// (`app key` while the provider runs takes effect within this).
const KEY_TTL: Duration = Duration::from_secs(1);

pub(crate) struct App {
    provider: Arc<Provider>,
    verifier: Mutex<(Option<Instant>, Option<Arc<Verifier>>)>,
}

pub(crate) fn router(provider: Arc<Provider>) -> Router {
    let app = Arc::new(App { provider, verifier: Mutex::new((None, None)) });
    Router::new()
        .route("/v1/charges", post(list_charges))
        .route("/v1/usages", post(list_usages))
        .route("/v1/charge-limit", post(charge_limit))
        .route("/v1/invoice-created", post(invoice_created))
        .route("/v1/charges-rejected", post(charges_rejected))
        .route("/v1/limit-updated", post(limit_updated))
        .route("/v1/usage", post(ingest_usage).layer(DefaultBodyLimit::max(MAX_USAGE_BODY)))
        .route("/health", get(health))
        .layer(DefaultBodyLimit::max(MAX_WIX_BODY))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        .with_state(app)
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn message(status: StatusCode, text: &str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], json!({ "message": text }).to_string()).into_response()
}

fn json_body(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A call's outcome: its HTTP answer, and the log entry it fills in on the way.
struct Call {
    log: NewCall,
}

/// A refusal already logged, to answer as `{"message": ...}` with its status.
struct Refused(StatusCode, String);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        message(self.0, &self.1)
    }
}

impl Call {
    fn new(endpoint: &str) -> Call {
        Call { log: NewCall { received_at: now_rfc3339(), endpoint: endpoint.to_string(), ..NewCall::default() } }
    }

    /// A refusal: logged with its reason, answered `{"message": ...}`.
    fn refuse(&mut self, status: StatusCode, reason: &str) -> Response {
        self.refused(status, reason).into_response()
    }

    fn refused(&mut self, status: StatusCode, reason: &str) -> Refused {
        self.log.status = status.as_u16();
        self.log.note = Some(reason.to_string());
        tracing::info!(endpoint = %self.log.endpoint, status = status.as_u16(), reason, "call refused");
        Refused(status, reason.to_string())
    }
}

impl App {
    /// The verifier for the app id and key now in the ledger (read again after [`KEY_TTL`]).
    fn verifier(&self) -> Result<Arc<Verifier>, String> {
        let mut cached = self.verifier.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(at), Some(v)) = (&cached.0, &cached.1) {
            if at.elapsed() < KEY_TTL {
                return Ok(Arc::clone(v));
            }
        }
        let (app_id, pem) = self.provider.app_auth().map_err(|e| format!("the ledger cannot be read: {e}"))?;
        let (Some(app_id), Some(pem)) = (app_id, pem) else {
            *cached = (None, None);
            return Err("the provider cannot verify Wix's calls: the app id or the app's public key is not set".into());
        };
        let v = match &cached.1 {
            Some(v) if v.is_for(&app_id, &pem) => Arc::clone(v),
            _ => Arc::new(Verifier::new(&app_id, &pem)?),
        };
        *cached = (Some(Instant::now()), Some(Arc::clone(&v)));
        Ok(v)
    }

    /// Verifies a Wix call's body; on failure the refusal to answer (400 or 401, logged).
    fn verify(&self, call: &mut Call, body: Result<Bytes, BytesRejection>) -> Result<Verified, Refused> {
        let body = match body {
            Ok(b) => b,
            Err(e) => return Err(call.refused(e.status(), &format!("the body could not be read: {}", e.body_text()))),
        };
        let verifier = match self.verifier() {
            Ok(v) => v,
            Err(reason) => return Err(call.refused(StatusCode::UNAUTHORIZED, &reason)),
        };
        match verifier.verify(&body, chrono::Utc::now().timestamp()) {
            Ok(v) => {
                call.log.token_iat = Some(v.iat);
                call.log.token_exp = Some(v.exp);
                let meta = &v.data["metadata"];
                call.log.request_id = meta["requestId"].as_str().map(|s| clip(s, 200));
                Ok(v)
            }
            Err(Refusal::NotAJwt(m)) => Err(call.refused(StatusCode::BAD_REQUEST, &m)),
            Err(Refusal::Unauthorized(m)) => Err(call.refused(StatusCode::UNAUTHORIZED, &m)),
        }
    }
}

/// At most `n` characters of a value from a request, control characters dropped.
fn clip(s: &str, n: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(n).collect()
}

/// The instance of a verified call (`data.metadata.instanceId`, a GUID).
fn instance_of(call: &mut Call, v: &Verified) -> Result<String, Refused> {
    let raw = v.data["metadata"]["instanceId"].as_str().unwrap_or("");
    match pl_import::normalise_guid(raw) {
        Some(g) => {
            call.log.instance_id = Some(g.clone());
            Ok(g)
        }
        None => Err(call.refused(StatusCode::BAD_REQUEST, "the call names no instance (`metadata.instanceId`, a GUID)")),
    }
}

/// A currency of the request (`request.currency`, else `metadata.currency`).
fn currency_of(call: &mut Call, v: &Verified) -> Result<String, Refused> {
    let raw = v.data["request"]["currency"].as_str().or_else(|| v.data["metadata"]["currency"].as_str()).unwrap_or("");
    let t = raw.trim();
    if t.len() == 3 && t.bytes().all(|b| b.is_ascii_alphabetic()) {
        let c = t.to_ascii_uppercase();
        call.log.currency = Some(c.clone());
        Ok(c)
    } else {
        Err(call.refused(StatusCode::BAD_REQUEST, &format!("`{}` is not a currency code", clip(t, 40))))
    }
}

/// An instant of Wix's: epoch milliseconds (number or digits) or an RFC 3339 string.
fn instant_ms(v: &Value) -> Option<i64> {
    let ms = match v {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) if !s.trim().is_empty() && s.trim().bytes().all(|b| b.is_ascii_digit()) => s.trim().parse().ok()?,
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s.trim()).ok()?.timestamp_millis(),
        _ => return None,
    };
    // Within chrono's range, so that the period prints.
    chrono::DateTime::from_timestamp_millis(ms).map(|_| ms)
}

fn ms_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)).unwrap_or_else(|| ms.to_string())
}

async fn health() -> Response {
    json_body(StatusCode::OK, json!({ "status": "ok" }).to_string())
}

async fn list_charges(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
    list(app, AnswerKind::Charges, body).await
}

async fn list_usages(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
    list(app, AnswerKind::Usages, body).await
}

/// ListCharges and ListUsages.
async fn list(app: Arc<App>, kind: AnswerKind, body: Result<Bytes, BytesRejection>) -> Response {
    let mut call = Call::new(kind.as_str());
    let response = list_inner(&app, kind, &mut call, body).await;
    app.provider.log(call.log).await;
    response
}

async fn list_inner(app: &App, kind: AnswerKind, call: &mut Call, body: Result<Bytes, BytesRejection>) -> Response {
    let v = match app.verify(call, body) {
        Ok(v) => v,
        Err(r) => return r.into_response(),
    };
    let instance_id = match instance_of(call, &v) {
        Ok(i) => i,
        Err(r) => return r.into_response(),
    };
    let currency = match currency_of(call, &v) {
        Ok(c) => c,
        Err(r) => return r.into_response(),
    };
    let req = &v.data["request"];
    let intent = req["intent"].as_str().and_then(Intent::parse);
    call.log.intent = req["intent"].as_str().map(|s| clip(s, 40));
    let Some(intent) = intent else {
        return call.refuse(StatusCode::BAD_REQUEST, "`request.intent` is not DISPLAY_ONLY or CREATE_INVOICE");
    };
    let (Some(start_ms), Some(end_ms)) = (instant_ms(&req["periodStart"]), instant_ms(&req["periodEnd"])) else {
        return call.refuse(StatusCode::BAD_REQUEST, "`request.periodStart` and `request.periodEnd` must be epoch milliseconds or RFC 3339 instants");
    };
    call.log.period_start = Some(ms_text(start_ms));
    call.log.period_end = Some(ms_text(end_ms));
    if start_ms >= end_ms {
        return call.refuse(StatusCode::BAD_REQUEST, "the period is empty: `periodStart` is not before `periodEnd`");
    }
    let q = ChargesQuery { kind, instance_id, currency, start_ms, end_ms, intent, request_id: call.log.request_id.clone() };
    match app.provider.answer(q).await {
        Ok(a) => {
            call.log.status = 200;
            call.log.frozen = Some(a.frozen.as_str().to_string());
            if !a.left_out.is_empty() {
                call.log.left_out = serde_json::to_string(&a.left_out).ok();
            }
            tracing::debug!(endpoint = kind.as_str(), instance = ?call.log.instance_id, frozen = a.frozen.as_str(), "answered");
            call.log.answer = Some(a.body.clone());
            json_body(StatusCode::OK, a.body)
        }
        Err(pl_ledger::Error::Refused(m)) => call.refuse(StatusCode::BAD_REQUEST, &m),
        Err(e) => {
            tracing::error!(error = %e, "ListCharges failed");
            call.refuse(if e.is_busy() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::INTERNAL_SERVER_ERROR }, "the provider could not answer; try again later")
        }
    }
}

/// A decimal Wix sent: a string or a number (no float: its text), or an object holding one
/// under `amount` or `value`.
fn amount_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Object(o) => o.get("amount").or_else(|| o.get("value")).and_then(amount_text),
        _ => None,
    }
}

/// Runs a Wix event endpoint: verify, read the instance, then `f`; logs the call.
async fn event<F, Fut>(app: Arc<App>, endpoint: &str, body: Result<Bytes, BytesRejection>, f: F) -> Response
where
    F: FnOnce(Arc<App>, Verified, String) -> Fut,
    Fut: std::future::Future<Output = (StatusCode, String, Option<String>)>,
{
    let mut call = Call::new(endpoint);
    let response = match app.verify(&mut call, body) {
        Err(r) => r.into_response(),
        Ok(v) => match instance_of(&mut call, &v) {
            Err(r) => r.into_response(),
            Ok(instance) => {
                let cur = v.data["request"]["currency"].as_str().or_else(|| v.data["metadata"]["currency"].as_str()).map(|c| clip(c, 8).to_ascii_uppercase());
                call.log.currency = cur;
                let (status, body, note) = f(Arc::clone(&app), v, instance).await;
                call.log.status = status.as_u16();
                call.log.note = note;
                call.log.answer = Some(body.clone());
                json_body(status, body)
            }
        },
    };
    app.provider.log(call.log).await;
    response
}

fn failed(e: pl_ledger::Error) -> (StatusCode, String, Option<String>) {
    let status = match &e {
        pl_ledger::Error::Refused(_) => StatusCode::BAD_REQUEST,
        e if e.is_busy() => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let text = e.to_string();
    (status, json!({ "message": text }).to_string(), Some(text))
}

async fn charge_limit(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
    event(app, "charge-limit", body, |app, v, instance| async move {
        let Some(cur) = v.data["request"]["currency"].as_str().or_else(|| v.data["metadata"]["currency"].as_str()).map(|c| c.trim().to_ascii_uppercase()) else {
            let m = "the call names no currency";
            return (StatusCode::BAD_REQUEST, json!({ "message": m }).to_string(), Some(m.into()));
        };
        match app.provider.charge_limit(&instance, &cur) {
            Ok(Some(limit)) => {
                let dp = pl_money::Currency::new(&cur).map(|c| c.minor_units()).unwrap_or(2);
                (StatusCode::OK, json!({ "chargeLimit": pl_money::fmt_dp(limit, dp) }).to_string(), None)
            }
            Ok(None) => {
                let m = format!("no {cur} charge limit is set for this instance, nor an app default");
                (StatusCode::NOT_FOUND, json!({ "message": m }).to_string(), Some(m))
            }
            Err(e) => failed(e),
        }
    })
    .await
}

async fn invoice_created(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
    event(app, "invoice-created", body, |app, v, instance| async move {
        let req = &v.data["request"];
        let invoice_id = req["invoiceId"].as_str().map(|s| clip(s, 200)).unwrap_or_default();
        if invoice_id.is_empty() {
            let m = "the event names no `invoiceId`";
            return (StatusCode::BAD_REQUEST, json!({ "message": m }).to_string(), Some(m.into()));
        }
        let lines: Vec<(String, Option<String>)> = req["lineItems"]
            .as_array()
            .map(|a| a.iter().filter_map(|l| l["chargeId"].as_str().map(|c| (clip(c, 64), amount_text(&l["amount"])))).collect())
            .unwrap_or_default();
        match app.provider.invoice_created(instance, invoice_id.clone(), lines).await {
            Ok(o) => {
                let mut note = format!("invoice {invoice_id}: {} charge(s) marked invoiced", o.marked);
                if !o.unknown.is_empty() {
                    note.push_str(&format!("; unknown charge id(s): {}", o.unknown.join(", ")));
                }
                (StatusCode::OK, "{}".into(), Some(note))
            }
            Err(e) => failed(e),
        }
    })
    .await
}

async fn charges_rejected(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
    event(app, "charges-rejected", body, |app, v, instance| async move {
        let req = &v.data["request"];
        let currency = req["currency"].as_str().or_else(|| v.data["metadata"]["currency"].as_str()).unwrap_or("").trim().to_ascii_uppercase();
        let ids: Vec<String> = req["chargeIds"].as_array().map(|a| a.iter().filter_map(|c| c.as_str().map(|s| clip(s, 64))).collect()).unwrap_or_default();
        let reasons: Vec<String> = req["reasons"]
            .as_array()
            .map(|a| a.iter().map(|r| r.as_str().map(|s| clip(s, 80)).unwrap_or_else(|| clip(&r.to_string(), 200))).collect())
            .unwrap_or_default();
        let limit = amount_text(&req["chargeLimit"]);
        match app.provider.charges_rejected(instance, currency, ids, limit.clone(), reasons.clone()).await {
            Ok(n) => {
                let mut note = format!("rejected ({}): {n} frozen answer(s) released", reasons.join(", "));
                if let Some(l) = limit {
                    note.push_str(&format!("; charge limit now {l}"));
                }
                (StatusCode::OK, "{}".into(), Some(note))
            }
            Err(e) => failed(e),
        }
    })
    .await
}

async fn limit_updated(State(app): State<Arc<App>>, body: Result<Bytes, BytesRejection>) -> Response {
    event(app, "limit-updated", body, |app, v, instance| async move {
        let req = &v.data["request"];
        let currency = req["currency"].as_str().or_else(|| v.data["metadata"]["currency"].as_str()).unwrap_or("").trim().to_ascii_uppercase();
        let Some(limit) = amount_text(&req["chargeLimit"]) else {
            let m = "the event carries no `chargeLimit`";
            return (StatusCode::BAD_REQUEST, json!({ "message": m }).to_string(), Some(m.into()));
        };
        match app.provider.limit_updated(instance, currency.clone(), limit.clone()).await {
            Ok(()) => (StatusCode::OK, "{}".into(), Some(format!("{currency} charge limit now {limit}"))),
            Err(e) => failed(e),
        }
    })
    .await
}

/// `POST /v1/usage`: the vendor's backend, with `Authorization: Bearer <ingestion token>`.
async fn ingest_usage(State(app): State<Arc<App>>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let token = headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok()).and_then(|h| h.strip_prefix("Bearer ")).unwrap_or("");
    match app.provider.token_valid(token) {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!("usage refused: no valid ingestion token");
            return message(StatusCode::UNAUTHORIZED, "a valid ingestion token is required: `Authorization: Bearer <token>`");
        }
        Err(e) => {
            tracing::error!(error = %e, "the ingestion token could not be checked");
            return message(StatusCode::SERVICE_UNAVAILABLE, "the ledger cannot be read; try again later");
        }
    }
    let body = match body {
        Ok(b) => b,
        Err(e) => return message(e.status(), &format!("the body could not be read: {}", e.body_text())),
    };
    let items: Vec<Value> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(a)) => a,
        Ok(_) => return message(StatusCode::BAD_REQUEST, "the body must be a JSON array of usage records"),
        Err(e) => return message(StatusCode::BAD_REQUEST, &format!("the body is not JSON: {e}")),
    };
    if items.len() > MAX_USAGE_RECORDS {
        return message(StatusCode::PAYLOAD_TOO_LARGE, &format!("{} records: at most {MAX_USAGE_RECORDS} per request", items.len()));
    }
    let mut records = Vec::with_capacity(items.len());
    let mut bad = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        match record_of(item) {
            Ok(r) => records.push((n, r)),
            Err((col, why)) => bad.push(json!({ "line": n, "column": col, "reason": why })),
        }
    }
    if !bad.is_empty() {
        return json_body(StatusCode::BAD_REQUEST, json!({ "message": "nothing imported: bad records", "rejected": bad }).to_string());
    }
    match app.provider.ingest(records).await {
        Ok(r) if r.rejected.is_empty() => json_body(StatusCode::OK, serde_json::to_string(&r).unwrap_or_default()),
        Ok(r) => {
            let mut v = serde_json::to_value(&r).unwrap_or_default();
            v["message"] = json!("nothing imported: bad records (`line` is the record's 1-based position)");
            json_body(StatusCode::BAD_REQUEST, v.to_string())
        }
        Err(e) => {
            tracing::error!(error = %e, "usage could not be stored");
            message(if e.is_busy() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::INTERNAL_SERVER_ERROR }, "the usage could not be stored; send it again (it is idempotent)")
        }
    }
}

/// A usage record of a JSON body: strings, and the quantity as a string or an integer (a JSON
/// number with a fraction would have gone through a float: refused).
fn record_of(v: &Value) -> Result<UsageRecord, (&'static str, String)> {
    let text = |k: &'static str| -> Result<String, (&'static str, String)> {
        match &v[k] {
            Value::String(s) => Ok(s.clone()),
            Value::Null => Err((k, format!("`{k}` is missing"))),
            _ => Err((k, format!("`{k}` must be a string"))),
        }
    };
    if !v.is_object() {
        return Err(("id", "a usage record is a JSON object".into()));
    }
    let quantity = match &v["quantity"] {
        Value::String(s) => s.clone(),
        Value::Number(n) if n.is_u64() || n.is_i64() => n.to_string(),
        Value::Number(_) => return Err(("quantity", "write a fractional quantity as a decimal string (\"1.25\"), never a JSON float".into())),
        _ => return Err(("quantity", "`quantity` is missing".into())),
    };
    Ok(UsageRecord { id: text("id")?, instance_id: text("instance_id")?, occurred_at: text("occurred_at")?, metric: text("metric")?, quantity })
}
