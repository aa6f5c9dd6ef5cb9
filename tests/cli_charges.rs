//! Black-box tests of the Custom Charges commands (SPEC §8 for §9) on the real binary: `app key`,
//! `plan`, `limit`, `usage import/token`, `charges preview/log` and `serve` (started as a child
//! process, called as Wix would, stopped with SIGTERM).
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const APP: &str = "9a1b2c3d-0000-4000-8000-00000000a001";
const I1: &str = "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31";

struct Cli {
    dir: tempfile::TempDir,
    db: PathBuf,
}

impl Cli {
    fn new() -> Cli {
        let dir = tempfile::tempdir().unwrap();
        Cli { db: dir.path().join("ledger.sqlite"), dir }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_partner-ledger"));
        c.arg("--db").arg(&self.db).args(["--by", "tester"]).env_remove("PARTNER_LEDGER_DB");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().unwrap()
    }

    /// `--json`, exit `code`, stdout one JSON document.
    fn json_code(&self, code: i32, args: &[&str]) -> Value {
        let out = self.cmd().arg("--json").args(args).output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}\nstdout: {stdout}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not one JSON document ({e}): {stdout}"))
    }

    fn json(&self, args: &[&str]) -> Value {
        self.json_code(0, args)
    }

    /// A ledger with the app, the simulator's key, a plan, a default limit and March usage.
    fn metered() -> Cli {
        let c = Cli::new();
        c.json(&["app", "set", "--id", APP, "--name", "Metered"]);
        let key = c.write("wix.pem", pl_wix_sim::charges::TEST_PUBLIC_KEY_PEM);
        c.json(&["app", "key", key.to_str().unwrap()]);
        c.json(&["plan", "set", "--metric", "emails", "--price", "USD=0.002,EUR=0.0019", "--description", "Emails sent"]);
        c.json(&["limit", "set", "--currency", "USD", "--amount", "100"]);
        let csv = c.write(
            "usage.csv",
            &format!("id,instance_id,occurred_at,metric,quantity\nu1,{I1},2026-03-02T10:00:00Z,emails,1500\nu2,{I1},2026-03-09T10:00:00Z,emails,999\n"),
        );
        c.json(&["usage", "import", csv.to_str().unwrap()]);
        c
    }
}

#[test]
fn plans_limits_and_the_app_key_are_checked_and_listed() {
    let c = Cli::new();
    c.json(&["app", "set", "--id", APP, "--name", "Metered"]);
    // Only an RSA public key is taken: not a private key, not an EC key, not text.
    let private = c.write("private.pem", include_str!("../crates/pl-wix-sim/keys/wix-sim-TEST-ONLY-private.pem"));
    let v = c.json_code(1, &["app", "key", private.to_str().unwrap()]);
    assert!(v["error"].as_str().unwrap().contains("private key"), "{v}");
    let ec = c.write("ec.pem", include_str!("../crates/pl-provider/tests/keys/ec-TEST-ONLY-public.pem"));
    assert!(c.json_code(1, &["app", "key", ec.to_str().unwrap()])["error"].as_str().unwrap().contains("not an RSA public key"));
    let junk = c.write("junk.pem", "hello");
    c.json_code(1, &["app", "key", junk.to_str().unwrap()]);
    let public = c.write("public.pem", pl_wix_sim::charges::TEST_PUBLIC_KEY_PEM);
    assert_eq!(c.json(&["app", "key", public.to_str().unwrap()])["sha256"].as_str().unwrap().len(), 64);

    for bad in [&["--metric", "two words", "--price", "USD=1"][..], &["--metric", "m", "--price", "USD=-1"], &["--metric", "m", "--price", "USD=1,USD=2"], &["--metric", "m", "--price", "US=1"], &["--metric", "m", "--price", "USD=1", "--from", "2026-13-01"]] {
        let mut args = vec!["plan", "set"];
        args.extend_from_slice(bad);
        c.json_code(1, &args);
    }
    c.json(&["plan", "set", "--metric", "emails", "--price", "USD=0.002,JPY=0.3"]);
    c.json(&["plan", "set", "--metric", "emails", "--price", "USD=0.001", "--from", "2026-06-01", "--instance", &I1.to_uppercase()]);
    let plans = c.json(&["plan", "list"]);
    let plans = plans["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0]["instance_id"], Value::Null);
    assert_eq!(plans[0]["prices"].as_array().unwrap().len(), 2);
    assert_eq!(plans[1]["instance_id"], I1);
    assert_eq!(plans[1]["effective_from"], "2026-06-01");

    c.json_code(1, &["limit", "set", "--currency", "USD", "--amount", "0"]);
    c.json_code(1, &["limit", "set", "--currency", "JPY", "--amount", "10.5"]);
    c.json(&["limit", "set", "--currency", "JPY", "--amount", "10000"]);
    c.json(&["limit", "set", "--instance", I1, "--currency", "USD", "--amount", "25.50"]);
    let limits = c.json(&["limit", "list"]);
    assert_eq!(limits["limits"].as_array().unwrap().len(), 2);
    let audit = c.json(&["audit", "list"]);
    let actions: Vec<&str> = audit["audit"].as_array().unwrap().iter().map(|a| a["action"].as_str().unwrap()).collect();
    for a in ["app.key", "plan.set", "charge_limit.set"] {
        assert!(actions.contains(&a), "{a} audited: {actions:?}");
    }
}

#[test]
fn usage_import_is_whole_or_nothing_and_idempotent() {
    let c = Cli::new();
    let bad = c.write(
        "bad.csv",
        &format!("\u{feff}metric,id,quantity,instance_id,occurred_at\r\nemails,a1,5,{I1},2026-03-02T10:00:00Z\r\nemails,a2,-5,{I1},2026-03-02T10:00:00Z\r\nemails,a3,5,nobody,2026-03-02T10:00:00Z\r\n"),
    );
    let v = c.json_code(1, &["usage", "import", bad.to_str().unwrap()]);
    let lines: Vec<(u64, &str)> = v["rejected"].as_array().unwrap().iter().map(|r| (r["line"].as_u64().unwrap(), r["column"].as_str().unwrap())).collect();
    assert_eq!(lines, [(3, "quantity"), (4, "instance_id")]);
    let out = c.run(&["usage", "import", bad.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(":3, column `quantity`"), "{stderr}");
    let good = c.write("good.csv", &format!("id,instance_id,occurred_at,metric,quantity\na1,{I1},2026-03-02T10:00:00Z,emails,5\na2,{I1},2026-03-02T11:00:00Z,emails,2.5\n"));
    let v = c.json(&["usage", "import", good.to_str().unwrap(), "--dry-run"]);
    assert_eq!((v["imported"].as_u64(), v["dry_run"].as_bool()), (Some(2), Some(true)));
    let v = c.json(&["usage", "import", good.to_str().unwrap()]);
    assert_eq!(v["imported"], 2);
    let v = c.json(&["usage", "import", good.to_str().unwrap()]);
    assert_eq!((v["imported"].as_u64(), v["duplicates"].as_u64()), (Some(0), Some(2)));
    let conflict = c.write("conflict.csv", &format!("id,instance_id,occurred_at,metric,quantity\na9,{I1},2026-03-02T10:00:00Z,emails,1\na1,{I1},2026-03-02T10:00:00Z,emails,6\n"));
    let v = c.json_code(1, &["usage", "import", conflict.to_str().unwrap()]);
    assert!(v["rejected"][0]["reason"].as_str().unwrap().contains("other content"), "{v}");
    let cut = c.write("cut.csv", &format!("id,instance_id,occurred_at,metric,quantity\n\"a1,{I1},2026-03-02T10:00:00Z,emails,5\n"));
    c.json_code(1, &["usage", "import", cut.to_str().unwrap()]);
    let dir = c.dir.path().to_str().unwrap().to_string();
    c.json_code(1, &["usage", "import", &dir]);
    // A token: printed once, 68 characters, two differ.
    let t1 = c.json(&["usage", "token"]);
    let t2 = c.json(&["usage", "token"]);
    assert_eq!(t1["token"].as_str().unwrap().len(), 68);
    assert_ne!(t1["token"], t2["token"]);
    let audit = String::from_utf8(c.run(&["--json", "audit", "list"]).stdout).unwrap();
    assert!(!audit.contains(t1["token"].as_str().unwrap()), "the token itself is never stored");
}

#[test]
fn preview_prints_the_display_only_answer_and_serve_answers_the_same_bytes_until_sigterm() {
    let c = Cli::metered();
    let preview = c.run(&["charges", "preview", "--instance", I1, "--from", "2026-03-01T00:00:00Z", "--to", "2026-04-01", "--currency", "USD"]);
    assert_eq!(preview.status.code(), Some(0));
    let preview = String::from_utf8(preview.stdout).unwrap();
    // 2499 × 0.002 = 4.998 → 4.99
    assert!(preview.contains(r#""amount":"4.99""#), "{preview}");
    let json_preview = String::from_utf8(c.cmd().args(["--json", "charges", "preview", "--instance", I1, "--from", "2026-03-01", "--to", "2026-04-01", "--currency", "USD"]).output().unwrap().stdout).unwrap();
    assert_eq!(json_preview, preview);
    // EUR has a price but no limit: nothing, and the reason on stderr.
    let eur = c.run(&["charges", "preview", "--instance", I1, "--from", "2026-03-01", "--to", "2026-04-01", "--currency", "EUR"]);
    assert_eq!(String::from_utf8_lossy(&eur.stdout).trim(), r#"{"charges":[]}"#);
    assert!(String::from_utf8_lossy(&eur.stderr).contains("no_limit"));

    let mut child = c.cmd().args(["serve", "--listen", "127.0.0.1:0"]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let base = first.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("first line: {first:?}")).to_string();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let signer = pl_wix_sim::charges::WixSigner::test(APP);
    let call = pl_wix_sim::charges::ListCharges {
        instance_id: I1.into(),
        currency: "USD".into(),
        period_start_ms: 1_772_323_200_000, // 2026-03-01T00:00:00Z
        period_end_ms: 1_775_001_600_000,   // 2026-04-01T00:00:00Z
        intent: "DISPLAY_ONLY".into(),
        encoding: pl_wix_sim::charges::PeriodEncoding::Rfc3339,
        request_id: "req-cli".into(),
    };
    let (status, body) = rt.block_on(pl_wix_sim::charges::call(&reqwest_client(), &base, "/v1/charges", signer.list_charges(&call))).unwrap();
    assert_eq!(status, 200);
    assert_eq!(format!("{body}\n"), preview, "charges preview prints what DISPLAY_ONLY answers");
    let (status, _) = rt.block_on(pl_wix_sim::charges::call(&reqwest_client(), &base, "/v1/charges", String::new())).unwrap();
    assert_eq!(status, 401);

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "SIGTERM stops the provider gracefully");
    // Both calls are in the log once the process is gone.
    let log = c.json(&["charges", "log"]);
    let calls = log["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 2, "{log}");
    assert_eq!(calls[0]["status"], 401);
    assert_eq!(calls[1]["status"], 200);
    assert_eq!(calls[1]["request_id"], "req-cli");
    assert_eq!(calls[1]["answer"].as_str().unwrap(), body);
    let mine = c.json(&["charges", "log", "--instance", I1]);
    assert_eq!(mine["calls"].as_array().unwrap().len(), 1);
    let text = String::from_utf8(c.run(&["charges", "log"]).stdout).unwrap();
    assert!(text.contains("DISPLAY_ONLY") && text.contains("401"), "{text}");
}

fn reqwest_client() -> reqwest::Client {
    reqwest::Client::new()
}

#[test]
fn serve_refuses_a_bad_address() {
    let c = Cli::new();
    let out = c.run(&["serve", "--listen", "nowhere:notaport"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an address"));
}
