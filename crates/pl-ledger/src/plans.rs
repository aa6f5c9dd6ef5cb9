//! The operator's side of Custom Charges (SPEC §9): usage plans (a metric's unit price per
//! currency, effective-dated, instance overrides), charge limits (per instance and currency, or
//! the app's default), and the app's public key from Wix's dashboard (an RSA public key, nothing
//! else). Every change is audited.
use std::str::FromStr;

use chrono::NaiveDate;
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::charges::{Price, PriceBook};
use crate::usage::{check_amount, check_metric};
use crate::{now_rfc3339, resolve, store, ChargeLimitInfo, Error, NewPlan, PlanInfo, PlanPrice, Result};

/// The setting holding the app's public key (PEM).
pub const PUBLIC_KEY_SETTING: &str = "app.public_key";
/// A plan entry with no `--from` is in force for all usage (none is older than 2000).
pub const FROM_ALWAYS: &str = "2000-01-01";
/// The smallest RSA key accepted.
const MIN_RSA_BITS: usize = 2048;

fn currency(code: &str) -> Result<pl_money::Currency> {
    pl_money::Currency::new(code).map_err(|_| Error::Refused(format!("`{}` is not a currency code (three letters, like USD)", pl_import::clip(code.trim()))))
}

/// Parses `CUR=AMOUNT[,CUR=AMOUNT...]`.
fn parse_prices(s: &str) -> Result<Vec<(String, Decimal)>> {
    let mut out: Vec<(String, Decimal)> = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (cur, amount) = part
            .split_once('=')
            .ok_or_else(|| Error::Refused(format!("`{}` is not CUR=AMOUNT (like USD=0.02)", pl_import::clip(part))))?;
        let cur = currency(cur)?;
        let amount = check_amount(amount, "unit price").map_err(Error::Refused)?;
        if out.iter().any(|(c, _)| c == cur.as_str()) {
            return Err(Error::Refused(format!("{cur} is priced twice")));
        }
        out.push((cur.as_str().to_string(), amount));
    }
    if out.is_empty() {
        return Err(Error::Refused("no price: give at least one CUR=AMOUNT (like USD=0.02)".into()));
    }
    Ok(out)
}

fn day_arg(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| Error::Refused(format!("`{}` is not a date; write it YYYY-MM-DD", pl_import::clip(s.trim()))))
}

/// Sets (replaces) a plan entry: the metric's prices from a day, for the app or one instance.
pub(crate) fn set_plan(conn: &mut Connection, plan: &NewPlan, by: &str) -> Result<PlanInfo> {
    let metric = check_metric(&plan.metric).map_err(Error::Refused)?;
    let prices = parse_prices(&plan.prices)?;
    let from = match plan.from.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => day_arg(f)?,
        None => day_arg(FROM_ALWAYS)?,
    };
    if from < day_arg(FROM_ALWAYS)? {
        return Err(Error::Refused(format!("{from} is before 2000: usage that old is never imported")));
    }
    let instance = plan.instance.as_deref().map(str::trim).filter(|i| !i.is_empty()).map(resolve::instance_arg).transpose()?;
    let description = plan.description.as_deref().map(str::trim).filter(|d| !d.is_empty()).unwrap_or(&metric).to_string();
    if description.chars().count() > 200 || description.chars().any(char::is_control) {
        return Err(Error::Refused("the description is longer than 200 characters or holds control characters".into()));
    }
    let (added_at, from) = (now_rfc3339(), from.to_string());
    let inst = instance.clone().unwrap_or_default();
    let rows: Vec<store::plans::PriceRow> = prices
        .iter()
        .map(|(cur, p)| store::plans::PriceRow {
            metric: metric.clone(),
            instance_id: inst.clone(),
            effective_from: from.clone(),
            currency: cur.clone(),
            unit_price: p.to_string(),
            description: description.clone(),
            added_at: added_at.clone(),
            added_by: by.to_string(),
        })
        .collect();
    let tx = conn.transaction()?;
    let before = infos(store::plans::entry(&tx, &metric, &inst, &from)?).into_iter().next();
    store::plans::replace_entry(&tx, &metric, &inst, &from, &rows)?;
    let info = infos(rows).into_iter().next().ok_or_else(|| Error::Refused("no price".into()))?;
    let entity = match &instance {
        Some(i) => format!("plan:{metric}:{from}:{i}"),
        None => format!("plan:{metric}:{from}"),
    };
    store::audit::record(&tx, by, "plan.set", &entity, before.as_ref(), Some(&info))?;
    tx.commit()?;
    Ok(info)
}

/// Groups price rows (ordered by entry) into plan entries.
fn infos(rows: Vec<store::plans::PriceRow>) -> Vec<PlanInfo> {
    let mut out: Vec<PlanInfo> = Vec::new();
    for r in rows {
        let instance_id = (!r.instance_id.is_empty()).then(|| r.instance_id.clone());
        match out.last_mut().filter(|p| p.metric == r.metric && p.instance_id == instance_id && p.effective_from == r.effective_from) {
            Some(p) => p.prices.push(PlanPrice { currency: r.currency, unit_price: r.unit_price }),
            None => out.push(PlanInfo {
                metric: r.metric,
                instance_id,
                effective_from: r.effective_from,
                description: r.description,
                prices: vec![PlanPrice { currency: r.currency, unit_price: r.unit_price }],
                added_at: r.added_at,
                added_by: r.added_by,
            }),
        }
    }
    out
}

/// Every plan entry: the app's, then each instance's overrides.
pub(crate) fn list_plans(conn: &Connection) -> Result<Vec<PlanInfo>> {
    Ok(infos(store::plans::all(conn)?))
}

/// The price book of one instance (the app's plan and its overrides). A stored value that does
/// not read back (edited by hand) is an error naming it.
pub(crate) fn price_book(conn: &Connection, instance: &str) -> Result<PriceBook> {
    let mut prices = Vec::new();
    for r in store::plans::for_instance(conn, instance)? {
        let bad = || Error::Refused(format!("the plan of metric `{}` from {} holds an unreadable value; set the plan again", r.metric, r.effective_from));
        prices.push(Price {
            is_override: !r.instance_id.is_empty(),
            from: NaiveDate::parse_from_str(&r.effective_from, "%Y-%m-%d").map_err(|_| bad())?,
            unit_price: Decimal::from_str(&r.unit_price).map_err(|_| bad())?,
            metric: r.metric,
            currency: r.currency,
            description: r.description,
        });
    }
    Ok(PriceBook::new(prices))
}

/// A limit amount: > 0, at most 12 integer digits and the currency's decimals.
pub(crate) fn check_limit(amount: &str, cur: pl_money::Currency) -> Result<Decimal> {
    let d = check_amount(amount, "charge limit").map_err(Error::Refused)?;
    if d <= Decimal::ZERO {
        return Err(Error::Refused(format!("a charge limit must be above 0 (got `{}`)", pl_import::clip(amount.trim()))));
    }
    if d.scale() > cur.minor_units() {
        return Err(Error::Refused(format!("`{}` has more decimals than {cur} has minor units ({})", pl_import::clip(amount.trim()), cur.minor_units())));
    }
    Ok(d)
}

/// Sets the charge limit of an instance and currency (or the app's default); audited.
pub(crate) fn set_limit(conn: &Connection, instance: Option<&str>, cur: &str, amount: &str, by: &str) -> Result<ChargeLimitInfo> {
    let cur = currency(cur)?;
    let d = check_limit(amount, cur)?;
    let instance = instance.map(str::trim).filter(|i| !i.is_empty()).map(resolve::instance_arg).transpose()?;
    let inst = instance.clone().unwrap_or_default();
    let before = store::plans::limit(conn, &inst, cur.as_str())?.map(|(a, _, _)| a);
    let at = now_rfc3339();
    store::plans::put_limit(conn, &inst, cur.as_str(), &d.to_string(), &at, by)?;
    let entity = match &instance {
        Some(i) => format!("charge_limit:{cur}:{i}"),
        None => format!("charge_limit:{cur}"),
    };
    store::audit::record(conn, by, "charge_limit.set", &entity, before.as_ref(), Some(&d.to_string()))?;
    Ok(ChargeLimitInfo { instance_id: instance, currency: cur.to_string(), amount: d.to_string(), updated_at: at, updated_by: by.to_string() })
}

/// The limit in force for an instance and currency (its own, else the app's default).
pub(crate) fn limit_in_force(conn: &Connection, instance: &str, cur: &str) -> Result<Option<Decimal>> {
    match store::plans::limit_in_force(conn, instance, cur)? {
        Some(a) => Decimal::from_str(&a)
            .map(Some)
            .map_err(|_| Error::Refused(format!("the stored {cur} charge limit `{}` is not an amount; set it again", pl_import::clip(&a)))),
        None => Ok(None),
    }
}

pub(crate) fn list_limits(conn: &Connection) -> Result<Vec<ChargeLimitInfo>> {
    Ok(store::plans::all_limits(conn)?
        .into_iter()
        .map(|l| ChargeLimitInfo {
            instance_id: (!l.instance_id.is_empty()).then_some(l.instance_id),
            currency: l.currency,
            amount: l.amount,
            updated_at: l.updated_at,
            updated_by: l.updated_by,
        })
        .collect())
}

/// Checks that `text` is an RSA public key (PEM `PUBLIC KEY` or `RSA PUBLIC KEY`, or the bare
/// base64 of either's DER, as a dashboard may show it) of at least 2048 bits; returns the
/// canonical PEM to store and its SHA-256 fingerprint (of the DER).
pub fn check_public_key(text: &str) -> std::result::Result<(String, String), String> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;
    use sha2::Digest;
    let t = text.trim();
    if t.contains("PRIVATE KEY") {
        return Err("this is a private key: the ledger never takes one (and it should not leave where it is kept); \
                    the app's public key (PUBLIC KEY) is on Wix's app dashboard"
            .into());
    }
    if t.contains("CERTIFICATE") {
        return Err("this is a certificate, not a public key: paste the public key from Wix's app dashboard".into());
    }
    let key = if t.starts_with("-----") {
        rsa::PublicKey::from_public_key_pem(t).or_else(|_| rsa::PublicKey::from_pkcs1_pem(t))
    } else {
        // Bare base64 of the DER (line breaks and spaces allowed), as a dashboard may show it.
        let der = base64_decode(t).ok_or_else(|| "not a public key: expected the PEM block of a PUBLIC KEY from Wix's app dashboard".to_string())?;
        rsa::PublicKey::from_public_key_der(&der).or_else(|_| rsa::PublicKey::from_pkcs1_der(&der))
    }
    .map_err(|_| "not an RSA public key: Wix signs with RS256, so the app's key is an RSA PUBLIC KEY (PEM)".to_string())?;
    let bits = key.n().bit_width() as usize;
    if bits < MIN_RSA_BITS {
        return Err(format!("an RSA key of {bits} bits is too weak (at least {MIN_RSA_BITS})"));
    }
    // Stored as the canonical SubjectPublicKeyInfo PEM, whatever form it came in.
    let der = rsa::pkcs8::EncodePublicKey::to_public_key_der(&key).map_err(|e| format!("the key cannot be encoded: {e}"))?;
    let pem = rsa::pkcs8::EncodePublicKey::to_public_key_pem(&key, rsa::pkcs8::LineEnding::LF).map_err(|e| format!("the key cannot be encoded: {e}"))?;
    let fp: String = sha2::Sha256::digest(der.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    Ok((pem, fp))
}

/// Standard base64 (padding optional, whitespace ignored); none when it is not.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Stores the app's public key after [`check_public_key`]; audited by fingerprint.
pub(crate) fn set_public_key(conn: &mut Connection, text: &str, by: &str) -> Result<String> {
    let (pem, fp) = check_public_key(text).map_err(Error::Refused)?;
    let tx = conn.transaction()?;
    let before = store::settings::stored(&tx, PUBLIC_KEY_SETTING)?.and_then(|p| check_public_key(&p).ok()).map(|(_, f)| f);
    store::settings::put(&tx, PUBLIC_KEY_SETTING, &pem)?;
    store::audit::record(&tx, by, "app.key", &format!("setting:{PUBLIC_KEY_SETTING}"), before.as_ref(), Some(&fp))?;
    tx.commit()?;
    Ok(fp)
}
