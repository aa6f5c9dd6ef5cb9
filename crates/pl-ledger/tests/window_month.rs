//! The engine's calls behind the window's month workflow: the manual refund form (the engine's
//! checks, field by field), the month-by-month series of the charts, and the CSV exports
//! through a path the save dialog returns.
mod common;

use common::*;
use pl_ledger::{NewManualRefund, Period, RefundField, RefundOutcome};

fn setup(env: &mut Env) {
    env.ledger.set_app("157f033e-c1ae-4418-adb0-79d2bcd9d4a8", "Acme Forms", "test").unwrap();
    env.ledger.add_rate("2020-01-01", "20", None, "test").unwrap();
}

fn refund(instance: &str, date: &str, amount: &str, fee: Option<&str>, charge: Option<&str>, reason: &str) -> NewManualRefund {
    NewManualRefund {
        instance: instance.into(),
        date: date.into(),
        amount: amount.into(),
        fee_returned: fee.map(str::to_string),
        charge: charge.map(str::to_string),
        reason: reason.into(),
    }
}

fn fields(problems: &[pl_ledger::FieldProblem]) -> Vec<RefundField> {
    problems.iter().map(|p| p.field).collect()
}

#[test]
fn the_refund_form_gets_every_problem_next_to_its_field_and_nothing_is_written() {
    let mut env = Env::new();
    setup(&mut env);
    let audit_before = env.count("SELECT count(*) FROM audit");
    // Everything wrong at once: each field says its own problem.
    let all_wrong = refund("not-a-guid", "2026-13-40", "-5", Some("abc"), Some("ch_1"), "  ");
    let problems = env.ledger.check_manual_refund(&all_wrong).unwrap();
    assert_eq!(
        fields(&problems),
        vec![RefundField::Instance, RefundField::Date, RefundField::Amount, RefundField::FeeReturned, RefundField::Reason, RefundField::Charge],
        "{problems:?}"
    );
    let words = problems.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join(" | ");
    assert!(!words.contains("partner-ledger") && !words.contains("--"), "the window's words: {words}");
    match env.ledger.add_manual_refund_checked(&all_wrong, "t").unwrap() {
        RefundOutcome::Refused { problems: p } => assert_eq!(p, problems),
        other => panic!("added: {other:?}"),
    }
    // A future date, a fee above the amount, 13 integer digits.
    let p = env.ledger.check_manual_refund(&refund(I1, "2999-01-01", "5.00", Some("6.00"), None, "goodwill")).unwrap();
    assert_eq!(fields(&p), vec![RefundField::Date, RefundField::FeeReturned], "{p:?}");
    assert!(p[0].message.contains("future") && p[1].message.contains("more than the refund amount"), "{p:?}");
    let p = env.ledger.check_manual_refund(&refund(I1, "2026-10-05", "1234567890123", None, None, "goodwill")).unwrap();
    assert_eq!(fields(&p), vec![RefundField::Amount]);
    assert!(p[0].message.contains("12 integer digits"), "{p:?}");
    assert_eq!(env.count("SELECT count(*) FROM manual_refunds"), 0);
    assert_eq!(env.count("SELECT count(*) FROM audit"), audit_before);
}

#[test]
fn the_refund_form_checks_the_original_charge_and_adds_the_refund() {
    let mut env = Env::new();
    setup(&mut env);
    env.import_str("a.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1), Item::refund(1, 1, "2026-10-03 10:00:00", "-10.00", I1)]));
    let charge = env.ledger.report(&Period::parse_month("2026-10").unwrap()).unwrap().events.iter().find(|e| e.source_id.as_deref() == Some("txn_c0001")).unwrap().id.clone();
    // 29.00 charged, 10.00 refunded: 19.00 remain; the amount is the field at fault.
    let p = env.ledger.check_manual_refund(&refund(I1, "2026-10-05", "19.01", None, Some(&charge), "goodwill")).unwrap();
    assert_eq!(fields(&p), vec![RefundField::Amount]);
    assert!(p[0].message.contains("19.00"), "{p:?}");
    // Another instance's charge.
    let p = env.ledger.check_manual_refund(&refund(I2, "2026-10-05", "1.00", None, Some(&charge), "goodwill")).unwrap();
    assert_eq!(fields(&p), vec![RefundField::Charge]);
    assert!(p[0].message.contains(I1), "{p:?}");
    let p = env.ledger.check_manual_refund(&refund(I1, "2026-10-05", "1.00", None, Some("tx-99999"), "goodwill")).unwrap();
    assert_eq!(fields(&p), vec![RefundField::Charge], "{p:?}");

    let ok = refund(I1, "2026-10-05", "19.00", Some(""), Some(&charge), "goodwill");
    assert!(env.ledger.check_manual_refund(&ok).unwrap().is_empty());
    let RefundOutcome::Added { refund: info } = env.ledger.add_manual_refund_checked(&ok, "alice").unwrap() else { panic!("refused") };
    assert_eq!((info.amount.as_str(), info.fee_returned.as_str(), info.charge.as_deref()), ("19.00", "0.00", Some(charge.as_str())));
    let r = env.ledger.report(&Period::parse_month("2026-10").unwrap()).unwrap();
    let e = r.events.iter().find(|e| e.id == info.id).unwrap();
    assert_eq!((e.billing_type.as_str(), e.gross.as_str(), e.source.as_str()), ("REFUND", "-19.00", "manual"));
    // Nothing remains of the charge now.
    let p = env.ledger.check_manual_refund(&refund(I1, "2026-10-06", "0.01", None, Some(&charge), "again")).unwrap();
    assert_eq!(fields(&p), vec![RefundField::Amount]);
}

#[test]
fn a_manual_refund_is_shown_whole_then_deleted_and_the_month_view_scans_again() {
    let mut env = Env::new();
    setup(&mut env);
    env.import_str("a.csv", &itemized(&[Item::charge(1, "2026-10-02 10:00:00", "29.00", "1.14", I1)]));
    let charge = env.ledger.report(&Period::parse_month("2026-10").unwrap()).unwrap().events[0].id.clone();
    let before = env.ledger.month_summary("2026-10").unwrap();
    let wrong = env.ledger.add_manual_refund(&refund(I1, "2026-10-05", "29.00", Some("0.40"), Some(&charge), "typed on the wrong instance"), "alice").unwrap();
    // The window's view is kept per change stamp: the refund is in it once added.
    let with = env.ledger.month_summary("2026-10").unwrap();
    assert_eq!((with.refunds, with.totals.events, with.totals.gross.as_str()), (1, 2, "0.00"));

    // What the confirmation shows: the refund as entered, reason included.
    let shown = env.ledger.manual_refund(&format!(" {} ", wrong.id)).unwrap();
    assert_eq!(shown, wrong);
    assert_eq!((shown.amount.as_str(), shown.fee_returned.as_str(), shown.reason.as_str()), ("29.00", "0.40", "typed on the wrong instance"));
    for bad in ["tx-1", "mr-+1", "mr--1", "mr-1a", "MR-1", "mr-"] {
        let e = env.ledger.manual_refund(bad).unwrap_err().to_string();
        assert!(e.contains("not a manual refund id"), "{bad}: {e}");
        let e = env.ledger.delete_manual_refund(bad, "bob").unwrap_err().to_string();
        assert!(e.contains("not a manual refund id"), "{bad}: {e}");
    }
    assert!(env.ledger.manual_refund("mr-999").unwrap_err().to_string().contains("mr-999"));

    let deleted = env.ledger.delete_manual_refund(&wrong.id, "bob").unwrap();
    assert_eq!(deleted, wrong, "the answer is what was deleted");
    // The next summary and page are of the ledger as it is now, not the view kept before.
    let after = env.ledger.month_summary("2026-10").unwrap();
    assert_eq!(after, before);
    let page = env.ledger.event_page(&pl_ledger::EventQuery {
        month: "2026-10".into(),
        instance: None,
        billing_type: None,
        late: None,
        state: None,
        search: None,
        sort: pl_ledger::EventSort::Report,
        descending: false,
        offset: 0,
        limit: 100,
    }).unwrap();
    assert!(page.rows.iter().all(|l| l.id != wrong.id) && page.total == 1, "{page:?}");
    // Audited with the whole refund as it was, so it can be entered again from the log.
    let log = env.ledger.audit_log().unwrap();
    let entry = log.iter().find(|a| a.action == "manual_refund.delete").expect("audited");
    assert_eq!((entry.who.as_str(), entry.entity.as_str(), entry.after.is_none()), ("bob", format!("manual_refund:{}", wrong.id).as_str(), true));
    assert_eq!(entry.before.as_ref().unwrap()["reason"], "typed on the wrong instance");
    assert_eq!(entry.before.as_ref().unwrap()["fee_returned"], "0.40");
    // Gone: neither shown nor deleted twice, and the charge is refundable in full again.
    let audit = env.count("SELECT count(*) FROM audit");
    assert!(env.ledger.manual_refund(&wrong.id).unwrap_err().to_string().contains("already deleted"));
    assert!(env.ledger.delete_manual_refund(&wrong.id, "bob").unwrap_err().to_string().contains("already deleted"));
    assert_eq!(env.count("SELECT count(*) FROM audit"), audit);
    assert!(env.ledger.check_manual_refund(&refund(I1, "2026-10-05", "29.00", None, Some(&charge), "again")).unwrap().is_empty());

    // An approved month's refund can be looked at, not deleted; nothing is written.
    let kept = env.ledger.add_manual_refund(&refund(I1, "2026-10-06", "5.00", None, None, "goodwill"), "alice").unwrap();
    env.ledger.approve("2026-10", "t").unwrap();
    assert_eq!(env.ledger.manual_refund(&kept.id).unwrap(), kept);
    let audit = env.count("SELECT count(*) FROM audit");
    let e = env.ledger.delete_manual_refund(&kept.id, "bob").unwrap_err().to_string();
    assert!(e.contains("approved month 2026-10") && e.contains("reopen"), "{e}");
    assert_eq!(env.count("SELECT count(*) FROM audit"), audit);
    assert_eq!(env.count("SELECT count(*) FROM manual_refunds WHERE deleted_at IS NULL"), 1);
}

#[test]
fn the_month_series_gives_each_months_totals_oldest_first() {
    let mut env = Env::new();
    setup(&mut env);
    assert!(env.ledger.month_series(12).unwrap().is_empty(), "an empty ledger has no month");
    env.import_str(
        "a.csv",
        &itemized(&[
            Item::charge(1, "2026-08-02 10:00:00", "1234.00", "1.14", I1),
            Item::charge(2, "2026-10-02 10:00:00", "49.00", "1.72", I2),
            Item::charge(3, "2026-10-03 10:00:00", "10.00", "0.59", ""),
        ]),
    );
    env.ledger.approve("2026-08", "t").unwrap();
    // The view the window has open is read from its cache; the others are summed.
    let shown = env.ledger.month_summary("2026-10").unwrap();
    let s = env.ledger.month_series(12).unwrap();
    let months: Vec<&str> = s.iter().map(|p| p.month.as_str()).collect();
    assert_eq!(months, vec!["2026-08", "2026-09", "2026-10"]);
    assert_eq!((s[0].status.as_str(), s[0].events, s[0].gross.as_str(), s[0].wix_share.as_str()), ("approved", 1, "1234.00", "246.57"));
    assert_eq!((s[1].events, s[1].gross.as_str()), (0, "0.00"));
    assert_eq!((s[2].events, s[2].gross.as_str(), s[2].exceptions), (1, shown.totals.gross.as_str(), 1));
    assert_eq!(s[2].wix_share, shown.totals.wix_share);
    // Each point is the month's own report.
    let r = env.ledger.report(&Period::parse_month("2026-08").unwrap()).unwrap();
    assert_eq!((s[0].gross.as_str(), s[0].net.as_str()), (r.totals.gross.as_str(), r.totals.net.as_str()));
    assert_eq!(env.ledger.month_series(1).unwrap().iter().map(|p| p.month.as_str()).collect::<Vec<_>>(), vec!["2026-10"]);
}
