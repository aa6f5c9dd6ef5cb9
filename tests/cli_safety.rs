//! Black-box: the `partner-ledger` binary misused as a careless or hostile user would (SPEC §6,
//! §7, issue 10): second names of one ledger, exports aimed at the ledger or at files that are
//! not CSVs, plain-http Wix addresses, credentials, several processes at once, closed pipes.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const APP: &str = "9a1b2c3d-0000-4000-8000-00000000a001";
const HEADER: &str = "automatic_payout_id,balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,source_id,description,customer_id,charge_id,payment_metadata[wix_instance_id]";

struct Cli {
    dir: tempfile::TempDir,
    db: PathBuf,
}

impl Cli {
    fn new() -> Cli {
        let dir = tempfile::tempdir().unwrap();
        Cli { db: dir.path().join("ledger.sqlite"), dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cmd_on(&self, db: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_partner-ledger"));
        c.arg("--db").arg(db).args(["--by", "tester"]).args(args);
        c.env_remove("PARTNER_LEDGER_DB").env_remove("WIX_API_BASE").env_remove("WIX_APP_SECRET").env_remove("WIX_API_KEY").env_remove("WIX_ACCOUNT_ID");
        c
    }

    fn run_on(&self, db: &Path, args: &[&str]) -> Output {
        self.cmd_on(db, args).output().unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_on(&self.db, args)
    }

    fn ok(&self, args: &[&str]) -> Value {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let out = self.run(&a);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// An October with `n` charges over `n` instances (no approval).
    fn with_month(n: u32) -> Cli {
        let c = Cli::new();
        c.ok(&["app", "set", "--id", APP, "--name", "Acme Forms"]);
        c.ok(&["rates", "add", "--from", "2020-01-01", "--percent", "20"]);
        let file = c.path("oct.csv");
        std::fs::write(&file, october_charges(n, n)).unwrap();
        c.ok(&["import", file.to_str().unwrap()]);
        c
    }
}

/// A stripe-itemized export of `n` October charges over `instances` instances.
fn october_charges(n: u32, instances: u32) -> String {
    let mut csv = format!("{HEADER}\n");
    for i in 0..n {
        csv.push_str(&format!(
            "po_1,txn_{i},2026-10-{:02} 10:{:02}:{:02},usd,{}.00,0.50,{}.50,charge,ch_{i},Pro plan,cus_{i},ch_{i},{:08x}-0000-4000-8000-{:012x}\n",
            1 + i % 28,
            i / 60 % 60,
            i % 60,
            10 + i % 50,
            9 + i % 50,
            0x1000 + i % instances,
            i % instances
        ));
    }
    csv
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn no_panic(o: &Output) {
    let e = stderr(o);
    assert!(!e.contains("panicked") && o.status.code() != Some(101), "panicked: {e}");
}

/// Files in the folder whose name says they are a temporary export.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".tmp")).collect()
}

#[cfg(unix)]
#[test]
fn a_hard_linked_ledger_is_refused_at_open_with_its_other_name_and_the_fix() {
    let c = Cli::with_month(3);
    let other = c.path("other-name.sqlite");
    std::fs::hard_link(&c.db, &other).unwrap();
    for db in [&c.db, &other] {
        for args in [&["report", "--month", "2026-10"][..], &["submit", "--month", "2026-10"], &["outbox", "list"]] {
            let out = c.run_on(db, args);
            no_panic(&out);
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            let e = stderr(&out);
            assert!(e.contains("2 names (hard links)") && e.contains("cp"), "{e}");
            let named = if db == &c.db { "other-name.sqlite" } else { "ledger.sqlite" };
            assert!(e.contains(named), "the message names the other name: {e}");
        }
    }
    std::fs::remove_file(&other).unwrap();
    assert_eq!(c.ok(&["report", "--month", "2026-10"])["totals"]["events"], 3, "one name again: usable");
}

#[cfg(unix)]
#[test]
fn exports_onto_the_ledger_its_wal_a_link_to_either_or_a_file_that_is_not_a_csv_are_refused_and_write_nothing() {
    let c = Cli::with_month(3);
    // Held open, so that the ledger has its -wal and -shm files while the exports run.
    let held = pl_ledger::Ledger::open(&c.db).unwrap();
    held.connection().execute_batch("CREATE TEMP TABLE t(x); SELECT count(*) FROM settings;").unwrap();
    let wal = c.path("ledger.sqlite-wal");
    assert!(wal.exists());
    std::os::unix::fs::symlink(&c.db, c.path("link.csv")).unwrap();
    std::os::unix::fs::symlink(&wal, c.path("wal-link.csv")).unwrap();
    std::fs::hard_link(&wal, c.path("wal-hard.csv")).unwrap();
    std::fs::write(c.path("notes.txt"), "my notes\n").unwrap();
    std::fs::write(c.path("binary.csv"), b"SQLite format 3\0rest").unwrap();
    std::fs::create_dir(c.path("folder.csv")).unwrap();
    std::os::unix::fs::symlink(c.path("nowhere.csv"), c.path("dangling.csv")).unwrap();
    let snapshot = |name: &str| std::fs::read(c.path(name)).unwrap();
    let before: Vec<(String, Vec<u8>)> =
        ["ledger.sqlite", "notes.txt", "binary.csv"].iter().map(|n| (n.to_string(), snapshot(n))).collect();
    for target in ["ledger.sqlite", "ledger.sqlite-wal", "ledger.sqlite-shm", "link.csv", "wal-link.csv", "wal-hard.csv", "notes.txt", "binary.csv", "folder.csv", "dangling.csv"] {
        let t = c.path(target);
        for flag in ["--csv", "--instances-csv", "--wix-csv"] {
            if flag == "--wix-csv" && target == "folder.csv" {
                continue; // a folder is where --wix-csv puts Wix's file name
            }
            let out = c.run(&["report", "--month", "2026-10", flag, t.to_str().unwrap()]);
            no_panic(&out);
            assert_eq!(out.status.code(), Some(1), "{flag} {target}: {}", stderr(&out));
            assert!(stderr(&out).contains("not writing"), "{flag} {target}: {}", stderr(&out));
            assert!(!String::from_utf8_lossy(&out.stdout).contains("wrote"), "{flag} {target}");
        }
    }
    for (name, bytes) in &before {
        assert_eq!(&snapshot(name), bytes, "{name} changed");
    }
    assert!(temp_files(c.dir.path()).is_empty(), "{:?}", temp_files(c.dir.path()));
    drop(held);
    assert_eq!(c.ok(&["report", "--month", "2026-10"])["totals"]["events"], 3, "the ledger is intact");
}

#[test]
fn an_export_replaces_an_existing_csv_whole_and_leaves_no_temporary_file() {
    let c = Cli::with_month(3);
    let target = c.path("events.csv");
    std::fs::write(&target, "old,content\n".repeat(10_000)).unwrap();
    let out = c.run(&["report", "--month", "2026-10", "--csv", target.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.starts_with("Event,Instance") && !text.contains("old,content"), "{text}");
    assert_eq!(text.lines().count(), 4);
    assert!(temp_files(c.dir.path()).is_empty());
    // A new file of any name is fine: nothing is overwritten.
    let fresh = c.path("summary.txt");
    assert!(c.run(&["report", "--month", "2026-10", "--instances-csv", fresh.to_str().unwrap()]).status.success());
    assert!(std::fs::read_to_string(&fresh).unwrap().starts_with("Instance,"));
}

#[test]
fn a_plain_http_wix_address_to_another_host_is_refused_when_set_and_when_used() {
    let c = Cli::with_month(2);
    let out = c.run(&["settings", "set", "wix.base_url", "http://www.wixapis.com"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("unencrypted"), "{}", stderr(&out));
    c.ok(&["settings", "set", "wix.base_url", "http://127.0.0.1:9"]);
    c.ok(&["settings", "set", "wix.base_url", "https://www.wixapis.com"]);
    c.ok(&["approve", "--month", "2026-10"]);
    for url in ["http://evil.example.com", "http://10.1.2.3:8080", "ftp://127.0.0.1"] {
        let out = c.cmd_on(&c.db, &["submit", "--month", "2026-10"]).env("WIX_API_BASE", url).env("WIX_APP_SECRET", "s3cret-value").output().unwrap();
        no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{url}");
        let e = stderr(&out);
        assert!(e.contains("WIX_API_BASE") && e.contains(url), "{e}");
        assert!(!e.contains("s3cret-value"));
    }
    let states = c.ok(&["outbox", "list"]);
    assert!(states["events"].as_array().unwrap().iter().all(|e| e["state"] == "queued" && e["attempts"] == 0));
}

#[test]
fn credentials_come_from_standard_input_and_show_masked_with_their_source() {
    let c = Cli::with_month(1);
    // Never from an argument.
    let out = c.run(&["credentials", "set", "app-secret", "the-secret"]);
    assert_eq!(out.status.code(), Some(2));
    // No keyring service (here: turned off): a clear refusal naming the environment variable.
    let mut child = c
        .cmd_on(&c.db, &["credentials", "set", "api-key"])
        .env("PARTNER_LEDGER_KEYRING", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"key-0123456789abcdef\n").unwrap();
    let out = child.wait_with_output().unwrap();
    no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(e.contains("keyring") && e.contains("WIX_API_KEY"), "{e}");
    assert!(!e.contains("0123456789abcdef"));
    // The environment wins and is shown masked.
    let secret = "env-secret-0123456789-4f2a";
    let out = c.cmd_on(&c.db, &["--json", "credentials", "show"]).env("WIX_APP_SECRET", secret).env("PARTNER_LEDGER_KEYRING", "off").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains("0123456789"), "{text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    let app_secret = &v["credentials"][0];
    assert_eq!((app_secret["name"].as_str(), app_secret["source"].as_str(), app_secret["masked"].as_str()), (Some("app-secret"), Some("env"), Some("…4f2a")));
    assert_eq!(v["credentials"][1]["set"], false);
    let out = c.cmd_on(&c.db, &["credentials", "show"]).env("WIX_APP_SECRET", secret).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("app-secret: set (…4f2a) from WIX_APP_SECRET") && text.contains("api-key:    not set"), "{text}");
}

#[test]
fn credentials_set_stores_in_the_os_keyring_when_there_is_one() {
    let c = Cli::with_month(1);
    let value = "kr-secret-\"quoted\"-0123456789-9z9z";
    let mut child = c.cmd_on(&c.db, &["credentials", "set", "app-secret"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(value.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    no_panic(&out);
    if !out.status.success() {
        // A machine without a keyring service (CI, a container): a clear message, no panic.
        let e = stderr(&out);
        assert!(e.contains("could not store app-secret in the OS keyring") && e.contains("WIX_APP_SECRET"), "{e}");
        return;
    }
    let shown = c.run(&["credentials", "show"]);
    let text = String::from_utf8_lossy(&shown.stdout).into_owned();
    let _ = pl_wix::delete_credential(pl_wix::CredentialKind::AppSecret, APP);
    assert!(text.contains("app-secret: set (…9z9z) from the OS keyring"), "{text}");
    let audit = c.ok(&["audit", "list"]);
    assert!(audit["audit"].as_array().unwrap().iter().any(|a| a["action"] == "credentials.set"));
    assert!(!serde_json::to_string(&audit).unwrap().contains("kr-secret"));
}

#[test]
fn three_processes_create_one_new_ledger_at_once() {
    for round in 0..4 {
        let c = Cli::new();
        let children: Vec<_> = ["UTC", "Europe/Berlin", "America/New_York"]
            .iter()
            .map(|tz| c.cmd_on(&c.db, &["settings", "set", "timezone", tz]).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap())
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {}", stderr(&out));
        }
        let v = c.ok(&["settings", "list"]);
        assert!(["UTC", "Europe/Berlin", "America/New_York"].contains(&v["timezone"].as_str().unwrap()));
        let audit = c.ok(&["audit", "list"]);
        assert_eq!(audit["audit"].as_array().unwrap().len(), 3, "round {round}: each write once");
    }
}

#[test]
fn a_write_during_another_process_write_waits_for_it_then_succeeds() {
    let c = Cli::with_month(2);
    let holder = pl_ledger::Ledger::open(&c.db).unwrap();
    // What a long import does: hold the write lock.
    holder.connection().execute_batch("BEGIN IMMEDIATE; UPDATE settings SET value = value WHERE key = 'app.id';").unwrap();
    let t0 = Instant::now();
    let child = c.cmd_on(&c.db, &["settings", "set", "timezone", "Europe/Berlin"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    holder.connection().execute_batch("COMMIT").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(t0.elapsed() >= Duration::from_millis(1400), "it waited for the other write");
    assert_eq!(c.ok(&["settings", "list"])["timezone"], "Europe/Berlin");
    // Reads do not wait for a write at all (WAL), `outbox list` included.
    holder.connection().execute_batch("BEGIN IMMEDIATE; UPDATE settings SET value = value WHERE key = 'app.id';").unwrap();
    let t0 = Instant::now();
    for args in [&["outbox", "list"][..], &["report", "--month", "2026-10"], &["audit", "list"]] {
        let out = c.run(args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    assert!(t0.elapsed() < Duration::from_secs(10), "reads waited for the write: {:?}", t0.elapsed());
    holder.connection().execute_batch("COMMIT").unwrap();
}

/// Reads the first `n` bytes of the command's stdout, closes the pipe, and returns how it ended.
fn read_then_close(mut cmd: Command, n: usize) -> Output {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = vec![0u8; n];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_stdout_ends_the_output_quietly() {
    // Enough events that the output outgrows the pipe's buffer: the writer meets the closed pipe.
    let c = Cli::with_month(3000);
    for args in [&["--json", "report", "--month", "2026-10"][..], &["report", "--month", "2026-10"], &["--json", "exceptions", "list"], &["--json", "audit", "list"]] {
        let out = read_then_close(c.cmd_on(&c.db, args), 10);
        no_panic(&out);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?}");
    }
}

/// An import killed at random moments (SIGKILL, no chance to clean up) leaves the ledger whole:
/// SQLite's integrity check passes and the file is either fully imported or not at all, and the
/// same file imports afterwards.
#[cfg(unix)]
#[test]
fn an_import_killed_mid_way_leaves_the_ledger_whole_and_importable() {
    let c = Cli::new();
    let n = 150_000u32;
    let file = c.path("big.csv");
    std::fs::write(&file, october_charges(n, 500)).unwrap();
    c.ok(&["app", "set", "--id", APP, "--name", "Acme Forms"]);
    let counts = |c: &Cli| -> (i64, i64, String) {
        let ledger = pl_ledger::Ledger::open(&c.db).unwrap();
        let conn = ledger.connection();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        let batches: i64 = conn.query_row("SELECT count(*) FROM batches WHERE undone_at IS NULL", [], |r| r.get(0)).unwrap();
        let rows: i64 = conn.query_row("SELECT count(*) FROM txns WHERE undone = 0", [], |r| r.get(0)).unwrap();
        (batches, rows, check)
    };
    // Kill it early, in the middle and late: each time nothing or everything is in the ledger.
    for delay_ms in [30u64, 250, 700] {
        let mut child = c.cmd_on(&c.db, &["import", file.to_str().unwrap()]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let (batches, rows, check) = counts(&c);
        assert_eq!(check, "ok", "killed after {delay_ms} ms");
        assert!((batches, rows) == (0, 0) || (batches, rows) == (1, i64::from(n)), "killed after {delay_ms} ms: {batches} batches, {rows} rows");
        if batches == 1 {
            // It had finished: undo it for the next round.
            let id = c.ok(&["batches", "list"])["batches"][0]["id"].as_i64().unwrap();
            c.ok(&["batches", "undo", &id.to_string()]);
        }
    }
    let v = c.ok(&["import", file.to_str().unwrap()]);
    assert_eq!(v["files"][0]["imported"], n, "{v}");
    assert_eq!(counts(&c), (1, i64::from(n), "ok".into()));
}
