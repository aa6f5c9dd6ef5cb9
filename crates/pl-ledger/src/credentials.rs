//! Wix credentials as the window manages them (SPEC §6): which are set (never their values),
//! storing and removing one in the OS keyring for the ledger's app (audited, the value never
//! in the ledger), and a connection test against the configured base URL.
//!
//! The values live only in the OS keyring (or the environment, which wins over it): see
//! `pl_wix::Secrets`. The audit log records that a credential was stored or removed, not what.
use std::time::Duration;

use pl_wix::{Client, CredentialKind, Secrets};
use rusqlite::Connection;

use crate::{outbox, resolve, settings, store, ConnectionCheck, ConnectionTest, CredentialInfo, CredentialsInfo, Error, Result};

/// The longest credential value accepted (as from the command line).
pub const MAX_CREDENTIAL_BYTES: usize = 64 * 1024;

/// The longest a connection test waits for Wix (at most the `wix.timeout_secs` setting).
pub const TEST_TIMEOUT: Duration = Duration::from_secs(15);

fn kind(name: &str) -> Result<CredentialKind> {
    CredentialKind::parse(name).ok_or_else(|| {
        Error::Refused(format!("`{}` is not a Wix credential: app-secret, api-key or account-id", pl_import::clip(name.trim())))
    })
}

/// The app id credentials are kept under; refused while none is set.
fn app_id(conn: &Connection) -> Result<String> {
    settings::get(conn, "app.id")?
        .ok_or_else(|| Error::Refused("no Wix app id yet: credentials are kept per app, so set the app id and name first".into()))
}

/// Which credentials are set for the ledger's app, and from where (never their values).
pub(crate) fn status(conn: &Connection) -> Result<CredentialsInfo> {
    let app_id = settings::get(conn, "app.id")?;
    // Without an app id no keyring entry can be named: only the environment counts.
    let credentials = pl_wix::credential_status(app_id.as_deref().unwrap_or(""))
        .into_iter()
        .map(|c| CredentialInfo {
            name: c.kind.name().to_string(),
            set: c.source.is_some(),
            source: c.source.map(str::to_string),
            env_var: c.kind.env_var().to_string(),
            in_keyring: c.in_keyring,
        })
        .collect();
    Ok(CredentialsInfo { app_id, keyring: pl_wix::keyring_enabled(), credentials })
}

/// Stores credential `name` (`app-secret`, `api-key`, `account-id`) in the OS keyring for the
/// ledger's app; audited without its value. The value is trimmed; an empty one, one longer
/// than [`MAX_CREDENTIAL_BYTES`] or one holding a control character (a line break cannot be in
/// an HTTP header) is refused.
pub(crate) fn store(conn: &mut Connection, name: &str, value: &str, by: &str) -> Result<CredentialsInfo> {
    let kind = kind(name)?;
    let app_id = app_id(conn)?;
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::Refused(format!("the {} is empty", kind.name())));
    }
    if value.len() > MAX_CREDENTIAL_BYTES {
        return Err(Error::Refused(format!("the {} is longer than {MAX_CREDENTIAL_BYTES} bytes: not a credential", kind.name())));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::Refused(format!("the {} holds a line break or another control character: paste it again", kind.name())));
    }
    pl_wix::store_credential(kind, &app_id, value).map_err(|e| Error::Refused(e.to_string()))?;
    let tx = conn.transaction()?;
    store::audit::record(&tx, by, "credentials.set", &format!("credential:{}", kind.name()), None::<&()>, Some(&"stored in the OS keyring"))?;
    tx.commit()?;
    status(conn)
}

/// Removes credential `name` from the OS keyring for the ledger's app (absent is fine); audited.
pub(crate) fn remove(conn: &mut Connection, name: &str, by: &str) -> Result<CredentialsInfo> {
    let kind = kind(name)?;
    let app_id = app_id(conn)?;
    pl_wix::delete_credential(kind, &app_id).map_err(|e| Error::Refused(e.to_string()))?;
    let tx = conn.transaction()?;
    store::audit::record(&tx, by, "credentials.remove", &format!("credential:{}", kind.name()), Some(&"stored in the OS keyring"), None::<&()>)?;
    tx.commit()?;
    status(conn)
}

/// What a connection test will ask Wix, prepared from the ledger (settings, credentials, an
/// instance) so that the test itself runs without it.
pub struct ConnectionTarget {
    client: Client,
    /// The instance to ask an access token for (OAuth); none known.
    instance: Option<String>,
    /// One half of the API-key flow is set without the other.
    api_key_incomplete: Option<&'static str>,
}

/// Prepares a connection test: the client from the settings (base URL, app id) and the
/// credentials in the environment or the keyring, and the instance the OAuth check asks a token
/// for: `instance` when given, else the newest instance in the ledger.
pub(crate) fn connection_target(conn: &Connection, instance: Option<&str>) -> Result<ConnectionTarget> {
    app_id(conn)?;
    let cfg = outbox::wix_config(conn)?;
    let timeout = cfg.timeout.min(TEST_TIMEOUT);
    let cfg = cfg.with_timeout(timeout);
    let secrets = Secrets::load(&cfg.app_id);
    let api_key_incomplete = match (&secrets.api_key, &secrets.account_id) {
        (Some(_), None) => Some("the API key is set but the account id is not: save the account id too"),
        (None, Some(_)) => Some("the account id is set but the API key is not: save the API key too"),
        _ => None,
    };
    if !secrets.any() {
        let why = api_key_incomplete.unwrap_or("no Wix credentials are set: save the app secret, or an API key with the account id");
        return Err(Error::Refused(format!("{why}, then test again")));
    }
    let instance = match instance.map(str::trim).filter(|i| !i.is_empty()) {
        Some(i) => Some(resolve::instance_arg(i)?),
        None => store::txns::latest_instance(conn)?,
    };
    let client = Client::new(cfg, secrets).map_err(|f| Error::Refused(f.message))?;
    Ok(ConnectionTarget { client, instance, api_key_incomplete })
}

impl ConnectionTarget {
    /// Runs one check per configured way of signing in: the app secret (an access token for the
    /// instance) and the API key (a read-only account call). Failures are part of the answer.
    pub async fn run(self) -> ConnectionTest {
        let mut checks = Vec::new();
        if self.client.has_app_secret() {
            let outcome = match &self.instance {
                Some(i) => self.client.check_app_secret(i).await,
                None => Err("no instance to ask an access token for: import a file whose rows name their instance, or type an instance id".into()),
            };
            checks.push(check("oauth", outcome));
        }
        if self.client.has_api_key() {
            checks.push(check("api_key", self.client.check_api_key().await));
        } else if let Some(why) = self.api_key_incomplete {
            checks.push(check("api_key", Err(why.to_string())));
        }
        ConnectionTest { base_url: self.client.config().base_url.clone(), ok: !checks.is_empty() && checks.iter().all(|c| c.ok), checks }
    }
}

fn check(flow: &str, outcome: std::result::Result<String, String>) -> ConnectionCheck {
    match outcome {
        Ok(message) => ConnectionCheck { flow: flow.into(), ok: true, message },
        Err(message) => ConnectionCheck { flow: flow.into(), ok: false, message },
    }
}
