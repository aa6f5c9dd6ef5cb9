//! Manual refunds (SPEC §5): entered by the operator, stored, and turned into REFUND events.
use std::str::FromStr;

use chrono::{NaiveDate, TimeZone, Utc};
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::rules::{self, Conversion, RowAmounts};
use crate::store::txns::StoredMoney;
use crate::{events, exceptions, import, resolve, store, Error, FieldProblem, ManualRefundInfo, RefundField, RefundOutcome, Result};

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

/// A manual refund whose every field the engine accepted.
struct Valid {
    instance: String,
    date: NaiveDate,
    amount: Decimal,
    fee: Decimal,
    charge: Option<String>,
    reason: String,
}

/// Checks every field of a manual refund (SPEC §5), as far as each can be checked: the problems
/// field by field, in the form's order (the first is what [`add`] refuses with), or the refund
/// ready to store. A problem of the ledger itself (unreadable) is an error.
fn validate(conn: &Connection, r: &NewManualRefund) -> Result<std::result::Result<Valid, Vec<FieldProblem>>> {
    let mut problems = Vec::new();
    let mut problem = |field: RefundField, e: Error| -> Result<()> {
        match e {
            Error::Refused(message) | Error::NotFound(message) => {
                problems.push(FieldProblem { field, message });
                Ok(())
            }
            other => Err(other),
        }
    };
    let instance = match resolve::instance_arg(&r.instance) {
        Ok(i) => Some(i),
        Err(e) => {
            problem(RefundField::Instance, e)?;
            None
        }
    };
    let tz = exceptions::reporting_tz(conn)?;
    let date = match NaiveDate::parse_from_str(r.date.trim(), "%Y-%m-%d") {
        Err(_) => {
            problem(RefundField::Date, Error::Refused(format!("`{}` is not a date; write it YYYY-MM-DD", pl_import::clip(&r.date))))?;
            None
        }
        Ok(date) => {
            let today = Utc::now().with_timezone(&tz).date_naive();
            if date > today {
                problem(
                    RefundField::Date,
                    Error::Refused(format!("date {date} is in the future (today is {today} in {tz}): a refund is entered once it happened")),
                )?;
                None
            } else {
                Some(date)
            }
        }
    };
    let amount = match amount_arg("amount", &r.amount) {
        Err(e) => {
            problem(RefundField::Amount, e)?;
            None
        }
        Ok(a) if a <= Decimal::ZERO => {
            problem(
                RefundField::Amount,
                Error::Refused(format!(
                    "amount `{}`: a refund amount must be above 0 (the refunded gross in USD, without a sign)",
                    pl_import::clip(&r.amount)
                )),
            )?;
            None
        }
        Ok(a) => Some(a),
    };
    let fee = match r.fee_returned.as_deref().filter(|f| !f.trim().is_empty()) {
        None => Some(Decimal::ZERO),
        Some(f) => match amount_arg("returned fee", f) {
            Err(e) => {
                problem(RefundField::FeeReturned, e)?;
                None
            }
            Ok(fee) if fee < Decimal::ZERO => {
                problem(
                    RefundField::FeeReturned,
                    Error::Refused(format!("returned fee {}: it cannot be negative (0 when no fee came back)", pl_money::fmt2(fee))),
                )?;
                None
            }
            Ok(fee) => match amount {
                Some(amount) if fee > amount => {
                    problem(
                        RefundField::FeeReturned,
                        Error::Refused(format!(
                            "returned fee {}: it cannot be more than the refund amount {} (a processor returns at most part of what it refunds)",
                            pl_money::fmt2(fee),
                            pl_money::fmt2(amount)
                        )),
                    )?;
                    None
                }
                _ => Some(fee),
            },
        },
    };
    let reason = r.reason.trim();
    if reason.is_empty() {
        problem(RefundField::Reason, Error::Refused("a manual refund needs a reason".into()))?;
    }
    let charge = match r.charge.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match crate::store::events::EventKey::txn_of(c) {
            None => {
                problem(
                    RefundField::Charge,
                    Error::Refused(format!("`{}` is not a charge event id (tx-<n>, as the month's event lines show it)", pl_import::clip(c))),
                )?;
                None
            }
            Some(id) => match charge_remaining(conn, id) {
                Err(e) => {
                    problem(RefundField::Charge, e)?;
                    None
                }
                Ok((charge_instance, remaining)) => {
                    if instance.as_ref().is_some_and(|i| *i != charge_instance) {
                        let i = instance.as_deref().unwrap_or_default();
                        problem(RefundField::Charge, Error::Refused(format!("charge {c} belongs to instance {charge_instance}, not {i}")))?;
                    } else if amount.is_some_and(|a| a > remaining) {
                        problem(
                            RefundField::Amount,
                            Error::Refused(format!(
                                "amount {}: it is more than what remains refundable of charge {c} ({})",
                                pl_money::fmt2(amount.unwrap_or_default()),
                                pl_money::fmt2(remaining)
                            )),
                        )?;
                    }
                    Some(format!("tx-{id}"))
                }
            },
        },
    };
    match (instance, date, amount, fee) {
        (Some(instance), Some(date), Some(amount), Some(fee)) if problems.is_empty() => {
            Ok(Ok(Valid { instance, date, amount, fee, charge, reason: reason.to_string() }))
        }
        _ => Ok(Err(problems)),
    }
}

/// The problems of a manual refund, field by field; none when it would be added.
pub(crate) fn check(conn: &Connection, r: &NewManualRefund) -> Result<Vec<FieldProblem>> {
    Ok(validate(conn, r)?.err().unwrap_or_default())
}

/// Adds a manual refund, or says field by field why not (nothing is written then).
pub(crate) fn add_checked(conn: &mut Connection, r: &NewManualRefund, by: &str) -> Result<RefundOutcome> {
    match validate(conn, r)? {
        Err(problems) => Ok(RefundOutcome::Refused { problems }),
        Ok(v) => Ok(RefundOutcome::Added { refund: store_refund(conn, v, by)? }),
    }
}

/// Adds a manual refund; refused with its first problem.
pub(crate) fn add(conn: &mut Connection, r: &NewManualRefund, by: &str) -> Result<ManualRefundInfo> {
    match validate(conn, r)? {
        Err(problems) => Err(Error::Refused(problems.into_iter().next().map_or_else(|| "the manual refund was refused".into(), |p| p.message))),
        Ok(v) => store_refund(conn, v, by),
    }
}

fn store_refund(conn: &mut Connection, v: Valid, by: &str) -> Result<ManualRefundInfo> {
    let Valid { instance, date, amount, fee, charge, reason } = v;
    let reason = reason.as_str();
    let tz = exceptions::reporting_tz(conn)?;
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

/// The number of a manual refund's id (`mr-<n>`, as its event line shows it), read exactly as
/// every other event id is (`mr-+5` is not `mr-5`).
fn number(id: &str) -> Result<i64> {
    store::events::EventKey::manual_of(id.trim()).ok_or_else(|| Error::Refused(format!("`{}` is not a manual refund id (mr-<n>)", pl_import::clip(id))))
}

/// Live manual refund `n` as the operator entered it (amounts with two decimals, as the form's
/// answer gives them); refused once deleted.
fn live(conn: &Connection, n: i64) -> Result<ManualRefundInfo> {
    let id = format!("mr-{n}");
    let Some(s) = store::refunds::get(conn, n)? else {
        return Err(Error::NotFound(format!("manual refund {id}")));
    };
    if s.deleted_at.is_some() {
        return Err(Error::Refused(format!("manual refund {id} was already deleted")));
    }
    // Printed as every amount is; a value no form writes (a ledger edited by hand) is shown as
    // stored, so that such a refund can still be looked at and deleted.
    let money = |v: &str| Decimal::from_str(v).map_or_else(|_| pl_import::clip(v), pl_money::fmt2);
    Ok(ManualRefundInfo {
        id,
        instance_id: s.instance_id,
        date: s.refund_date,
        amount: money(&s.amount),
        fee_returned: money(&s.fee_returned),
        charge: s.charge_event,
        reason: s.reason,
    })
}

/// A live manual refund by its id (`mr-<n>`): what the window shows before deleting it.
pub(crate) fn get(conn: &Connection, id: &str) -> Result<ManualRefundInfo> {
    live(conn, number(id)?)
}

/// Deletes a manual refund, only while its month is open (it is not frozen in an approval);
/// returns what was deleted. The audit log keeps the whole refund as it was, so it can be
/// entered again from there.
pub(crate) fn delete(conn: &mut Connection, id: &str, by: &str) -> Result<ManualRefundInfo> {
    let n = number(id)?;
    let tx = conn.transaction()?;
    let info = live(&tx, n)?;
    if let Some(m) = store::events::month_of_manual(&tx, n)? {
        return Err(Error::Refused(format!("manual refund {} is part of approved month {m}; reopen {m} first", info.id)));
    }
    store::refunds::mark_deleted(&tx, n, by)?;
    store::audit::record(&tx, by, "manual_refund.delete", &format!("manual_refund:{}", info.id), Some(&info), None::<&()>)?;
    tx.commit()?;
    Ok(info)
}
