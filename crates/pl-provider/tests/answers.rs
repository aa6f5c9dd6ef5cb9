//! SPEC §9's answer rules, one by one, over real HTTP on loopback: Wix's signed call in, the
//! provider's bytes out, the log checked.
mod common;

use common::*;
use pl_wix_sim::charges::PeriodEncoding;
use serde_json::Value;

const MARCH: (&str, &str) = ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z");

#[tokio::test]
async fn amounts_are_truncated_to_the_currency_minor_units_including_jpy() {
    let mut env = Env::new().await;
    env.plan("emails", "USD=0.0019,JPY=0.29", None, None);
    env.limit(None, "USD", "1000");
    env.limit(None, "JPY", "100000");
    env.usage(&[("u1", I1, "2026-03-02T10:00:00Z", "emails", "1999")]);
    // 1999 × 0.0019 = 3.7981 → 3.79 (never rounded up to 3.80)
    let usd = env.march(I1, "USD", "DISPLAY_ONLY").await;
    assert_eq!(charges(&usd), [("emails units: 1999".to_string(), "3.79".to_string())]);
    // 1999 × 0.29 = 579.71 → 579 (JPY has no minor unit)
    let jpy = env.march(I1, "JPY", "DISPLAY_ONLY").await;
    assert_eq!(amounts(&jpy), ["579"]);
    let c = &usd["charges"][0];
    assert_eq!(c["usagePeriod"]["startDate"], "2026-03-02T10:00:00.000Z");
    assert!(c["id"].as_str().unwrap().len() <= 64);
    env.stop().await;
}

#[tokio::test]
async fn a_charge_below_the_minimum_is_left_out_and_logged() {
    let mut env = Env::new().await;
    env.plan("emails", "USD=0.001", None, None);
    env.plan("sms", "USD=0.05", None, None);
    env.limit(None, "USD", "1000");
    env.usage(&[("u1", I1, "2026-03-02T10:00:00Z", "emails", "499"), ("u2", I1, "2026-03-02T11:00:00Z", "sms", "10")]);
    // emails: 0.499 → 0.49 < 0.50, left out; sms: 0.50 kept.
    let v = env.march(I1, "USD", "DISPLAY_ONLY").await;
    assert_eq!(amounts(&v), ["0.50"]);
    let log = env.log().await;
    let left: Value = serde_json::from_str(log[0].left_out.as_deref().unwrap()).unwrap();
    assert_eq!(left[0]["metric"], "emails");
    assert_eq!(left[0]["reason"], "below_minimum");
    assert_eq!(left[0]["amount"], "0.49");
    env.stop().await;
}

#[tokio::test]
async fn past_four_charges_the_rest_fold_into_other_usage_which_comes_last() {
    let mut env = Env::new().await;
    let mut rows = Vec::new();
    let ids: Vec<String> = (0..7).map(|i| format!("u{i}")).collect();
    let metrics: Vec<String> = (0..7).map(|i| format!("m{i}")).collect();
    let qty: Vec<String> = (0..7).map(|i| format!("{}", 10 + i)).collect();
    for i in 0..7 {
        env.plan(&metrics[i], "USD=1", None, None);
        rows.push((ids[i].as_str(), I1, "2026-03-05T00:00:00Z", metrics[i].as_str(), qty[i].as_str()));
    }
    env.limit(None, "USD", "1000");
    env.usage(&rows);
    let v = env.march(I1, "USD", "DISPLAY_ONLY").await;
    assert_eq!(amounts(&v), ["16.00", "15.00", "14.00", "13.00", "33.00"]);
    assert_eq!(v["charges"][4]["description"], "Other usage");
    env.stop().await;
}

#[tokio::test]
async fn the_sum_stays_strictly_below_the_limit() {
    let mut env = Env::new().await;
    for m in ["a", "b", "c"] {
        env.plan(m, "USD=1", None, None);
    }
    env.limit(None, "USD", "1000");
    env.limit(Some(I1), "USD", "80");
    env.usage(&[("u1", I1, "2026-03-05T00:00:00Z", "a", "60"), ("u2", I1, "2026-03-05T00:00:00Z", "b", "30"), ("u3", I1, "2026-03-05T00:00:00Z", "c", "20")]);
    // The instance's own limit wins over the app's default: 60 + 19.99 < 80; c left out.
    let v = env.march(I1, "USD", "DISPLAY_ONLY").await;
    assert_eq!(amounts(&v), ["60.00", "19.99"]);
    let log = env.log().await;
    let left: Vec<Value> = serde_json::from_str(log[0].left_out.as_deref().unwrap()).unwrap();
    assert!(left.iter().any(|l| l["metric"] == "b" && l["reason"] == "over_limit" && l["amount"] == "10.01"), "{left:?}");
    assert!(left.iter().any(|l| l["metric"] == "c" && l["reason"] == "over_limit"), "{left:?}");
    env.stop().await;
}

#[tokio::test]
async fn usage_without_a_price_in_the_currency_is_left_out_and_logged() {
    let mut env = Env::new().await;
    env.plan("emails", "EUR=1", None, None);
    env.plan("sms", "USD=1", None, None);
    env.limit(None, "USD", "1000");
    env.usage(&[("u1", I1, "2026-03-05T00:00:00Z", "emails", "5"), ("u2", I1, "2026-03-05T00:00:00Z", "sms", "3"), ("u3", I1, "2026-03-05T00:00:00Z", "calls", "3")]);
    let v = env.march(I1, "USD", "DISPLAY_ONLY").await;
    assert_eq!(amounts(&v), ["3.00"]);
    let log = env.log().await;
    let left: Vec<Value> = serde_json::from_str(log[0].left_out.as_deref().unwrap()).unwrap();
    let no_price: Vec<&str> = left.iter().filter(|l| l["reason"] == "no_price").map(|l| l["metric"].as_str().unwrap()).collect();
    assert_eq!(no_price, ["calls", "emails"]);
    env.stop().await;
}

#[tokio::test]
async fn with_no_limit_known_create_invoice_answers_no_charges_and_logs_it() {
    let mut env = Env::new().await;
    env.plan("emails", "USD=1", None, None);
    env.usage(&[("u1", I1, "2026-03-05T00:00:00Z", "emails", "5")]);
    let v = env.march(I1, "USD", "CREATE_INVOICE").await;
    assert_eq!(v["charges"].as_array().unwrap().len(), 0);
    let log = env.log().await;
    assert_eq!(log[0].frozen.as_deref(), Some("now"));
    assert!(log[0].left_out.as_deref().unwrap().contains("no_limit"));
    env.stop().await;
}

#[tokio::test]
async fn both_period_encodings_get_the_same_answer() {
    let mut env = Env::new().await;
    env.plan("emails", "USD=0.01", None, None);
    env.limit(None, "USD", "1000");
    env.usage(&[("u1", I1, "2026-03-31T23:59:59.999Z", "emails", "100"), ("u2", I1, "2026-04-01T00:00:00Z", "emails", "100")]);
    let mut call = env.call_for(I1, "USD", MARCH.0, MARCH.1, "DISPLAY_ONLY");
    let (_, millis) = env.post("/v1/charges", env.signer.list_charges(&call)).await;
    call.encoding = PeriodEncoding::Rfc3339;
    let (status, rfc) = env.post("/v1/charges", env.signer.list_charges(&call)).await;
    assert_eq!(status, 200);
    assert_eq!(millis, rfc);
    // The period's end is excluded: only the last millisecond of March counts.
    let v: Value = serde_json::from_str(&rfc).unwrap();
    assert_eq!(amounts(&v), ["1.00"]);
    env.stop().await;
}

#[tokio::test]
async fn a_repeated_create_invoice_is_answered_byte_for_byte_after_more_usage_arrived() {
    let mut env = Env::new().await;
    env.plan("emails", "USD=0.01", None, None);
    env.limit(None, "USD", "1000");
    env.usage(&[("u1", I1, "2026-03-05T00:00:00Z", "emails", "100")]);
    let (s1, first) = env.list(I1, "USD", MARCH.0, MARCH.1, "CREATE_INVOICE").await;
    assert_eq!(s1, 200);
    env.usage(&[("u2", I1, "2026-03-06T00:00:00Z", "emails", "900")]);
    let (_, again) = env.list(I1, "USD", MARCH.0, MARCH.1, "CREATE_INVOICE").await;
    assert_eq!(again, first);
    // DISPLAY_ONLY of the same key gets the frozen bytes too.
    let (_, shown) = env.list(I1, "USD", MARCH.0, MARCH.1, "DISPLAY_ONLY").await;
    assert_eq!(shown, first);
    let log = env.log().await;
    assert_eq!(log.iter().filter(|c| c.frozen.as_deref() == Some("before")).count(), 2);
    assert_eq!(env.frozen_answers(), 1);
    env.stop().await;
}

#[tokio::test]
async fn an_overlapping_later_period_never_charges_frozen_usage_and_charges_late_usage_inside_it() {
    let mut env = Env::new().await;
    env.plan("emails", "USD=0.01", None, None);
    env.limit(None, "USD", "1000");
    env.usage(&[("u1", I1, "2026-03-05T00:00:00Z", "emails", "100"), ("u2", I1, "2026-03-20T00:00:00Z", "emails", "200")]);
    let first = env.march(I1, "USD", "CREATE_INVOICE").await;
    assert_eq!(amounts(&first), ["3.00"]);
    // Late usage inside March arrives after the invoice, then a later period overlaps March.
    env.usage(&[("late", I1, "2026-03-25T00:00:00Z", "emails", "50"), ("u3", I1, "2026-04-03T00:00:00Z", "emails", "400")]);
    let (s, body) = env.list(I1, "USD", "2026-03-15T00:00:00Z", "2026-04-15T00:00:00Z", "CREATE_INVOICE").await;
    assert_eq!(s, 200);
    let second: Value = serde_json::from_str(&body).unwrap();
    // 50 late + 400 = 450 × 0.01; u2 (frozen in March) never again.
    assert_eq!(charges(&second), [("emails units: 450".to_string(), "4.50".to_string())]);
    assert_eq!(second["charges"][0]["usagePeriod"]["startDate"], "2026-03-25T00:00:00.000Z");
    // And again over the whole span: everything was invoiced once.
    let (_, body) = env.list(I1, "USD", "2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z", "DISPLAY_ONLY").await;
    assert_eq!(body, r#"{"charges":[]}"#);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_create_invoice_calls_at_once_freeze_one_answer() {
    let mut env = Env::new().await;
    env.plan("emails", "USD=0.01", None, None);
    env.limit(None, "USD", "1000");
    env.usage(&[("u1", I1, "2026-03-05T00:00:00Z", "emails", "100")]);
    let token = env.signer.list_charges(&env.call_for(I1, "USD", MARCH.0, MARCH.1, "CREATE_INVOICE"));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (client, base, token) = (env.client.clone(), env.base(), token.clone());
        tasks.push(tokio::spawn(async move { pl_wix_sim::charges::call(&client, &base, "/v1/charges", token).await.unwrap() }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert_eq!(status, 200);
        bodies.push(body);
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]), "{bodies:?}");
    assert_eq!(amounts(&serde_json::from_str(&bodies[0]).unwrap()), ["1.00"]);
    assert_eq!(env.frozen_answers(), 1);
    let log = env.log().await;
    assert_eq!(log.iter().filter(|c| c.frozen.as_deref() == Some("now")).count(), 1);
    assert_eq!(log.iter().filter(|c| c.frozen.as_deref() == Some("before")).count(), 7);
    env.stop().await;
}

#[tokio::test]
async fn list_usages_answers_quantities_under_the_same_freezing() {
    let mut env = Env::new().await;
    env.plan("emails", "USD=0.01", None, None);
    env.usage(&[("u1", I1, "2026-03-05T00:00:00Z", "emails", "100"), ("u2", I1, "2026-03-06T00:00:00Z", "emails", "0.5")]);
    let call = env.call_for(I1, "USD", MARCH.0, MARCH.1, "CREATE_INVOICE");
    let (s, body) = env.post("/v1/usages", env.signer.list_charges(&call)).await;
    assert_eq!(s, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["usages"][0]["counterId"], "emails");
    assert_eq!(v["usages"][0]["quantity"], "100.5");
    env.usage(&[("u3", I1, "2026-03-07T00:00:00Z", "emails", "7")]);
    let (_, again) = env.post("/v1/usages", env.signer.list_charges(&call)).await;
    assert_eq!(again, body);
    env.stop().await;
}

#[tokio::test]
async fn invoice_created_marks_the_frozen_charges_and_rejection_releases_an_answer() {
    let mut env = Env::new().await;
    env.plan("emails", "USD=1", None, None);
    env.limit(None, "USD", "1000");
    env.usage(&[("u1", I1, "2026-03-05T00:00:00Z", "emails", "30"), ("u2", I2, "2026-03-05T00:00:00Z", "emails", "40")]);
    // I1: invoiced.
    let v = env.march(I1, "USD", "CREATE_INVOICE").await;
    let id = v["charges"][0]["id"].as_str().unwrap().to_string();
    let (s, _) = env.post("/v1/invoice-created", env.signer.invoice_created(I1, "USD", "inv-1", &[(id.clone(), "30.00".into()), ("nope".into(), "1".into())])).await;
    assert_eq!(s, 200);
    let frozen = env.ledger().frozen_charges(Some(I1), 10).unwrap();
    assert_eq!(frozen[0].invoice_id.as_deref(), Some("inv-1"));
    // I2: rejected over the limit; Wix says the limit is 25: the next call is computed again.
    let v = env.march(I2, "USD", "CREATE_INVOICE").await;
    let id2 = v["charges"][0]["id"].as_str().unwrap().to_string();
    let (s, _) = env.post("/v1/charges-rejected", env.signer.charges_rejected(I2, "USD", std::slice::from_ref(&id2), Some("25"), &["CHARGE_LIMIT_EXCEEDED"])).await;
    assert_eq!(s, 200);
    let again = env.march(I2, "USD", "CREATE_INVOICE").await;
    assert_eq!(amounts(&again), ["24.99"]);
    assert_eq!(again["charges"][0]["id"], id2.as_str(), "the same stable id");
    // An invoiced answer is never released by a rejection.
    let (s, _) = env.post("/v1/charges-rejected", env.signer.charges_rejected(I1, "USD", std::slice::from_ref(&id), None, &["INVALID_FORMAT"])).await;
    assert_eq!(s, 200);
    let (_, body) = env.list(I1, "USD", MARCH.0, MARCH.1, "CREATE_INVOICE").await;
    assert_eq!(amounts(&serde_json::from_str(&body).unwrap()), ["30.00"]);
    // The limit Wix set is the instance's now, audited as wix.
    let limits = env.ledger().charge_limits().unwrap();
    assert!(limits.iter().any(|l| l.instance_id.as_deref() == Some(I2) && l.amount == "25" && l.updated_by == "wix"));
    let log = env.log().await;
    assert!(log.iter().any(|c| c.endpoint == "invoice-created" && c.note.as_deref().is_some_and(|n| n.contains("1 charge(s) marked") && n.contains("nope"))));
    env.stop().await;
}

#[tokio::test]
async fn charge_limit_answers_the_instance_limit_else_the_default_and_limit_updated_stores_it() {
    let mut env = Env::new().await;
    let (s, body) = env.post("/v1/charge-limit", env.signer.charge_limit(I1, "USD")).await;
    assert_eq!(s, 404, "{body}");
    env.limit(None, "USD", "50");
    let (s, body) = env.post("/v1/charge-limit", env.signer.charge_limit(I1, "USD")).await;
    assert_eq!((s, body.as_str()), (200, r#"{"chargeLimit":"50.00"}"#));
    let (s, _) = env.post("/v1/limit-updated", env.signer.limit_updated(I1, "USD", "75.5")).await;
    assert_eq!(s, 200);
    let (_, body) = env.post("/v1/charge-limit", env.signer.charge_limit(I1, "USD")).await;
    assert_eq!(body, r#"{"chargeLimit":"75.50"}"#);
    let audit = env.ledger().audit_log().unwrap();
    assert!(audit.iter().any(|a| a.action == "charge_limit.set" && a.who == "wix"));
    env.stop().await;
}

#[tokio::test]
async fn a_bad_question_is_400_and_logged() {
    let mut env = Env::new().await;
    let mut call = env.call_for(I1, "USD", MARCH.1, MARCH.0, "CREATE_INVOICE");
    let (s, _) = env.post("/v1/charges", env.signer.list_charges(&call)).await;
    assert_eq!(s, 400);
    call = env.call_for(I1, "USD", MARCH.0, MARCH.1, "MAYBE");
    let (s, _) = env.post("/v1/charges", env.signer.list_charges(&call)).await;
    assert_eq!(s, 400);
    call = env.call_for("not-a-guid", "USD", MARCH.0, MARCH.1, "DISPLAY_ONLY");
    let (s, _) = env.post("/v1/charges", env.signer.list_charges(&call)).await;
    assert_eq!(s, 400);
    // A body over the size limit.
    let (s, _) = env.post("/v1/charges", "a".repeat(pl_provider::MAX_WIX_BODY + 1)).await;
    assert_eq!(s, 413);
    let log = env.log().await;
    assert_eq!(log.iter().filter(|c| c.status == 400).count(), 3);
    assert_eq!(log.iter().filter(|c| c.status == 413).count(), 1);
    assert_eq!(env.frozen_answers(), 0);
    env.stop().await;
}
