//! Black-box tests of the `partner-ledger` binary against SPEC §8: exit codes, one JSON document
//! per command with `--json`, and the commands' effects seen through other commands.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const APP: &str = "9a1b2c3d-0000-4000-8000-00000000a001";
const I1: &str = "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31";
const I2: &str = "0d9e5c7a-1f2b-4c3d-8e4f-5a6b7c8d9e0f";
const ITEMIZED: &str = "stripe_payout_reconciliation_itemized.csv";
const HEADER: &str = "automatic_payout_id,balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category,source_id,description,customer_id,charge_id,payment_metadata[wix_instance_id]";

struct Cli {
    dir: tempfile::TempDir,
    db: PathBuf,
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/samples").join(name)
}

impl Cli {
    fn new() -> Cli {
        let dir = tempfile::tempdir().unwrap();
        Cli { db: dir.path().join("ledger.sqlite"), dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_partner-ledger"))
            .arg("--db")
            .arg(&self.db)
            .args(if args.contains(&"--by") { &[][..] } else { &["--by", "tester"][..] })
            .args(args)
            .env_remove("PARTNER_LEDGER_DB")
            .output()
            .unwrap()
    }

    /// Runs with `--json`, expects exit `code`, and parses stdout as exactly one JSON document.
    fn json_code(&self, code: i32, args: &[&str]) -> (Value, String) {
        let mut a = vec!["--json"];
        a.extend_from_slice(args);
        let out = self.run(&a);
        let stdout = String::from_utf8(out.stdout).unwrap();
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(code), "{args:?}\nstdout: {stdout}\nstderr: {stderr}");
        (one_json(&stdout), stderr)
    }

    fn json(&self, args: &[&str]) -> Value {
        self.json_code(0, args).0
    }

    /// A ledger with the app, a 20 % rate and the itemized Stripe sample (May 2024).
    fn with_sample() -> Cli {
        let c = Cli::new();
        c.json(&["app", "set", "--id", APP, "--name", "Acme Forms"]);
        c.json(&["rates", "add", "--from", "2024-01-01", "--percent", "20"]);
        c.json(&["import", sample(ITEMIZED).to_str().unwrap()]);
        c
    }
}

/// Parses stdout as one JSON document (and nothing else).
fn one_json(stdout: &str) -> Value {
    let mut it = serde_json::Deserializer::from_str(stdout).into_iter::<Value>();
    let v = it.next().unwrap_or_else(|| panic!("no JSON on stdout: {stdout:?}")).unwrap();
    assert!(it.next().is_none(), "more than one JSON document on stdout: {stdout}");
    v
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// An amount as SPEC §8 writes it: a string with exactly two decimals.
fn assert_amount(v: &Value) {
    let t = s(v);
    let (int, frac) = t.trim_start_matches('-').split_once('.').unwrap_or_else(|| panic!("`{t}` has no decimals"));
    assert!(!int.is_empty() && int.bytes().all(|b| b.is_ascii_digit()), "`{t}`");
    assert!(frac.len() == 2 && frac.bytes().all(|b| b.is_ascii_digit()), "`{t}` has not exactly two decimals");
}

/// Cents of a two-decimal amount string, integers only.
fn cents(v: &Value) -> i64 {
    assert_amount(v);
    let t = s(v);
    let neg = t.starts_with('-');
    let (i, f) = t.trim_start_matches('-').split_once('.').unwrap();
    let c = i.parse::<i64>().unwrap() * 100 + f.parse::<i64>().unwrap();
    if neg { -c } else { c }
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

fn has_keys(v: &Value, want: &[&str]) {
    let got = keys(v);
    for k in want {
        assert!(got.contains(k), "key `{k}` missing in {v}");
    }
}

fn itemized(rows: &[&str]) -> String {
    let mut t = String::from(HEADER);
    for r in rows {
        t.push('\n');
        t.push_str(r);
    }
    t.push('\n');
    t
}

// ---- usage and exit codes ------------------------------------------------------------------

#[test]
fn bad_usage_exits_2() {
    let c = Cli::new();
    for args in [
        &["report"][..],
        &["report", "--month", "2024-05", "--no-such-flag"],
        &["no-such-command"],
        &["approve"],
        &["import"],
    ] {
        let out = c.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(!out.stderr.is_empty(), "{args:?}: usage errors explain themselves on stderr");
    }
    // --help is not an error.
    assert_eq!(c.run(&["--help"]).status.code(), Some(0));
}

#[test]
fn refused_operations_exit_1_with_a_message_and_json_error() {
    let c = Cli::new();
    let (v, err) = c.json_code(1, &["app", "set", "--id", "not-a-guid", "--name", "X"]);
    assert!(s(&v["error"]).contains("not-a-guid"), "{v}");
    assert!(err.contains("error:") && err.contains("not-a-guid"), "{err}");
    let (_, err) = c.json_code(1, &["report", "--month", "2024-13"]);
    assert!(err.contains("2024-13"), "{err}");
    let (_, err) = c.json_code(1, &["batches", "undo", "99"]);
    assert!(err.contains("99"), "{err}");
}

#[test]
fn partner_ledger_db_env_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("from-env.sqlite");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_partner-ledger")).args(args).env("PARTNER_LEDGER_DB", &db).output().unwrap()
    };
    let out = run(&["--json", "app", "set", "--id", APP, "--name", "Env App"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(db.exists(), "the ledger file named by PARTNER_LEDGER_DB was created");
    let out = run(&["--json", "app", "show"]);
    let v = one_json(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(v["app_name"], "Env App");
    assert_eq!(v["app_id"], APP);
    // --db wins over the environment.
    let other = Cli::new();
    let v = other.json(&["app", "show"]);
    assert!(v["app_id"].is_null(), "{v}");
}

// ---- settings and app ----------------------------------------------------------------------

#[test]
fn settings_set_validates_keys_and_timezones() {
    let c = Cli::new();
    let v = c.json(&["settings", "set", "timezone", "Europe/Berlin"]);
    assert_eq!(v["value"], "Europe/Berlin");
    let v = c.json(&["settings", "set", "deduct_processor_fees", "off"]);
    assert_eq!(v["value"], "false");
    let (_, err) = c.json_code(1, &["settings", "set", "no_such_key", "1"]);
    for k in ["deduct_processor_fees", "timezone", "instance_metadata_key", "wix.base_url"] {
        assert!(err.contains(k), "the refusal lists `{k}`: {err}");
    }
    let (_, err) = c.json_code(1, &["settings", "set", "timezone", "Mars/Olympus"]);
    assert!(err.contains("Mars/Olympus"), "{err}");
    let v = c.json(&["settings", "list"]);
    assert_eq!(v["timezone"], "Europe/Berlin", "a refused value leaves the setting as it was");
}

#[test]
fn app_set_normalises_the_guid() {
    let c = Cli::new();
    let v = c.json(&["app", "set", "--id", &APP.to_uppercase(), "--name", "Acme Forms"]);
    assert_eq!(v["app_id"], APP);
    assert_eq!(v["app_name"], "Acme Forms");
}

// ---- imports -------------------------------------------------------------------------------

#[test]
fn import_reports_each_file_and_reimport_gives_duplicates() {
    let c = Cli::new();
    let file = sample(ITEMIZED);
    let v = c.json(&["import", file.to_str().unwrap()]);
    let f = &v["files"][0];
    has_keys(f, &["format", "batch_id", "rows_read", "imported", "duplicates", "skipped", "rejected"]);
    assert_eq!(f["format"], "stripe-itemized");
    assert_eq!(f["rows_read"], 7);
    assert_eq!(f["imported"], 7);
    assert_eq!(f["duplicates"], 0);
    assert_eq!(f["rejected"], Value::Array(vec![]));
    let batch = f["batch_id"].as_i64().expect("a batch id");

    // The same file again: nothing new, no new batch.
    let v = c.json(&["import", file.to_str().unwrap()]);
    let f = &v["files"][0];
    assert_eq!(f["imported"], 0);
    assert_eq!(f["duplicates"], 7);
    assert!(f["batch_id"].is_null(), "{f}");
    // The same rows under another name (an overlapping export) with one new row.
    let text = std::fs::read_to_string(&file).unwrap();
    let extra = text.lines().nth(1).unwrap().replace("txn_3PBa1xA2b3C4d5E6chg0001", "txn_NEW0001");
    let copy = c.write("overlap.csv", &format!("{}{extra}\n", text));
    let v = c.json(&["import", copy.to_str().unwrap()]);
    assert_eq!(v["files"][0]["imported"], 1);
    assert_eq!(v["files"][0]["duplicates"], 7);

    let v = c.json(&["batches", "list"]);
    let batches = v["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 2, "{v}");
    assert!(batches.iter().any(|b| b["id"] == batch && b["imported"] == 7 && b["file_name"] == ITEMIZED));
}

#[test]
fn import_several_files_gives_one_report_each() {
    let c = Cli::new();
    let v = c.json(&[
        "import",
        sample(ITEMIZED).to_str().unwrap(),
        sample("stripe_balance_history.csv").to_str().unwrap(),
    ]);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["format"], "stripe-itemized");
    assert_eq!(files[1]["format"], "stripe-balance");
}

#[test]
fn dry_run_changes_nothing() {
    let c = Cli::new();
    let v = c.json(&["import", "--dry-run", sample(ITEMIZED).to_str().unwrap()]);
    assert_eq!(v["files"][0]["imported"], 7);
    assert_eq!(v["files"][0]["dry_run"], true);
    assert!(v["files"][0]["batch_id"].is_null());
    assert_eq!(c.json(&["batches", "list"])["batches"], Value::Array(vec![]));
    // A real import afterwards imports everything.
    assert_eq!(c.json(&["import", sample(ITEMIZED).to_str().unwrap()])["files"][0]["imported"], 7);
}

#[test]
fn a_garbage_amount_refuses_the_whole_file_and_names_the_line() {
    let c = Cli::with_sample();
    let before_batches = c.json(&["batches", "list"]);
    let before_report = c.json(&["report", "--month", "2024-05"]);
    let bad = c.write(
        "bad.csv",
        &itemized(&[
            &format!("po_1,txn_ok1,2024-05-10 10:00:00,usd,10.00,0.59,9.41,charge,ch_ok1,Plan,cus_1,ch_ok1,{I1}"),
            &format!("po_1,txn_bad,2024-05-11 10:00:00,usd,12,34.5x,0.59,11.75,charge,ch_bad,Plan,cus_1,ch_bad,{I1}"),
            &format!("po_1,txn_bad2,2024-05-12 10:00:00,usd,abc,0.59,9.41,charge,ch_bad2,Plan,cus_1,ch_bad2,{I1}"),
        ]),
    );
    let (v, _) = c.json_code(1, &["import", bad.to_str().unwrap()]);
    let rejected = v["files"][0]["rejected"].as_array().unwrap();
    assert!(rejected.iter().any(|r| r["line"] == 4), "line 4 (the `abc` amount) is named: {v}");
    assert!(rejected.iter().all(|r| r["reason"].as_str().is_some_and(|s| !s.is_empty())));
    let abc = rejected.iter().find(|r| r["line"] == 4).unwrap();
    assert_eq!(abc["column"], "gross", "{abc}");
    assert_eq!(v["files"][0]["imported"], 0);
    // Without --json the refusal and its lines are on stderr.
    let out = c.run(&["import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.csv") && err.contains("nothing imported") && err.contains(":4"), "{err}");
    // Nothing changed.
    assert_eq!(c.json(&["batches", "list"]), before_batches);
    assert_eq!(c.json(&["report", "--month", "2024-05"]), before_report);
}

#[test]
fn batches_undo_removes_the_rows_and_is_refused_twice() {
    let c = Cli::with_sample();
    assert_eq!(c.json(&["report", "--month", "2024-05"])["totals"]["events"], 6);
    let batch = c.json(&["batches", "list"])["batches"][0]["id"].as_i64().unwrap();
    let v = c.json(&["batches", "undo", &batch.to_string()]);
    assert!(v["undone_at"].is_string(), "{v}");
    assert_eq!(c.json(&["report", "--month", "2024-05"])["totals"]["events"], 0);
    let (_, err) = c.json_code(1, &["batches", "undo", &batch.to_string()]);
    assert!(err.contains("already undone"), "{err}");
    // The undone rows can come back with a new import.
    assert_eq!(c.json(&["import", sample(ITEMIZED).to_str().unwrap()])["files"][0]["imported"], 7);
    assert_eq!(c.json(&["report", "--month", "2024-05"])["totals"]["events"], 6);
}

#[test]
fn paypal_sample_imports_with_a_date_order() {
    let c = Cli::new();
    let file = sample("paypal_activity_download.csv");
    // Either the file decides its order by itself, or it asks for --date-order: both are fine,
    // but with the order given it must import.
    let out = c.run(&["--json", "import", file.to_str().unwrap()]);
    if out.status.code() != Some(0) {
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("date"), "{}", String::from_utf8_lossy(&out.stderr));
        let v = c.json(&["import", "--date-order", "month-first", file.to_str().unwrap()]);
        assert_eq!(v["files"][0]["format"], "paypal-activity");
        assert!(v["files"][0]["imported"].as_u64().unwrap() > 0);
    } else {
        let v = one_json(&String::from_utf8(out.stdout).unwrap());
        assert_eq!(v["files"][0]["format"], "paypal-activity");
    }
}

// ---- exceptions, mappings ------------------------------------------------------------------

#[test]
fn unresolved_rows_are_exceptions_until_the_customer_is_mapped() {
    let c = Cli::new();
    c.json(&["rates", "add", "--from", "2024-01-01", "--percent", "20"]);
    let f = c.write(
        "nometa.csv",
        &itemized(&[
            "po_1,txn_n1,2024-06-03 10:00:00,usd,50.00,1.75,48.25,charge,ch_n1,Plan,cus_nometa,ch_n1,",
            "po_1,txn_n2,2024-06-04 10:00:00,usd,-50.00,0.00,-50.00,refund,re_n2,Refund,cus_nometa,ch_n1,",
        ]),
    );
    c.json(&["import", f.to_str().unwrap()]);
    let v = c.json(&["exceptions", "list", "--month", "2024-06"]);
    let ex = v["exceptions"].as_array().unwrap();
    assert_eq!(ex.len(), 2, "{v}");
    assert!(ex.iter().all(|e| e["kind"] == "unresolved_instance"));
    assert!(ex.iter().any(|e| e["source_id"] == "txn_n1"));
    // The approval is refused and lists them.
    let (v, err) = c.json_code(1, &["approve", "--month", "2024-06"]);
    assert_eq!(v["exceptions"].as_array().unwrap().len(), 2, "{v}");
    assert!(err.contains("txn_n1") && err.contains("unresolved_instance"), "{err}");

    let v = c.json(&["map", "customer", "cus_nometa", "--instance", &I2.to_uppercase()]);
    assert_eq!(v["instance_id"], I2);
    assert_eq!(v["rows_resolved"], 2, "the charge by mapping, its refund through the charge");
    assert_eq!(c.json(&["exceptions", "list"])["exceptions"], Value::Array(vec![]));
    let r = c.json(&["report", "--month", "2024-06"]);
    assert_eq!(r["totals"]["events"], 2);
    assert!(r["events"].as_array().unwrap().iter().all(|e| e["instance_id"] == I2));
    let (_, err) = c.json_code(1, &["map", "customer", "cus_x", "--instance", "nope"]);
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn a_saved_mapping_imports_another_processor() {
    let c = Cli::new();
    c.json(&["rates", "add", "--from", "2024-01-01", "--percent", "10"]);
    let toml = c.write(
        "bank.toml",
        r#"
id = "Ref"
date = "Booked"
date_format = "%Y-%m-%d"
amount = "Amount"
fee = "Charge"
fixed_currency = "USD"
instance = "Site"
description = "Text"
type_column = "Kind"
default_kind = "skipped"

[kinds]
"SALE" = "charge"
"BACK" = "refund"
"#,
    );
    let v = c.json(&["mapping", "add", "bank", toml.to_str().unwrap()]);
    assert_eq!(v["saved"], true);
    assert_eq!(c.json(&["mapping", "list"])["mappings"][0]["name"], "bank");
    let csv = c.write(
        "bank.csv",
        &format!(
            "Ref,Booked,Amount,Charge,Site,Text,Kind\nB-1,2024-07-02,100.00,2.00,{I1},Pro,SALE\nB-2,2024-07-03,-40.00,0.00,{I1},Pro,BACK\nB-3,2024-07-04,5.00,0,,Interest,INT\n"
        ),
    );
    let v = c.json(&["import", "--format", "mapped:bank", csv.to_str().unwrap()]);
    let f = &v["files"][0];
    assert_eq!(f["format"], "mapped:bank");
    assert_eq!(f["rows_read"], 3);
    assert_eq!(f["imported"], 2);
    // Money under a type the mapping does not name is never skipped silently (SPEC §2): the
    // interest row is unclassified until the operator says what it is.
    assert_eq!((f["skipped"].as_u64(), f["unclassified"].as_u64()), (Some(0), Some(1)));
    let r = c.json(&["report", "--month", "2024-07"]);
    assert_eq!(r["exceptions"][0]["kind"], "unclassified_type", "{r}");
    c.json(&["classify", "--source", "mapped:bank", "--type", "int", "--as", "ignore"]);
    let r = c.json(&["report", "--month", "2024-07"]);
    assert_eq!(r["exceptions"].as_array().map(Vec::len), Some(0), "{r}");
    assert_eq!(r["totals"]["events"], 2);
    assert_eq!(r["totals"]["gross"], "60.00");
    assert_eq!(r["totals"]["expenses"], "2.00");
    assert_eq!(r["totals"]["net"], "58.00");
    assert_eq!(r["totals"]["wix_share"], "5.80");
    assert!(r["events"].as_array().unwrap().iter().all(|e| e["source"] == "mapped:bank"));
    // An unknown mapping is refused.
    let (_, err) = c.json_code(1, &["import", "--format", "mapped:nope", csv.to_str().unwrap()]);
    assert!(err.contains("nope"), "{err}");
    // A broken mapping is refused before it is saved.
    let broken = c.write("broken.toml", "id = \"Ref\"\n");
    c.json_code(1, &["mapping", "add", "broken", broken.to_str().unwrap()]);
    assert_eq!(c.json(&["mapping", "list"])["mappings"].as_array().unwrap().len(), 1);
}

// ---- rates, FX, manual refunds -------------------------------------------------------------

#[test]
fn rates_add_and_list_with_instance_overrides() {
    let c = Cli::new();
    let v = c.json(&["rates", "add", "--from", "2024-01-01", "--percent", "20"]);
    assert_eq!(v["percent"], "20");
    c.json(&["rates", "add", "--from", "2024-03-01", "--percent", "0", "--instance", I1]);
    let v = c.json(&["rates", "list"]);
    let rates = v["rates"].as_array().unwrap();
    assert_eq!(rates.len(), 2);
    assert!(rates.iter().any(|r| r["instance_id"] == I1 && r["percent"] == "0" && r["effective_from"] == "2024-03-01"));
    c.json_code(1, &["rates", "add", "--from", "2024-01-01", "--percent", "120"]);
    c.json_code(1, &["rates", "add", "--from", "01/01/2024", "--percent", "20"]);
    assert_eq!(c.json(&["rates", "list"])["rates"].as_array().unwrap().len(), 2);

    // The override applies to I1's events only.
    c.json(&["import", sample(ITEMIZED).to_str().unwrap()]);
    let r = c.json(&["report", "--month", "2024-05"]);
    for e in r["events"].as_array().unwrap() {
        let want = if e["instance_id"] == I1 { "0" } else { "20" };
        assert_eq!(e["rate"], want, "{e}");
    }
}

#[test]
fn fx_import_converts_non_usd_rows() {
    let c = Cli::new();
    c.json(&["rates", "add", "--from", "2024-01-01", "--percent", "20"]);
    let f = c.write("eur.csv", &itemized(&[&format!("po_1,txn_e1,2024-08-05 10:00:00,eur,100.00,3.00,97.00,charge,ch_e1,Plan,cus_e,ch_e1,{I1}")]));
    c.json(&["import", f.to_str().unwrap()]);
    let ex = c.json(&["exceptions", "list", "--month", "2024-08"]);
    assert_eq!(ex["exceptions"][0]["kind"], "missing_fx_rate", "{ex}");
    let bad = c.write("fx-bad.csv", "date,currency,usd_per_unit\n2024-08-01,EUR,zero\n");
    c.json_code(1, &["fx", "import", bad.to_str().unwrap()]);
    let fx = c.write("fx.csv", "date,currency,usd_per_unit\n2024-08-01,EUR,1.10\n");
    let v = c.json(&["fx", "import", fx.to_str().unwrap()]);
    assert_eq!(v["rates"], 1);
    let r = c.json(&["report", "--month", "2024-08"]);
    assert_eq!(r["exceptions"], Value::Array(vec![]));
    let e = &r["events"][0];
    assert_eq!(e["gross"], "110.00");
    assert_eq!(e["expenses"], "3.30");
    assert_eq!(e["net"], "106.70");
    assert_eq!(e["wix_share"], "21.34");
}

#[test]
fn manual_refunds_and_their_refusals() {
    let c = Cli::with_sample();
    let r = c.json(&["report", "--month", "2024-05"]);
    let charge = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["instance_id"] == I2 && e["billing_type"] == "CHARGE")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let add = |extra: &[&str]| {
        let mut a = vec!["refund", "add", "--instance", I2, "--date", "2024-05-20", "--reason", "goodwill"];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let call = |code: i32, extra: &[&str]| {
        let a = add(extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        c.json_code(code, &refs)
    };
    let (_, err) = call(1, &["--amount", "0"]);
    assert!(err.contains("above 0"), "{err}");
    call(1, &["--amount", "-5"]);
    let (_, err) = call(1, &["--amount", "2000", "--charge", &charge]);
    assert!(err.contains("remains"), "more than the charge: {err}");
    let future = c.json_code(1, &["refund", "add", "--instance", I2, "--date", "2999-01-01", "--amount", "5", "--reason", "x"]).1;
    assert!(future.contains("future"), "{future}");
    let (v, _) = call(0, &["--amount", "50", "--fee-returned", "1.00", "--charge", &charge]);
    assert_eq!(v["amount"], "50.00");
    let id = s(&v["id"]).to_string();
    let r = c.json(&["report", "--month", "2024-05"]);
    let m = r["events"].as_array().unwrap().iter().find(|e| e["id"] == id.as_str()).expect("the manual refund is an event");
    assert_eq!(m["billing_type"], "REFUND");
    assert_eq!(m["gross"], "-50.00");
    assert_eq!(m["expenses"], "-1.00");
    assert_eq!(m["net"], "-49.00");
    assert_eq!(m["wix_share"], "-9.80");
    assert_eq!(m["source"], "manual");
    assert!(m["source_id"].is_null());
    assert_eq!(r["totals"]["events"], 7);
}

// ---- the report ----------------------------------------------------------------------------

#[test]
fn report_json_has_the_spec_shape_and_reconciles() {
    let c = Cli::with_sample();
    let r = c.json(&["report", "--month", "2024-05"]);
    has_keys(&r, &["month", "app_id", "status", "totals", "instances", "events", "exceptions"]);
    assert_eq!(r["month"], "2024-05");
    assert_eq!(r["app_id"], APP);
    assert_eq!(r["status"], "open");
    let t = &r["totals"];
    has_keys(t, &["events", "gross", "expenses", "net", "wix_share"]);
    assert_eq!(t["events"], 6, "4 charges, a refund and a dispute; the standalone fee gives none");
    assert_eq!(t["gross"], "1298.60");
    assert_eq!(t["expenses"], "58.30");
    assert_eq!(t["net"], "1240.30");
    assert_eq!(t["wix_share"], "248.06");

    let events = r["events"].as_array().unwrap();
    assert_eq!(events.len(), 6);
    let (mut g, mut x, mut n, mut w) = (0, 0, 0, 0);
    for e in events {
        has_keys(
            e,
            &["id", "instance_id", "billing_type", "created_date", "gross", "expenses", "net", "rate", "wix_share", "source", "source_id", "late", "state"],
        );
        for k in ["gross", "expenses", "net", "wix_share"] {
            assert_amount(&e[k]);
        }
        assert_eq!(cents(&e["gross"]) - cents(&e["expenses"]), cents(&e["net"]), "{e}");
        assert_eq!(e["source"], "stripe-itemized");
        assert!(s(&e["source_id"]).starts_with("txn_"), "{e}");
        assert_eq!(e["late"], false);
        assert_eq!(e["state"], "draft");
        assert_eq!(e["rate"], "20");
        let created = s(&e["created_date"]);
        assert!(created.starts_with("2024-05-") && created.ends_with('Z') && created.len() == 20, "{created}");
        let negative = s(&e["gross"]).starts_with('-');
        assert_eq!(e["billing_type"], if negative { "REFUND" } else { "CHARGE" }, "{e}");
        (g, x, n, w) = (g + cents(&e["gross"]), x + cents(&e["expenses"]), n + cents(&e["net"]), w + cents(&e["wix_share"]));
    }
    assert_eq!((g, x, n, w), (cents(&t["gross"]), cents(&t["expenses"]), cents(&t["net"]), cents(&t["wix_share"])));
    let dispute = events.iter().find(|e| e["source_id"] == "txn_3PCk7LA2b3C4d5E6adj0001").unwrap();
    assert_eq!((dispute["gross"].as_str(), dispute["net"].as_str(), dispute["wix_share"].as_str()), (Some("-99.00"), Some("-114.00"), Some("-22.80")));

    let instances = r["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 4);
    let mut charges = 0;
    for i in instances {
        has_keys(i, &["instance_id", "charges", "refunds", "gross", "expenses", "net", "wix_share"]);
        let id = s(&i["instance_id"]);
        let mine: Vec<&Value> = events.iter().filter(|e| e["instance_id"] == id).collect();
        assert_eq!(cents(&i["wix_share"]), mine.iter().map(|e| cents(&e["wix_share"])).sum::<i64>());
        assert_eq!(i["refunds"].as_u64().unwrap() + i["charges"].as_u64().unwrap(), mine.len() as u64);
        charges += i["charges"].as_u64().unwrap();
    }
    assert_eq!(charges, 4);
    let i1 = instances.iter().find(|i| i["instance_id"] == I1).unwrap();
    assert_eq!((i1["charges"].as_u64(), i1["refunds"].as_u64(), i1["gross"].as_str()), (Some(1), Some(1), Some("0.00")));
    assert_eq!(r["exceptions"], Value::Array(vec![]));
}

#[test]
fn report_exceptions_have_kind_source_id_and_detail() {
    let c = Cli::new();
    c.json(&["import", sample(ITEMIZED).to_str().unwrap()]);
    let r = c.json(&["report", "--month", "2024-05"]);
    let ex = r["exceptions"].as_array().unwrap();
    assert_eq!(ex.len(), 6, "no rate yet: every event row is an exception");
    for e in ex {
        has_keys(e, &["kind", "source_id", "detail"]);
        assert_eq!(e["kind"], "no_rate");
        assert!(s(&e["detail"]).contains("add a rate effective on or before that date"), "{e}");
    }
    assert_eq!(r["totals"]["events"], 0);
    assert_eq!(r["totals"]["gross"], "0.00");
}

#[test]
fn quarter_report_and_csv_exports() {
    let c = Cli::with_sample();
    let q = c.json(&["report", "--quarter", "2024-Q2"]);
    assert_eq!(q["quarter"], "2024-Q2");
    assert_eq!(q["totals"], c.json(&["report", "--month", "2024-05"])["totals"]);
    c.json_code(1, &["report", "--quarter", "2024-Q5"]);
    let out = c.run(&["report", "--month", "2024-05", "--quarter", "2024-Q2"]);
    assert_eq!(out.status.code(), Some(2), "month and quarter together is bad usage");

    // Wix CSV to a folder: Wix's file name convention.
    let folder = c.path("exports");
    std::fs::create_dir(&folder).unwrap();
    c.json(&["report", "--quarter", "2024-Q2", "--wix-csv", folder.to_str().unwrap()]);
    let wix = folder.join("Acme Forms Billing Report - Q2 2024.csv");
    let text = std::fs::read_to_string(&wix).unwrap_or_else(|e| panic!("{}: {e}", wix.display()));
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "App ID,App instance,Transaction Date (dd/mm/yyyy),Product Name,\"Gross Revenue, Without Sales Tax (USD)\",Net app revenue (USD),How did you calculate your net app revenue,Revenue Share Calculation,Owed (USD)"
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 6);
    assert!(rows.iter().any(|r| r.starts_with(&format!("{APP},{I1},01/05/2024,")) && r.ends_with(",5.57")), "{text}");
    assert!(!text.starts_with('\u{feff}'));
    c.json(&["report", "--month", "2024-05", "--wix-csv", folder.to_str().unwrap(), "--excel"]);
    let bytes = std::fs::read(folder.join("Acme Forms Billing Report - May 2024.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "--excel starts with a BOM");

    // Event lines CSV to a file.
    let lines = c.path("events.csv");
    c.json(&["report", "--month", "2024-05", "--csv", lines.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&lines).unwrap().lines().count(), 7);
}

// ---- approval, reopen, audit ---------------------------------------------------------------

#[test]
fn approve_freezes_reopen_unfreezes_and_the_audit_log_says_who() {
    let c = Cli::with_sample();
    let before = c.json(&["report", "--month", "2024-05"]);
    let (v, _) = c.json_code(0, &["--by", "alice", "approve", "--month", "2024-05"]);
    assert_eq!(v["status"], "approved");
    let r = c.json(&["report", "--month", "2024-05"]);
    assert_eq!(r["status"], "approved");
    assert_eq!(r["totals"], before["totals"]);
    assert!(r["events"].as_array().unwrap().iter().all(|e| e["state"] == "queued"), "{r}");
    // A rate change no longer alters the approved month.
    c.json(&["rates", "add", "--from", "2024-05-01", "--percent", "10"]);
    assert_eq!(c.json(&["report", "--month", "2024-05"])["totals"], before["totals"]);
    // Twice is refused; an undo of its batch is refused.
    c.json_code(1, &["approve", "--month", "2024-05"]);
    let (_, err) = c.json_code(1, &["batches", "undo", "1"]);
    assert!(err.contains("approved"), "{err}");
    // A late row joins the next open month.
    let late = c.write("late.csv", &itemized(&[&format!("po_9,txn_late,2024-05-30 10:00:00,usd,10.00,0.59,9.41,charge,ch_late,Plan,cus_9,ch_late,{I1}")]));
    c.json(&["import", late.to_str().unwrap()]);
    let june = c.json(&["report", "--month", "2024-06"]);
    assert_eq!(june["events"][0]["late"], true, "{june}");
    assert_eq!(june["events"][0]["created_date"], "2024-05-30T10:00:00Z");

    c.json_code(1, &["reopen", "--month", "2024-05", "--reason", " "]);
    let v = c.json(&["--by", "bob", "reopen", "--month", "2024-05", "--reason", "wrong rate"]);
    assert_eq!(v["status"], "open");
    let r = c.json(&["report", "--month", "2024-05"]);
    assert_eq!(r["status"], "open");
    assert_ne!(r["totals"]["wix_share"], before["totals"]["wix_share"], "live again: the 10 % rate applies now");
    c.json_code(1, &["reopen", "--month", "2024-05", "--reason", "again"]);

    let log = c.json(&["audit", "list"]);
    let entries = log["audit"].as_array().unwrap();
    let approve = entries.iter().find(|a| a["action"] == "month.approve").expect("the approval is audited");
    assert_eq!(approve["who"], "alice");
    let reopen = entries.iter().find(|a| a["action"] == "month.reopen").expect("the reopen is audited");
    assert_eq!(reopen["who"], "bob");
    assert!(entries.iter().any(|a| a["action"] == "batch.import" && a["who"] == "tester"));
    let ids: Vec<i64> = entries.iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "oldest first");
}

#[test]
fn every_command_prints_one_json_document() {
    let c = Cli::with_sample();
    let folder = c.path("out");
    std::fs::create_dir(&folder).unwrap();
    let fx = c.write("fx.csv", "date,currency,usd_per_unit\n2024-05-01,EUR,1.08\n");
    let commands: Vec<Vec<String>> = vec![
        vec!["app".into(), "show".into()],
        vec!["settings".into(), "list".into()],
        vec!["batches".into(), "list".into()],
        vec!["exceptions".into(), "list".into()],
        vec!["rates".into(), "list".into()],
        vec!["mapping".into(), "list".into()],
        vec!["months".into(), "list".into()],
        vec!["fx".into(), "import".into(), fx.display().to_string()],
        vec!["report".into(), "--month".into(), "2024-05".into(), "--wix-csv".into(), folder.display().to_string()],
        vec!["audit".into(), "list".into()],
    ];
    for cmd in commands {
        let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
        let v = c.json(&args);
        assert!(v.is_object(), "{cmd:?}: {v}");
    }
}

#[test]
fn impossible_amounts_and_refused_inputs_exit_1_never_101() {
    let c = Cli::with_sample();
    let huge = "7922816251426433759354395033";
    let id: String = {
        let ledger = pl_ledger::Ledger::open(&c.db).unwrap();
        let db = ledger.connection();
        let (id, sid): (i64, String) =
            db.query_row("SELECT id, source_id FROM txns WHERE kind = 'charge' ORDER BY id LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        db.execute(&format!("UPDATE txns SET gross = '{huge}', net = '{huge}' WHERE id = {id}"), []).unwrap();
        sid
    };
    let csv = c.path("wix.csv");
    for args in [
        &["report", "--month", "2024-05"][..],
        &["--json", "report", "--month", "2024-05"],
        &["report", "--month", "2024-05", "--wix-csv", csv.to_str().unwrap()],
        &["report", "--quarter", "2024-Q2"],
        &["exceptions", "list", "--month", "2024-05"],
        &["approve", "--month", "2024-05"],
    ] {
        let out = c.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(&id) && err.contains("impossible") && !err.contains("panicked"), "{args:?}: {err}");
    }
    assert!(!csv.exists(), "no export of a month that cannot be computed");
    // The operator's own inputs: refused with the field and the rule.
    for (args, words) in [
        (&["refund", "add", "--instance", "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31", "--date", "2024-05-20", "--amount", "5", "--fee-returned", "50", "--reason", "x"][..], &["returned fee 50.00", "more than the refund amount"][..]),
        (&["refund", "add", "--instance", "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31", "--date", "2024-05-20", "--amount", huge, "--reason", "x"], &["amount", "12 integer digits"]),
        (&["approve", "--month", "2099-01"], &["has not ended yet"]),
        (&["settings", "set", "refund_rate", "sometimes"], &["event_date, original_charge"]),
    ] {
        let out = c.run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        for w in words {
            assert!(err.contains(w), "{args:?}: `{w}` not in {err}");
        }
    }
    c.json(&["settings", "set", "refund_rate", "original_charge"]);
}

// ---- direction, unknown types, conflicts (SPEC §2) -------------------------------------------

/// A bank export through a saved mapping: `Purchase` is money paid out, an unknown type is
/// `unclassified`.
fn bank_cli() -> Cli {
    let c = Cli::new();
    c.json(&["app", "set", "--id", APP, "--name", "Acme Forms"]);
    c.json(&["rates", "add", "--from", "2024-01-01", "--percent", "20"]);
    let toml = c.write(
        "bank.toml",
        r#"
id = "Ref"
date = "Booked"
date_format = "%Y-%m-%d"
amount = "Amount"
fixed_currency = "USD"
instance = "Site"
type_column = "Kind"
default_kind = "unclassified"

[kinds]
"Sale" = "charge"
"Purchase" = "sent"
"#,
    );
    c.json(&["mapping", "add", "bank", toml.to_str().unwrap()]);
    c
}

#[test]
fn payments_sent_and_unknown_types_are_counted_and_classify_turns_them_into_events() {
    let c = bank_cli();
    let csv = c.write(
        "oct.csv",
        &format!("Ref,Booked,Amount,Site,Kind\nB-1,2026-10-02,100.00,{I1},Sale\nB-2,2026-10-03,-195.00,,Purchase\nB-3,2026-10-04,10.00,{I1},General Payment\n"),
    );
    let out = c.run(&["import", "--format", "mapped:bank", csv.to_str().unwrap()]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(text.contains("imported 1, 1 sent") && text.contains("1 unclassified"), "{text}");
    c.json(&["batches", "undo", "1"]);
    let v = c.json(&["import", "--format", "mapped:bank", csv.to_str().unwrap()]);
    let f = &v["files"][0];
    has_keys(f, &["imported", "duplicates", "skipped", "sent", "unclassified"]);
    assert_eq!((f["imported"].as_u64(), f["sent"].as_u64(), f["unclassified"].as_u64()), (Some(1), Some(1), Some(1)));
    assert_eq!(c.json(&["batches", "list"])["batches"][0]["sent"], 1);

    // The unclassified row blocks approval; the sent one is never an event.
    let (v, err) = c.json_code(1, &["approve", "--month", "2026-10"]);
    assert_eq!(v["exceptions"][0]["kind"], "unclassified_type", "{v}");
    assert!(err.contains("General Payment"), "{err}");
    assert_eq!(c.json(&["report", "--month", "2026-10"])["totals"]["events"], 1);

    let v = c.json(&["classify", "--source", "mapped:bank", "--type", "GENERAL payment", "--as", "charge"]);
    assert_eq!((v["classified"].as_u64(), v["rule"]["action"].as_str()), (Some(1), Some("charge")));
    let rules = c.json(&["classify", "--list"]);
    assert_eq!(rules["rules"][0]["type_name"], "GENERAL payment");
    let r = c.json(&["report", "--month", "2026-10"]);
    assert_eq!((r["totals"]["events"].as_u64(), r["totals"]["gross"].as_str()), (Some(2), Some("110.00")));
    let audit = c.json(&["audit", "list"]);
    assert!(audit["audit"].as_array().unwrap().iter().any(|a| a["action"] == "classify.set" && a["who"] == "tester"), "{audit}");
    c.json(&["approve", "--month", "2026-10"]);
    let v = c.json(&["classify", "--remove", "--source", "mapped:bank", "--type", "general payment"]);
    assert_eq!((v["unclassified"].as_u64(), v["frozen"].as_u64()), (Some(0), Some(1)));
    assert_eq!(c.json(&["classify", "--list"])["rules"], Value::Array(vec![]));
}

#[test]
fn classify_usage_and_refusals() {
    let c = bank_cli();
    assert_eq!(c.run(&["classify", "--source", "paypal-activity", "--as", "charge"]).status.code(), Some(2), "--type is required");
    assert_eq!(c.run(&["classify", "--source", "paypal-activity", "--type", "X", "--as", "revenue"]).status.code(), Some(2));
    assert_eq!(c.run(&["classify", "--list", "--source", "paypal-activity"]).status.code(), Some(2));
    let (v, err) = c.json_code(1, &["classify", "--source", "paypal", "--type", "General Payment", "--as", "charge"]);
    assert!(v["error"].as_str().unwrap().contains("not a source format"), "{v}");
    assert!(err.contains("paypal-activity"), "{err}");
    c.json_code(1, &["classify", "--remove", "--source", "paypal-activity", "--type", "General Payment"]);
}

#[test]
fn a_conflicting_row_refuses_the_file_naming_the_batch_file_and_line() {
    let c = Cli::new();
    let file = sample(ITEMIZED);
    c.json(&["import", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    let second = text.lines().nth(1).unwrap();
    // Its fee, 1.14, becomes 1.15.
    let changed = second.replacen("\"1.14\",\"27.86\"", "\"1.15\",\"27.85\"", 1);
    assert_ne!(changed, second);
    let copy = c.write("edited.csv", &format!("{}\n{changed}\n", text.lines().next().unwrap()));
    let out = c.run(&["import", copy.to_str().unwrap()]);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("edited.csv:2") && err.contains("conflict") && err.contains(&format!("batch 1 (file `{ITEMIZED}`), line 2")), "{err}");
    assert_eq!(c.json(&["batches", "list"])["batches"].as_array().unwrap().len(), 1, "nothing imported");
}
