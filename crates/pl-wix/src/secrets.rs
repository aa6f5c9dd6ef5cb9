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
#[error("could not store {what} in the OS keyring: {reason}")]
pub struct KeyringError {
    /// Which secret ("app-secret", "api-key", "account-id").
    pub what: &'static str,
    /// The keyring's reason.
    pub reason: String,
}

const APP_SECRET: &str = "app-secret";
const API_KEY: &str = "api-key";
const ACCOUNT_ID: &str = "account-id";

fn user(kind: &str, app_id: &str) -> String {
    format!("{kind}:{app_id}")
}

/// Reads one keyring entry; any failure (no keyring, no D-Bus, no entry, even a panic) is "none".
fn keyring_get(kind: &str, app_id: &str) -> Option<String> {
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
    let user = user(kind, app_id);
    let res = catch_unwind(AssertUnwindSafe(|| {
        keyring::Entry::new(KEYRING_SERVICE, &user).and_then(|e| e.set_password(value))
    }));
    match res {
        Ok(Ok(())) => Ok(()),
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
    fn keyring_absence_is_no_secret() {
        // In CI there is usually no usable keyring: this must neither fail nor panic.
        let got = keyring_get(APP_SECRET, "00000000-no-such-app-for-tests");
        assert!(got.is_none());
    }
}
