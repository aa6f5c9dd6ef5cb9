//! The outbox against the Wix simulator over real HTTP on loopback (SPEC §6).
mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use pl_ledger::{Resolution, SubmitOptions};
use pl_wix::{Client, Secrets, WixConfig};
use pl_wix_sim::{Fault, FaultPlan, FaultRule, SimConfig, SimHandle, Simulator};

const APP: &str = "9a1b2c3d-0000-4000-8000-00000000a001";

fn instance(n: u32) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", 0x1000 + n, n)
}

/// A ledger with `n` approved October events over `instances` instances, each with its own
/// created date (so the simulator's records map back to events).
fn approved_month(n: u32, instances: u32) -> Env {
    let mut env = Env::new();
    env.ledger.set_app(APP, "Acme Forms", "t").unwrap();
    env.ledger.add_rate("2020-01-01", "20", None, "t").unwrap();
    let items: Vec<Item> = (0..n)
        .map(|i| {
            let at = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap().and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::minutes(i as i64);
            Item::charge(i, &at.format("%Y-%m-%d %H:%M:%S").to_string(), &format!("{}.{:02}", 10 + i % 90, i % 100), "0.59", &instance(i % instances))
        })
        .collect();
    env.import_str("oct.csv", &itemized(&items));
    env.ledger.approve("2026-10", "alice").unwrap();
    env
}

fn client(sim: &SimHandle, timeout: Duration) -> Arc<Client> {
    let secrets = Secrets::from_lookup(|k| match k {
        "WIX_APP_SECRET" => Some("sim-app-secret".into()),
        _ => None,
    });
    Arc::new(Client::new(WixConfig::new(APP).with_base_url(sim.base_url()).with_timeout(timeout), secrets).unwrap())
}

fn fast() -> SubmitOptions {
    SubmitOptions {
        max_attempts: 20,
        backoff_base: Duration::from_millis(5),
        backoff_max: Duration::from_millis(50),
        concurrency: Some(16),
        ..SubmitOptions::default()
    }
}

async fn sim(rate_limit: Option<u32>) -> SimHandle {
    Simulator::start(SimConfig { rate_limit_per_minute: rate_limit, ..SimConfig::default() }).await.unwrap()
}

async fn submit(env: &mut Env, client: Arc<Client>, opts: &SubmitOptions) -> pl_ledger::SubmitReport {
    let lock = env.ledger.submit_lock().unwrap();
    env.ledger.submit(&lock, client, "2026-10", opts, "alice", |_| {}).await.unwrap()
}

/// The simulator's key of an event body: instance, date and gross are unique per test event.
fn key(ev: &serde_json::Value) -> String {
    format!("{}|{}|{}", ev["instanceId"].as_str().unwrap_or(""), ev["createdDate"].as_str().unwrap(), ev["grossRevenue"].as_str().unwrap())
}

fn ambiguous(f: &Fault) -> bool {
    match f {
        Fault::Status { code, .. } => matches!(code, 500 | 504),
        Fault::DropAfterProcessing | Fault::DropBeforeProcessing | Fault::DelayMs { .. } => true,
        Fault::Reject | Fault::EchoAuth { .. } => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_events_through_every_fault_kind_are_reported_exactly_once() {
    let mut env = approved_month(1000, 40);
    let sim = sim(None).await;
    let status = |code: u16| Fault::Status { code, processed: None };
    let rules = vec![
        FaultRule::random(0.04, 1, status(429)),
        FaultRule::random(0.03, 2, status(502)),
        FaultRule::random(0.04, 3, status(503)),
        FaultRule::random(0.02, 4, status(500)),
        FaultRule::random(0.01, 5, Fault::Status { code: 500, processed: Some(false) }),
        FaultRule::random(0.02, 6, status(504)),
        FaultRule::random(0.02, 7, Fault::DropAfterProcessing),
        FaultRule::random(0.02, 8, Fault::DropBeforeProcessing),
        FaultRule::random(0.01, 9, Fault::DelayMs { ms: 1500 }),
        FaultRule::random(0.02, 10, Fault::Reject),
        FaultRule::random(0.01, 11, status(409)),
    ];
    sim.set_faults(FaultPlan::new(rules));
    let c = client(&sim, Duration::from_secs(1));
    let report = submit(&mut env, c.clone(), &fast()).await;
    assert_eq!(report.stopped, None);

    // Map events to their simulator keys.
    let rep = env.ledger.report(&pl_ledger::Period::parse_month("2026-10").unwrap()).unwrap();
    let by_key: HashMap<String, &pl_ledger::EventLine> = rep
        .events
        .iter()
        .map(|e| (format!("{}|{}|{}", e.instance_id, e.created_date, e.gross), e))
        .collect();
    assert_eq!(by_key.len(), 1000);

    // No event accepted twice.
    let accepted = sim.accepted();
    let mut seen = HashSet::new();
    for a in &accepted {
        assert!(seen.insert(key(&a.event)), "accepted twice: {}", key(&a.event));
    }
    // Every event ended sent, rejected or uncertain.
    let state: HashMap<&str, &str> = rep.events.iter().map(|e| (e.id.as_str(), e.state.as_str())).collect();
    assert!(state.values().all(|s| ["sent", "rejected", "uncertain"].contains(s)), "{:?}", report.counts);
    // The uncertain ones are exactly those that met an ambiguous fault; the rejected ones those
    // that met a rejection.
    let mut met_ambiguous = HashSet::new();
    let mut met_rejection = HashSet::new();
    for r in sim.requests() {
        let k = key(r.event.as_ref().unwrap());
        let id = by_key[&k].id.as_str();
        match &r.fault {
            Some(f) if ambiguous(f) => {
                met_ambiguous.insert(id);
            }
            Some(Fault::Reject) | Some(Fault::Status { code: 409, .. }) => {
                met_rejection.insert(id);
            }
            _ => {}
        }
    }
    let uncertain: HashSet<&str> = state.iter().filter(|(_, s)| **s == "uncertain").map(|(id, _)| *id).collect();
    let rejected: HashSet<&str> = state.iter().filter(|(_, s)| **s == "rejected").map(|(id, _)| *id).collect();
    assert!(!met_ambiguous.is_empty() && !met_rejection.is_empty(), "the plan exercised the faults");
    assert_eq!(uncertain, met_ambiguous);
    assert_eq!(rejected, met_rejection);
    // What Wix has is what we call sent, plus uncertain ones it did process.
    let sent: HashSet<&str> = state.iter().filter(|(_, s)| **s == "sent").map(|(id, _)| *id).collect();
    let at_wix: HashSet<&str> = accepted.iter().map(|a| by_key[&key(&a.event)].id.as_str()).collect();
    assert!(sent.is_subset(&at_wix));
    assert!(at_wix.difference(&sent).all(|id| uncertain.contains(id)));
    assert_eq!(report.counts.sent as usize, sent.len());
    assert!(report.requests > 1000, "retries happened: {}", report.requests);
    // Every attempt is stored, none with a secret.
    let attempts: i64 = env.count("SELECT count(*) FROM outbox_attempts");
    assert_eq!(attempts as u32, report.requests);
    assert_eq!(env.count("SELECT count(*) FROM outbox_attempts WHERE response LIKE '%sim-app-secret%' OR message LIKE '%sim-app-secret%'"), 0);

    // A second submit sends nothing that was sent or is uncertain.
    let before = sim.billing_requests();
    let again = submit(&mut env, c, &fast()).await;
    assert_eq!(again.requests, 0);
    assert_eq!(sim.billing_requests(), before);
    assert_eq!(again.status, "approved", "rejected and uncertain events keep the month from being submitted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_428_stops_the_run_and_marks_nothing() {
    let mut env = approved_month(20, 3);
    let sim = Simulator::start(SimConfig { external_billing_enabled: false, ..SimConfig::default() }).await.unwrap();
    let report = submit(&mut env, client(&sim, Duration::from_secs(5)), &fast()).await;
    let msg = report.stopped.expect("stopped");
    assert!(msg.contains("external billing"), "{msg}");
    assert_eq!((report.counts.sent, report.counts.rejected, report.counts.uncertain), (0, 0, 0));
    assert_eq!(report.counts.queued, 20);
    assert!(sim.billing_requests() <= 16, "the run stopped dispatching: {}", sim.billing_requests());
    assert!(sim.accepted().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_leaves_sending_which_the_next_run_makes_uncertain_and_never_resends() {
    let mut env = approved_month(5, 2);
    // What a killed process leaves: one event committed as sending, its attempt unfinished.
    env.ledger.connection().execute("UPDATE events SET state = 'sending' WHERE seq = 2", []).unwrap();
    env.ledger
        .connection()
        .execute("INSERT INTO outbox_attempts (event_id, started_at) SELECT id, '2026-11-01T00:00:00Z' FROM events WHERE seq = 2", [])
        .unwrap();
    let stuck: String = env.ledger.connection().query_row("SELECT id FROM events WHERE seq = 2", [], |r| r.get(0)).unwrap();
    let sim = sim(Some(200)).await;
    let report = submit(&mut env, client(&sim, Duration::from_secs(5)), &fast()).await;
    assert_eq!(report.recovered_uncertain, 1);
    assert_eq!((report.counts.sent, report.counts.uncertain), (4, 1));
    assert_eq!(sim.accepted().len(), 4, "the stuck event was not sent again");
    let entry = env.ledger.outbox(Some("uncertain"), None).unwrap();
    assert_eq!(entry[0].id, stuck);
    assert!(entry[0].last_error.as_deref().unwrap().contains("resolve"));

    // The operator checks Wix and resends it; the month is then submitted.
    assert!(env.ledger.resolve_event(&stuck, Resolution::Resend, " ", "bob").is_err(), "a reason is required");
    env.ledger.resolve_event(&stuck, Resolution::Resend, "not in Wix's dashboard", "bob").unwrap();
    let report = submit(&mut env, client(&sim, Duration::from_secs(5)), &fast()).await;
    assert_eq!((report.requests, report.status.as_str()), (1, "submitted"));
    assert_eq!(sim.accepted().len(), 5);
    assert!(env.ledger.audit_log().unwrap().iter().any(|a| a.action == "outbox.resolve" && a.who == "bob"));
    assert!(env.ledger.audit_log().unwrap().iter().any(|a| a.action == "month.submit" && a.who == "alice"));
    // Reopening is refused now.
    assert!(env.ledger.reopen("2026-10", "oops", "bob").unwrap_err().to_string().contains("already sent"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uncertain_event_resolved_as_sent_completes_the_month() {
    let mut env = approved_month(3, 1);
    let sim = sim(Some(200)).await;
    sim.set_faults(FaultPlan::new(vec![FaultRule::nth(2, Fault::DropAfterProcessing)]));
    let opts = SubmitOptions { concurrency: Some(1), ..fast() };
    let report = submit(&mut env, client(&sim, Duration::from_secs(5)), &opts).await;
    assert_eq!((report.counts.sent, report.counts.uncertain, report.status.as_str()), (2, 1, "approved"));
    let id = env.ledger.outbox(Some("uncertain"), None).unwrap()[0].id.clone();
    assert!(env.ledger.resolve_event(&id, Resolution::Sent, "seen in Wix", "bob").unwrap().state == "sent");
    assert_eq!(env.ledger.report(&pl_ledger::Period::parse_month("2026-10").unwrap()).unwrap().status, "submitted");
    assert!(env.ledger.resolve_event(&id, Resolution::Resend, "again", "bob").is_err(), "a sent event is not resolved again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_month_is_not_submitted_and_one_submitter_at_a_time() {
    let mut env = Env::new();
    env.ledger.set_app(APP, "Acme Forms", "t").unwrap();
    let sim = sim(Some(200)).await;
    let lock = env.ledger.submit_lock().unwrap();
    assert!(env.ledger.submit_lock().is_err(), "a second lock is refused while the first is held");
    let err = env.ledger.submit(&lock, client(&sim, Duration::from_secs(5)), "2026-10", &fast(), "a", |_| {}).await.unwrap_err();
    assert!(err.to_string().contains("not approved"), "{err}");
    drop(lock);
    assert!(env.ledger.submit_lock().is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dry_run_shows_the_exact_requests_with_secrets_masked() {
    let env = approved_month(2, 1);
    let sim = sim(Some(200)).await;
    let c = client(&sim, Duration::from_secs(5));
    let reqs = env.ledger.submit_dry_run(&c, "2026-10").unwrap();
    assert_eq!(reqs.len(), 2);
    let text = format!("{reqs:?}");
    assert!(!text.contains("sim-app-secret"));
    assert_eq!(reqs[0].body["event"]["grossRevenue"], "10.00");
    assert_eq!(reqs[0].body["event"]["billingType"], "CHARGE");
    assert!(sim.billing_requests() == 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_built_from_the_frozen_columns() {
    let mut env = approved_month(2, 1);
    let frozen: Vec<(String, String, String, String)> = {
        let conn = env.ledger.connection();
        let mut stmt = conn.prepare("SELECT instance_id, gross, wix_share, created_date FROM events WHERE month = '2026-10' ORDER BY seq").unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect()
    };
    // (Migration 0009 dropped the stored JSON payload that earlier ledgers kept beside them.)
    let sim = sim(Some(200)).await;
    let c = client(&sim, Duration::from_secs(5));
    let reqs = env.ledger.submit_dry_run(&c, "2026-10").unwrap();
    assert_eq!(reqs.len(), 2);
    for (req, (instance, gross, share, created)) in reqs.iter().zip(&frozen) {
        let ev = &req.body["event"];
        assert_eq!((ev["instanceId"].as_str(), ev["grossRevenue"].as_str(), ev["wixShare"].as_str()), (Some(instance.as_str()), Some(gross.as_str()), Some(share.as_str())));
        assert_eq!(ev["createdDate"].as_str(), Some(created.as_str()));
        assert_eq!(ev["billingType"], "CHARGE");
    }
    let report = submit(&mut env, c, &fast()).await;
    assert_eq!((report.counts.sent, report.status.as_str()), (2, "submitted"));
    let sent: HashSet<String> = sim.accepted().iter().map(|a| key(&a.event)).collect();
    assert!(frozen.iter().all(|(i, g, _, d)| sent.contains(&format!("{i}|{d}|{g}"))), "{sent:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_approved_for_one_app_is_not_sent_for_another() {
    let mut env = approved_month(1, 1);
    let frozen: Option<String> = env.ledger.connection().query_row("SELECT app_id FROM months WHERE month = '2026-10'", [], |r| r.get(0)).unwrap();
    assert_eq!(frozen.as_deref(), Some(APP));
    let sim = sim(Some(200)).await;
    let other = "9a1b2c3d-0000-4000-8000-00000000b002";
    let secrets = Secrets::from_lookup(|k| (k == "WIX_APP_SECRET").then(|| "sim-app-secret".to_string()));
    let c = Arc::new(Client::new(WixConfig::new(other).with_base_url(sim.base_url()), secrets).unwrap());
    let err = env.ledger.submit_dry_run(&c, "2026-10").unwrap_err().to_string();
    assert!(err.contains(&format!("approved for Wix app {APP}")) && err.contains(other) && err.contains("reopen 2026-10"), "{err}");
    let lock = env.ledger.submit_lock().unwrap();
    assert!(env.ledger.submit(&lock, c, "2026-10", &fast(), "a", |_| {}).await.is_err());
    assert_eq!(sim.billing_requests(), 0, "nothing was sent");
    assert_eq!(env.ledger.outbox_counts("2026-10").unwrap().queued, 1);
}
