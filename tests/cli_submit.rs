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
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(pl_ledger::outbox::lock_path(db).unwrap()).unwrap();
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

#[cfg(unix)]
#[test]
fn a_second_submit_through_a_symlink_is_refused_while_the_first_runs_and_nothing_is_sent_twice() {
    let rt = runtime();
    let sim = start(&rt, SimConfig::default());
    sim.set_faults(FaultPlan::new(vec![FaultRule::always(Fault::DelayMs { ms: 300 })]));
    let cli = Cli::new(&sim.base_url());
    cli.approved(30);
    let alias = cli.dir.path().join("alias.sqlite");
    std::os::unix::fs::symlink(&cli.db, &alias).unwrap();
    let through_alias = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_partner-ledger"));
        c.arg("--db").arg(&alias).args(args).env("WIX_API_BASE", &cli.wix).env("WIX_APP_SECRET", "sim-app-secret");
        c.output().unwrap()
    };
    let mut first = cli.cmd(&["submit", "--month", "2026-10"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let t0 = Instant::now();
    while sim.accepted().len() < 3 {
        assert!(t0.elapsed() < Duration::from_secs(30), "the run did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = through_alias(&["submit", "--month", "2026-10"]);
    assert_eq!(second.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&second.stderr).contains("another submission"), "{}", String::from_utf8_lossy(&second.stderr));
    // Listing through the other name must not take the live run's events for a crash's.
    let listed = through_alias(&["--json", "outbox", "list"]);
    assert!(listed.status.success());
    assert!(first.wait().unwrap().success());
    let states = cli.states();
    assert!(states.iter().all(|(_, s)| s == "sent"), "{states:?}");
    let k = keys(&sim);
    let unique: HashSet<&String> = k.iter().collect();
    assert_eq!((k.len(), unique.len()), (30, 30), "each event reached Wix once");
}

/// The forms a secret can be echoed in: verbatim, JSON-escaped (non-ASCII as itself or as
/// `\\uXXXX` in either case), URL-encoded (`%20` and `+`, either case).
fn echo_forms(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap();
    let json = json[1..json.len() - 1].to_string();
    let ascii = |upper: bool| -> String {
        json.chars()
            .map(|c| {
                if c.is_ascii() {
                    return c.to_string();
                }
                let mut u = [0u16; 2];
                c.encode_utf16(&mut u).iter().map(|u| if upper { format!("\\u{u:04X}") } else { format!("\\u{u:04x}") }).collect()
            })
            .collect()
    };
    let url = |plus: bool, upper: bool| -> String {
        secret
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                b' ' if plus => "+".into(),
                b if upper => format!("%{b:02X}"),
                b => format!("%{b:02x}"),
            })
            .collect()
    };
    let mut f = vec![secret.to_string(), json.clone(), ascii(false), ascii(true), url(false, true), url(true, true), url(false, false)];
    f.sort();
    f.dedup();
    f
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Fails when any form of any secret is in the ledger's files or in `outputs`.
fn assert_nowhere(db: &Path, secrets: &[String], outputs: &[(&str, Vec<u8>)]) {
    let mut places: Vec<(String, Vec<u8>)> = outputs.iter().map(|(n, b)| (n.to_string(), b.clone())).collect();
    for suffix in ["", "-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        if let Ok(bytes) = std::fs::read(&p) {
            places.push((p.display().to_string(), bytes));
        }
    }
    for secret in secrets {
        for form in echo_forms(secret) {
            for (name, bytes) in &places {
                assert!(!contains(bytes, form.as_bytes()), "{form:?} (a form of a secret) found in {name}");
            }
        }
    }
}

/// What an operator and the window see after a run: the outbox, each event's attempts, the audit.
fn shown(cli: &Cli) -> Vec<(&'static str, Vec<u8>)> {
    let list = cli.run(&["--json", "outbox", "list"]);
    let text_list = cli.run(&["outbox", "list"]);
    let v: Value = serde_json::from_slice(&list.stdout).unwrap();
    let mut out = vec![("outbox list --json", list.stdout), ("outbox list", text_list.stdout), ("audit list", cli.run(&["--json", "audit", "list"]).stdout)];
    for e in v["events"].as_array().unwrap() {
        let id = e["id"].as_str().unwrap();
        out.push(("outbox show --json", cli.run(&["--json", "outbox", "show", id]).stdout));
        out.push(("outbox show", cli.run(&["outbox", "show", id]).stdout));
    }
    out
}

#[test]
fn a_401_whose_body_echoes_the_access_token_leaves_it_nowhere() {
    let rt = runtime();
    let sim = start(&rt, SimConfig::default());
    sim.set_faults(FaultPlan::new(vec![FaultRule::always(Fault::EchoAuth { code: None })]));
    let cli = Cli::new(&sim.base_url());
    cli.approved(3);
    let run = cli.run(&["submit", "--month", "2026-10"]);
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(err.contains("401") && err.contains("***"), "the message says what happened, token masked: {err}");
    let tokens = sim.issued_tokens();
    assert!(!tokens.is_empty());
    let mut outputs = shown(&cli);
    outputs.push(("submit stdout", run.stdout));
    outputs.push(("submit stderr", run.stderr));
    assert_nowhere(&cli.db, &tokens, &outputs);
    assert!(cli.states().iter().all(|(_, s)| s == "queued"), "a 401 stops the run: nothing marked");
}

#[test]
fn a_secret_with_quotes_backslashes_and_non_ascii_echoed_in_every_encoding_leaves_it_nowhere() {
    let rt = runtime();
    let sim = start(&rt, SimConfig { echo_client_secret: true, ..SimConfig::default() });
    let cli = Cli::new(&sim.base_url());
    cli.approved(2);
    let secret = "pa\"ss\\wörd 😀/x+y%z end";
    let run = cli.cmd(&["submit", "--month", "2026-10"]).env("WIX_APP_SECRET", secret).output().unwrap();
    assert_eq!(run.status.code(), Some(1));
    let err = String::from_utf8_lossy(&run.stderr).into_owned();
    assert!(err.contains("refused an access token") && err.contains("***"), "{err}");
    // The simulator did echo it (so the test tests something).
    assert!(sim.stats().token_refusals >= 1);
    let mut outputs = shown(&cli);
    let attempts: Value = serde_json::from_slice(&outputs.iter().find(|(n, _)| *n == "outbox show --json").unwrap().1).unwrap();
    let stored = attempts["attempts"][0]["response"].as_str().unwrap_or_default().to_string();
    assert!(stored.contains("***") && stored.contains("client_secret"), "the scrubbed body is kept: {stored}");
    outputs.push(("submit stdout", run.stdout));
    outputs.push(("submit stderr", run.stderr));
    assert_nowhere(&cli.db, &[secret.to_string()], &outputs);
}
