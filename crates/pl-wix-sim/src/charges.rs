//! Wix's side of the Custom Charges service plugin (FACTS.md, "Custom Charges"): the calls Wix
//! makes to an app's provider, each body a compact JWT signed RS256 with the app's key.
//!
//! The simulator signs with a **test-only** RSA key (`keys/wix-sim-TEST-ONLY-*.pem`, committed
//! on purpose: it protects nothing). A provider under test is given [`TEST_PUBLIC_KEY_PEM`] as
//! the app's public key (`partner-ledger app key`).
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

/// The simulator's private key. TEST ONLY: never a real app's key.
pub const TEST_PRIVATE_KEY_PEM: &str = include_str!("../keys/wix-sim-TEST-ONLY-private.pem");
/// The public half of [`TEST_PRIVATE_KEY_PEM`], to set as the app's key of a test ledger.
pub const TEST_PUBLIC_KEY_PEM: &str = include_str!("../keys/wix-sim-TEST-ONLY-public.pem");
/// The lifetime of a signed call (Wix's example tokens live much longer).
pub const TOKEN_TTL_SECS: i64 = 3600;

/// How the period's instants are written: Wix's page shows epoch milliseconds, its REST schema
/// RFC 3339 strings. A provider must take both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodEncoding {
    EpochMillis,
    Rfc3339,
}

/// One ListCharges (or ListUsages) call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCharges {
    pub instance_id: String,
    pub currency: String,
    pub period_start_ms: i64,
    pub period_end_ms: i64,
    /// `DISPLAY_ONLY` or `CREATE_INVOICE`.
    pub intent: String,
    pub encoding: PeriodEncoding,
    pub request_id: String,
}

impl ListCharges {
    fn instant(&self, ms: i64) -> Value {
        match self.encoding {
            PeriodEncoding::EpochMillis => json!(ms),
            PeriodEncoding::Rfc3339 => json!(chrono::DateTime::from_timestamp_millis(ms)
                .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_else(|| ms.to_string())),
        }
    }
}

/// Signs Wix's calls for one app.
pub struct WixSigner {
    app_id: String,
    key: EncodingKey,
}

impl std::fmt::Debug for WixSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WixSigner").field("app_id", &self.app_id).finish_non_exhaustive()
    }
}

/// Now, in Unix seconds.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

impl WixSigner {
    /// A signer with the simulator's test key.
    pub fn test(app_id: &str) -> WixSigner {
        Self::from_pem(app_id, TEST_PRIVATE_KEY_PEM).unwrap_or_else(|e| unreachable!("the committed test key reads: {e}"))
    }

    /// A signer with another RSA private key (PEM).
    pub fn from_pem(app_id: &str, private_pem: &str) -> Result<WixSigner, String> {
        let key = EncodingKey::from_rsa_pem(private_pem.as_bytes()).map_err(|e| format!("not an RSA private key: {e}"))?;
        Ok(WixSigner { app_id: app_id.to_string(), key })
    }

    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// Signs any claims RS256 (tests build wrong claims with it).
    pub fn sign_claims(&self, claims: &Value) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), claims, &self.key).unwrap_or_default()
    }

    /// The standard claims around an envelope: `aud` the app, `iss` wix.com, issued now.
    pub fn claims(&self, data: Value) -> Value {
        let now = now_secs();
        json!({ "data": data, "aud": self.app_id, "iss": "wix.com", "iat": now, "exp": now + TOKEN_TTL_SECS })
    }

    /// The envelope `{request, metadata}` of a call for an instance.
    pub fn envelope(&self, instance_id: &str, currency: &str, request_id: &str, request: Value) -> Value {
        json!({
            "request": request,
            "metadata": {
                "requestId": request_id,
                "currency": currency,
                "identity": { "identityType": "APP", "appId": self.app_id },
                "instanceId": instance_id,
                "appExtensionType": "PREMIUM_CUSTOM_CHARGES",
            }
        })
    }

    /// The envelope of a ListCharges call (its body is the signed token of [`Self::claims`] of it).
    pub fn list_charges_envelope(&self, c: &ListCharges) -> Value {
        self.envelope(
            &c.instance_id,
            &c.currency,
            &c.request_id,
            json!({
                "subscriptionId": format!("sub-{}", c.instance_id),
                "currency": c.currency,
                "periodStart": c.instant(c.period_start_ms),
                "periodEnd": c.instant(c.period_end_ms),
                "intent": c.intent,
            }),
        )
    }

    /// The body of a ListCharges (or ListUsages) call.
    pub fn list_charges(&self, c: &ListCharges) -> String {
        self.sign_claims(&self.claims(self.list_charges_envelope(c)))
    }

    /// The body of an Invoice Created event: its line items are (chargeId, amount).
    pub fn invoice_created(&self, instance_id: &str, currency: &str, invoice_id: &str, lines: &[(String, String)]) -> String {
        let items: Vec<Value> = lines.iter().map(|(id, amount)| json!({ "chargeId": id, "amount": amount })).collect();
        let req = json!({ "subscriptionId": format!("sub-{instance_id}"), "currency": currency, "invoiceId": invoice_id, "lineItems": items });
        self.sign_claims(&self.claims(self.envelope(instance_id, currency, &format!("req-inv-{invoice_id}"), req)))
    }

    /// The body of a Charges Rejected event (`reasons`: CHARGE_LIMIT_EXCEEDED, TOO_MANY_CHARGES,
    /// INVALID_FORMAT), with the limit Wix knows when it says one.
    pub fn charges_rejected(&self, instance_id: &str, currency: &str, charge_ids: &[String], limit: Option<&str>, reasons: &[&str]) -> String {
        let mut req = json!({ "subscriptionId": format!("sub-{instance_id}"), "currency": currency, "chargeIds": charge_ids, "reasons": reasons });
        if let Some(l) = limit {
            req["chargeLimit"] = json!(l);
        }
        self.sign_claims(&self.claims(self.envelope(instance_id, currency, "req-rejected", req)))
    }

    /// The body of a Charge Limit Updated event.
    pub fn limit_updated(&self, instance_id: &str, currency: &str, limit: &str) -> String {
        let req = json!({ "subscriptionId": format!("sub-{instance_id}"), "currency": currency, "chargeLimit": limit });
        self.sign_claims(&self.claims(self.envelope(instance_id, currency, "req-limit", req)))
    }

    /// The body of a Get Charge Limit call.
    pub fn charge_limit(&self, instance_id: &str, currency: &str) -> String {
        let req = json!({ "subscriptionId": format!("sub-{instance_id}"), "currency": currency, "cycle": { "cycleType": "RECURRING", "cycleDuration": { "unit": "MONTH", "count": 1 } } });
        self.sign_claims(&self.claims(self.envelope(instance_id, currency, "req-charge-limit", req)))
    }
}

/// Posts a signed body to a provider (`base_url` + `path`, e.g. `/v1/charges`): (status, body).
pub async fn call(client: &reqwest::Client, base_url: &str, path: &str, token: String) -> Result<(u16, String), String> {
    let url = format!("{}{path}", base_url.trim_end_matches('/'));
    let resp = client
        .post(&url)
        .header("content-type", "text/plain")
        .body(token)
        .send()
        .await
        .map_err(|e| format!("cannot reach the provider at {url}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| format!("cannot read the provider's answer from {url}: {e}"))?;
    Ok((status, text))
}
