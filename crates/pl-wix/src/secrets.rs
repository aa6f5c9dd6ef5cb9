use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Keyring service name under which Partner Ledger stores its Wix secrets.
pub const KEYRING_SERVICE: &str = "partner-ledger";

/// A secret string (app secret, API key, access token). Debug and Display print `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself: only for putting it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

/// Credentials for the two Wix auth flows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// OAuth client secret of the app (flow 1).
    pub app_secret: Option<Secret>,
    /// Account-level API key (flow 2).
    pub api_key: Option<Secret>,
    /// The Wix account id that owns the app (flow 2, header `wix-account-id`).
    pub account_id: Option<String>,
}

/// Storing a secret in the OS keyring failed (the message never holds the secret).
#[derive(Debug, thiserror::Error)]
#[error(
    "could not store {what} in the OS keyring: {reason}. On a machine without a keyring service \
     (a server, CI), set {} in the environment of Partner Ledger instead",
    CredentialKind::parse(what).map(CredentialKind::env_var).unwrap_or("WIX_APP_SECRET")
)]
pub struct KeyringError {
    /// Which secret ("app-secret", "api-key", "account-id").
    pub what: &'static str,
    /// The keyring's reason.
    pub reason: String,
}

const APP_SECRET: &str = "app-secret";
const API_KEY: &str = "api-key";
const ACCOUNT_ID: &str = "account-id";

/// Environment variable that turns the OS keyring off (`off`): secrets then come from the
/// environment only, and storing one is refused. For servers and CI without a keyring service.
pub const KEYRING_ENV: &str = "PARTNER_LEDGER_KEYRING";

/// False when `PARTNER_LEDGER_KEYRING=off` (or `none`, `0`, `false`).
pub fn keyring_enabled() -> bool {
    !std::env::var(KEYRING_ENV)
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "off" | "none" | "0" | "false"))
}

/// One of the three stored credentials, as `partner-ledger credentials` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// The app's OAuth client secret (`WIX_APP_SECRET`).
    AppSecret,
    /// An account-level API key (`WIX_API_KEY`).
    ApiKey,
    /// The Wix account id that goes with the API key (`WIX_ACCOUNT_ID`).
    AccountId,
}

impl CredentialKind {
    /// The three, in the order `credentials show` lists them.
    pub const ALL: [CredentialKind; 3] = [CredentialKind::AppSecret, CredentialKind::ApiKey, CredentialKind::AccountId];

    /// `app-secret`, `api-key`, `account-id`: the CLI's name and the keyring user's prefix.
    pub fn name(self) -> &'static str {
        match self {
            CredentialKind::AppSecret => APP_SECRET,
            CredentialKind::ApiKey => API_KEY,
            CredentialKind::AccountId => ACCOUNT_ID,
        }
    }

    /// The environment variable that overrides the keyring.
    pub fn env_var(self) -> &'static str {
        match self {
            CredentialKind::AppSecret => "WIX_APP_SECRET",
            CredentialKind::ApiKey => "WIX_API_KEY",
            CredentialKind::AccountId => "WIX_ACCOUNT_ID",
        }
    }

    /// From its name (`app-secret`, ...).
    pub fn parse(name: &str) -> Option<CredentialKind> {
        Self::ALL.into_iter().find(|k| k.name() == name.trim())
    }
}

/// Where a credential comes from, for `credentials show` (values masked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialStatus {
    pub kind: CredentialKind,
    /// `env` (wins), `keyring`, or `None` when not set.
    pub source: Option<&'static str>,
    /// The value in use, masked: `…4f2a` for a value of 16 characters or more, else `***`.
    pub masked: Option<String>,
    /// Also stored in the keyring (unused while the environment variable is set).
    pub in_keyring: bool,
}

/// A value masked for display: its last four characters when it is long enough that they do
/// not give much of it away (16+ characters), else nothing of it.
pub fn mask(value: &str) -> String {
    let n = value.chars().count();
    if n >= 16 {
        let tail: String = value.chars().skip(n - 4).collect();
        format!("…{tail}")
    } else {
        "***".to_string()
    }
}

/// Each credential's source and masked value for `app_id`: env first, then the OS keyring.
pub fn credential_status(app_id: &str) -> Vec<CredentialStatus> {
    CredentialKind::ALL
        .into_iter()
        .map(|kind| {
            let env = non_empty(std::env::var(kind.env_var()).ok());
            let stored = keyring_get(kind.name(), app_id);
            let (source, value) = match (&env, &stored) {
                (Some(v), _) => (Some("env"), Some(v)),
                (None, Some(v)) => (Some("keyring"), Some(v)),
                (None, None) => (None, None),
            };
            CredentialStatus { kind, source, masked: value.map(|v| mask(v)), in_keyring: stored.is_some() }
        })
        .collect()
}

/// Stores one credential in the OS keyring for `app_id` (value trimmed; empty refused).
pub fn store_credential(kind: CredentialKind, app_id: &str, value: &str) -> Result<(), KeyringError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(KeyringError { what: kind.name(), reason: "the value is empty".into() });
    }
    keyring_set(kind.name(), app_id, value)
}

/// Removes one credential from the OS keyring for `app_id` (absent is fine).
pub fn delete_credential(kind: CredentialKind, app_id: &str) -> Result<(), KeyringError> {
    if !keyring_enabled() {
        return Ok(());
    }
    let user = user(kind.name(), app_id);
    let res = catch_unwind(AssertUnwindSafe(|| keyring::Entry::new(KEYRING_SERVICE, &user).and_then(|e| e.delete_credential())));
    match res {
        Ok(Ok(())) | Ok(Err(keyring::Error::NoEntry)) => Ok(()),
        Ok(Err(e)) => Err(KeyringError { what: kind.name(), reason: e.to_string() }),
        Err(_) => Err(KeyringError { what: kind.name(), reason: "the keyring backend panicked".into() }),
    }
}

fn user(kind: &str, app_id: &str) -> String {
    format!("{kind}:{app_id}")
}

/// Reads one keyring entry; any failure (no keyring, no D-Bus, no entry, even a panic) is "none".
fn keyring_get(kind: &str, app_id: &str) -> Option<String> {
    if !keyring_enabled() {
        return None;
    }
    let user = user(kind, app_id);
    let got = catch_unwind(AssertUnwindSafe(|| {
        keyring::Entry::new(KEYRING_SERVICE, &user).and_then(|e| e.get_password())
    }));
    match got {
        Ok(Ok(v)) if !v.is_empty() => Some(v),
        Ok(Ok(_)) => None,
        Ok(Err(e)) => {
            tracing::debug!(entry = %user, error = %e, "no secret from the OS keyring");
            None
        }
        Err(_) => {
            tracing::debug!(entry = %user, "the OS keyring panicked; treated as no secret");
            None
        }
    }
}

fn keyring_set(kind: &'static str, app_id: &str, value: &str) -> Result<(), KeyringError> {
    if !keyring_enabled() {
        return Err(KeyringError { what: kind, reason: format!("the OS keyring is turned off ({KEYRING_ENV}=off)") });
    }
    let user = user(kind, app_id);
    let res = catch_unwind(AssertUnwindSafe(|| {
        keyring::Entry::new(KEYRING_SERVICE, &user).and_then(|e| e.set_password(value))
    }));
    match res {
        Ok(Ok(())) => Ok(()),
        // What the Linux kernel keyring answers when the process has no login session keyring.
        Ok(Err(keyring::Error::NoEntry)) => {
            Err(KeyringError { what: kind, reason: "no OS keyring is available to this process (no login session keyring)".into() })
        }
        Ok(Err(e)) => Err(KeyringError { what: kind, reason: e.to_string() }),
        Err(_) => Err(KeyringError { what: kind, reason: "the keyring backend panicked".into() }),
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl Secrets {
    /// From env `WIX_APP_SECRET`, `WIX_API_KEY`, `WIX_ACCOUNT_ID` (empty values count as unset).
    pub fn from_env() -> Self {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Like [`Secrets::from_env`] with a custom variable lookup (tests, config files).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        Secrets {
            app_secret: non_empty(lookup("WIX_APP_SECRET")).map(Secret),
            api_key: non_empty(lookup("WIX_API_KEY")).map(Secret),
            account_id: non_empty(lookup("WIX_ACCOUNT_ID")),
        }
    }

    /// Env first, then the OS keyring (service `partner-ledger`, users `app-secret:<app_id>`,
    /// `api-key:<app_id>`, `account-id:<app_id>`). A missing or unusable keyring means "no secret".
    /// Precedence per value: an environment variable wins over the keyring, so a script or CI
    /// run can override what an operator stored.
    pub fn load(app_id: &str) -> Self {
        let env = Self::from_env();
        Secrets {
            app_secret: env
                .app_secret
                .or_else(|| keyring_get(APP_SECRET, app_id).map(Secret)),
            api_key: env.api_key.or_else(|| keyring_get(API_KEY, app_id).map(Secret)),
            account_id: env.account_id.or_else(|| keyring_get(ACCOUNT_ID, app_id)),
        }
    }

    /// Writes the secrets that are set into the OS keyring for `app_id`.
    pub fn store_in_keyring(&self, app_id: &str) -> Result<(), KeyringError> {
        if let Some(s) = &self.app_secret {
            keyring_set(APP_SECRET, app_id, s.expose())?;
        }
        if let Some(s) = &self.api_key {
            keyring_set(API_KEY, app_id, s.expose())?;
        }
        if let Some(s) = &self.account_id {
            keyring_set(ACCOUNT_ID, app_id, s)?;
        }
        Ok(())
    }

    /// True when at least one auth flow is usable.
    pub fn any(&self) -> bool {
        self.app_secret.is_some() || self.api_key_flow().is_some()
    }

    pub(crate) fn api_key_flow(&self) -> Option<(&Secret, &str)> {
        match (&self.api_key, &self.account_id) {
            (Some(k), Some(a)) => Some((k, a.as_str())),
            _ => None,
        }
    }

    /// Secret strings to scrub from anything stored or printed.
    pub(crate) fn secret_values(&self) -> Vec<String> {
        [&self.app_secret, &self.api_key]
            .into_iter()
            .flatten()
            .map(|s| s.expose().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secrets {
            app_secret: Some(Secret::new("hunter2-app")),
            api_key: Some(Secret::new("hunter2-key")),
            account_id: Some("acct".into()),
        };
        let dbg = format!("{s:?} {} {:?}", s.app_secret.as_ref().unwrap(), s.api_key);
        assert!(!dbg.contains("hunter2"), "{dbg}");
        assert!(dbg.contains("***"));
    }

    #[test]
    fn lookup_ignores_empty_values() {
        let s = Secrets::from_lookup(|k| match k {
            "WIX_APP_SECRET" => Some("  ".into()),
            "WIX_API_KEY" => Some("key".into()),
            "WIX_ACCOUNT_ID" => Some("acct".into()),
            _ => None,
        });
        assert!(s.app_secret.is_none());
        assert_eq!(s.api_key.as_ref().unwrap().expose(), "key");
        assert_eq!(s.account_id.as_deref(), Some("acct"));
    }

    #[test]
    fn keyring_round_trip_when_a_keyring_exists() {
        let app = format!("pl-wix-test-{}", std::process::id());
        let s = Secrets {
            app_secret: Some(Secret::new("kr-app-secret")),
            api_key: Some(Secret::new("kr-api-key")),
            account_id: Some("kr-acct".into()),
        };
        if s.store_in_keyring(&app).is_err() {
            return; // no usable keyring here (headless CI): nothing more to check
        }
        let env_set = ["WIX_APP_SECRET", "WIX_API_KEY", "WIX_ACCOUNT_ID"]
            .iter()
            .any(|k| std::env::var(k).is_ok_and(|v| !v.trim().is_empty()));
        if !env_set {
            assert_eq!(Secrets::load(&app), s);
        }
        for kind in [APP_SECRET, API_KEY, ACCOUNT_ID] {
            if let Ok(e) = keyring::Entry::new(KEYRING_SERVICE, &user(kind, &app)) {
                let _ = e.delete_credential();
            }
        }
        assert_eq!(keyring_get(APP_SECRET, &app), None);
    }

    #[test]
    fn masks_show_little() {
        assert_eq!(mask("short-secret"), "***");
        assert_eq!(mask("0123456789abcdef4f2a"), "…4f2a");
        assert_eq!(mask("éééééééééééééé😀"), "***");
        assert_eq!(mask("éééééééééééééééé😀"), "…ééé😀");
        assert_eq!(CredentialKind::parse(" api-key "), Some(CredentialKind::ApiKey));
        assert_eq!(CredentialKind::parse("password"), None);
    }

    #[test]
    fn keyring_absence_is_no_secret() {
        // In CI there is usually no usable keyring: this must neither fail nor panic.
        let got = keyring_get(APP_SECRET, "00000000-no-such-app-for-tests");
        assert!(got.is_none());
    }
}
