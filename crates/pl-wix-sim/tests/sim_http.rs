//! The simulator over real HTTP: validation, auth, rate limiting, control endpoints, binary.

use pl_wix_sim::{SimConfig, SimHandle, Simulator};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const APP: &str = "app-1";
const API_KEY: &str = "key-1";
const ACCOUNT: &str = "acct-1";

fn config() -> SimConfig {
    SimConfig {
        app_id: APP.into(),
        app_secret: "secret-1".into(),
        api_key: Some(API_KEY.into()),
        account_id: Some(ACCOUNT.into()),
        ..SimConfig::default()
    }
}

async fn start(cfg: SimConfig) -> SimHandle {
    Simulator::start(cfg).await.unwrap()
}

async fn post(base: &str, path: &str, headers: &[(&str, &str)], body: Value) -> (u16, Value) {
    let mut req = reqwest::Client::new().post(format!("{base}{path}")).json(&body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn token(base: &str, instance: &str) -> String {
    let (s, b) = post(
        base,
        "/oauth2/token",
        &[],
        json!({"grant_type": "client_credentials", "client_id": APP, "client_secret": "secret-1",
               "instance_id": instance}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["token_type"], "Bearer");
    assert!(b["expires_in"].as_u64().unwrap() > 0);
    b["access_token"].as_str().unwrap().to_string()
}

fn good_event() -> Value {
    json!({"grossRevenue": "110", "netRevenue": "100", "wixShare": "10.0000000001",
           "createdDate": "2025-05-04T00:00:00Z", "billingType": "CHARGE"})
}

async fn billing_with_key(base: &str, event: Value) -> (u16, Value) {
    post(base, "/apps/v1/billing-event", &[("Authorization", API_KEY), ("wix-account-id", ACCOUNT)], json!({"event": event})).await
}

fn violations(body: &Value) -> Vec<(String, String)> {
    body["details"]["validationError"]["fieldViolations"]
        .as_array()
        .unwrap_or(&vec![])
        .iter()
        .map(|v| (v["field"].as_str().unwrap().to_string(), v["description"].as_str().unwrap().to_string()))
        .collect()
}

fn with_app(mut ev: Value) -> Value {
    ev["appId"] = json!(APP);
    ev
}

#[tokio::test]
async fn accepts_and_echoes_a_valid_event() {
    let sim = start(config()).await;
    let (s, b) = post(&sim.base_url(), "/oauth2/token", &[], json!({"grant_type": "client_credentials",
        "client_id": APP, "client_secret": "secret-1", "instance_id": "inst-1"})).await;
    assert_eq!(s, 200);
    assert_eq!(b["expires_in"], 14_400);
    let t = b["access_token"].as_str().unwrap().to_string();
    let (s, b) = post(&sim.base_url(), "/apps/v1/billing-event", &[("Authorization", &t)], json!({"event": good_event()})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(sim.token_requests(), 1);
    assert_eq!(b["event"]["appId"], APP);
    assert_eq!(b["event"]["instanceId"], "inst-1");
    assert_eq!(b["event"]["wixShare"], "10.0000000001");
    assert_eq!(sim.accepted().len(), 1);
    assert_eq!(sim.accepted()[0].instance_id.as_deref(), Some("inst-1"));
}

#[tokio::test]
async fn validation_errors() {
    let sim = start(config()).await;
    let base = sim.base_url();
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!({"wixShare": "1", "billingType": "CHARGE"}), "event.grossRevenue", "is required"),
        (json!({"grossRevenue": "1", "billingType": "CHARGE"}), "event.wixShare", "is required"),
        (json!({"grossRevenue": "1", "wixShare": "1"}), "event.billingType", "is required"),
        (json!({"grossRevenue": 12.5, "wixShare": "1", "billingType": "CHARGE"}), "event.grossRevenue", "not a JSON number"),
        (json!({"grossRevenue": "1", "netRevenue": 3, "wixShare": "1", "billingType": "CHARGE"}), "event.netRevenue", "not a JSON number"),
        (json!({"grossRevenue": "1.00000000001", "wixShare": "1", "billingType": "CHARGE"}), "event.grossRevenue", "more than 10 decimal places"),
        (json!({"grossRevenue": "12,50", "wixShare": "1", "billingType": "CHARGE"}), "event.grossRevenue", "not a decimal number"),
        (json!({"grossRevenue": "1", "wixShare": "1", "billingType": "CHARGEBACK"}), "event.billingType", "CHARGE or REFUND"),
        (json!({"grossRevenue": "1", "wixShare": "1", "billingType": "UNKNOWN"}), "event.billingType", "CHARGE or REFUND"),
        (json!({"grossRevenue": "1", "wixShare": "1", "billingType": "CHARGE", "createdDate": "02/10/2026"}), "event.createdDate", "RFC 3339"),
        // Wix's curl examples use snake_case: the schema is camelCase, so these are missing.
        (json!({"gross_revenue": "1", "wix_share": "1", "billing_type": "CHARGE"}), "event.grossRevenue", "is required"),
    ];
    for (ev, field, words) in cases {
        let (s, b) = billing_with_key(&base, with_app(ev.clone())).await;
        assert_eq!(s, 400, "{ev} → {b}");
        let v = violations(&b);
        assert!(v.iter().any(|(f, d)| f == field && d.contains(words)), "{ev} → {v:?}");
    }
    // A body without "event" (OAuth: with the API key the missing appId is reported first).
    let t = token(&base, "inst-1").await;
    let (s, b) = post(&base, "/apps/v1/billing-event", &[("Authorization", &t)], json!({"grossRevenue": "1"})).await;
    assert_eq!(s, 400);
    assert_eq!(violations(&b)[0].0, "event");
    // Scale 10 and negative amounts are fine.
    let (s, b) = billing_with_key(&base, with_app(json!({"grossRevenue": "-120.5000000000", "wixShare": "-24.10", "billingType": "REFUND"}))).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(sim.accepted().len(), 1, "invalid events are never recorded");
}

#[tokio::test]
async fn auth_errors() {
    let mut cfg = config();
    cfg.uninstalled_instances.insert("gone".into());
    cfg.token_ttl_secs = 1;
    let sim = start(cfg).await;
    let base = sim.base_url();
    let body = json!({"event": with_app(good_event())});
    let path = "/apps/v1/billing-event";

    let (s, b) = post(&base, path, &[], body.clone()).await;
    assert_eq!((s, b["details"]["applicationError"]["code"].as_str()), (401, Some("UNAUTHENTICATED")));
    let (s, _) = post(&base, path, &[("Authorization", "nonsense")], body.clone()).await;
    assert_eq!(s, 401);
    let (s, _) = post(&base, path, &[("Authorization", API_KEY)], body.clone()).await;
    assert_eq!(s, 403, "API key without account id");
    let (s, _) = post(&base, path, &[("Authorization", API_KEY), ("wix-account-id", "other")], body.clone()).await;
    assert_eq!(s, 403);
    let (s, b) = billing_with_key(&base, good_event()).await;
    assert_eq!(s, 400, "API key needs appId");
    assert_eq!(violations(&b)[0].0, "event.appId");

    // Token endpoint.
    let (s, b) = post(&base, "/oauth2/token", &[], json!({"grant_type": "client_credentials", "client_id": APP, "client_secret": "secret-1", "instance_id": "gone"})).await;
    assert_eq!(s, 400);
    assert_eq!(b["details"]["applicationError"]["code"], "APP_NOT_INSTALLED");
    let (s, _) = post(&base, "/oauth2/token", &[], json!({"grant_type": "client_credentials", "client_id": APP, "client_secret": "wrong", "instance_id": "i"})).await;
    assert_eq!(s, 401);
    let (s, _) = post(&base, "/oauth2/token", &[], json!({"grant_type": "password", "client_id": APP, "client_secret": "secret-1", "instance_id": "i"})).await;
    assert_eq!(s, 400);
    assert_eq!(sim.stats().token_refusals, 3);

    // Expired token, and the "Bearer " prefix Wix does not use.
    let t = token(&base, "inst-1").await;
    let bearer = format!("Bearer {t}");
    let (s, _) = post(&base, path, &[("Authorization", &bearer)], body.clone()).await;
    assert_eq!(s, 401);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (s, b) = post(&base, path, &[("Authorization", &t)], body.clone()).await;
    assert_eq!(s, 401);
    assert!(b["message"].as_str().unwrap().contains("expired"));
    assert!(sim.accepted().is_empty());
}

#[tokio::test]
async fn external_billing_disabled_is_428() {
    let sim = start(SimConfig { external_billing_enabled: false, ..config() }).await;
    let (s, b) = billing_with_key(&sim.base_url(), with_app(good_event())).await;
    assert_eq!(s, 428);
    assert_eq!(b["details"]["applicationError"]["code"], "FAILED_PRECONDITION");
    assert!(sim.accepted().is_empty());
}

#[tokio::test]
async fn rate_limit_per_instance() {
    let sim = start(SimConfig { rate_limit_per_minute: Some(5), ..config() }).await;
    let base = sim.base_url();
    let t1 = token(&base, "inst-1").await;
    let t2 = token(&base, "inst-2").await;
    let body = json!({"event": good_event()});
    for _ in 0..5 {
        let (s, _) = post(&base, "/apps/v1/billing-event", &[("Authorization", &t1)], body.clone()).await;
        assert_eq!(s, 200);
    }
    let (s, b) = post(&base, "/apps/v1/billing-event", &[("Authorization", &t1)], body.clone()).await;
    assert_eq!(s, 429);
    assert_eq!(b["details"]["applicationError"]["code"], "RESOURCE_EXHAUSTED");
    let (s, _) = post(&base, "/apps/v1/billing-event", &[("Authorization", &t2)], body.clone()).await;
    assert_eq!(s, 200, "the limit is per instance");
    assert_eq!(sim.stats().rate_limited, 1);
    assert_eq!(sim.accepted().len(), 6);

    // No throttling when not configured.
    let sim = start(SimConfig { rate_limit_per_minute: None, ..config() }).await;
    let t = token(&sim.base_url(), "inst-1").await;
    for _ in 0..250 {
        let (s, _) = post(&sim.base_url(), "/apps/v1/billing-event", &[("Authorization", &t)], body.clone()).await;
        assert_eq!(s, 200);
    }
}

#[tokio::test]
async fn default_rate_limit_is_200_per_minute() {
    let sim = start(config()).await;
    let t = token(&sim.base_url(), "inst-1").await;
    let body = json!({"event": good_event()});
    let mut codes = Vec::new();
    for _ in 0..201 {
        codes.push(post(&sim.base_url(), "/apps/v1/billing-event", &[("Authorization", &t)], body.clone()).await.0);
    }
    assert!(codes[..200].iter().all(|c| *c == 200));
    assert_eq!(codes[200], 429);
}

#[tokio::test]
async fn control_endpoints_drive_faults() {
    let sim = start(config()).await;
    let base = sim.base_url();
    let plan = json!({"rules": [
        {"nth": 1, "kind": "status", "code": 503},
        {"nth": 2, "kind": "status", "code": 500},
        {"instance": "inst-9", "kind": "reject"}
    ]});
    let (s, b) = post(&base, "/_sim/faults", &[], plan).await;
    assert_eq!((s, b["rules"].as_u64()), (200, Some(3)));
    let got: Value = reqwest::get(format!("{base}/_sim/faults")).await.unwrap().json().await.unwrap();
    assert_eq!(got["rules"][0]["code"], 503);

    let ev = with_app(good_event());
    assert_eq!(billing_with_key(&base, ev.clone()).await.0, 503);
    assert_eq!(billing_with_key(&base, ev.clone()).await.0, 500);
    assert_eq!(billing_with_key(&base, ev.clone()).await.0, 200);
    let mut ev9 = ev.clone();
    ev9["instanceId"] = json!("inst-9");
    assert_eq!(billing_with_key(&base, ev9).await.0, 400);

    let accepted: Value = reqwest::get(format!("{base}/_sim/accepted")).await.unwrap().json().await.unwrap();
    let list = accepted.as_array().unwrap();
    assert_eq!(list.len(), 2, "the 500 was processed, the 503 and the reject were not: {accepted}");
    assert_eq!(list[0]["request_no"], 2);
    assert_eq!(list[0]["flow"], "api_key");

    let stats: Value = reqwest::get(format!("{base}/_sim/stats")).await.unwrap().json().await.unwrap();
    assert_eq!(stats["billing_requests"], 4);
    assert_eq!(stats["faults_applied"], 3);
    assert_eq!(stats["by_status"]["503"], 1);

    let (s, _) = post(&base, "/_sim/faults", &[], json!([{"kind": "status", "code": 99}])).await;
    assert_eq!(s, 400);
    let (s, _) = post(&base, "/_sim/reset", &[], json!({})).await;
    assert_eq!(s, 200);
    assert!(sim.accepted().is_empty());
    assert_eq!(sim.billing_requests(), 0);
}

#[tokio::test]
async fn drop_faults_close_without_answer() {
    let sim = start(config()).await;
    let base = sim.base_url();
    let (s, _) = post(&base, "/_sim/faults", &[], json!([{"nth": 1, "kind": "drop_before_processing"}, {"nth": 2, "kind": "drop_after_processing"}])).await;
    assert_eq!(s, 200);
    for _ in 0..2 {
        let r = reqwest::Client::new()
            .post(format!("{base}/apps/v1/billing-event"))
            .header("Authorization", API_KEY)
            .header("wix-account-id", ACCOUNT)
            .json(&json!({"event": with_app(good_event())}))
            .send()
            .await;
        assert!(r.is_err(), "no answer expected");
    }
    assert_eq!(sim.accepted().len(), 1);
    assert_eq!(sim.accepted()[0].request_no, 2);
    assert_eq!(sim.stats().dropped, 2);
}

#[test]
fn binary_prints_its_url_and_serves() {
    let dir = std::env::temp_dir().join(format!("wix-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plan = dir.join("faults.json");
    std::fs::write(&plan, r#"[{"nth": 1, "kind": "status", "code": 502}]"#).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_wix-sim"))
        .args(["--app-id", APP, "--api-key", API_KEY, "--account-id", ACCOUNT, "--uninstalled", "gone", "--no-rate-limit"])
        .arg("--faults")
        .arg(&plan)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.trim().strip_prefix("listening on ").expect("first line").to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{line}");

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(async {
            let ev = with_app(good_event());
            assert_eq!(billing_with_key(&base, ev.clone()).await.0, 502);
            assert_eq!(billing_with_key(&base, ev).await.0, 200);
            let (s, _) = post(&base, "/oauth2/token", &[], json!({"grant_type": "client_credentials", "client_id": APP, "client_secret": "sim-app-secret", "instance_id": "gone"})).await;
            assert_eq!(s, 400);
            let stats: Value = reqwest::get(format!("{base}/_sim/stats")).await.unwrap().json().await.unwrap();
            assert_eq!(stats["accepted"], 1);
        })
    }));
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(p) = result {
        std::panic::resume_unwind(p);
    }
}
