//! The client against the simulator over real loopback HTTP.

use chrono::{TimeZone, Utc};
use pl_wix::{
    AuthFlow, BillingEvent, BillingType, Client, FailureClass, ManualClock, Secret, Secrets,
    SendFailure, WixConfig,
};
use pl_wix_sim::{Fault, FaultPlan, FaultRule, SimAuthFlow, SimConfig, SimHandle, Simulator};
use rust_decimal::Decimal;
use serde_json::json;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

const APP_ID: &str = "9a1b2c3d-0000-4000-8000-00000000a001";
const APP_SECRET: &str = "S3CRET-app-secret-7f1c";
const API_KEY: &str = "S3CRET-api-key-99ab";
const ACCOUNT: &str = "acct-0042";

fn sim_config() -> SimConfig {
    SimConfig {
        app_id: APP_ID.into(),
        app_secret: APP_SECRET.into(),
        api_key: Some(API_KEY.into()),
        account_id: Some(ACCOUNT.into()),
        rate_limit_per_minute: None,
        ..SimConfig::default()
    }
}

async fn start(cfg: SimConfig) -> SimHandle {
    Simulator::start(cfg).await.expect("simulator starts")
}

fn oauth_only() -> Secrets {
    Secrets { app_secret: Some(Secret::new(APP_SECRET)), api_key: None, account_id: None }
}

fn api_key_only() -> Secrets {
    Secrets { app_secret: None, api_key: Some(Secret::new(API_KEY)), account_id: Some(ACCOUNT.into()) }
}

fn both() -> Secrets {
    Secrets {
        app_secret: Some(Secret::new(APP_SECRET)),
        api_key: Some(Secret::new(API_KEY)),
        account_id: Some(ACCOUNT.into()),
    }
}

fn client_for(base: &str, secrets: Secrets) -> Client {
    let cfg = WixConfig::new(APP_ID).with_base_url(base).with_timeout(Duration::from_secs(5));
    Client::new(cfg, secrets).expect("client")
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn event(instance: &str) -> BillingEvent {
    BillingEvent {
        instance_id: instance.into(),
        gross_revenue: dec("149.00"),
        net_revenue: dec("144.63"),
        wix_share: dec("28.926"),
        created_date: Utc.with_ymd_and_hms(2026, 10, 2, 10, 0, 0).unwrap(),
        billing_type: BillingType::Charge,
    }
}

fn refund(instance: &str) -> BillingEvent {
    BillingEvent {
        gross_revenue: dec("-49.00"),
        net_revenue: dec("-49.00"),
        wix_share: dec("-9.80"),
        billing_type: BillingType::Refund,
        ..event(instance)
    }
}

fn assert_no_secret(text: &str) {
    for s in [APP_SECRET, API_KEY] {
        assert!(!text.contains(s), "secret leaked in: {text}");
    }
}

fn fail_text(f: &SendFailure) -> String {
    format!("{f} | {f:?} | {}", f.body.clone().unwrap_or_default())
}

#[tokio::test]
async fn oauth_happy_path_sends_camel_case_strings() {
    let sim = start(sim_config()).await;
    let client = client_for(&sim.base_url(), oauth_only());
    let ok = client.report_event(&event("inst-1")).await.expect("accepted");
    assert_eq!(ok.status, 200);
    assert_eq!(ok.flow, AuthFlow::OAuth);
    let echoed: serde_json::Value = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(echoed["event"]["appId"], APP_ID);
    assert_eq!(echoed["event"]["instanceId"], "inst-1");

    let ok = client.report_event(&refund("inst-1")).await.expect("accepted");
    assert_eq!(ok.status, 200);

    let acc = sim.accepted();
    assert_eq!(acc.len(), 2);
    assert_eq!(acc[0].flow, SimAuthFlow::OAuth);
    assert_eq!(acc[0].instance_id.as_deref(), Some("inst-1"));
    assert_eq!(
        acc[0].event,
        json!({"instanceId": "inst-1", "grossRevenue": "149.00", "netRevenue": "144.63",
               "wixShare": "28.926", "createdDate": "2026-10-02T10:00:00Z", "billingType": "CHARGE"})
    );
    assert_eq!(acc[1].event["grossRevenue"], "-49.00");
    assert_eq!(acc[1].event["wixShare"], "-9.80");
    assert_eq!(acc[1].event["billingType"], "REFUND");
}

#[tokio::test]
async fn alias_path_is_configurable() {
    let sim = start(sim_config()).await;
    let mut cfg = WixConfig::new(APP_ID).with_base_url(format!("{}/", sim.base_url()));
    cfg.billing_path = "/v1/billing-event".into();
    let client = Client::new(cfg, oauth_only()).unwrap();
    client.report_event(&event("inst-1")).await.expect("accepted");
    assert_eq!(sim.accepted().len(), 1);
}

#[tokio::test]
async fn token_is_cached_per_instance_and_renewed_before_expiry() {
    let sim = start(sim_config()).await;
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 10, 2, 8, 0, 0).unwrap()));
    let client = client_for(&sim.base_url(), oauth_only()).with_clock(clock.clone());
    for _ in 0..5 {
        client.report_event(&event("inst-1")).await.expect("accepted");
    }
    assert_eq!(sim.token_requests(), 1, "one token for many events of one instance");
    client.report_event(&event("inst-2")).await.expect("accepted");
    assert_eq!(sim.token_requests(), 2, "one token per instance");

    // 4 h token, renewed 5 min before expiry.
    clock.advance(chrono::Duration::seconds(14_400 - 300 - 1));
    client.report_event(&event("inst-1")).await.expect("accepted");
    assert_eq!(sim.token_requests(), 2, "still inside the margin");
    clock.advance(chrono::Duration::seconds(2));
    client.report_event(&event("inst-1")).await.expect("accepted");
    assert_eq!(sim.token_requests(), 3, "renewed within 5 minutes of expiry");
    assert_eq!(sim.accepted().len(), 8);
}

#[tokio::test]
async fn concurrent_events_share_one_token_request() {
    let sim = start(sim_config()).await;
    let client = Arc::new(client_for(&sim.base_url(), oauth_only()));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let c = client.clone();
        tasks.push(tokio::spawn(async move { c.report_event(&event("inst-c")).await }));
    }
    for t in tasks {
        t.await.unwrap().expect("accepted");
    }
    assert_eq!(sim.token_requests(), 1);
    assert_eq!(sim.accepted().len(), 8);
}

#[tokio::test]
async fn api_key_flow_sends_app_id_and_account() {
    let sim = start(sim_config()).await;
    let client = client_for(&sim.base_url(), api_key_only());
    let ok = client.report_event(&event("inst-1")).await.expect("accepted");
    assert_eq!(ok.flow, AuthFlow::ApiKey);
    assert_eq!(sim.token_requests(), 0);
    let acc = sim.accepted();
    assert_eq!(acc[0].flow, SimAuthFlow::ApiKey);
    assert_eq!(acc[0].event["appId"], APP_ID);
    assert_eq!(acc[0].event["instanceId"], "inst-1");
}

#[tokio::test]
async fn uninstalled_instance_falls_back_to_api_key() {
    let mut cfg = sim_config();
    cfg.uninstalled_instances.insert("inst-gone".into());
    let sim = start(cfg).await;
    let client = client_for(&sim.base_url(), both());

    let ok = client.report_event(&event("inst-gone")).await.expect("accepted via API key");
    assert_eq!(ok.flow, AuthFlow::ApiKey);
    let ok = client.report_event(&event("inst-gone")).await.expect("accepted via API key");
    assert_eq!(ok.flow, AuthFlow::ApiKey);
    assert_eq!(sim.token_requests(), 1, "the refusal is remembered for the instance");

    let ok = client.report_event(&event("inst-live")).await.expect("accepted");
    assert_eq!(ok.flow, AuthFlow::OAuth);

    let acc = sim.accepted();
    assert_eq!(acc.len(), 3);
    assert_eq!(acc[0].flow, SimAuthFlow::ApiKey);
    assert_eq!(acc[0].instance_id.as_deref(), Some("inst-gone"));
    assert_eq!(acc[2].flow, SimAuthFlow::OAuth);
}

#[tokio::test]
async fn refused_token_without_api_key_is_config() {
    let mut cfg = sim_config();
    cfg.uninstalled_instances.insert("inst-gone".into());
    let sim = start(cfg).await;
    let client = client_for(&sim.base_url(), oauth_only());
    let f = client.report_event(&event("inst-gone")).await.unwrap_err();
    assert_eq!(f.class, FailureClass::Config, "{f}");
    assert!(f.message.contains("uninstalled"), "{f}");
    assert!(f.message.contains("not installed"), "Wix's words are kept: {f}");
    assert_eq!(sim.billing_requests(), 0);
    assert_no_secret(&fail_text(&f));

    // A wrong app secret is a configuration problem too, and the wrong secret is not echoed.
    let bad = Secrets { app_secret: Some(Secret::new("S3CRET-wrong-one")), ..Secrets::default() };
    let f = client_for(&sim.base_url(), bad).report_event(&event("inst-1")).await.unwrap_err();
    assert_eq!(f.class, FailureClass::Config);
    assert!(!fail_text(&f).contains("S3CRET-wrong-one"));
}

#[tokio::test]
async fn no_credentials_is_config() {
    let sim = start(sim_config()).await;
    let client = client_for(&sim.base_url(), Secrets::default());
    let f = client.report_event(&event("inst-1")).await.unwrap_err();
    assert_eq!(f.class, FailureClass::Config);
    assert!(f.message.contains("No Wix credentials"));
    assert_eq!(sim.billing_requests(), 0);
}

/// Runs one event against a single-rule plan and returns the failure.
async fn with_fault(sim: &SimHandle, client: &Client, fault: Fault) -> SendFailure {
    sim.reset();
    sim.set_faults(FaultPlan::new(vec![FaultRule::nth(1, fault.clone())]));
    let f = client.report_event(&event("inst-1")).await.expect_err("fault expected");
    assert_eq!(sim.billing_requests(), 1, "sent exactly once: {fault:?}");
    assert_no_secret(&fail_text(&f));
    f
}

#[tokio::test]
async fn not_sent_faults_are_never_processed() {
    let sim = start(sim_config()).await;
    let client = client_for(&sim.base_url(), oauth_only());
    for code in [429, 502, 503] {
        let f = with_fault(&sim, &client, Fault::Status { code, processed: None }).await;
        assert_eq!(f.class, FailureClass::NotSent, "{code}: {f}");
        assert_eq!(f.status, Some(code));
        assert!(f.message.contains("retried"), "{f}");
        assert!(sim.accepted().is_empty(), "{code} must not be processed");
    }
    // The same event goes through once the fault is gone.
    client.report_event(&event("inst-1")).await.expect("accepted on retry");
}

#[tokio::test]
async fn rate_limit_is_not_sent() {
    let cfg = SimConfig { rate_limit_per_minute: Some(3), ..sim_config() };
    let sim = start(cfg).await;
    let client = client_for(&sim.base_url(), oauth_only());
    for _ in 0..3 {
        client.report_event(&event("inst-1")).await.expect("accepted");
    }
    let f = client.report_event(&event("inst-1")).await.unwrap_err();
    assert_eq!(f.class, FailureClass::NotSent);
    assert_eq!(f.status, Some(429));
    assert_eq!(sim.accepted().len(), 3);
    // Another instance has its own budget.
    client.report_event(&event("inst-2")).await.expect("accepted");
}

#[tokio::test]
async fn closed_port_is_not_sent() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let base = format!("http://127.0.0.1:{port}");
    for secrets in [oauth_only(), api_key_only()] {
        let f = client_for(&base, secrets).report_event(&event("inst-1")).await.unwrap_err();
        assert_eq!(f.class, FailureClass::NotSent, "{f}");
        assert_eq!(f.status, None);
        assert!(f.message.contains("not sent"), "{f}");
        assert_no_secret(&fail_text(&f));
    }
}

#[tokio::test]
async fn ambiguous_faults_are_processed_and_not_resent() {
    let sim = start(sim_config()).await;
    let cfg = WixConfig::new(APP_ID)
        .with_base_url(sim.base_url())
        .with_timeout(Duration::from_millis(700));
    let client = Client::new(cfg, oauth_only()).unwrap();
    let cases = [
        Fault::Status { code: 500, processed: None },
        Fault::Status { code: 504, processed: None },
        Fault::DropAfterProcessing,
        Fault::DelayMs { ms: 2_000 },
    ];
    for fault in cases {
        let f = with_fault(&sim, &client, fault.clone()).await;
        assert_eq!(f.class, FailureClass::Ambiguous, "{fault:?}: {f}");
        assert!(f.message.contains("may or may not"), "{f}");
        assert_eq!(sim.accepted().len(), 1, "Wix processed it: {fault:?}");
    }
    // Closed before processing: the client cannot tell, so it is still ambiguous.
    let f = with_fault(&sim, &client, Fault::DropBeforeProcessing).await;
    assert_eq!(f.class, FailureClass::Ambiguous, "{f}");
    assert!(sim.accepted().is_empty());
    // 500 documented as not processed.
    let f = with_fault(&sim, &client, Fault::Status { code: 500, processed: Some(false) }).await;
    assert_eq!(f.class, FailureClass::Ambiguous);
    assert!(sim.accepted().is_empty());
}

#[tokio::test]
async fn rejected_events() {
    let sim = start(sim_config()).await;
    let client = client_for(&sim.base_url(), oauth_only());
    let f = with_fault(&sim, &client, Fault::Reject).await;
    assert_eq!(f.class, FailureClass::Rejected);
    assert_eq!(f.status, Some(400));
    assert!(f.message.contains("rejected by the simulator"), "{f}");

    let f = with_fault(&sim, &client, Fault::Status { code: 409, processed: None }).await;
    assert_eq!(f.class, FailureClass::Rejected);
    assert!(f.message.contains("conflicts"), "{f}");

    // A real validation error from the simulator: scale 11.
    sim.reset();
    let mut ev = event("inst-1");
    ev.gross_revenue = dec("1.00000000001");
    let f = client.report_event(&ev).await.unwrap_err();
    assert_eq!(f.class, FailureClass::Rejected);
    assert!(f.message.contains("event.grossRevenue: has more than 10 decimal places"), "{f}");
    assert!(sim.accepted().is_empty());
}

#[tokio::test]
async fn config_failures_stop_the_run() {
    let sim = start(sim_config()).await;
    let client = client_for(&sim.base_url(), oauth_only());
    for code in [401, 403, 428] {
        let f = with_fault(&sim, &client, Fault::Status { code, processed: None }).await;
        assert_eq!(f.class, FailureClass::Config, "{code}: {f}");
        assert!(sim.accepted().is_empty());
        if code == 428 {
            assert!(f.message.contains("not set up for external billing"), "{f}");
            assert!(f.message.contains("FAILED_PRECONDITION"), "{f}");
        }
    }
}

#[tokio::test]
async fn external_billing_disabled_gives_readable_428() {
    let cfg = SimConfig { external_billing_enabled: false, ..sim_config() };
    let sim = start(cfg).await;
    for secrets in [oauth_only(), api_key_only()] {
        let f = client_for(&sim.base_url(), secrets).report_event(&event("inst-1")).await.unwrap_err();
        assert_eq!(f.class, FailureClass::Config);
        assert_eq!(f.status, Some(428));
        assert!(f.message.contains("The app is not set up for external billing in Wix"), "{f}");
        assert!(f.message.contains("isn't configured for external billing"), "Wix's words: {f}");
        assert_no_secret(&fail_text(&f));
    }
    assert!(sim.accepted().is_empty());
}

#[tokio::test]
async fn wrong_account_id_is_config_with_wix_words() {
    let sim = start(sim_config()).await;
    let secrets = Secrets { account_id: Some("someone-else".into()), ..api_key_only() };
    let f = client_for(&sim.base_url(), secrets).report_event(&event("inst-1")).await.unwrap_err();
    assert_eq!(f.class, FailureClass::Config);
    assert_eq!(f.status, Some(403));
    assert!(f.message.contains("does not belong to this Wix account (PERMISSION_DENIED)"), "{f}");
}

#[tokio::test]
async fn render_request_masks_secrets_and_uses_no_network() {
    let sim = start(sim_config()).await;
    let client = client_for(&sim.base_url(), oauth_only());
    let r = client.render_request(&event("inst-1"));
    assert_eq!(r.method, "POST");
    assert_eq!(r.url, format!("{}/apps/v1/billing-event", sim.base_url()));
    assert_eq!(r.flow, Some(AuthFlow::OAuth));
    assert!(r.headers.contains(&("Authorization".into(), "***".into())));
    assert!(r.body["event"].get("appId").is_none());
    assert_eq!(r.body["event"]["grossRevenue"], "149.00");

    let client = client_for(&sim.base_url(), api_key_only());
    let r = client.render_request(&event("inst-1"));
    assert_eq!(r.flow, Some(AuthFlow::ApiKey));
    assert!(r.headers.contains(&("wix-account-id".into(), ACCOUNT.into())));
    assert_eq!(r.body["event"]["appId"], APP_ID);
    assert_no_secret(&format!("{r:?} {}", r.body));
    assert_eq!(sim.token_requests() + sim.billing_requests(), 0);
}

#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_never_in_errors_debug_or_logs() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut cfg = sim_config();
    cfg.uninstalled_instances.insert("inst-gone".into());
    let sim = start(cfg).await;
    let client = client_for(&sim.base_url(), both());
    let mut texts = vec![format!("{client:?}"), format!("{:?}", both())];
    let ok = client.report_event(&event("inst-1")).await.unwrap();
    texts.push(format!("{ok:?}"));
    let ok = client.report_event(&event("inst-gone")).await.unwrap();
    texts.push(format!("{ok:?}"));
    for code in [400, 401, 403, 409, 428, 429, 500, 502, 503, 504] {
        sim.set_faults(FaultPlan::new(vec![FaultRule::always(Fault::Status { code, processed: None })]));
        for inst in ["inst-1", "inst-gone"] {
            let f = client.report_event(&event(inst)).await.unwrap_err();
            texts.push(fail_text(&f));
        }
    }
    sim.set_faults(FaultPlan::new(vec![FaultRule::always(Fault::DropAfterProcessing)]));
    texts.push(fail_text(&client.report_event(&event("inst-1")).await.unwrap_err()));
    texts.push(format!("{:?}", client.render_request(&event("inst-gone"))));
    texts.push(format!("{:?}", sim.accepted()));
    texts.push(format!("{client:?}"));
    for t in &texts {
        assert_no_secret(t);
    }
    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logged.contains("Wix accepted the billing event"), "logs captured: {logged}");
    assert_no_secret(&logged);
}

#[tokio::test]
async fn a_401_echoing_the_token_or_the_api_key_comes_back_scrubbed() {
    let sim = start(sim_config()).await;
    sim.set_faults(FaultPlan::new(vec![FaultRule::always(Fault::EchoAuth { code: None })]));
    for secrets in [oauth_only(), api_key_only()] {
        let client = client_for(&sim.base_url(), secrets);
        let f = client.report_event(&event("6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31")).await.unwrap_err();
        assert_eq!((f.class, f.status), (FailureClass::Config, Some(401)));
        let body = f.body.clone().unwrap_or_default();
        let mut leaked: Vec<String> = sim.issued_tokens();
        leaked.push(API_KEY.to_string());
        for s in &leaked {
            assert!(!body.contains(s.as_str()) && !f.message.contains(s.as_str()), "{s} in {body} / {}", f.message);
        }
        assert!(body.contains("***") && f.message.contains("***"), "{body}");
    }
}

#[test]
fn a_plain_http_address_to_another_host_is_refused() {
    let f = Client::new(WixConfig::new(APP_ID).with_base_url("http://www.wixapis.com"), oauth_only()).unwrap_err();
    assert_eq!(f.class, FailureClass::Config);
    assert!(f.message.contains("unencrypted"), "{}", f.message);
    assert!(Client::new(WixConfig::new(APP_ID).with_base_url("http://127.0.0.1:1"), oauth_only()).is_ok());
}
