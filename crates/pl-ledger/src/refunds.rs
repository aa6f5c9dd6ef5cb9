//! Manual refunds (SPEC §5): entered by the operator, stored, and turned into REFUND events.
use std::str::FromStr;

use chrono::{NaiveDate, TimeZone, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::rules::{self, Conversion, RowAmounts};
use crate::store::txns::StoredMoney;
use crate::{events, exceptions, import, resolve, store, Error, ManualRefundInfo, Result};

/// A manual refund as the operator enters it.
#[derive(Debug, Clone)]
pub struct NewManualRefund {
    pub instance: String,
    /// YYYY-MM-DD, in the reporting time zone.
    pub date: String,
    /// The refunded gross in USD, positive.
    pub amount: String,
    pub fee_returned: Option<String>,
    /// The original charge's event id (`tx-<n>`).
    pub charge: Option<String>,
    pub reason: String,
}

/// The most a manual refund's amount or returned fee may be (exclusive): 12 integer digits, as
/// for an imported amount (SPEC §5).
const MAX_AMOUNT: Decimal = Decimal::from_parts(3_567_587_328, 232, 0, false, 0); // 10^12

fn amount_arg(what: &str, s: &str) -> Result<Decimal> {
    let shown = pl_import::clip(s);
    let d = pl_money::parse_decimal(s, pl_money::NumberStyle::Point).map_err(|e| Error::Refused(format!("{what} `{shown}`: {e}")))?;
    if d.abs() >= MAX_AMOUNT {
        return Err(Error::Refused(format!("{what} `{shown}` has more than 12 integer digits: no refund is that large; check the amount")));
    }
    if d.scale() > 2 && d.round_dp(2) != d {
        return Err(Error::Refused(format!("{what} `{shown}` has more than two decimals: write it in cents at most")));
    }
    Ok(pl_money::round_cents(d))
}

/// USD gross of a charge row and what its refunds (processor and manual) already took.
fn charge_remaining(conn: &Connection, txn_id: i64) -> Result<(String, Decimal)> {
    let ctx = events::load_context(conn)?;
    // A stored value no import writes (a ledger edited by hand): refused, naming the row.
    let bad = |source_id: &str, what: &str| {
        Error::Refused(format!(
            "cannot check what remains of charge tx-{txn_id}: row {} {what}; undo its import and import a corrected file",
            pl_import::clip(source_id)
        ))
    };
    let usd_gross = |m: &StoredMoney| -> Result<Decimal> {
        let StoredMoney { currency, gross, fee, net, tax, source_id, occurred_at: at, .. } = m;
        let d = |v: &str| Decimal::from_str(v).map_err(|_| bad(source_id, &format!("has an amount that is not a decimal (`{}`)", pl_import::clip(v))));
        let a = RowAmounts { gross: d(gross)?, fee: d(fee)?, net: d(net)?, tax: d(tax)? };
        let date = chrono::DateTime::parse_from_rfc3339(at).map(|d| d.date_naive()).map_err(|_| bad(source_id, "has a date that is not RFC 3339"))?;
        let conversion = if currency == "USD" {
            Conversion::Usd
        } else {
            // Summed in Rust: SQLite's sum() would go through a float.
            let credits = store::txns::usd_conversions_of(conn, source_id)?;
            let mut linked: Option<Decimal> = None;
            for c in &credits {
                let c = Decimal::from_str(c).map_err(|_| bad(source_id, "has a currency conversion that is not a decimal"))?;
                linked = Some(linked.unwrap_or_default().checked_add(c).ok_or_else(|| bad(source_id, rules::IMPOSSIBLE_AMOUNT))?);
            }
            match linked {
                Some(net_usd) => Conversion::Linked { net_usd },
                None => Conversion::Table {
                    usd_per_unit: ctx.fx.rate(currency, date).ok_or_else(|| {
                        Error::Refused(format!("no {currency} FX rate for {date}: cannot check what remains of the charge"))
                    })?,
                },
            }
        };
        Ok(rules::to_usd(&a, conversion).ok_or_else(|| bad(source_id, rules::IMPOSSIBLE_AMOUNT))?.gross.abs())
    };
    let Some(charge) = store::txns::live_money(conn, txn_id)? else {
        return Err(Error::NotFound(format!("charge event tx-{txn_id}")));
    };
    if charge.kind != "charge" {
        return Err(Error::Refused(format!("event tx-{txn_id} is a {}, not a charge", charge.kind)));
    }
    let total = usd_gross(&charge)?;
    let mut taken = Decimal::ZERO;
    if let Some(cref) = &charge.charge_ref {
        for f in store::txns::live_refunds_of(conn, cref, import::key_hash(cref))? {
            let usd = usd_gross(&f)?;
            taken = taken.checked_add(usd).ok_or_else(|| bad(&f.source_id, rules::IMPOSSIBLE_AMOUNT))?;
        }
    }
    for m in store::refunds::live_amounts_of_charge(conn, &format!("tx-{txn_id}"))? {
        let amount = Decimal::from_str(&m).ok().filter(|a| rules::in_bounds(*a));
        taken = amount.and_then(|a| taken.checked_add(a)).ok_or_else(|| bad("of a manual refund", &format!("has an impossible amount (`{}`)", pl_import::clip(&m))))?;
    }
    let instance = store::txns::instance_of(conn, txn_id)?;
    // Both sums are of values below 10^15 (`to_usd`'s bounds): the difference cannot overflow.
    Ok((instance.unwrap_or_default(), total - taken))
}

pub(crate) fn add(conn: &mut Connection, r: &NewManualRefund, by: &str) -> Result<ManualRefundInfo> {
    let instance = resolve::instance_arg(&r.instance)?;
    let tz = exceptions::reporting_tz(conn)?;
    let date = NaiveDate::parse_from_str(r.date.trim(), "%Y-%m-%d")
        .map_err(|_| Error::Refused(format!("`{}` is not a date; write it YYYY-MM-DD", r.date)))?;
    let today = Utc::now().with_timezone(&tz).date_naive();
    if date > today {
        return Err(Error::Refused(format!("date {date} is in the future (today is {today} in {tz}): a refund is entered once it happened")));
    }
    let amount = amount_arg("amount", &r.amount)?;
    if amount <= Decimal::ZERO {
        return Err(Error::Refused(format!(
            "amount `{}`: a refund amount must be above 0 (the refunded gross in USD, without a sign)",
            pl_import::clip(&r.amount)
        )));
    }
    let fee = match &r.fee_returned {
        Some(f) => amount_arg("returned fee", f)?,
        None => Decimal::ZERO,
    };
    if fee < Decimal::ZERO {
        return Err(Error::Refused(format!("returned fee {}: it cannot be negative (0 when no fee came back)", pl_money::fmt2(fee))));
    }
    if fee > amount {
        return Err(Error::Refused(format!(
            "returned fee {}: it cannot be more than the refund amount {} (a processor returns at most part of what it refunds)",
            pl_money::fmt2(fee),
            pl_money::fmt2(amount)
        )));
    }
    let reason = r.reason.trim();
    if reason.is_empty() {
        return Err(Error::Refused("a manual refund needs a reason".into()));
    }
    let charge = match &r.charge {
        None => None,
        Some(c) => {
            let id: i64 = c
                .trim()
                .strip_prefix("tx-")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| Error::Refused(format!("`{c}` is not a charge event id (tx-<n>, as the month's event lines show it)")))?;
            let (charge_instance, remaining) = charge_remaining(conn, id)?;
            if charge_instance != instance {
                return Err(Error::Refused(format!("charge {c} belongs to instance {charge_instance}, not {instance}")));
            }
            if amount > remaining {
                return Err(Error::Refused(format!(
                    "amount {}: it is more than what remains refundable of charge {c} ({})",
                    pl_money::fmt2(amount),
                    pl_money::fmt2(remaining)
                )));
            }
            Some(format!("tx-{id}"))
        }
    };
    // The refund's instant: midnight of its date in the reporting time zone.
    let midnight = tz
        .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
        .earliest()
        .unwrap_or_else(|| tz.from_utc_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight")))
        .with_timezone(&Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let tx = conn.transaction()?;
    let row = store::refunds::NewRow {
        instance_id: &instance,
        refund_date: &date.to_string(),
        created_date: &midnight,
        amount: &amount.to_string(),
        fee_returned: &fee.to_string(),
        charge_event: charge.as_deref(),
        reason,
    };
    let id = store::refunds::insert(&tx, &row, by)?;
    let info = ManualRefundInfo {
        id: format!("mr-{id}"),
        instance_id: instance,
        date: date.to_string(),
        amount: pl_money::fmt2(amount),
        fee_returned: pl_money::fmt2(fee),
        charge,
        reason: reason.to_string(),
    };
    store::audit::record(&tx, by, "manual_refund.add", &format!("manual_refund:mr-{id}"), None::<&()>, Some(&info))?;
    tx.commit()?;
    Ok(info)
}

/// Deletes a manual refund, only while its month is open (it is not frozen in an approval).
pub(crate) fn delete(conn: &mut Connection, id: &str, by: &str) -> Result<()> {
    let n: i64 = id
        .trim()
        .strip_prefix("mr-")
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| Error::Refused(format!("`{id}` is not a manual refund id (mr-<n>)")))?;
    let tx = conn.transaction()?;
    let Some(store::refunds::Stored { instance_id: instance, refund_date: date, amount, deleted_at: deleted }) = store::refunds::get(&tx, n)? else {
        return Err(Error::NotFound(format!("manual refund {id}")));
    };
    if deleted.is_some() {
        return Err(Error::Refused(format!("manual refund {id} was already deleted")));
    }
    if let Some(m) = store::events::month_of_manual(&tx, n)? {
        return Err(Error::Refused(format!("manual refund {id} is part of approved month {m}; reopen {m} first")));
    }
    store::refunds::mark_deleted(&tx, n, by)?;
    store::audit::record(
        &tx,
        by,
        "manual_refund.delete",
        &format!("manual_refund:{id}"),
        Some(&serde_json::json!({ "instance_id": instance, "date": date, "amount": amount })),
        None::<&()>,
    )?;
    tx.commit()?;
    Ok(())
}
