//! Black-box: the `partner-ledger` binary submitting to the Wix simulator over loopback,
//! including a SIGKILL in the middle of a run.
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use pl_wix_sim::{Fault, FaultPlan, FaultRule, SimConfig, SimHandle, Simulator};
use serde_json::Value;

const APP: &str = "9a1b2c3d-0000-4000-8000-00000000a001";
const HEADER: &str = "automatic_payout_id,balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,source_id,description,customer_id,charge_id,payment_metadata[wix_instance_id]";

struct Cli {
    db: PathBuf,
    dir: tempfile::TempDir,
    wix: String,
}

impl Cli {
    fn new(wix: &str) -> Cli {
        let dir = tempfile::tempdir().unwrap();
        Cli { db: dir.path().join("ledger.sqlite"), dir, wix: wix.to_string() }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_partner-ledger"));
        c.arg("--db").arg(&self.db).args(args);
        c.env("WIX_API_BASE", &self.wix).env("WIX_APP_SECRET", "sim-app-secret").env_remove("WIX_API_KEY").env_remove("WIX_ACCOUNT_ID");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let out = self.run(&a);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
    }

    /// An approved October with `n` charges, each with its own instant.
    fn approved(&self, n: u32) {
        let mut csv = format!("{HEADER}\n");
        for i in 0..n {
            let at = chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap().and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::minutes(i as i64);
            csv.push_str(&format!(
                "po_1,txn_{i},{},usd,{}.00,0.50,{}.50,charge,ch_{i},Pro plan,cus_{i},ch_{i},{:08x}-0000-4000-8000-{:012x}\n",
                at.format("%Y-%m-%d %H:%M:%S"),
                10 + i,
                9 + i,
                0x1000 + i % 7,
                i % 7
            ));
        }
        let file = self.dir.path().join("oct.csv");
        std::fs::write(&file, csv).unwrap();
        self.ok(&["app", "set", "--id", APP, "--name", "Acme Forms"]);
        self.ok(&["rates", "add", "--from", "2020-01-01", "--percent", "20"]);
        let imp = self.ok(&["import", file.to_str().unwrap()]);
        assert_eq!(imp["files"][0]["imported"], n);
        self.ok(&["approve", "--month", "2026-10"]);
    }

    fn states(&self) -> Vec<(String, String)> {
        let v = self.ok(&["outbox", "list"]);
        v["events"].as_array().unwrap().iter().map(|e| (e["id"].as_str().unwrap().to_string(), e["state"].as_str().unwrap().to_string())).collect()
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn start(rt: &tokio::runtime::Runtime, cfg: SimConfig) -> SimHandle {
    rt.block_on(Simulator::start(cfg)).unwrap()
}

fn keys(sim: &SimHandle) -> Vec<String> {
    sim.accepted().iter().map(|a| format!("{}|{}", a.event["instanceId"], a.event["createdDate"])).collect()
}

#[test]
fn a_submission_killed_mid_run_leaves_its_in_flight_events_uncertain_and_sends_nothing_twice() {
    let rt = runtime();
    let sim = start(&rt, SimConfig::default());
    // Every request is processed, then answered after 400 ms: requests are in flight a while.
    sim.set_faults(FaultPlan::new(vec![FaultRule::always(Fault::DelayMs { ms: 400 })]));
    let cli = Cli::new(&sim.base_url());
    cli.approved(60);
    let mut child = cli.cmd(&["submit", "--month", "2026-10"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let t0 = Instant::now();
    while sim.accepted().len() < 10 {
        assert!(t0.elapsed() < Duration::from_secs(30), "the run did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // What the dead process left in the ledger file.
    let in_flight: HashSet<String> = {
        let conn = read_states_locked(&cli.db, "sending");
        conn.into_iter().collect()
    };
    assert!(!in_flight.is_empty(), "some requests were in flight at the kill");
    let accepted_at_kill = sim.accepted().len();

    sim.clear_faults();
    let out = cli.ok(&["submit", "--month", "2026-10"]);
    assert_eq!(out["recovered_uncertain"], in_flight.len());
    let states = cli.states();
    let uncertain: HashSet<String> = states.iter().filter(|(_, s)| s == "uncertain").map(|(id, _)| id.clone()).collect();
    assert_eq!(uncertain, in_flight, "exactly the events in flight are uncertain");
    assert!(states.iter().all(|(id, s)| s == "sent" || in_flight.contains(id)));
    // No duplicates at Wix, and every event is there once (the in-flight ones reached it too,
    // since the simulator processes before delaying).
    let k = keys(&sim);
    let unique: HashSet<&String> = k.iter().collect();
    assert_eq!(unique.len(), k.len(), "an event was accepted twice");
    assert!(k.len() <= 60 && k.len() >= accepted_at_kill);
    // A third run sends nothing.
    let before = sim.billing_requests();
    let again = cli.ok(&["submit", "--month", "2026-10"]);
    assert_eq!((again["requests"].as_u64(), sim.billing_requests()), (Some(0), before));
}

/// The ids of events in `state`, read while holding the submit lock ourselves, so that
/// `outbox list` cannot recover `sending` into `uncertain`: that is the next run's job.
fn read_states_locked(db: &Path, state: &str) -> Vec<String> {
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(format!("{}.submit.lock", db.display())).unwrap();
    lock.lock().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_partner-ledger")).arg("--db").arg(db).args(["--json", "outbox", "list", "--state", state]).output().unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["events"].as_array().unwrap().iter().map(|e| e["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_428_stops_the_cli_with_a_clear_message_and_nothing_marked() {
    let rt = runtime();
    let sim = start(&rt, SimConfig { external_billing_enabled: false, ..SimConfig::default() });
    let cli = Cli::new(&sim.base_url());
    cli.approved(5);
    let out = cli.run(&["submit", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("external billing"), "{err}");
    assert!(cli.states().iter().all(|(_, s)| s == "queued"));
    assert!(!err.contains("sim-app-secret"));
}

#[test]
fn dry_run_prints_the_requests_with_secrets_masked_and_resolve_is_audited() {
    let rt = runtime();
    let sim = start(&rt, SimConfig::default());
    let cli = Cli::new(&sim.base_url());
    cli.approved(3);
    let dry = cli.run(&["--json", "submit", "--month", "2026-10", "--dry-run"]);
    assert!(dry.status.success());
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(!text.contains("sim-app-secret"), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["requests"].as_array().unwrap().len(), 3);
    assert_eq!(v["requests"][0]["body"]["event"]["grossRevenue"], "10.00");
    assert_eq!(sim.billing_requests(), 0);

    sim.set_faults(FaultPlan::new(vec![FaultRule::nth(1, Fault::Status { code: 504, processed: None })]));
    let out = cli.ok(&["submit", "--month", "2026-10"]);
    assert_eq!(out["counts"]["uncertain"], 1);
    assert_eq!(out["status"], "approved");
    let id = cli.states().into_iter().find(|(_, s)| s == "uncertain").unwrap().0;
    let bad = cli.run(&["outbox", "resolve", &id, "--as", "maybe", "--reason", "x"]);
    assert_eq!(bad.status.code(), Some(2), "bad usage");
    cli.ok(&["--by", "carol", "outbox", "resolve", &id, "--as", "sent", "--reason", "seen in the Wix dashboard"]);
    let rep = cli.ok(&["report", "--month", "2026-10"]);
    assert_eq!(rep["status"], "submitted");
    let audit = cli.ok(&["audit", "list"]);
    assert!(audit["audit"].as_array().unwrap().iter().any(|a| a["action"] == "outbox.resolve" && a["who"] == "carol"));
    let shown = cli.ok(&["outbox", "show", &id]);
    assert_eq!(shown["attempts"][0]["http_status"], 504);
}
