//! The streamed report (`Ledger::report_stream`, what the CLI prints and exports) gives, byte
//! for byte, what serialising `Ledger::report` gives: JSON and Wix CSV, open and approved
//! months, quarters.
mod common;

use common::*;
use pl_ledger::{NewManualRefund, Period};

fn same_bytes(env: &Env, period: &Period) {
    let l = &env.ledger;
    let r = l.report(period).unwrap();
    let mut old = Vec::new();
    serde_json::to_writer(&mut old, &r).unwrap();
    let mut new = Vec::new();
    l.write_report_json(period, &mut new).unwrap();
    assert_eq!(String::from_utf8(new).unwrap(), String::from_utf8(old).unwrap(), "{period:?}");
    let tz = l.timezone().unwrap();
    let both = l.report_stream(period, true).unwrap();
    for excel in [false, true] {
        let mut old = Vec::new();
        pl_ledger::export::write_wix(&r, tz, &mut old, excel).unwrap();
        let mut new = Vec::new();
        both.write_wix(&mut new, excel).unwrap();
        assert_eq!(String::from_utf8(new).unwrap(), String::from_utf8(old).unwrap(), "{period:?} excel={excel}");
    }
    let mut summary = r.clone();
    summary.events.clear();
    assert_eq!(both.summary(), summary);
    assert_eq!(l.report_stream(period, false).unwrap().summary(), summary);
}

#[test]
fn the_streamed_report_is_the_serialised_report() {
    let mut env = Env::new();
    env.ledger.set_app("157f033e-c1ae-4418-adb0-79d2bcd9d4a8", "Acme \"Forms\"", "t").unwrap();
    env.ledger.add_rate("2020-01-01", "20", None, "t").unwrap();
    env.ledger.add_rate("2026-01-01", "12.5", Some(I2), "t").unwrap();
    env.ledger.add_rate("2026-10-10", "0", Some(I3), "t").unwrap();
    // September, approved with one row.
    env.import_str("sep.csv", &itemized(&[Item::charge(1, "2026-09-10 10:00:00", "29.00", "1.14", I1)]));
    env.ledger.approve("2026-09", "alice").unwrap();
    let mut odd = Item::charge(4, "2026-10-03 09:00:00", "10.00", "0.59", I2);
    odd.description = "=cmd \"quoted\" back\\slash\ttab\nline é 漢".into();
    let mut plus = Item::charge(5, "2026-10-04 23:30:00", "7.00", "0.50", I3);
    plus.description = "+1 @x -y".into();
    let mut eur = Item::charge(6, "2026-10-05 10:00:00", "100.00", "3.20", I1);
    eur.currency = "eur";
    let mut gbp = Item::charge(7, "2026-10-05 11:00:00", "50.00", "1.20", I2);
    gbp.currency = "gbp";
    let mut nobody = Item::charge(8, "2026-10-06 10:00:00", "5.00", "0.45", "");
    nobody.customer = "cus_unmapped".into();
    let mut rows = vec![
        // A late row of approved September, and October's own.
        Item::charge(2, "2026-09-20 10:00:00", "49.00", "1.72", I1),
        Item::charge(3, "2026-10-02 10:00:00", "29.00", "1.14", I1),
        odd,
        plus,
        eur,
        gbp,
        nobody,
        // Refunds: one within its charge, two that together exceed theirs.
        Item::refund(1, 3, "2026-10-07 10:00:00", "-10.00", I1),
        Item::refund(2, 4, "2026-10-08 10:00:00", "-6.00", I2),
        Item::refund(3, 4, "2026-10-09 10:00:00", "-6.00", I2),
        Item::charge(9, "2026-10-31 23:59:59", "1.00", "0.00", I3),
        Item::charge(10, "2026-11-01 00:00:00", "2.00", "0.00", I3),
    ];
    // Many more rows, so that every worker gets chunks.
    for n in 0..300u32 {
        let inst = [I1, I2, I3][n as usize % 3];
        rows.push(Item::charge(100 + n, &format!("2026-10-{:02} {:02}:{:02}:00", 1 + n % 30, n % 24, n % 60), &format!("{}.{:02}", 1 + n, n % 100), "0.30", inst));
    }
    env.import_str("oct.csv", &itemized(&rows));
    let fx = env.file("fx.csv", "date,currency,usd_per_unit\n2026-10-01,EUR,1.08125\n");
    env.ledger.import_fx(&fx, "t").unwrap();
    let refund = |date: &str, reason: &str| NewManualRefund {
        instance: I1.into(),
        date: date.into(),
        amount: "3.00".into(),
        fee_returned: Some("0.10".into()),
        charge: None,
        reason: reason.into(),
    };
    env.ledger.add_manual_refund(&refund("2026-10-12", "goodwill \"gesture\"\\"), "t").unwrap();
    env.ledger.add_manual_refund(&refund("2026-10-13", "=SUM(A1)"), "t").unwrap();

    let oct = Period::parse_month("2026-10").unwrap();
    let r = env.ledger.report(&oct).unwrap();
    assert!(r.events.iter().any(|e| e.late), "a late event");
    assert!(r.events.iter().any(|e| e.source == "manual"), "manual refunds");
    assert!(r.events.iter().any(|e| e.expense_note.contains("EUR")), "a converted row");
    let kinds: Vec<&str> = r.exceptions.iter().map(|e| e.kind.as_str()).collect();
    for k in ["unresolved_instance", "missing_fx_rate", "refund_exceeds_charge"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    same_bytes(&env, &oct);
    for p in ["2026-09", "2026-11", "2026-12"] {
        same_bytes(&env, &Period::parse_month(p).unwrap());
    }
    same_bytes(&env, &Period::parse_quarter("2026-Q3").unwrap());
    same_bytes(&env, &Period::parse_quarter("2026-Q4").unwrap());

    // Another time zone, fees not deducted.
    env.ledger.set_setting("timezone", "Pacific/Chatham", "t").unwrap();
    env.ledger.set_setting("deduct_processor_fees", "false", "t").unwrap();
    same_bytes(&env, &oct);
    same_bytes(&env, &Period::parse_quarter("2026-Q4").unwrap());
    env.ledger.set_setting("timezone", "UTC", "t").unwrap();
    env.ledger.set_setting("deduct_processor_fees", "true", "t").unwrap();

    // October approved once its exceptions are dealt with: its frozen events stream the same.
    let gbp = env.file("fx2.csv", "date,currency,usd_per_unit\n2026-10-01,GBP,1.26125\n");
    env.ledger.import_fx(&gbp, "t").unwrap();
    env.ledger.map_customer("cus_unmapped", I2, "t").unwrap();
    let r = env.ledger.report(&oct).unwrap();
    let over: Vec<i64> = r.exceptions.iter().filter_map(|e| e.txn_id).collect();
    assert_eq!(r.exceptions.len(), 1, "{:?}", r.exceptions);
    env.ledger.connection().execute("UPDATE txns SET undone = 1 WHERE id = ?1", [over[0]]).unwrap();
    env.ledger.approve("2026-10", "alice").unwrap();
    env.ledger.connection().execute("UPDATE events SET state = 'sent' WHERE seq % 7 = 3", []).unwrap();
    same_bytes(&env, &oct);
    same_bytes(&env, &Period::parse_month("2026-11").unwrap());
    same_bytes(&env, &Period::parse_quarter("2026-Q4").unwrap());
}

#[test]
fn a_report_computed_without_its_events_refuses_to_write_them() {
    let env = Env::new();
    let oct = Period::parse_month("2026-10").unwrap();
    let summary = env.ledger.report_stream(&oct, false).unwrap();
    let err = summary.write_json(&mut Vec::new()).unwrap_err().to_string();
    assert!(err.contains("without its events"), "{err}");
    let err = summary.write_wix(Vec::new(), false).unwrap_err().to_string();
    assert!(err.contains("without its events"), "{err}");
}

#[test]
fn the_streamed_report_says_which_rate_as_the_serialised_report_does() {
    let mut env = Env::new();
    env.ledger.set_app("157f033e-c1ae-4418-adb0-79d2bcd9d4a8", "Acme Forms", "t").unwrap();
    env.ledger.add_rate("2024-01-01", "0", None, "t").unwrap();
    env.ledger.add_rate("2025-01-01", "20", None, "t").unwrap();
    env.ledger.add_rate("2024-06-01", "5", Some(I2), "t").unwrap();
    env.ledger.set_setting("refund_rate", "original_charge", "t").unwrap();
    let mut rows = vec![Item::charge(1, "2024-11-03 10:00:00", "100.00", "3.20", I1), Item::charge(2, "2024-12-03 10:00:00", "80.00", "2.00", I2)];
    rows.push(Item::refund(1, 1, "2025-10-04 10:00:00", "-100.00", I1));
    rows.push(Item::refund(2, 2, "2025-10-05 10:00:00", "-30.00", I2));
    rows.push(Item::refund(3, 7, "2025-10-06 10:00:00", "-10.00", I1));
    rows.push(Item::charge(3, "2025-10-07 10:00:00", "10.00", "0.50", I1));
    let mut dispute = Item::refund(4, 2, "2025-10-08 10:00:00", "-50.00", I2);
    dispute.category = "dispute";
    dispute.txn = "txn_d4".into();
    rows.push(dispute);
    env.import_str("a.csv", &itemized(&rows));
    let charge = format!("tx-{}", env.count("SELECT id FROM txns WHERE source_id = 'txn_c0001'"));
    let _ = env.ledger.add_manual_refund(
        &NewManualRefund { instance: I1.into(), date: "2025-10-09".into(), amount: "0.01".into(), fee_returned: None, charge: Some(charge), reason: "r".into() },
        "t",
    );
    env.ledger
        .add_manual_refund(
            &NewManualRefund { instance: I1.into(), date: "2025-10-10".into(), amount: "5.00".into(), fee_returned: Some("0.20".into()), charge: None, reason: "r".into() },
            "t",
        )
        .unwrap();
    let period = Period::parse_month("2025-10").unwrap();
    let rep = env.ledger.report(&period).unwrap();
    let bases: Vec<&str> = rep.events.iter().map(|e| e.rate_basis.as_str()).collect();
    assert!(bases.contains(&"rate of the original charge of 2024-11-03") && bases.contains(&"rate of the original charge of 2024-12-03"), "{bases:?}");
    assert!(bases.contains(&"rate in force on 2025-10-06"), "{bases:?}");
    same_bytes(&env, &period);
    env.ledger.approve("2025-10", "t").unwrap();
    same_bytes(&env, &period);
    // An event approved before the basis was kept: old words, both paths alike.
    env.ledger.connection().execute("UPDATE events SET rate_basis = NULL WHERE rowid % 2 = 0", []).unwrap();
    same_bytes(&env, &period);
    same_bytes(&env, &Period::parse_quarter("2025-Q4").unwrap());
}
