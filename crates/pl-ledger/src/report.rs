//! The month and quarter report (SPEC §8 `report --json`), built from frozen and live events.
//! Totals are sums of the rounded event values, so every total reconciles to the cent.
use std::collections::HashMap;

use chrono::NaiveDate;
use pl_money::fmt2;
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::events::{self, Event};
use crate::{exceptions, months, settings, Error, InstanceLine, PayoutCheck, Report, Result, Totals};

/// A report period: one month, or a quarter of three.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Period {
    Month(NaiveDate),
    Quarter { year: i32, q: u32 },
}

impl Period {
    pub fn parse_month(s: &str) -> Result<Period> {
        Ok(Period::Month(months::parse_month(s)?))
    }

    pub fn parse_quarter(s: &str) -> Result<Period> {
        let bad = || Error::Refused(format!("`{s}` is not a quarter; write it YYYY-Qn, for example 2026-Q4"));
        let (y, q) = s.split_once("-Q").or_else(|| s.split_once("-q")).ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let q: u32 = q.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&q) || y.len() != 4 {
            return Err(bad());
        }
        Ok(Period::Quarter { year, q })
    }

    pub fn months(&self) -> Vec<NaiveDate> {
        match *self {
            Period::Month(m) => vec![m],
            Period::Quarter { year, q } => {
                (0..3).map(|i| NaiveDate::from_ymd_opt(year, (q - 1) * 3 + 1 + i, 1).expect("valid month")).collect()
            }
        }
    }

    pub fn label(&self) -> String {
        match *self {
            Period::Month(m) => m.format("%Y-%m").to_string(),
            Period::Quarter { year, q } => format!("{year}-Q{q}"),
        }
    }

    /// The Wix report's file name: `<App Name> Billing Report - Q<n> <YYYY>.csv` or
    /// `<App Name> Billing Report - <Month> <YYYY>.csv`.
    pub fn wix_file_name(&self, app_name: &str) -> String {
        let app: String = app_name.chars().map(|c| if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') { '-' } else { c }).collect();
        match *self {
            Period::Month(m) => format!("{app} Billing Report - {}.csv", m.format("%B %Y")),
            Period::Quarter { year, q } => format!("{app} Billing Report - Q{q} {year}.csv"),
        }
    }
}

/// The events and exceptions reported in one month, frozen or live.
pub(crate) struct MonthEvents {
    pub status: String,
    pub events: Vec<Event>,
    pub exceptions: Vec<crate::Exception>,
}

pub(crate) fn month_status(conn: &Connection, month: &str) -> Result<String> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row("SELECT status FROM months WHERE month = ?1", [month], |r| r.get::<_, String>(0))
        .optional()?
        .unwrap_or_else(|| "open".into()))
}

pub(crate) fn month_events(conn: &Connection, ctx: &events::Context, month: NaiveDate) -> Result<MonthEvents> {
    let label = month.format("%Y-%m").to_string();
    let status = month_status(conn, &label)?;
    match events::reporting_span(conn, month)? {
        None => Ok(MonthEvents { status, events: events::frozen_events(conn, &[label])?, exceptions: Vec::new() }),
        Some(first) => {
            let (start, _) = months::month_bounds(first, ctx.tz);
            let (_, end) = months::month_bounds(month, ctx.tz);
            let (events, mut problems) = events::live_events(conn, ctx, &start, &end, &label)?;
            let mut ex = exceptions::instance_exceptions_between(conn, &start, &end)?;
            ex.append(&mut problems);
            Ok(MonthEvents { status, events, exceptions: ex })
        }
    }
}

fn least_advanced(statuses: &[String]) -> String {
    for s in ["open", "approved", "submitted"] {
        if statuses.iter().any(|x| x == s) {
            return s.into();
        }
    }
    "open".into()
}

pub(crate) fn report(conn: &Connection, period: &Period) -> Result<Report> {
    let ctx = events::load_context(conn)?;
    let mut all = Vec::new();
    let mut exceptions = Vec::new();
    let mut statuses = Vec::new();
    for m in period.months() {
        let mut me = month_events(conn, &ctx, m)?;
        statuses.push(me.status);
        all.append(&mut me.events);
        exceptions.append(&mut me.exceptions);
    }
    let (totals, instances) = aggregate(&all);
    let payouts = payout_checks(conn, &ctx, period)?;
    Ok(Report {
        month: matches!(period, Period::Month(_)).then(|| period.label()),
        quarter: matches!(period, Period::Quarter { .. }).then(|| period.label()),
        app_id: ctx.app_id.clone(),
        app_name: settings::get(conn, "app.name")?,
        status: least_advanced(&statuses),
        totals,
        instances,
        events: all.into_iter().map(Event::into_line).collect(),
        exceptions,
        payouts,
    })
}

#[derive(Default)]
struct Sums {
    charges: u32,
    refunds: u32,
    gross: Decimal,
    expenses: Decimal,
    net: Decimal,
    wix_share: Decimal,
}

impl Sums {
    fn add(&mut self, e: &Event) {
        match e.billing {
            crate::rules::BillingType::Charge => self.charges += 1,
            crate::rules::BillingType::Refund => self.refunds += 1,
        }
        self.gross += e.amounts.gross;
        self.expenses += e.amounts.expenses;
        self.net += e.amounts.net;
        self.wix_share += e.amounts.wix_share;
    }
}

/// Totals and per-instance lines (instances sorted by id).
pub(crate) fn aggregate(events: &[Event]) -> (Totals, Vec<InstanceLine>) {
    let mut total = Sums::default();
    let mut per: HashMap<&str, Sums> = HashMap::new();
    for e in events {
        total.add(e);
        per.entry(e.instance_id.as_str()).or_default().add(e);
    }
    let mut instances: Vec<InstanceLine> = per
        .into_iter()
        .map(|(id, s)| InstanceLine {
            instance_id: id.to_string(),
            charges: s.charges,
            refunds: s.refunds,
            gross: fmt2(s.gross),
            expenses: fmt2(s.expenses),
            net: fmt2(s.net),
            wix_share: fmt2(s.wix_share),
        })
        .collect();
    instances.sort_unstable_by(|a, b| a.instance_id.cmp(&b.instance_id));
    let totals = Totals {
        events: events.len() as u32,
        gross: fmt2(total.gross),
        expenses: fmt2(total.expenses),
        net: fmt2(total.net),
        wix_share: fmt2(total.wix_share),
    };
    (totals, instances)
}

/// Each payout in the period (by its own date) against the sum of the nets of its rows.
fn payout_checks(conn: &Connection, ctx: &events::Context, period: &Period) -> Result<Vec<PayoutCheck>> {
    let ms = period.months();
    let (start, _) = months::month_bounds(ms[0], ctx.tz);
    let (_, end) = months::month_bounds(*ms.last().expect("a period has months"), ctx.tz);
    // Payouts are few: read them all through their partial index, keep the period's.
    let (lo, hi) = (months::bound_ts(&start), months::bound_ts(&end));
    let mut stmt = conn.prepare(
        "SELECT p.payout_ref, p.currency, p.occurred_at, p.gross, i.items, i.net FROM txns p INDEXED BY txns_payouts \
         LEFT JOIN payout_items i ON i.payout_ref = p.payout_ref \
         WHERE p.kind = 'payout' AND p.undone = 0 AND p.occurred_ts >= ?1 AND p.occurred_ts < ?2 ORDER BY p.occurred_ts",
    )?;
    let rows = stmt.query_map([lo, hi], |r| {
        let items_net: Decimal = r.get::<_, Option<String>>(5)?.and_then(|s| s.parse().ok()).unwrap_or_default();
        let amount = r.get::<_, String>(3)?.parse::<Decimal>().unwrap_or_default().abs();
        Ok(PayoutCheck {
            payout_id: r.get(0)?,
            currency: r.get(1)?,
            payout_date: r.get(2)?,
            amount: fmt2(amount),
            items_net: fmt2(items_net),
            items: r.get::<_, Option<u32>>(4)?.unwrap_or(0),
            matches: amount == items_net,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
