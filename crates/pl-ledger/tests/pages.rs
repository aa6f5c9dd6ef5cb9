//! The window's pages (`month_summary`, `instance_page`, `event_page`, `outbox_page`) read the
//! same scan as the report and the approval: over one generated month, open and approved, they
//! agree with the report line for line and to the cent.
mod common;

use std::str::FromStr;

use common::*;
use pl_ledger::{
    EventLine, EventQuery, EventSort, EventState, InstanceLine, InstanceQuery, InstanceSort, Ledger, MonthStatus, NewManualRefund, OutboxQuery, Period,
};
use rust_decimal::Decimal;

const MONTH: &str = "2026-10";

/// 40 instances (GUIDs made from a number), ~1,200 charges, refunds, a late row of approved
/// September, a manual refund.
fn generated() -> Env {
    let mut env = Env::new();
    env.ledger.set_app("157f033e-c1ae-4418-adb0-79d2bcd9d4a8", "Pages", "t").unwrap();
    env.ledger.add_rate("2020-01-01", "20", None, "t").unwrap();
    env.ledger.add_rate("2026-01-01", "12.5", Some(I2), "t").unwrap();
    env.import_str("sep.csv", &itemized(&[Item::charge(1, "2026-09-10 10:00:00", "29.00", "1.14", I1)]));
    env.ledger.approve("2026-09", "t").unwrap();
    let inst = |n: u32| -> String { if n == 0 { I2.to_string() } else { format!("{:08x}-0000-4000-8000-{:012x}", n * 7919, n) } };
    let mut rows = vec![Item::charge(2, "2026-09-20 10:00:00", "49.00", "1.72", I1)];
    for n in 0..1200u32 {
        rows.push(Item::charge(
            100 + n,
            &format!("2026-10-{:02} {:02}:{:02}:{:02}", 1 + n % 30, n % 24, n % 60, n % 59),
            &format!("{}.{:02}", 1 + n % 97, (n * 37) % 100),
            &format!("0.{:02}", 30 + n % 50),
            &inst(n % 40),
        ));
    }
    for n in 0..60u32 {
        rows.push(Item::refund(5000 + n, 100 + n * 20, &format!("2026-10-{:02} 23:00:00", 1 + n % 30), &format!("-0.{}0", 1 + n % 5), &inst((n * 20) % 40)));
    }
    env.import_str("oct.csv", &itemized(&rows));
    env.ledger
        .add_manual_refund(
            &NewManualRefund {
                instance: I1.into(),
                date: "2026-10-15".into(),
                amount: "3.00".into(),
                fee_returned: Some("0.10".into()),
                charge: None,
                reason: "goodwill".into(),
            },
            "t",
        )
        .unwrap();
    env
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn all_instances(l: &Ledger, sort: InstanceSort, descending: bool, search: Option<&str>, step: u32) -> Vec<InstanceLine> {
    let mut out = Vec::new();
    loop {
        let q = InstanceQuery { month: MONTH.into(), search: search.map(Into::into), sort, descending, offset: out.len() as u32, limit: step };
        let p = l.instance_page(&q).unwrap();
        assert_eq!(p.offset, out.len() as u32);
        if p.rows.is_empty() {
            assert_eq!(p.total, out.len() as u32);
            return out;
        }
        out.extend(p.rows);
    }
}

fn query() -> EventQuery {
    EventQuery {
        month: MONTH.into(),
        instance: None,
        billing_type: None,
        late: None,
        state: None,
        search: None,
        sort: EventSort::Report,
        descending: false,
        offset: 0,
        limit: 0,
    }
}

fn all_events(l: &Ledger, q: &EventQuery, step: u32) -> Vec<EventLine> {
    let mut out = Vec::new();
    loop {
        let p = l.event_page(&EventQuery { offset: out.len() as u32, limit: step, ..q.clone() }).unwrap();
        if p.rows.is_empty() {
            assert_eq!(p.total, out.len() as u32, "{q:?}");
            return out;
        }
        out.extend(p.rows);
    }
}

/// Every page agrees with the report: the same lines in the same order, the same totals.
fn agree(env: &Env) {
    let l = &env.ledger;
    let r = l.report(&Period::parse_month(MONTH).unwrap()).unwrap();
    let s = l.month_summary(MONTH).unwrap();
    assert_eq!(s.totals, r.totals);
    assert_eq!(s.exceptions, r.exceptions);
    assert_eq!(s.payouts, r.payouts);
    assert_eq!(s.instances as usize, r.instances.len());
    assert_eq!(s.refunds as usize, r.events.iter().filter(|e| e.billing_type == "REFUND").count());
    assert_eq!(s.charges + s.refunds, r.totals.events);
    assert_eq!(s.late as usize, r.events.iter().filter(|e| e.late).count());
    assert!(s.late > 0, "the generated month has a late row");

    // Instances: by id (the report's order), page by page.
    assert_eq!(all_instances(l, InstanceSort::InstanceId, false, None, 7), r.instances);
    let mut rev = r.instances.clone();
    rev.reverse();
    assert_eq!(all_instances(l, InstanceSort::InstanceId, true, None, 1000), rev);
    // By Wix share, largest first (ties by id): the same lines, in that order.
    let by_share = all_instances(l, InstanceSort::WixShare, true, None, 9);
    let mut want = r.instances.clone();
    want.sort_by(|a, b| dec(&b.wix_share).cmp(&dec(&a.wix_share)).then(a.instance_id.cmp(&b.instance_id)));
    assert_eq!(by_share, want);
    let found = all_instances(l, InstanceSort::Events, false, Some("-0000-4000-8000-00000000000"), 50);
    assert_eq!(found.len(), 15, "ids ending 01..0f");
    assert!(found.windows(2).all(|w| w[0].charges + w[0].refunds <= w[1].charges + w[1].refunds));

    // Events: the report's lines, page by page.
    assert_eq!(all_events(l, &query(), 113), r.events);
    // One instance's events add up, to the cent, to its instance line.
    for line in r.instances.iter().step_by(5) {
        let evs = all_events(l, &EventQuery { instance: Some(line.instance_id.clone()), ..query() }, 1000);
        assert_eq!(evs, r.events.iter().filter(|e| e.instance_id == line.instance_id).cloned().collect::<Vec<_>>());
        let sum = |f: fn(&EventLine) -> &str| evs.iter().map(|e| dec(f(e))).sum::<Decimal>();
        assert_eq!(sum(|e| &e.gross), dec(&line.gross), "{}", line.instance_id);
        assert_eq!(sum(|e| &e.net), dec(&line.net));
        assert_eq!(sum(|e| &e.wix_share), dec(&line.wix_share));
    }
    // Filters and search.
    let refunds = all_events(l, &EventQuery { billing_type: Some("REFUND".into()), ..query() }, 1000);
    assert_eq!(refunds, r.events.iter().filter(|e| e.billing_type == "REFUND").cloned().collect::<Vec<_>>());
    let late = all_events(l, &EventQuery { late: Some(true), ..query() }, 1000);
    assert_eq!(late, r.events.iter().filter(|e| e.late).cloned().collect::<Vec<_>>());
    let some = r.events.iter().find_map(|e| e.source_id.clone()).unwrap();
    let hit = all_events(l, &EventQuery { search: Some(some.to_uppercase()), ..query() }, 1000);
    assert!(hit.iter().any(|e| e.source_id.as_deref() == Some(some.as_str())), "{some}");
    assert!(hit.iter().all(|e| e.source_id.as_deref().is_some_and(|s| s.contains(&some)) || e.id.contains(&some) || e.instance_id.contains(&some)));
    let manual = all_events(l, &EventQuery { search: Some("mr-".into()), ..query() }, 1000);
    assert_eq!(manual.len(), 1);
    // Sorted by gross, largest first: every event once, in that order.
    let by_gross = all_events(l, &EventQuery { sort: EventSort::Gross, descending: true, ..query() }, 250);
    assert_eq!(by_gross.len(), r.events.len());
    assert!(by_gross.windows(2).all(|w| dec(&w[0].gross) >= dec(&w[1].gross)));
    let total: Decimal = by_gross.iter().map(|e| dec(&e.wix_share)).sum();
    assert_eq!(total, dec(&r.totals.wix_share), "to the cent");
}

#[test]
fn pages_agree_with_the_report_and_the_approval() {
    let mut env = generated();
    agree(&env);
    let open = env.ledger.report(&Period::parse_month(MONTH).unwrap()).unwrap();
    assert!(open.events.iter().all(|e| e.state == "draft"));
    let drafts = env.ledger.event_page(&EventQuery { state: Some(EventState::Draft), limit: 1, ..query() }).unwrap();
    assert_eq!(drafts.total, open.totals.events);

    let approved = env.ledger.approve(MONTH, "t").unwrap();
    assert_eq!(approved.status, MonthStatus::Approved);
    assert_eq!(approved.totals, open.totals, "the approval freezes what the window showed");
    // The view was computed before the approval: the next page sees the frozen month.
    assert_eq!(env.ledger.month_summary(MONTH).unwrap().status, MonthStatus::Approved);
    agree(&env);
    let frozen = env.ledger.report(&Period::parse_month(MONTH).unwrap()).unwrap();
    let strip = |mut e: EventLine| {
        e.state = EventState::Draft;
        e
    };
    assert_eq!(frozen.events.into_iter().map(strip).collect::<Vec<_>>(), open.events.into_iter().map(strip).collect::<Vec<_>>());
    let queued = env.ledger.event_page(&EventQuery { state: Some(EventState::Queued), limit: 1, ..query() }).unwrap();
    assert_eq!(queued.total, open.totals.events);

    // The outbox by page: every approved event once, in approval order.
    let mut seen = Vec::new();
    loop {
        let p = env.ledger.outbox_page(&OutboxQuery { month: MONTH.into(), state: None, search: None, offset: seen.len() as u32, limit: 97 }).unwrap();
        if p.rows.is_empty() {
            assert_eq!(p.total as usize, seen.len());
            break;
        }
        seen.extend(p.rows.into_iter().map(|e| (e.id, e.gross)));
    }
    let report = env.ledger.report(&Period::parse_month(MONTH).unwrap()).unwrap();
    assert_eq!(seen, report.events.iter().map(|e| (e.id.clone(), e.gross.clone())).collect::<Vec<_>>());
    let one = env.ledger.outbox_page(&OutboxQuery { month: MONTH.into(), state: Some(EventState::Queued), search: Some("MR-".into()), offset: 0, limit: 10 }).unwrap();
    assert_eq!((one.total, one.rows.len()), (1, 1));
}

#[test]
fn a_change_to_the_ledger_is_seen_by_the_next_page() {
    let mut env = generated();
    let before = env.ledger.month_summary(MONTH).unwrap();
    // Through the same connection: a new rate.
    env.ledger.add_rate("2026-10-01", "30", None, "t").unwrap();
    let after = env.ledger.month_summary(MONTH).unwrap();
    assert_ne!(after.totals.wix_share, before.totals.wix_share);
    // Through another connection (the CLI, a submission): an instance override.
    let mut other = Ledger::open(env.ledger.path()).unwrap();
    other.add_rate("2026-01-01", "0", Some(I1), "t").unwrap();
    let third = env.ledger.month_summary(MONTH).unwrap();
    assert_ne!(third.totals.wix_share, after.totals.wix_share);
    let report = env.ledger.report(&Period::parse_month(MONTH).unwrap()).unwrap();
    assert_eq!(third.totals, report.totals);
}

#[test]
fn pages_refuse_what_is_not_a_page() {
    let env = generated();
    let l = &env.ledger;
    let err = l.event_page(&EventQuery { limit: 5000, ..query() }).unwrap_err();
    assert!(err.to_string().contains("at most 1000"), "{err}");
    let err = l.event_page(&EventQuery { billing_type: Some("REFUNDED".into()), limit: 5, ..query() }).unwrap_err();
    assert!(err.to_string().contains("CHARGE or REFUND"), "{err}");
    let err = l.month_summary("2026-13").unwrap_err();
    assert!(err.to_string().contains("not a month"), "{err}");
    // Past the end: an empty page that says how many there are.
    let p = l.event_page(&EventQuery { offset: 1_000_000, limit: 10, ..query() }).unwrap();
    assert!(p.rows.is_empty());
    assert_eq!(p.offset, p.total);
    let nobody = l.event_page(&EventQuery { instance: Some("not-an-instance".into()), limit: 10, ..query() }).unwrap();
    assert_eq!(nobody.total, 0);
    // An empty month: a summary of zeros, empty pages.
    let empty = l.month_summary("2025-01").unwrap();
    assert_eq!((empty.totals.events, empty.instances, empty.status), (0, 0, MonthStatus::Open));
    let p = l.instance_page(&InstanceQuery { month: "2025-01".into(), search: None, sort: InstanceSort::Gross, descending: true, offset: 0, limit: 10 }).unwrap();
    assert_eq!((p.total, p.rows.len()), (0, 0));
}
