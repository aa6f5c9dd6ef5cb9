//! `POST /v1/usage`: the vendor's backend with a bearer ingestion token; idempotent on `id`
//! under retries, a conflict or a bad record refusing the whole request.
mod common;

use common::*;
use serde_json::{json, Value};

async fn post_usage(env: &Env, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut req = env.client.post(format!("{}/v1/usage", env.base())).json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn rec(id: &str, at: &str, q: Value) -> Value {
    json!({ "id": id, "instance_id": I1, "occurred_at": at, "metric": "emails", "quantity": q })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingestion_needs_a_token_and_is_idempotent_under_retries() {
    let mut env = Env::new().await;
    let token = env.ledger().new_ingestion_token("tester").unwrap();
    let batch = json!([rec("e1", "2026-03-02T10:00:00Z", json!("1.5")), rec("e2", "2026-03-03T10:00:00Z", json!(20)), rec("e3", "2026-03-04T10:00:00+01:00", json!("0"))]);
    assert_eq!(post_usage(&env, None, &batch).await.0, 401);
    assert_eq!(post_usage(&env, Some("plu_not-a-token"), &batch).await.0, 401);
    let (s, r) = post_usage(&env, Some(&token), &batch).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!((r["imported"].as_u64(), r["duplicates"].as_u64()), (Some(3), Some(0)));
    // The same request retried, four times at once: nothing more.
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (client, url, token, batch) = (env.client.clone(), format!("{}/v1/usage", env.base()), token.clone(), batch.clone());
        tasks.push(tokio::spawn(async move {
            let resp = client.post(url).bearer_auth(token).json(&batch).send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }));
    }
    for t in tasks {
        let (s, r) = t.await.unwrap();
        assert_eq!(s, 200);
        assert_eq!((r["imported"].as_u64(), r["duplicates"].as_u64()), (Some(0), Some(3)));
    }
    assert_eq!(env.ledger().usage_counts().unwrap().rows, 3);
    // The rows are the same ones `usage import` would have stored: a CSV of them is all duplicates.
    env.usage(&[("e1", I1, "2026-03-02T10:00:00Z", "emails", "1.50"), ("e3", I1, "2026-03-04T09:00:00Z", "emails", "0")]);
    assert_eq!(env.ledger().usage_counts().unwrap().rows, 3);
    env.stop().await;
}

#[tokio::test]
async fn a_conflict_or_a_bad_record_refuses_the_whole_request() {
    let mut env = Env::new().await;
    let token = env.ledger().new_ingestion_token("tester").unwrap();
    let (s, _) = post_usage(&env, Some(&token), &json!([rec("e1", "2026-03-02T10:00:00Z", json!("5"))])).await;
    assert_eq!(s, 200);
    // e1 again with another quantity, and a new e2: refused whole, e2 not stored.
    let (s, r) = post_usage(&env, Some(&token), &json!([rec("e2", "2026-03-02T11:00:00Z", json!("1")), rec("e1", "2026-03-02T10:00:00Z", json!("6"))])).await;
    assert_eq!(s, 400, "{r}");
    assert_eq!(r["rejected"][0]["line"], 2);
    assert!(r["rejected"][0]["reason"].as_str().unwrap().contains("other content"), "{r}");
    assert_eq!(env.ledger().usage_counts().unwrap().rows, 1);
    for bad in [json!("-1"), json!(1.5), json!("1e3"), json!(null)] {
        let (s, r) = post_usage(&env, Some(&token), &json!([rec("e3", "2026-03-02T10:00:00Z", bad.clone())])).await;
        assert_eq!(s, 400, "{bad}: {r}");
        assert_eq!(r["rejected"][0]["column"], "quantity", "{bad}: {r}");
    }
    let (s, _) = post_usage(&env, Some(&token), &json!([rec("e4", "1999-03-02T10:00:00Z", json!("1"))])).await;
    assert_eq!(s, 400);
    let (s, _) = post_usage(&env, Some(&token), &json!({ "not": "an array" })).await;
    assert_eq!(s, 400);
    let many: Vec<Value> = (0..=pl_provider::MAX_USAGE_RECORDS).map(|i| rec(&format!("m{i}"), "2026-03-02T10:00:00Z", json!("1"))).collect();
    let (s, _) = post_usage(&env, Some(&token), &Value::Array(many)).await;
    assert_eq!(s, 413);
    assert_eq!(env.ledger().usage_counts().unwrap().rows, 1);
    env.stop().await;
}
