//! What the window's Setup and Audit views call (SPEC §10): the app, rates (removal), settings
//! as listed, the FX table's summary, column mappings (preview, removal), customer mappings
//! (page, removal), the unknown types waiting, and the audit log's pages. Real ledgers in temp
//! folders, through the public facade. Credentials are in `tests/credentials.rs` (their own
//! process: they touch the OS keyring and the environment).
mod common;

use common::*;
use pl_ledger::{AuditQuery, CustomerMappingQuery, Error, ExceptionKind, ImportOptions, Ledger};

const APP: &str = "157f033e-c1ae-4418-adb0-79d2bcd9d4a8";

fn err<T: std::fmt::Debug>(r: pl_ledger::Result<T>) -> String {
    r.expect_err("refused").to_string()
}

fn audit_actions(l: &Ledger) -> Vec<String> {
    l.audit_log().unwrap().into_iter().map(|a| a.action).collect()
}

#[test]
fn the_app_reads_back_as_it_was_set() {
    let mut env = Env::new();
    let app = env.ledger.app().unwrap();
    assert_eq!((app.id, app.name), (None, None));
    env.ledger.set_app(" 157F033E-C1AE-4418-ADB0-79D2BCD9D4A8 ", "  Acme Forms ", "ana").unwrap();
    let app = env.ledger.app().unwrap();
    assert_eq!((app.id.as_deref(), app.name.as_deref()), (Some(APP), Some("Acme Forms")));
    assert!(err(env.ledger.set_app("not-a-guid", "X", "ana")).contains("not a Wix app id"));
    assert_eq!(env.ledger.app().unwrap().name.as_deref(), Some("Acme Forms"), "a refused change changes nothing");
}

/// The rows of the month view: October's one charge of 100.00, November's one of 50.00.
fn two_months(env: &mut Env) {
    env.ledger.set_app(APP, "Acme Forms", "t").unwrap();
    env.import_str(
        "oct-nov.csv",
        &itemized(&[Item::charge(1, "2026-10-05 10:00:00", "100.00", "0.00", I1), Item::charge(2, "2026-11-05 10:00:00", "50.00", "0.00", I1)]),
    );
}

#[test]
fn removing_a_rate_changes_open_months_only_and_is_audited() {
    let mut env = Env::new();
    two_months(&mut env);
    env.ledger.add_rate("2020-01-01", "20", None, "t").unwrap();
    env.ledger.approve("2026-10", "t").unwrap();
    env.ledger.add_rate("2026-10-01", "10", None, "t").unwrap();
    env.ledger.add_rate("2026-11-01", "5", Some(I1), "t").unwrap();
    assert_eq!(env.ledger.month_summary("2026-11").unwrap().totals.wix_share, "2.50", "the instance's override wins");

    // The override goes: November follows the app's rate from 2026-10-01.
    let removed = env.ledger.remove_rate("2026-11-01", Some(&I1.to_uppercase()), "ana").unwrap();
    assert_eq!((removed.percent.as_str(), removed.instance_id.as_deref()), ("5", Some(I1)));
    assert_eq!(env.ledger.month_summary("2026-11").unwrap().totals.wix_share, "5.00");
    // Removing the app's rates leaves November without one: a no_rate exception to fix in Setup.
    env.ledger.remove_rate(" 2026-10-01 ", None, "ana").unwrap();
    env.ledger.remove_rate("2020-01-01", None, "ana").unwrap();
    let nov = env.ledger.month_summary("2026-11").unwrap();
    assert_eq!(nov.exceptions.iter().map(|e| e.kind).collect::<Vec<_>>(), vec![ExceptionKind::NoRate]);
    // October was approved at 20 %: it keeps it.
    let oct = env.ledger.month_summary("2026-10").unwrap();
    assert_eq!((oct.totals.wix_share.as_str(), oct.exceptions.len()), ("20.00", 0));
    assert!(env.ledger.rates().unwrap().is_empty());

    assert!(matches!(env.ledger.remove_rate("2020-01-01", None, "ana"), Err(Error::NotFound(_))));
    assert!(err(env.ledger.remove_rate("01/01/2020", None, "ana")).contains("YYYY-MM-DD"));
    assert!(err(env.ledger.remove_rate("2020-01-01", Some("site-1"), "ana")).contains("not a Wix instance id"));
    let log = env.ledger.audit_log().unwrap();
    let removals: Vec<_> = log.iter().filter(|a| a.action == "rate.remove").collect();
    assert_eq!(removals.len(), 3);
    assert_eq!((removals[0].who.as_str(), removals[0].entity.as_str()), ("ana", format!("rate:2026-11-01:{I1}").as_str()));
    assert_eq!(removals[0].before.as_ref().unwrap()["percent"], "5");
    assert!(removals[0].after.is_none());
}

#[test]
fn settings_are_listed_with_their_values_defaults_and_choices() {
    let mut env = Env::new();
    let list = env.ledger.settings().unwrap();
    let keys: Vec<&str> = list.iter().map(|s| s.key.as_str()).collect();
    assert!(keys.contains(&"timezone") && keys.contains(&"wix.base_url") && keys.contains(&"date_order"), "{keys:?}");
    assert!(!keys.iter().any(|k| k.starts_with("app.")), "the app is set as the app: {keys:?}");
    let get = |l: &[pl_ledger::SettingInfo], k: &str| l.iter().find(|s| s.key == k).cloned().unwrap();
    let tz = get(&list, "timezone");
    assert_eq!((tz.value.as_deref(), tz.default.as_deref(), tz.stored), (Some("UTC"), Some("UTC"), false));
    assert!(tz.choices.is_empty(), "the zones come from timezones()");
    assert_eq!(get(&list, "deduct_processor_fees").choices, vec!["true", "false"]);
    assert_eq!(get(&list, "refund_rate").choices, vec!["event_date", "original_charge"]);
    let order = get(&list, "date_order");
    assert_eq!((order.value, order.stored, order.choices), (None, false, vec!["day-first".to_string(), "month-first".to_string()]));

    env.ledger.set_setting("timezone", "Europe/Berlin", "ana").unwrap();
    env.ledger.set_setting("date_order", "day-first", "ana").unwrap();
    let list = env.ledger.settings().unwrap();
    assert_eq!((get(&list, "timezone").value.as_deref(), get(&list, "timezone").stored), (Some("Europe/Berlin"), true));
    assert_eq!(get(&list, "date_order").value.as_deref(), Some("day-first"));
    // The engine's check is what the window shows next to the field.
    let e = err(env.ledger.set_setting("wix.base_url", "http://wix.example.com", "ana"));
    assert!(e.contains("unencrypted"), "{e}");

    let zones = Ledger::timezones();
    assert!(zones.windows(2).all(|w| w[0] <= w[1]), "sorted");
    for z in ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"] {
        assert!(zones.iter().any(|n| n == z), "{z}");
    }
    // Every zone offered is one the setting accepts.
    for z in zones.iter().step_by(37) {
        assert_eq!(&env.ledger.set_setting("timezone", z, "t").unwrap(), z);
    }
}

#[test]
fn the_fx_table_is_summed_up_by_currency() {
    let mut env = Env::new();
    assert!(env.ledger.fx_summary().unwrap().is_empty());
    let fx = env.file("fx.csv", "date,currency,usd_per_unit\n2026-10-01,EUR,1.08\n2026-10-31,EUR,1.0712\n2026-10-15,gbp,1.27\n");
    assert_eq!(env.ledger.import_fx(&fx, "t").unwrap().rates, 3);
    let s = env.ledger.fx_summary().unwrap();
    assert_eq!(
        s.iter().map(|c| (c.currency.as_str(), c.rates, c.first.as_str(), c.last.as_str(), c.last_rate.as_str())).collect::<Vec<_>>(),
        vec![("EUR", 2, "2026-10-01", "2026-10-31", "1.0712"), ("GBP", 1, "2026-10-15", "2026-10-15", "1.27")]
    );
    // A refused file changes nothing.
    let bad = env.file("bad.csv", "date,currency,usd_per_unit\n2026-11-01,EUR,abc\n");
    assert_eq!(env.ledger.import_fx(&bad, "t").unwrap().rejected.len(), 1);
    assert_eq!(env.ledger.fx_summary().unwrap().len(), 2);
    assert_eq!(env.ledger.fx_summary().unwrap()[0].rates, 2);
}

const BANK: &str = r#"
id = "Ref"
date = "Booked"
date_format = "%Y-%m-%d"
amount = "Amount"
fixed_currency = "USD"
instance = "Site"
customer = "Payer"
type_column = "Kind"
default_kind = "unclassified"

[kinds]
"Sale" = "charge"
"Refund" = "refund"
"Transfer" = "skipped"
"#;

#[test]
fn a_mapping_preview_reads_the_file_without_saving_or_importing() {
    let env = Env::new();
    let long = "x".repeat(200);
    let file = env.file(
        "bank.csv",
        &format!(
            "Ref,Booked,Amount,Site,Payer,Kind\nB-1,2026-10-04,\"1,250.00\",{I1},p@x.com,Sale\nB-2,2026-10-05,-20.00,,p@x.com,Refund\n\
             B-3,2026-10-06,5.00,,,Transfer\nB-4,2026-10-07,oops,,,Sale\nB-5,2026-10-08,9.00,,,{long}\n"
        ),
    );
    let p = env.ledger.preview_column_mapping("bank", BANK, &file).unwrap();
    assert_eq!((p.format.as_str(), p.rows_read, p.rows_ok, p.rows_failed), ("mapped:bank", 5, 4, 1));
    assert_eq!(p.number_style, "point");
    assert_eq!(p.errors.len(), 1);
    assert_eq!((p.errors[0].line, p.errors[0].column.as_deref()), (5, Some("Amount")));
    let kinds: Vec<(String, u32)> = p.kinds.iter().map(|k| (k.kind.clone(), k.rows)).collect();
    assert_eq!(kinds.len(), 4);
    assert!(kinds.iter().all(|(_, n)| *n == 1), "{kinds:?}");
    let first = &p.rows[0];
    assert_eq!(
        (first.line, first.kind.as_str(), first.source_id.as_str(), first.gross.as_str(), first.instance.as_deref(), first.customer.as_deref()),
        (2, "charge", "B-1", "1250.00", Some(I1), Some("p@x.com"))
    );
    assert_eq!(first.occurred_at, "2026-10-04T00:00:00Z");
    assert_eq!(p.rows[1].kind, "refund");
    assert!(p.rows[2].skip_reason.is_some());
    let unknown = p.rows.iter().find(|r| r.kind == "unclassified").unwrap();
    assert!(unknown.type_name.as_deref().unwrap().len() < 120, "file text is clipped: {:?}", unknown.type_name);

    // Nothing was saved or imported.
    assert!(env.ledger.list_column_mappings().unwrap().is_empty());
    assert!(env.ledger.list_batches().unwrap().is_empty());
    assert!(env.ledger.audit_log().unwrap().is_empty());

    // What is wrong with the mapping or the whole file is an error saying so.
    assert!(err(env.ledger.preview_column_mapping("bank", "id = ", &file)).contains("invalid mapping"));
    assert!(err(env.ledger.preview_column_mapping("bank:1", BANK, &file)).contains("not a mapping name"));
    let other = env.file("other.csv", "a,b\n1,2\n");
    let e = err(env.ledger.preview_column_mapping("bank", BANK, &other));
    assert!(e.contains("other.csv") && e.contains("Ref"), "{e}");
    let e = err(env.ledger.preview_column_mapping("bank", BANK, env.dir.path()));
    assert!(e.contains("not a regular file"), "{e}");
}

#[test]
fn column_mappings_are_saved_read_back_and_removed_with_their_rows_kept() {
    let mut env = Env::new();
    env.ledger.add_column_mapping("bank", BANK, "ana").unwrap();
    assert_eq!(env.ledger.column_mapping(" bank ").unwrap(), BANK);
    let file = env.file("bank.csv", &format!("Ref,Booked,Amount,Site,Payer,Kind\nB-1,2026-10-04,10.00,{I1},,Sale\n"));
    let r = env.ledger.import_file(&file, &ImportOptions { format: Some("mapped:bank".into()), by: "t".into(), ..Default::default() }).unwrap();
    assert_eq!(r.imported, 1);

    env.ledger.remove_column_mapping("bank", "ana").unwrap();
    assert!(env.ledger.list_column_mappings().unwrap().is_empty());
    assert_eq!(env.count("SELECT count(*) FROM txns WHERE undone = 0"), 1, "its rows stay");
    assert!(matches!(env.ledger.remove_column_mapping("bank", "ana"), Err(Error::NotFound(_))));
    assert!(matches!(env.ledger.column_mapping("bank"), Err(Error::NotFound(_))));
    let log = env.ledger.audit_log().unwrap();
    let removed = log.iter().find(|a| a.action == "column_mapping.remove").unwrap();
    assert_eq!((removed.who.as_str(), removed.entity.as_str()), ("ana", "mapping:bank"));
    assert_eq!(removed.before.as_ref().and_then(|v| v.as_str()), Some(BANK));
    // An import in that layout now says a mapping is needed.
    let again = env.ledger.import_file(&file, &ImportOptions { format: Some("mapped:bank".into()), by: "t".into(), ..Default::default() });
    assert!(err(again).contains("no saved column mapping named `bank`"));
}

/// Two rows of customer `cus_0001` without metadata: October (charge 1) and November (charge 2).
fn unmapped(env: &mut Env) {
    env.ledger.set_app(APP, "Acme Forms", "t").unwrap();
    env.ledger.add_rate("2020-01-01", "20", None, "t").unwrap();
    let mut c1 = Item::charge(1, "2026-10-05 10:00:00", "100.00", "0.00", "");
    let mut c2 = Item::charge(2, "2026-11-05 10:00:00", "50.00", "0.00", "");
    c2.customer = c1.customer.clone();
    c1.description = "first".into();
    env.import_str("unmapped.csv", &itemized(&[c1, c2, Item::charge(3, "2026-11-06 10:00:00", "5.00", "0.00", I2)]));
}

#[test]
fn customer_mappings_are_paged_searched_and_removed() {
    let mut env = Env::new();
    unmapped(&mut env);
    assert_eq!(env.ledger.exceptions(None).unwrap().len(), 2);
    assert_eq!(env.ledger.map_customer("cus_0001", I1, "ana").unwrap(), 2);
    for n in 2..=5 {
        env.ledger.map_customer(&format!("cus_{n:04}"), I2, "ana").unwrap();
    }
    let q = |search: Option<&str>, offset, limit| CustomerMappingQuery { search: search.map(str::to_string), offset, limit };
    let all = env.ledger.customer_mappings(&q(None, 0, 100)).unwrap();
    assert_eq!(all.total, 5);
    assert_eq!(all.rows.iter().map(|m| m.customer_key.as_str()).collect::<Vec<_>>(), ["cus_0001", "cus_0002", "cus_0003", "cus_0004", "cus_0005"]);
    assert_eq!((all.rows[0].instance_id.as_str(), all.rows[0].saved_by.as_str()), (I1, "ana"));
    let page = env.ledger.customer_mappings(&q(None, 3, 10)).unwrap();
    assert_eq!((page.total, page.offset, page.rows.len()), (5, 3, 2));
    assert_eq!(env.ledger.customer_mappings(&q(Some(" CUS_0003 "), 0, 10)).unwrap().rows.len(), 1);
    assert_eq!(env.ledger.customer_mappings(&q(Some(&I1[..8].to_uppercase()), 0, 10)).unwrap().total, 1, "by instance too");
    assert_eq!(env.ledger.customer_mappings(&q(Some("   "), 0, 10)).unwrap().total, 5, "a blank search is no filter");
    assert!(err(env.ledger.customer_mappings(&q(None, 0, 1001))).contains("at most 1000"));

    // Approve October; then removing the mapping unresolves November's row only.
    env.ledger.approve("2026-10", "t").unwrap();
    let out = env.ledger.unmap_customer(" cus_0001 ", "ben").unwrap();
    assert_eq!((out.unresolved, out.frozen), (1, 1));
    let ex = env.ledger.exceptions(Some("2026-11")).unwrap();
    assert_eq!(ex.iter().map(|e| (e.kind, e.source_id.as_str())).collect::<Vec<_>>(), vec![(ExceptionKind::UnresolvedInstance, "txn_c0002")]);
    assert_eq!(env.ledger.month_summary("2026-10").unwrap().totals.events, 1, "October keeps its frozen event");
    assert_eq!(env.ledger.customer_mappings(&q(None, 0, 10)).unwrap().total, 4);
    assert!(matches!(env.ledger.unmap_customer("cus_0001", "ben"), Err(Error::NotFound(_))));
    let entry = env.ledger.audit_log().unwrap().into_iter().find(|a| a.action == "customer_map.remove").unwrap();
    assert_eq!((entry.who.as_str(), entry.entity.as_str()), ("ben", "customer:cus_0001"));
    assert_eq!(entry.before.unwrap()["instance_id"], I1);
    assert_eq!(entry.after.unwrap()["unresolved"], 1);

    // Mapping it again (an edit in the window) resolves the row again.
    assert_eq!(env.ledger.map_customer("cus_0001", I2, "ben").unwrap(), 1);
    assert!(env.ledger.exceptions(Some("2026-11")).unwrap().is_empty());
}

#[test]
fn unknown_types_waiting_are_listed_per_source_ignoring_case() {
    let mut env = Env::new();
    assert!(env.ledger.unclassified_types().unwrap().is_empty());
    env.ledger.add_column_mapping("bank", BANK, "t").unwrap();
    let file = env.file(
        "bank.csv",
        &format!(
            "Ref,Booked,Amount,Site,Payer,Kind\nB-1,2026-10-04,10.00,{I1},,Mobile Payment\nB-2,2026-10-05,11.00,{I1},,MOBILE PAYMENT\n\
             B-3,2026-10-06,12.00,{I1},,Handyzahlung\nB-4,2026-10-07,13.00,{I1},,Sale\n"
        ),
    );
    env.ledger.import_file(&file, &ImportOptions { format: Some("mapped:bank".into()), by: "t".into(), ..Default::default() }).unwrap();
    let waiting = env.ledger.unclassified_types().unwrap();
    assert_eq!(
        waiting.iter().map(|w| (w.source.as_str(), w.type_name.as_str(), w.rows)).collect::<Vec<_>>(),
        vec![("mapped:bank", "Mobile Payment", 2), ("mapped:bank", "Handyzahlung", 1)]
    );
    env.ledger.classify_type("mapped:bank", "mobile payment", "charge", "t").unwrap();
    assert_eq!(env.ledger.unclassified_types().unwrap().len(), 1);
}

/// An audit entry written at a chosen instant (the engine writes "now"; the log only refuses
/// changes, not inserts).
fn audit_at(l: &Ledger, at: &str, who: &str, action: &str, entity: &str, after: &str) {
    l.connection()
        .execute("INSERT INTO audit (at, who, action, entity, before, after) VALUES (?1, ?2, ?3, ?4, NULL, ?5)", [at, who, action, entity, after])
        .unwrap();
}

fn audit_query(month: Option<&str>, who: Option<&str>, action: Option<&str>) -> AuditQuery {
    AuditQuery { month: month.map(Into::into), who: who.map(Into::into), action: action.map(Into::into), search: None, offset: 0, limit: 100 }
}

#[test]
fn the_audit_log_is_paged_newest_first_and_filtered_in_the_ledger_time_zone() {
    let mut env = Env::new();
    env.ledger.set_setting("timezone", "Europe/Berlin", "ana").unwrap();
    let l = &env.ledger;
    audit_at(l, "2026-10-15T09:00:00Z", "ana", "rate.set", "rate:2026-10-01", "\"20\"");
    // 23:30 UTC on 31 October is 00:30 on 1 November in Berlin.
    audit_at(l, "2026-10-31T23:30:00Z", "ben", "batch.import", "batch:1", &format!("\"{}\"", "y".repeat(400)));
    audit_at(l, "2026-11-02T08:00:00Z", "ana", "batch.import", "batch:2", "{}");

    let all = l.audit_page(&audit_query(None, None, None)).unwrap();
    assert_eq!((all.total, all.timezone.as_str()), (4, "Europe/Berlin"));
    assert_eq!(all.rows.iter().map(|r| r.entity.as_str()).collect::<Vec<_>>(), ["batch:2", "batch:1", "rate:2026-10-01", "setting:timezone"]);
    let late = &all.rows[1];
    assert_eq!((late.at.as_str(), late.at_local.as_str()), ("2026-10-31T23:30:00Z", "2026-11-01 00:30"));
    let after = late.after.as_deref().unwrap();
    assert!(after.ends_with('…') && after.chars().count() == 301, "cut to 300 characters: {after}");
    assert_eq!(all.rows[0].after.as_deref(), Some("{}"), "a short value is whole");

    let nov = l.audit_page(&audit_query(Some("2026-11"), None, None)).unwrap();
    assert_eq!(nov.rows.iter().map(|r| r.entity.as_str()).collect::<Vec<_>>(), ["batch:2", "batch:1"]);
    let oct = l.audit_page(&audit_query(Some("2026-10"), Some("ana"), None)).unwrap();
    assert_eq!(oct.rows.iter().map(|r| r.entity.as_str()).collect::<Vec<_>>(), ["rate:2026-10-01"]);
    assert_eq!(l.audit_page(&audit_query(None, None, Some("batch.import"))).unwrap().total, 2);
    assert_eq!(l.audit_page(&audit_query(None, Some("ben"), Some("rate.set"))).unwrap().total, 0);
    let search = AuditQuery { search: Some("BATCH:".into()), ..audit_query(None, None, None) };
    assert_eq!(l.audit_page(&search).unwrap().total, 2);
    let blank = AuditQuery { month: Some(" ".into()), who: Some("".into()), ..audit_query(None, None, None) };
    assert_eq!(l.audit_page(&blank).unwrap().total, 4, "empty filters are no filters");
    let second = AuditQuery { offset: 1, limit: 2, ..audit_query(None, None, None) };
    let page = l.audit_page(&second).unwrap();
    assert_eq!((page.total, page.offset, page.rows.len(), page.rows[0].entity.as_str()), (4, 1, 2, "batch:1"));
    assert!(err(l.audit_page(&audit_query(Some("October"), None, None))).contains("YYYY-MM"));
    assert!(err(l.audit_page(&AuditQuery { limit: 5000, ..audit_query(None, None, None) })).contains("at most 1000"));

    let f = l.audit_facets().unwrap();
    // The setting's entry was written now.
    let this_month = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Berlin).format("%Y-%m").to_string();
    assert_eq!(f.months.first(), Some(&this_month), "newest first: {:?}", f.months);
    assert!(f.months.windows(2).all(|w| w[0] > w[1]), "{:?}", f.months);
    assert!(f.months.contains(&"2026-10".to_string()) && f.months.contains(&"2026-11".to_string()), "{:?}", f.months);
    assert_eq!(f.operators, ["ana", "ben"]);
    assert_eq!(f.actions, ["batch.import", "rate.set", "setting.set"]);

    let whole = l.audit_entry(late.id).unwrap();
    assert_eq!(whole.after.unwrap().as_str().unwrap().len(), 400);
    assert!(matches!(l.audit_entry(999), Err(Error::NotFound(_))));
    env.ledger.add_rate("2020-01-01", "20", None, "cat").unwrap();
    assert_eq!(audit_actions(&env.ledger).last().map(String::as_str), Some("rate.set"));
}
