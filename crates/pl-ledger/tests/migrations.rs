//! Every migration path ends at the same schema: an empty file, and a file left at each
//! earlier version, all migrate to the latest one.
use pl_ledger::{db, Ledger};
use rusqlite::Connection;

fn schema(conn: &Connection) -> Vec<String> {
    let mut stmt = conn.prepare("SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

fn version(conn: &Connection) -> i64 {
    conn.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap()
}

#[test]
fn an_empty_file_migrates_to_the_latest_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/dir/ledger.sqlite");
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(version(ledger.connection()), db::latest_version());
    assert!(schema(ledger.connection()).iter().any(|s| s.starts_with("table txns")));
    let mode: String = ledger.connection().pragma_query_value(None, "journal_mode", |r| r.get(0)).unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = ledger.connection().pragma_query_value(None, "synchronous", |r| r.get(0)).unwrap();
    assert_eq!(sync, 2, "synchronous=FULL");
    let fk: i64 = ledger.connection().pragma_query_value(None, "foreign_keys", |r| r.get(0)).unwrap();
    assert_eq!(fk, 1);
}

#[test]
fn a_file_at_every_earlier_version_migrates_to_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = Ledger::open(&dir.path().join("fresh.sqlite")).unwrap();
    let want = schema(fresh.connection());
    for k in 0..db::latest_version() {
        let path = dir.path().join(format!("at-{k}.sqlite"));
        {
            let conn = Connection::open(&path).unwrap();
            db::migrate_to(&conn, &path, k).unwrap();
            assert_eq!(version(&conn), k);
        }
        let ledger = Ledger::open(&path).unwrap();
        assert_eq!(version(ledger.connection()), db::latest_version(), "from version {k}");
        assert_eq!(schema(ledger.connection()), want, "schema reached from version {k}");
        // Opening again applies nothing more.
        drop(ledger);
        let again = Ledger::open(&path).unwrap();
        assert_eq!(schema(again.connection()), want);
    }
}

#[test]
fn a_file_from_a_newer_build_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("newer.sqlite");
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", db::latest_version() + 1).unwrap();
    }
    let err = Ledger::open(&path).err().expect("refused");
    assert!(err.to_string().contains("newer Partner Ledger"), "{err}");
    let conn = Connection::open(&path).unwrap();
    assert_eq!(version(&conn), db::latest_version() + 1);
    assert!(schema(&conn).is_empty());
}

#[test]
fn a_failing_migration_leaves_the_file_at_its_version() {
    // The migration runner applies each file in one transaction: simulate a broken migration by
    // pre-creating a table the first migration creates.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.sqlite");
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE audit (x)").unwrap();
    }
    assert!(Ledger::open(&path).is_err());
    let conn = Connection::open(&path).unwrap();
    assert_eq!(version(&conn), 0);
    assert!(!schema(&conn).iter().any(|s| s.starts_with("table settings")), "nothing of migration 1 stayed");
}

#[test]
fn the_audit_log_refuses_updates_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(&dir.path().join("a.sqlite")).unwrap();
    ledger.set_setting("timezone", "Europe/Berlin", "alice").unwrap();
    let conn = ledger.connection();
    assert!(conn.execute("UPDATE audit SET who = 'mallory'", []).is_err());
    assert!(conn.execute("DELETE FROM audit", []).is_err());
    let log = ledger.audit_log().unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].who, "alice");
    assert_eq!(log[0].before, Some(serde_json::json!("UTC")));
    assert_eq!(log[0].after, Some(serde_json::json!("Europe/Berlin")));
}

#[test]
fn approved_months_take_their_app_id_from_their_frozen_payloads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("at-5.sqlite");
    {
        let conn = Connection::open(&path).unwrap();
        // The events name row ids without the rows: only their frozen columns matter here.
        conn.pragma_update(None, "foreign_keys", false).unwrap();
        db::migrate_to(&conn, &path, 5).unwrap();
        let month = |m: &str| {
            conn.execute("INSERT INTO months (month, status, approved_at, approved_by) VALUES (?1, 'approved', '2026-11-01T00:00:00Z', 'alice')", [m])
                .unwrap();
        };
        let event = |id: &str, m: &str, seq: i64, payload: &str| {
            conn.execute(
                "INSERT INTO events (id, month, seq, txn_id, instance_id, billing_type, created_date, gross, expenses, net, rate, wix_share, \
                 source, product, expense_note, late, payload) \
                 VALUES (?1, ?2, ?3, ?5, 'inst', 'CHARGE', '2026-10-02T10:00:00Z', '10.00', '0.00', '10.00', '20', '2.00', 'manual', 'p', '', 0, ?4)",
                rusqlite::params![id, m, seq, payload, id.trim_start_matches("tx-").parse::<i64>().unwrap()],
            )
            .unwrap();
        };
        let app = "9a1b2c3d-0000-4000-8000-00000000a001";
        month("2026-08");
        event("tx-1", "2026-08", 0, &format!(r#"{{"event":{{"appId":"{app}","instanceId":"inst"}}}}"#));
        event("tx-2", "2026-08", 1, &format!(r#"{{"event":{{"appId":"{app}","instanceId":"inst"}}}}"#));
        // A payload that is not JSON, one whose app id is not text, one without any: no app id,
        // and the migration does not fail on them.
        month("2026-09");
        event("tx-3", "2026-09", 0, "{not json");
        event("tx-4", "2026-09", 1, r#"{"event":{"appId":42}}"#);
        event("tx-5", "2026-09", 2, r#"{"event":{}}"#);
        // A month with no events at all.
        month("2026-10");
    }
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(version(ledger.connection()), db::latest_version());
    let app_of = |m: &str| -> Option<String> {
        ledger.connection().query_row("SELECT app_id FROM months WHERE month = ?1", [m], |r| r.get(0)).unwrap()
    };
    assert_eq!(app_of("2026-08").as_deref(), Some("9a1b2c3d-0000-4000-8000-00000000a001"));
    assert_eq!(app_of("2026-09"), None);
    assert_eq!(app_of("2026-10"), None);
}

/// A ledger at version 8 (events keyed by a stored text id, indexed by month) with approved
/// months, sent and queued events, attempts and a manual refund event.
fn ledger_at_8(dir: &std::path::Path, odd_id: Option<&str>) -> std::path::PathBuf {
    let path = dir.join("at-8.sqlite");
    let conn = Connection::open(&path).unwrap();
    // The events name row ids without the rows: only their frozen columns matter here.
    conn.pragma_update(None, "foreign_keys", false).unwrap();
    db::migrate_to(&conn, &path, 8).unwrap();
    for m in ["2025-12", "2026-01"] {
        conn.execute("INSERT INTO months (month, status, approved_at, approved_by, app_id) VALUES (?1, 'approved', '2026-02-01T00:00:00Z', 'alice', 'app')", [m])
            .unwrap();
    }
    let event = |id: &str, m: &str, seq: i64, txn: Option<i64>, manual: Option<i64>, state: &str| {
        conn.execute(
            "INSERT INTO events (id, month, seq, txn_id, manual_id, instance_id, billing_type, created_date, gross, expenses, net, rate, wix_share, \
             source, product, expense_note, late, payload, state, last_error, rate_basis) \
             VALUES (?1, ?2, ?3, ?4, ?5, 'inst', 'CHARGE', '2026-01-02T10:00:00Z', '10.00', '0.00', '10.00', '20', '2.00', 'stripe', 'p', '', 0, '', ?6, \
             CASE WHEN ?6 = 'rejected' THEN 'bad amount' END, 'rate in force on 2026-01-02')",
            rusqlite::params![id, m, seq, txn, manual, state],
        )
        .unwrap();
    };
    event("tx-3", "2025-12", 0, Some(3), None, "sent");
    event("tx-1", "2025-12", 1, Some(1), None, "rejected");
    event(odd_id.unwrap_or("mr-2"), "2025-12", 2, None, Some(2), "queued");
    event("tx-10", "2026-01", 0, Some(10), None, "queued");
    conn.execute("INSERT INTO outbox_attempts (event_id, started_at, outcome) VALUES ('tx-3', '2026-02-02T00:00:00Z', 'sent')", []).unwrap();
    path
}

#[test]
fn events_move_to_positions_with_their_ids_states_and_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_at_8(dir.path(), None);
    let ledger = Ledger::open(&path).unwrap();
    let conn = ledger.connection();
    let rows: Vec<(i64, String, i64, String, Option<String>)> = conn
        .prepare("SELECT pos, id, seq, state, last_error FROM events ORDER BY pos")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let dec = (2025 * 12 + 11) << 32;
    let jan = (2026 * 12) << 32;
    assert_eq!(
        rows,
        vec![
            (dec, "tx-3".to_owned(), 0, "sent".to_owned(), None),
            (dec + 1, "tx-1".to_owned(), 1, "rejected".to_owned(), Some("bad amount".to_owned())),
            (dec + 2, "mr-2".to_owned(), 2, "queued".to_owned(), None),
            (jan, "tx-10".to_owned(), 0, "queued".to_owned(), None),
        ]
    );
    let counts: Vec<(String, i64)> = conn.prepare("SELECT month, events FROM months ORDER BY month").unwrap().query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    assert_eq!(counts, vec![("2025-12".to_owned(), 3), ("2026-01".to_owned(), 1)]);
    // The outbox reads them back by id and counts the queue by subtraction.
    let dec_counts = ledger.outbox_counts("2025-12").unwrap();
    assert_eq!((dec_counts.queued, dec_counts.sent, dec_counts.rejected), (1, 1, 1));
    let rejected = ledger.outbox(Some("rejected"), None).unwrap();
    assert_eq!(rejected.len(), 1);
    assert_eq!((rejected[0].id.as_str(), rejected[0].month.as_str()), ("tx-1", "2025-12"));
    let all: Vec<(String, u32)> = ledger.outbox(None, None).unwrap().into_iter().map(|e| (e.id, e.attempts)).collect();
    assert_eq!(all, vec![("tx-3".to_owned(), 1), ("tx-1".to_owned(), 0), ("mr-2".to_owned(), 0), ("tx-10".to_owned(), 0)]);
    assert_eq!(ledger.outbox_attempts("tx-3").unwrap().len(), 1);
}

#[test]
fn an_event_id_not_derived_from_its_key_stops_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = ledger_at_8(dir.path(), Some("evt-legacy"));
    let err = Ledger::open(&path).err().expect("refused").to_string();
    assert!(err.contains("migration 0009") && err.contains("not tx-<row id>"), "{err}");
    let conn = Connection::open(&path).unwrap();
    assert_eq!(version(&conn), 8, "the file stays at its version");
    let n: i64 = conn.query_row("SELECT count(*) FROM events WHERE id = 'evt-legacy'", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 1);
}
