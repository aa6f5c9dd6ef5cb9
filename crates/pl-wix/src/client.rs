use crate::clock::{Clock, SystemClock};
use crate::config::WixConfig;
use crate::event::BillingEvent;
use crate::failure::{class_for_status, status_message, wix_error_detail, FailureClass, SendFailure};
use crate::secrets::{Secret, Secrets};
use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

/// Which of Wix's two auth flows a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthFlow {
    /// OAuth access token for the instance (`Authorization: <token>`).
    OAuth,
    /// Account API key with `wix-account-id` and `appId` in the body.
    ApiKey,
}

/// Wix accepted the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// HTTP status (2xx).
    pub status: u16,
    /// Wix's response body (the echoed event), secrets scrubbed.
    pub body: String,
    /// The auth flow that was used.
    pub flow: AuthFlow,
}

/// What [`Client::report_event`] would send, for a dry run; secrets shown as `***`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedRequest {
    /// `POST`.
    pub method: String,
    /// Full billing-event URL.
    pub url: String,
    /// Headers in send order, secret values masked as `***`.
    pub headers: Vec<(String, String)>,
    /// The JSON body.
    pub body: Value,
    /// The auth flow that would be used, `None` when no credentials are configured.
    pub flow: Option<AuthFlow>,
}

/// Wix's answer to a token request.
#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<i64>,
}

enum InstanceAuth {
    Token { token: Secret, expires_at: DateTime<Utc> },
    /// The token request was refused (uninstalled app): use the API key for this instance.
    ApiKeyFallback,
}

enum Auth {
    Token(Secret),
    ApiKey(Secret, String),
}

/// Client for Wix's Report External Billing Event API. Cheap to share behind an `Arc`.
pub struct Client {
    config: WixConfig,
    secrets: Secrets,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    cache: Mutex<HashMap<String, InstanceAuth>>,
    /// The app secret, the API key and every access token this client was given (kept, unlike
    /// the cache, which forgets a token on a 401), so that one echoed in a body is scrubbed.
    scrubber: Mutex<crate::scrub::Scrubber>,
    token_lock: tokio::sync::Mutex<()>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

fn no_credentials() -> SendFailure {
    SendFailure::new(
        FailureClass::Config,
        "No Wix credentials are configured: save the app secret (for OAuth), or an API key \
         together with the Wix account id, in the Wix credentials (the OS keyring); or set \
         WIX_APP_SECRET, or WIX_API_KEY and WIX_ACCOUNT_ID, in the environment",
    )
}

fn human_duration(d: std::time::Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// The innermost cause of a transport error, in plain words.
fn root_cause(e: &reqwest::Error) -> String {
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

impl Client {
    /// A client for `config` with `secrets`. Fails (class `Config`) only if the HTTP stack
    /// cannot be initialised.
    /// Refused (class `Config`) when the base URL is not `https://` on a non-loopback host.
    pub fn new(config: WixConfig, secrets: Secrets) -> Result<Client, SendFailure> {
        crate::config::check_base_url(&config.base_url).map_err(|why| SendFailure::new(FailureClass::Config, why))?;
        let connect_timeout = config.connect_timeout.min(config.timeout);
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("partner-ledger/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                SendFailure::new(
                    FailureClass::Config,
                    format!("Could not initialise the HTTPS client: {}", root_cause(&e)),
                )
            })?;
        let scrubber = crate::scrub::Scrubber::new(&secrets.secret_values());
        Ok(Client {
            config,
            secrets,
            http,
            clock: Arc::new(SystemClock),
            cache: Mutex::new(HashMap::new()),
            scrubber: Mutex::new(scrubber),
            token_lock: tokio::sync::Mutex::new(()),
        })
    }

    /// Replaces the clock used for token expiry (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The configuration in use.
    pub fn config(&self) -> &WixConfig {
        &self.config
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, InstanceAuth>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `s` with every secret this client knows (app secret, API key, every access token it was
    /// given) replaced by `***`, in every form it can be echoed in (verbatim, JSON-escaped,
    /// URL-encoded: see [`crate::scrub_secrets`]). Callers scrub again what they store.
    pub fn scrub(&self, s: &str) -> String {
        self.scrubber.lock().unwrap_or_else(|e| e.into_inner()).scrub(s)
    }

    fn scrubbed(&self, mut f: SendFailure) -> SendFailure {
        f.message = self.scrub(&f.message);
        f.body = f.body.map(|b| self.scrub(&b));
        f
    }

    /// The flow a request for `instance_id` would use now, without any network call.
    pub fn planned_flow(&self, instance_id: &str) -> Option<AuthFlow> {
        if self.secrets.app_secret.is_some() {
            if matches!(self.cache().get(instance_id), Some(InstanceAuth::ApiKeyFallback))
                && self.secrets.api_key_flow().is_some()
            {
                Some(AuthFlow::ApiKey)
            } else {
                Some(AuthFlow::OAuth)
            }
        } else if self.secrets.api_key_flow().is_some() {
            Some(AuthFlow::ApiKey)
        } else {
            None
        }
    }

    /// The request [`Client::report_event`] would send, secrets masked; no network.
    pub fn render_request(&self, ev: &BillingEvent) -> RenderedRequest {
        let flow = self.planned_flow(&ev.instance_id);
        let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        if flow.is_some() {
            headers.push(("Authorization".to_string(), "***".to_string()));
        }
        if flow == Some(AuthFlow::ApiKey) {
            if let Some((_, account)) = self.secrets.api_key_flow() {
                headers.push(("wix-account-id".to_string(), account.to_string()));
            }
        }
        let app = (flow == Some(AuthFlow::ApiKey)).then_some(self.config.app_id.as_str());
        RenderedRequest {
            method: "POST".to_string(),
            url: self.config.billing_url(),
            headers,
            body: ev.to_body(app),
            flow,
        }
    }

    fn cached_auth(&self, instance: &str) -> Option<Auth> {
        let now = self.clock.now();
        let margin = ChronoDuration::from_std(self.config.token_refresh_margin)
            .unwrap_or(ChronoDuration::zero());
        match self.cache().get(instance)? {
            InstanceAuth::Token { token, expires_at } if now + margin < *expires_at => {
                Some(Auth::Token(token.clone()))
            }
            InstanceAuth::Token { .. } => None,
            InstanceAuth::ApiKeyFallback => self
                .secrets
                .api_key_flow()
                .map(|(k, a)| Auth::ApiKey(k.clone(), a.to_string())),
        }
    }

    async fn auth_for(&self, instance: &str) -> Result<Auth, SendFailure> {
        let Some(app_secret) = self.secrets.app_secret.clone() else {
            return match self.secrets.api_key_flow() {
                Some((k, a)) => Ok(Auth::ApiKey(k.clone(), a.to_string())),
                None => Err(no_credentials()),
            };
        };
        if let Some(a) = self.cached_auth(instance) {
            return Ok(a);
        }
        let _serial = self.token_lock.lock().await;
        if let Some(a) = self.cached_auth(instance) {
            return Ok(a);
        }
        self.fetch_token(instance, &app_secret).await
    }

    /// Asks Wix's OAuth endpoint for an access token for `instance`: its status and body.
    async fn post_token(&self, instance: &str, app_secret: &Secret) -> Result<(u16, String), reqwest::Error> {
        let body = serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": self.config.app_id,
            "client_secret": app_secret.expose(),
            "instance_id": instance,
        });
        tracing::debug!(instance, "requesting a Wix access token");
        let resp = self.http.post(self.config.token_url()).json(&body).send().await?;
        let status = resp.status().as_u16();
        Ok((status, resp.text().await.unwrap_or_default()))
    }

    async fn fetch_token(&self, instance: &str, app_secret: &Secret) -> Result<Auth, SendFailure> {
        let (status, text) = match self.post_token(instance, app_secret).await {
            Ok(r) => r,
            Err(e) => {
                let class = if e.is_builder() { FailureClass::Config } else { FailureClass::NotSent };
                return Err(self.scrubbed(SendFailure::new(
                    class,
                    format!(
                        "Could not get a Wix access token for instance {instance} ({}); the \
                         event was not sent",
                        root_cause(&e)
                    ),
                )));
            }
        };
        if (200..300).contains(&status) {
            return match serde_json::from_str::<TokenResponse>(&text) {
                Ok(t) if !t.access_token.is_empty() => {
                    let ttl = t.expires_in.unwrap_or(14_400).max(0);
                    let token = Secret::new(t.access_token);
                    self.scrubber.lock().unwrap_or_else(|e| e.into_inner()).add(token.expose());
                    let expires_at = self.clock.now() + ChronoDuration::seconds(ttl);
                    self.cache().insert(
                        instance.to_string(),
                        InstanceAuth::Token { token: token.clone(), expires_at },
                    );
                    tracing::debug!(instance, expires_in = ttl, "got a Wix access token");
                    Ok(Auth::Token(token))
                }
                _ => Err(SendFailure::new(
                    FailureClass::NotSent,
                    format!(
                        "Wix's token answer for instance {instance} could not be read; the event \
                         was not sent"
                    ),
                )),
            };
        }
        let detail = crate::failure::wix_error_detail(&text)
            .map(|d| format!(" Wix said: {d}."))
            .unwrap_or_default();
        let refused = (400..500).contains(&status) && status != 429;
        if refused {
            if let Some((k, a)) = self.secrets.api_key_flow() {
                tracing::info!(
                    instance,
                    status,
                    "Wix refused an access token (app uninstalled?); using the API key for this instance"
                );
                self.cache().insert(instance.to_string(), InstanceAuth::ApiKeyFallback);
                return Ok(Auth::ApiKey(k.clone(), a.to_string()));
            }
            let f = SendFailure {
                class: FailureClass::Config,
                status: Some(status),
                body: Some(text.clone()),
                message: format!(
                    "Wix refused an access token for instance {instance} ({status}): the app may \
                     have been uninstalled from that site, or the app secret is wrong. Configure \
                     an API key and Wix account id to report for uninstalled sites; nothing more \
                     will be sent.{detail}"
                ),
            };
            return Err(self.scrubbed(f));
        }
        let f = SendFailure {
            class: FailureClass::NotSent,
            status: Some(status),
            body: Some(text.clone()),
            message: format!(
                "Wix could not issue an access token for instance {instance} right now \
                 ({status}); the event was not sent and will be retried.{detail}"
            ),
        };
        Err(self.scrubbed(f))
    }

    /// Sends one billing event. See [`FailureClass`] for what each failure means.
    pub async fn report_event(&self, ev: &BillingEvent) -> Result<Accepted, SendFailure> {
        let instance = ev.instance_id.as_str();
        let auth = self.auth_for(instance).await?;
        let mut req = self
            .http
            .post(self.config.billing_url())
            .header("Content-Type", "application/json");
        let (flow, body) = match &auth {
            Auth::Token(t) => {
                req = req.header("Authorization", t.expose());
                (AuthFlow::OAuth, ev.to_body(None))
            }
            Auth::ApiKey(k, account) => {
                req = req
                    .header("Authorization", k.expose())
                    .header("wix-account-id", account.as_str());
                (AuthFlow::ApiKey, ev.to_body(Some(&self.config.app_id)))
            }
        };
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        tracing::debug!(instance, ?flow, "reporting a billing event to Wix");
        let resp = match req.body(bytes).send().await {
            Ok(r) => r,
            Err(e) => return Err(self.scrubbed(self.transport_failure(&e))),
        };
        let status = resp.status().as_u16();
        let text = resp.text().await;
        if (200..300).contains(&status) {
            return match text {
                Ok(body) => {
                    tracing::info!(instance, status, ?flow, "Wix accepted the billing event");
                    Ok(Accepted { status, body: self.scrub(&body), flow })
                }
                Err(e) => {
                    let f = SendFailure {
                        class: FailureClass::Ambiguous,
                        status: Some(status),
                        body: None,
                        message: format!(
                            "Wix's answer could not be read ({}): the event may or may not have \
                             been recorded. Check in Wix before sending it again",
                            root_cause(&e)
                        ),
                    };
                    Err(self.scrubbed(f))
                }
            };
        }
        if status == 401 && flow == AuthFlow::OAuth {
            self.cache().remove(instance);
        }
        let body = text.ok();
        let class = class_for_status(status);
        let message = status_message(status, body.as_deref().unwrap_or(""));
        tracing::warn!(instance, status, class = class.as_str(), "Wix did not accept the billing event");
        Err(self.scrubbed(SendFailure { class, status: Some(status), body, message }))
    }

    fn transport_failure(&self, e: &reqwest::Error) -> SendFailure {
        let cause = root_cause(e);
        let (class, message) = if e.is_builder() {
            (
                FailureClass::Config,
                format!("The Wix address {} is not usable ({cause})", self.config.billing_url()),
            )
        } else if e.is_connect() {
            (
                FailureClass::NotSent,
                format!(
                    "Could not connect to Wix at {} ({cause}); the event was not sent and will be \
                     retried",
                    self.config.root()
                ),
            )
        } else if e.is_timeout() {
            (
                FailureClass::Ambiguous,
                format!(
                    "Wix did not answer within {} after the event was sent: it may or may not \
                     have been recorded. Check in Wix before sending it again",
                    human_duration(self.config.timeout)
                ),
            )
        } else {
            (
                FailureClass::Ambiguous,
                format!(
                    "The connection to Wix broke after the event was sent ({cause}): it may or \
                     may not have been recorded. Check in Wix before sending it again"
                ),
            )
        };
        let message = self.scrub(&message);
        tracing::warn!(class = class.as_str(), "billing event transport failure: {message}");
        SendFailure::new(class, message)
    }
}

// ---- connection checks (the desktop's "Test connection") --------------------------------------

impl Client {
    /// Whether an app secret is configured (the OAuth flow).
    pub fn has_app_secret(&self) -> bool {
        self.secrets.app_secret.is_some()
    }

    /// Whether an API key and an account id are configured (the API-key flow).
    pub fn has_api_key(&self) -> bool {
        self.secrets.api_key_flow().is_some()
    }

    /// Checks the app id and app secret by asking Wix for an access token for `instance`;
    /// nothing else is sent, and the token is not kept. `Ok` says what Wix did, `Err` why it
    /// failed, both in words and with every secret scrubbed.
    pub async fn check_app_secret(&self, instance: &str) -> Result<String, String> {
        let Some(secret) = self.secrets.app_secret.clone() else {
            return Err("no app secret is set".into());
        };
        let (status, text) = match self.post_token(instance, &secret).await {
            Ok(answer) => answer,
            Err(e) => return Err(self.scrub(&self.unreachable(&e))),
        };
        if (200..300).contains(&status) {
            return match serde_json::from_str::<TokenResponse>(&text) {
                Ok(t) if !t.access_token.is_empty() => {
                    self.scrubber.lock().unwrap_or_else(|e| e.into_inner()).add(&t.access_token);
                    Ok(format!("Wix issued an access token for instance {instance}: the app id and the app secret are accepted"))
                }
                _ => Err(format!("Wix answered {status} to the token request, but its answer could not be read")),
            };
        }
        let why = match status {
            401 | 403 => "the app id or the app secret is wrong",
            400 | 404 => "Wix did not accept the request for that instance (is the app installed on its site?)",
            429 => "too many requests right now; try again in a minute",
            _ => "Wix could not answer right now; try again later",
        };
        let detail = wix_error_detail(&text).map(|d| format!(" Wix said: {d}.")).unwrap_or_default();
        Err(self.scrub(&format!("Wix refused an access token for instance {instance} ({status}): {why}.{detail}")))
    }

    /// Checks the API key and account id with a read-only account call (Query Sites, one
    /// site); nothing is reported. `Ok`/`Err` as in [`Client::check_app_secret`].
    pub async fn check_api_key(&self) -> Result<String, String> {
        let Some((key, account)) = self.secrets.api_key_flow() else {
            return Err("no API key with an account id is set".into());
        };
        let body = serde_json::json!({ "query": { "cursorPaging": { "limit": 1 } } });
        let sent = self
            .http
            .post(self.config.sites_query_url())
            .header("Authorization", key.expose())
            .header("wix-account-id", account)
            .json(&body)
            .send()
            .await;
        let (status, text) = match sent {
            Ok(r) => {
                let status = r.status().as_u16();
                (status, r.text().await.unwrap_or_default())
            }
            Err(e) => return Err(self.scrub(&self.unreachable(&e))),
        };
        if (200..300).contains(&status) {
            return Ok("Wix accepted the API key and the account id (a read-only query of the account's sites)".into());
        }
        let why = match status {
            401 | 403 => "the API key or the account id is wrong, or the key may not read the account's sites",
            429 => "too many requests right now; try again in a minute",
            _ => "Wix could not answer right now; try again later",
        };
        let detail = wix_error_detail(&text).map(|d| format!(" Wix said: {d}.")).unwrap_or_default();
        Err(self.scrub(&format!("Wix refused a read-only query with the API key ({status}): {why}.{detail}")))
    }

    /// Why a check's request got no answer, in words.
    fn unreachable(&self, e: &reqwest::Error) -> String {
        if e.is_timeout() {
            format!("Wix at {} did not answer within {}", self.config.root(), human_duration(self.config.timeout))
        } else {
            format!("could not reach Wix at {} ({})", self.config.root(), root_cause(e))
        }
    }
}
