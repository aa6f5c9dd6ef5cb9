//! Settings: a small key/value table with validated keys. The one place that says which keys
//! exist, their defaults and what values they accept.
use rusqlite::Connection;

use crate::{store, Error, Result, SettingInfo};

/// A known setting: its key, its default, and a check of a new value (returns the value to store).
pub struct SettingDef {
    pub key: &'static str,
    pub default: Option<&'static str>,
    pub help: &'static str,
    /// The values it accepts when they are few (what the window offers to choose from).
    pub choices: &'static [&'static str],
    check: fn(&str) -> Result<String, String>,
}

fn boolean(v: &str) -> Result<String, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Ok("true".into()),
        "false" | "off" | "no" | "0" => Ok("false".into()),
        _ => Err(format!("`{v}` is not true or false")),
    }
}

fn timezone(v: &str) -> Result<String, String> {
    v.parse::<chrono_tz::Tz>()
        .map(|tz| tz.name().to_string())
        .map_err(|_| format!("`{v}` is not an IANA time zone name (for example UTC, Europe/Berlin, America/New_York)"))
}

fn metadata_key(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() || v.contains(['[', ']', ',', '"']) {
        return Err(format!("`{v}` is not a usable metadata key"));
    }
    Ok(v.to_string())
}

/// The Wix base URL: `https://`, or `http://` only to a loopback address (SPEC §6).
fn url(v: &str) -> Result<String, String> {
    let v = v.trim().trim_end_matches('/');
    pl_wix::check_base_url(v)?;
    Ok(v.to_string())
}

fn path(v: &str) -> Result<String, String> {
    if v.starts_with('/') { Ok(v.to_string()) } else { Err(format!("`{v}` must start with /")) }
}

fn positive_int(v: &str) -> Result<String, String> {
    match v.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n.to_string()),
        _ => Err(format!("`{v}` is not a whole number above 0")),
    }
}

fn date_order(v: &str) -> Result<String, String> {
    pl_import::DateOrder::parse(v).map(|d| d.as_str().to_string()).ok_or_else(|| format!("`{v}` is not day-first or month-first"))
}

/// The values of `refund_rate`.
pub const REFUND_RATES: [&str; 2] = ["event_date", "original_charge"];

fn refund_rate(v: &str) -> Result<String, String> {
    let t = v.trim().to_ascii_lowercase().replace('-', "_");
    REFUND_RATES.iter().find(|r| **r == t).map(|r| r.to_string()).ok_or_else(|| {
        format!("`{}` is not a refund rate rule; allowed values: {}", pl_import::clip(v), REFUND_RATES.join(", "))
    })
}

fn any(v: &str) -> Result<String, String> {
    Ok(v.to_string())
}

pub const SETTINGS: &[SettingDef] = &[
    SettingDef { key: "deduct_processor_fees", default: Some("true"), help: "deduct processor fees as expenses (true/false)", choices: &["true", "false"], check: boolean },
    SettingDef { key: "timezone", default: Some("UTC"), help: "reporting time zone, an IANA name", choices: &[], check: timezone },
    SettingDef { key: "instance_metadata_key", default: Some("wix_instance_id"), help: "the processor metadata key holding the Wix instance id", choices: &[], check: metadata_key },
    SettingDef {
        key: "refund_rate",
        default: Some("event_date"),
        help: "the rate of a refund or dispute: event_date (the rate in force on its own date) or original_charge (its original charge's rate, when the charge is in the ledger)",
        choices: &REFUND_RATES,
        check: refund_rate,
    },
    SettingDef { key: "date_order", default: None, help: "day/month order for files whose slash dates cannot decide it (day-first, month-first)", choices: &["day-first", "month-first"], check: date_order },
    SettingDef { key: "wix.base_url", default: Some("https://www.wixapis.com"), help: "Wix API base URL", choices: &[], check: url },
    SettingDef { key: "wix.billing_path", default: Some("/apps/v1/billing-event"), help: "path of Report External Billing Event", choices: &[], check: path },
    SettingDef { key: "wix.timeout_secs", default: Some("30"), help: "request timeout in seconds", choices: &[], check: positive_int },
    SettingDef { key: "wix.concurrency", default: Some("4"), help: "requests in flight at once during a submission", choices: &[], check: positive_int },
    SettingDef { key: "app.id", default: None, help: "the Wix app id (set with the app's name)", choices: &[], check: any },
    SettingDef { key: "app.name", default: None, help: "the app's name (set with the app id)", choices: &[], check: any },
];

pub fn def(key: &str) -> Option<&'static SettingDef> {
    SETTINGS.iter().find(|d| d.key == key)
}

pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<String>> {
    Ok(store::settings::stored(conn, key)?.or_else(|| def(key).and_then(|d| d.default.map(str::to_string))))
}

pub(crate) fn set(conn: &Connection, who: &str, key: &str, value: &str) -> Result<String> {
    let d = def(key).ok_or_else(|| {
        let known: Vec<_> = SETTINGS.iter().filter(|d| !d.key.starts_with("app.")).map(|d| d.key).collect();
        Error::Refused(format!("unknown setting `{key}`; known settings: {}", known.join(", ")))
    })?;
    let value = (d.check)(value).map_err(|why| Error::Refused(format!("setting `{key}`: {why}")))?;
    let before = get(conn, key)?;
    store::settings::put(conn, key, &value)?;
    store::audit::record(conn, who, "setting.set", &format!("setting:{key}"), before.as_ref(), Some(&value))?;
    Ok(value)
}

/// Every setting the operator sets (the app's id and name are set together, as the app), with
/// its value in force, in the order of [`SETTINGS`].
pub(crate) fn list(conn: &Connection) -> Result<Vec<SettingInfo>> {
    SETTINGS
        .iter()
        .filter(|d| !d.key.starts_with("app."))
        .map(|d| {
            let stored = store::settings::stored(conn, d.key)?;
            Ok(SettingInfo {
                key: d.key.to_string(),
                stored: stored.is_some(),
                value: stored.or_else(|| d.default.map(str::to_string)),
                default: d.default.map(str::to_string),
                help: d.help.to_string(),
                choices: d.choices.iter().map(|c| c.to_string()).collect(),
            })
        })
        .collect()
}

/// The IANA time zone names the `timezone` setting accepts, sorted.
pub fn timezones() -> Vec<String> {
    let mut names: Vec<String> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name().to_string()).collect();
    names.sort();
    names
}
