//! Verifying Wix's calls: the HTTP body is a compact JWT signed RS256 with the app's key
//! (FACTS.md, "Custom Charges"). Checked here: the algorithm is RS256 and nothing else (pinned
//! in `Validation::new(Algorithm::RS256)`, so `none`, HS256 with the public key as a secret and
//! every other algorithm are refused), the signature with the app's public key, `aud` = the app
//! id, `iss` = `wix.com`, `exp` in the future (no leeway), `iat` present and at most 60 s ahead.
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

/// How far ahead of our clock a token's `iat` may be.
pub const IAT_SKEW_SECS: i64 = 60;
/// Wix's issuer.
pub const ISSUER: &str = "wix.com";

/// Why a body was refused: `NotAJwt` is 400, everything else 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The body is not a compact JWT at all (JSON, binary, spaces...).
    NotAJwt(String),
    /// A token that does not verify (or no token: an empty body).
    Unauthorized(String),
}

impl Refusal {
    pub fn message(&self) -> &str {
        match self {
            Refusal::NotAJwt(m) | Refusal::Unauthorized(m) => m,
        }
    }
}

/// A verified call: the payload's `data` (the envelope `{request, metadata}`) and its times.
#[derive(Debug, Clone)]
pub struct Verified {
    pub data: Value,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Deserialize)]
struct Claims {
    #[serde(default)]
    data: Value,
    iat: Option<i64>,
    exp: i64,
}

/// The app's verification key and audience.
pub struct Verifier {
    app_id: String,
    pem: String,
    key: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").field("app_id", &self.app_id).finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier for the app id and its public key (PEM).
    pub fn new(app_id: &str, pem: &str) -> Result<Verifier, String> {
        let key = DecodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| format!("the app's public key cannot be read: {e}"))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_audience(&[app_id]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "aud", "iss"]);
        validation.leeway = 0;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        Ok(Verifier { app_id: app_id.to_string(), pem: pem.to_string(), key, validation })
    }

    /// Whether this verifier is for this app id and key.
    pub fn is_for(&self, app_id: &str, pem: &str) -> bool {
        self.app_id == app_id && self.pem == pem
    }

    /// Verifies a body at `now` (Unix seconds).
    pub fn verify(&self, body: &[u8], now: i64) -> Result<Verified, Refusal> {
        let token = shape(body)?;
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(|e| {
            // Say which algorithm a refused token claims when it is not RS256 (`none`, HS256...).
            match claimed_alg(token) {
                Some(alg) if alg != "RS256" => Refusal::Unauthorized(format!("the token is signed `{}`, not RS256 (the only algorithm accepted)", alg.chars().take(20).collect::<String>())),
                _ => Refusal::Unauthorized(why(e.kind())),
            }
        })?;
        let claims = data.claims;
        let iat = claims.iat.ok_or_else(|| Refusal::Unauthorized("the token has no `iat` (issued-at) claim".into()))?;
        if iat > now.saturating_add(IAT_SKEW_SECS) {
            return Err(Refusal::Unauthorized(format!("the token was issued {} s in the future (`iat` at most {IAT_SKEW_SECS} s ahead)", iat - now)));
        }
        // Wix's `data` is the envelope; some Wix tokens carry it as a JSON string.
        let data = match claims.data {
            Value::String(s) => serde_json::from_str(&s).map_err(|_| Refusal::Unauthorized("the token's `data` is not JSON".into()))?,
            Value::Object(o) => Value::Object(o),
            _ => return Err(Refusal::Unauthorized("the token carries no `data` object".into())),
        };
        Ok(Verified { data, iat, exp: claims.exp })
    }
}

/// The token in a body: an empty body has none (401); a body with anything but the compact
/// JWT alphabet (base64url and dots) is not a JWT (400).
fn shape(body: &[u8]) -> Result<&str, Refusal> {
    let t = body.trim_ascii();
    if t.is_empty() {
        return Err(Refusal::Unauthorized("no token: the body is empty (Wix's body is the signed JWT)".into()));
    }
    if !t.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
        return Err(Refusal::NotAJwt("the body is not a JWT (Wix's body is the compact signed token itself)".into()));
    }
    // Only ASCII checked above.
    std::str::from_utf8(t).map_err(|_| Refusal::NotAJwt("the body is not a JWT".into()))
}

/// The `alg` a token's header claims, when its header reads (only to word a refusal).
fn claimed_alg(token: &str) -> Option<String> {
    use base64::Engine;
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v["alg"].as_str().map(str::to_string)
}

/// What the operator reads in the log for a refused token (never the token itself).
fn why(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::InvalidSignature => "the signature does not verify with the app's public key".into(),
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => "the token is not signed RS256 (the only algorithm accepted)".into(),
        ErrorKind::ExpiredSignature => "the token has expired (`exp` is past)".into(),
        ErrorKind::InvalidAudience => "the token's `aud` is not this app's id".into(),
        ErrorKind::InvalidIssuer => "the token's `iss` is not wix.com".into(),
        ErrorKind::ImmatureSignature => "the token is not valid yet (`nbf` is ahead)".into(),
        ErrorKind::MissingRequiredClaim(c) => format!("the token has no `{c}` claim"),
        ErrorKind::InvalidClaimFormat(c) => format!("the token's `{c}` claim is malformed"),
        ErrorKind::InvalidToken => "the token is malformed (not three base64url parts)".into(),
        ErrorKind::Base64(_) => "the token is not valid base64url".into(),
        ErrorKind::Json(_) | ErrorKind::Utf8(_) => "the token's header or claims are not valid JSON".into(),
        other => format!("the token does not verify ({other:?})"),
    }
}
