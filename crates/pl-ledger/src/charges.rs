//! The answer to Wix's ListCharges and ListUsages (SPEC §9), computed from an instance's open
//! usage of a period, its price book and its charge limit. Pure: no SQL, no clock. The provider
//! (`crate::provider`), `charges preview` and the window all come here.
//!
//! ListCharges, in order:
//! 1. one charge per metric with usage in the period and a price in the requested currency:
//!    Σ quantity × the unit price in force when each row occurred, **truncated** to the
//!    currency's minor units (JPY none, USD two);
//! 2. ordered by amount, largest first (ties by metric); a charge below 0.50 is left out;
//! 3. at most 5: past the fourth, the rest fold into one `Other usage` charge, last;
//! 4. kept in order while the running total stays strictly below the limit; the one that would
//!    reach it is cut to the limit minus one minor unit when that is still ≥ 0.50, else left
//!    out; later ones are left out; no limit known: nothing is charged;
//! 5. each id is a stable function of (instance, period, metric), a GUID.
//!
//! Every usage row given is covered: it is in a charge or in what was left out, so a frozen
//! answer consumes all of them and nothing moves to a later period.
use std::collections::BTreeMap;

use chrono::NaiveDate;
use pl_money::Currency;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Charge, LeftOut, LeftOutReason, UsagePeriod};

/// The smallest charge Wix takes.
pub const MIN_CHARGE: Decimal = Decimal::from_parts(50, 0, 0, false, 2);
/// At most this many charges in an answer.
pub const MAX_CHARGES: usize = 5;
/// A metric's amount at or above this (in any currency) is left out as too large: no usage
/// charge is a quadrillion, and below it every sum of products is exact.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0); // 10^15
/// The description of the folded charge.
pub const OTHER_USAGE: &str = "Other usage";
/// The metric key the folded charge's id is made from (`*` is not allowed in metric names).
const OTHER_KEY: &str = "*other";

/// A row of open usage (not consumed by a frozen answer), in time order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UsageIn {
    pub occurred_ms: i64,
    pub metric: String,
    pub quantity: Decimal,
}

/// One price of a plan entry, as the computation reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Price {
    pub metric: String,
    /// An instance override (wins over the app's plan).
    pub is_override: bool,
    /// The UTC day it is in force from.
    pub from: NaiveDate,
    pub currency: String,
    pub unit_price: Decimal,
    pub description: String,
}

/// The prices that can apply to one instance: the app's entries and its overrides.
#[derive(Debug, Clone, Default)]
pub(crate) struct PriceBook {
    prices: Vec<Price>,
}

/// What a usage row's metric costs when it occurred.
enum Lookup<'a> {
    Price(Decimal, &'a str),
    /// A plan entry is in force but has no price in the currency (its description, for ListUsages).
    NoPrice(&'a str),
    /// No plan entry is in force for the metric at that time.
    NoPlan,
}

impl PriceBook {
    pub(crate) fn new(prices: Vec<Price>) -> PriceBook {
        PriceBook { prices }
    }

    /// The entry in force for `metric` on `day`: the latest override from on or before the day,
    /// else the latest app entry; then its price in `currency`.
    fn lookup(&self, metric: &str, day: NaiveDate, currency: &str) -> Lookup<'_> {
        let best = |over: bool| {
            self.prices.iter().filter(|p| p.metric == metric && p.is_override == over && p.from <= day).map(|p| p.from).max()
        };
        let Some((over, from)) = best(true).map(|f| (true, f)).or_else(|| best(false).map(|f| (false, f))) else {
            return Lookup::NoPlan;
        };
        let mut entry = self.prices.iter().filter(|p| p.metric == metric && p.is_override == over && p.from == from);
        let first = match entry.clone().next() {
            Some(p) => p.description.as_str(),
            None => return Lookup::NoPlan,
        };
        match entry.find(|p| p.currency == currency) {
            Some(p) => Lookup::Price(p.unit_price, &p.description),
            None => Lookup::NoPrice(first),
        }
    }
}

/// The UTC day of a Unix-millisecond instant (a day far outside chrono's range reads as its bound).
fn day_of(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.date_naive()).unwrap_or(if ms < 0 { NaiveDate::MIN } else { NaiveDate::MAX })
}

/// An instant as Wix writes them: `2026-03-01T00:00:00.000Z`.
pub(crate) fn instant(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

/// An instant the operator typed: RFC 3339, or a day (YYYY-MM-DD, midnight UTC); Unix ms.
pub fn instant_arg(s: &str) -> crate::Result<i64> {
    let t = s.trim();
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Ok(d.timestamp_millis());
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc().timestamp_millis())
        .ok_or_else(|| crate::Error::Refused(format!("`{}` is not an instant: write it as a date (2026-03-01) or RFC 3339 (2026-03-01T00:00:00Z)", pl_import::clip(t))))
}

/// The stable id of a charge: a GUID made from SHA-256 of (instance, period, metric).
pub(crate) fn charge_id(instance: &str, start_ms: i64, end_ms: i64, metric: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("{instance}\n{start_ms}\n{end_ms}\n{metric}").as_bytes());
    let d = h.finalize();
    let hex: String = d.iter().take(16).map(|b| format!("{b:02x}")).collect();
    // 32 hex digits, sliced at ASCII boundaries.
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// A metric's usage of the period, summed.
#[derive(Debug, Clone)]
struct Acc<'a> {
    /// Priced usage: quantity, amount (exact), first and last instant, description.
    quantity: Decimal,
    amount: Decimal,
    priced: bool,
    first_ms: i64,
    last_ms: i64,
    description: &'a str,
    too_large: bool,
    /// Usage with no price in the currency.
    unpriced: Decimal,
    unpriced_rows: u32,
}

/// A charge before the limit: its key (metric or the folded key), what it shows, its period.
#[derive(Debug, Clone)]
struct Candidate {
    key: String,
    metric: String,
    description: String,
    quantity: Decimal,
    amount: Decimal,
    first_ms: i64,
    last_ms: i64,
}

/// A charge of the answer with the metric it is for (`Other usage` for the folded one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ComputedCharge {
    pub metric: String,
    pub charge: Charge,
}

/// What ListCharges answers and what it left out.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Computed {
    pub charges: Vec<ComputedCharge>,
    pub left_out: Vec<LeftOut>,
}

/// Saturating sum for quantities shown in the log (each is ≤ 10^12; a sum that overflows is
/// shown as the largest decimal, never a panic).
fn add_qty(a: Decimal, b: Decimal) -> Decimal {
    a.checked_add(b).unwrap_or(Decimal::MAX)
}

fn qty_text(q: Decimal) -> String {
    q.normalize().to_string()
}

/// Rule 1 to 5 for one instance, currency and period. `rows` in time order; `limit` the one in
/// force (the instance's, else the app's default), none when neither is known.
pub(crate) fn list_charges(
    rows: &[UsageIn],
    book: &PriceBook,
    currency: Currency,
    limit: Option<Decimal>,
    instance: &str,
    start_ms: i64,
    end_ms: i64,
) -> Computed {
    let dp = currency.minor_units();
    let unit = Decimal::new(1, dp);
    let fixed = |d: Decimal| pl_money::fmt_dp(d, dp);
    let mut out = Computed::default();

    // Rule 1: per metric, Σ quantity × the price in force at each row.
    let mut by_metric: BTreeMap<&str, Acc<'_>> = BTreeMap::new();
    for r in rows {
        let acc = by_metric.entry(r.metric.as_str()).or_insert(Acc {
            quantity: Decimal::ZERO,
            amount: Decimal::ZERO,
            priced: false,
            first_ms: r.occurred_ms,
            last_ms: r.occurred_ms,
            description: r.metric.as_str(),
            too_large: false,
            unpriced: Decimal::ZERO,
            unpriced_rows: 0,
        });
        match book.lookup(&r.metric, day_of(r.occurred_ms), currency.as_str()) {
            Lookup::Price(price, description) => {
                if !acc.priced {
                    acc.first_ms = r.occurred_ms;
                }
                acc.priced = true;
                acc.last_ms = r.occurred_ms;
                acc.description = description;
                acc.quantity = add_qty(acc.quantity, r.quantity);
                match r.quantity.checked_mul(price).filter(|p| *p < MAX_AMOUNT).and_then(|p| acc.amount.checked_add(p)).filter(|a| *a < MAX_AMOUNT) {
                    Some(a) => acc.amount = a,
                    None => acc.too_large = true,
                }
            }
            Lookup::NoPrice(_) | Lookup::NoPlan => {
                acc.unpriced = add_qty(acc.unpriced, r.quantity);
                acc.unpriced_rows += 1;
            }
        }
    }
    let mut candidates = Vec::new();
    for (metric, acc) in &by_metric {
        if acc.unpriced_rows > 0 {
            out.left_out.push(LeftOut { metric: metric.to_string(), reason: LeftOutReason::NoPrice, quantity: qty_text(acc.unpriced), amount: None });
        }
        if !acc.priced {
            continue;
        }
        if acc.too_large {
            out.left_out.push(LeftOut { metric: metric.to_string(), reason: LeftOutReason::TooLarge, quantity: qty_text(acc.quantity), amount: None });
            continue;
        }
        candidates.push(Candidate {
            key: metric.to_string(),
            metric: metric.to_string(),
            description: format!("{}: {}", acc.description, qty_text(acc.quantity)),
            quantity: acc.quantity,
            amount: acc.amount.round_dp_with_strategy(dp, RoundingStrategy::ToZero),
            first_ms: acc.first_ms,
            last_ms: acc.last_ms,
        });
    }

    // Rule 2: largest first; below the minimum left out.
    candidates.sort_by(|a, b| b.amount.cmp(&a.amount).then_with(|| a.metric.cmp(&b.metric)));
    let (mut kept, below): (Vec<_>, Vec<_>) = candidates.into_iter().partition(|c| c.amount >= MIN_CHARGE);
    for c in below {
        out.left_out.push(LeftOut { metric: c.metric, reason: LeftOutReason::BelowMinimum, quantity: qty_text(c.quantity), amount: Some(fixed(c.amount)) });
    }

    // Rule 3: at most five; the rest fold into `Other usage`, last.
    if kept.len() > MAX_CHARGES {
        let rest = kept.split_off(MAX_CHARGES - 1);
        let mut other = Candidate {
            key: OTHER_KEY.to_string(),
            metric: OTHER_USAGE.to_string(),
            description: OTHER_USAGE.to_string(),
            quantity: Decimal::ZERO,
            amount: Decimal::ZERO,
            first_ms: i64::MAX,
            last_ms: i64::MIN,
        };
        for c in &rest {
            other.quantity = add_qty(other.quantity, c.quantity);
            // Each is below 10^15 and there are few: the sum is exact (checked all the same).
            other.amount = other.amount.checked_add(c.amount).unwrap_or(MAX_AMOUNT);
            other.first_ms = other.first_ms.min(c.first_ms);
            other.last_ms = other.last_ms.max(c.last_ms);
        }
        if other.amount >= MAX_AMOUNT {
            out.left_out.push(LeftOut { metric: OTHER_USAGE.into(), reason: LeftOutReason::TooLarge, quantity: qty_text(other.quantity), amount: None });
        } else {
            kept.push(other);
        }
    }

    // Rule 4: strictly below the limit.
    let Some(limit) = limit else {
        for c in kept {
            out.left_out.push(LeftOut { metric: c.metric, reason: LeftOutReason::NoLimit, quantity: qty_text(c.quantity), amount: Some(fixed(c.amount)) });
        }
        return out;
    };
    let mut total = Decimal::ZERO;
    let mut full = false;
    for c in kept {
        let over = |amount: Decimal| LeftOut { metric: c.metric.clone(), reason: LeftOutReason::OverLimit, quantity: qty_text(c.quantity), amount: Some(fixed(amount)) };
        if full {
            out.left_out.push(over(c.amount));
            continue;
        }
        // Both below 10^15: exact.
        let after = total.checked_add(c.amount).unwrap_or(Decimal::MAX);
        let amount = if after < limit {
            total = after;
            c.amount
        } else {
            full = true;
            let cut = (limit - total - unit).round_dp_with_strategy(dp, RoundingStrategy::ToZero);
            if cut >= MIN_CHARGE {
                out.left_out.push(over(c.amount - cut));
                total += cut;
                cut
            } else {
                out.left_out.push(over(c.amount));
                continue;
            }
        };
        // Rule 5: stable ids.
        out.charges.push(ComputedCharge {
            metric: c.metric.clone(),
            charge: Charge {
                id: charge_id(instance, start_ms, end_ms, &c.key),
                description: c.description,
                amount: fixed(amount),
                usage_period: UsagePeriod { start_date: instant(c.first_ms), end_date: instant(c.last_ms) },
            },
        });
    }
    out
}

/// One line of a ListUsages answer: Wix prices the usage itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct UsageLine {
    #[serde(rename = "counterId")]
    pub counter_id: String,
    pub quantity: String,
    pub description: String,
    #[serde(rename = "usagePeriod")]
    pub usage_period: UsagePeriod,
}

/// ListUsages: one line per metric with usage in the period (Σ quantity, the plan's description
/// in force at its last row, else the metric), by metric.
pub(crate) fn list_usages(rows: &[UsageIn], book: &PriceBook, currency: &str) -> Vec<UsageLine> {
    let mut by_metric: BTreeMap<&str, (Decimal, i64, i64, String)> = BTreeMap::new();
    for r in rows {
        let description = match book.lookup(&r.metric, day_of(r.occurred_ms), currency) {
            Lookup::Price(_, d) | Lookup::NoPrice(d) => d.to_string(),
            Lookup::NoPlan => r.metric.clone(),
        };
        let e = by_metric.entry(r.metric.as_str()).or_insert((Decimal::ZERO, r.occurred_ms, r.occurred_ms, String::new()));
        e.0 = add_qty(e.0, r.quantity);
        e.2 = r.occurred_ms;
        e.3 = description;
    }
    by_metric
        .into_iter()
        .map(|(metric, (q, first, last, description))| UsageLine {
            counter_id: metric.to_string(),
            quantity: qty_text(q),
            description,
            usage_period: UsagePeriod { start_date: instant(first), end_date: instant(last) },
        })
        .collect()
}

/// The body Wix receives for ListCharges.
pub(crate) fn charges_body(charges: &[ComputedCharge]) -> String {
    #[derive(Serialize)]
    struct Body<'a> {
        charges: Vec<&'a Charge>,
    }
    serde_json::to_string(&Body { charges: charges.iter().map(|c| &c.charge).collect() }).unwrap_or_else(|_| r#"{"charges":[]}"#.into())
}

/// The body Wix receives for ListUsages.
pub(crate) fn usages_body(lines: &[UsageLine]) -> String {
    #[derive(Serialize)]
    struct Body<'a> {
        usages: &'a [UsageLine],
    }
    serde_json::to_string(&Body { usages: lines }).unwrap_or_else(|_| r#"{"usages":[]}"#.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    const I: &str = "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31";
    const DAY: i64 = 86_400_000;
    // 2026-03-01T00:00:00Z
    const T0: i64 = 1_772_323_200_000;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn price(metric: &str, cur: &str, p: &str) -> Price {
        Price {
            metric: metric.into(),
            is_override: false,
            from: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
            currency: cur.into(),
            unit_price: d(p),
            description: format!("{metric} units"),
        }
    }

    fn row(metric: &str, q: &str, ms: i64) -> UsageIn {
        UsageIn { occurred_ms: ms, metric: metric.into(), quantity: d(q) }
    }

    fn run(rows: &[UsageIn], prices: Vec<Price>, cur: &str, limit: Option<&str>) -> Computed {
        list_charges(rows, &PriceBook::new(prices), Currency::new(cur).unwrap(), limit.map(d), I, T0, T0 + 31 * DAY)
    }

    fn amounts(c: &Computed) -> Vec<&str> {
        c.charges.iter().map(|c| c.charge.amount.as_str()).collect()
    }

    #[test]
    fn amounts_are_truncated_to_the_currency_minor_units() {
        let c = run(&[row("a", "3", T0), row("a", "0.333", T0 + 1)], vec![price("a", "USD", "0.999")], "USD", Some("1000"));
        // 3.333 × 0.999 = 3.329667 → 3.32 (not 3.33)
        assert_eq!(amounts(&c), ["3.32"]);
        assert_eq!(c.charges[0].charge.description, "a units: 3.333");
        let c = run(&[row("a", "7", T0)], vec![price("a", "JPY", "14.99")], "JPY", Some("100000"));
        assert_eq!(amounts(&c), ["104"]);
    }

    #[test]
    fn below_the_minimum_and_without_a_price_are_left_out() {
        let c = run(
            &[row("a", "1", T0), row("b", "100", T0), row("c", "5", T0)],
            vec![price("a", "USD", "0.49999"), price("b", "USD", "1"), price("c", "EUR", "1")],
            "USD",
            Some("1000"),
        );
        assert_eq!(amounts(&c), ["100.00"]);
        let reasons: Vec<_> = c.left_out.iter().map(|l| (l.metric.as_str(), l.reason)).collect();
        assert!(reasons.contains(&("a", LeftOutReason::BelowMinimum)));
        assert!(reasons.contains(&("c", LeftOutReason::NoPrice)));
    }

    #[test]
    fn past_four_the_rest_fold_into_other_usage_last() {
        let metrics = ["m1", "m2", "m3", "m4", "m5", "m6", "m7"];
        let rows: Vec<_> = metrics.iter().enumerate().map(|(i, m)| row(m, &format!("{}", 10 + i), T0 + i as i64)).collect();
        let prices: Vec<_> = metrics.iter().map(|m| price(m, "USD", "1")).collect();
        let c = run(&rows, prices, "USD", Some("1000"));
        assert_eq!(amounts(&c), ["16.00", "15.00", "14.00", "13.00", "33.00"]);
        assert_eq!(c.charges[4].charge.description, OTHER_USAGE);
        assert_eq!(c.charges[4].charge.usage_period.start_date, instant(T0));
        assert_eq!(c.charges[4].charge.usage_period.end_date, instant(T0 + 2));
    }

    #[test]
    fn the_limit_cuts_the_charge_that_reaches_it_and_drops_the_rest() {
        let rows = [row("a", "60", T0), row("b", "30", T0), row("c", "20", T0)];
        let prices = vec![price("a", "USD", "1"), price("b", "USD", "1"), price("c", "USD", "1")];
        let c = run(&rows, prices.clone(), "USD", Some("80"));
        assert_eq!(amounts(&c), ["60.00", "19.99"]);
        assert!(c.left_out.iter().any(|l| l.metric == "b" && l.reason == LeftOutReason::OverLimit && l.amount.as_deref() == Some("10.01")));
        assert!(c.left_out.iter().any(|l| l.metric == "c" && l.reason == LeftOutReason::OverLimit));
        // A cut below the minimum leaves the charge out.
        let c = run(&rows, prices.clone(), "USD", Some("60.40"));
        assert_eq!(amounts(&c), ["60.00"]);
        // Exactly at the limit is not below it.
        let c = run(&rows[..1], prices.clone(), "USD", Some("60"));
        assert_eq!(amounts(&c), ["59.99"]);
        // JPY: one minor unit is 1.
        let c = run(&[row("a", "500", T0)], vec![price("a", "JPY", "1")], "JPY", Some("300"));
        assert_eq!(amounts(&c), ["299"]);
        // No limit: nothing is charged, all is in the log.
        let c = run(&rows, prices, "USD", None);
        assert!(c.charges.is_empty());
        assert_eq!(c.left_out.iter().filter(|l| l.reason == LeftOutReason::NoLimit).count(), 3);
    }

    #[test]
    fn the_price_in_force_at_each_row_and_the_instance_override_win() {
        let mut later = price("a", "USD", "2");
        later.from = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
        let mut over = price("a", "USD", "5");
        over.is_override = true;
        over.from = NaiveDate::from_ymd_opt(2026, 3, 20).unwrap();
        let rows = [row("a", "1", T0), row("a", "1", T0 + 12 * DAY), row("a", "1", T0 + 25 * DAY)];
        let c = run(&rows, vec![price("a", "USD", "1"), later, over], "USD", Some("1000"));
        assert_eq!(amounts(&c), ["8.00"]);
    }

    #[test]
    fn the_bounds_are_what_they_say() {
        assert_eq!(MAX_AMOUNT, d("1000000000000000"));
        assert_eq!(MIN_CHARGE, d("0.50"));
    }

    #[test]
    fn ids_are_stable_guids_of_instance_period_and_metric() {
        let a = charge_id(I, 1, 2, "a");
        assert_eq!(a.len(), 36);
        assert_eq!(a, charge_id(I, 1, 2, "a"));
        assert_ne!(a, charge_id(I, 1, 3, "a"));
        assert_ne!(a, charge_id(I, 1, 2, "b"));
    }

    #[test]
    fn absurd_amounts_are_left_out_not_a_panic() {
        let c = run(&[row("a", "999999999999.999999", T0), row("a", "999999999999.999999", T0)], vec![price("a", "USD", "999999999999.999999")], "USD", Some("1"));
        assert!(c.charges.is_empty());
        assert_eq!(c.left_out[0].reason, LeftOutReason::TooLarge);
    }
}
