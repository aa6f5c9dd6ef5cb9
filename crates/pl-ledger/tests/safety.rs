//! The engine under misuse (SPEC §6, §7): busy ledgers, concurrent creation, second names of
//! one file, and export files that fail half-way.
use std::time::{Duration, Instant};

use pl_ledger::{Error, Ledger, SubmitLock, BUSY_MESSAGE};

#[test]
fn a_write_that_outlasts_the_busy_timeout_says_what_holds_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let holder = Ledger::open(&path).unwrap();
    let mut writer = Ledger::open(&path).unwrap();
    holder.connection().execute_batch("BEGIN IMMEDIATE; INSERT INTO settings (key, value) VALUES ('x', 'y');").unwrap();
    writer.set_busy_timeout(Duration::from_millis(300)).unwrap();
    let t0 = Instant::now();
    let err = writer.set_setting("timezone", "Europe/Berlin", "t").unwrap_err();
    assert!(t0.elapsed() >= Duration::from_millis(250), "it waited the timeout first");
    assert!(err.is_busy(), "{err:?}");
    assert_eq!(err.to_string(), BUSY_MESSAGE);
    assert!(!err.to_string().contains("database is locked"));
    // Reads are not blocked by the other process's write (WAL), and the write goes through once
    // the other one is done.
    assert_eq!(writer.setting("timezone").unwrap().as_deref(), Some("UTC"));
    holder.connection().execute_batch("COMMIT").unwrap();
    writer.set_setting("timezone", "Europe/Berlin", "t").unwrap();
}

#[test]
fn threads_opening_one_new_ledger_at_once_all_succeed_and_migrate_it_once() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new.sqlite");
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut l = Ledger::open(&path)?;
                    l.set_setting("wix.concurrency", &(i + 1).to_string(), "t")
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap().unwrap_or_else(|e| panic!("round {round}: {e}"));
        }
        let l = Ledger::open(&path).unwrap();
        let version: i64 = l.connection().pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version, pl_ledger::db::latest_version());
        let page: i64 = l.connection().pragma_query_value(None, "page_size", |r| r.get(0)).unwrap();
        assert_eq!(page, 16384);
        assert_eq!(l.audit_log().unwrap().len(), 6);
    }
}

#[cfg(unix)]
#[test]
fn a_second_hard_link_is_refused_and_a_symlink_shares_the_submit_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    drop(Ledger::open(&path).unwrap());
    let alias = dir.path().join("alias.sqlite");
    std::os::unix::fs::symlink(&path, &alias).unwrap();
    let l = Ledger::open(&path).unwrap();
    let via_alias = Ledger::open(&alias).unwrap();
    let lock = l.submit_lock().unwrap();
    match via_alias.submit_lock() {
        Err(Error::Refused(m)) => assert!(m.contains("another submission"), "{m}"),
        other => panic!("the symlink took a second lock: {:?}", other.err()),
    }
    // A name through `..` of the same file too.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let roundabout = dir.path().join("sub/../ledger.sqlite");
    assert!(matches!(SubmitLock::acquire(&roundabout), Err(Error::Refused(_))));
    drop(lock);
    assert!(via_alias.submit_lock().is_ok(), "free again once the first is dropped");

    std::fs::hard_link(&path, dir.path().join("copy.sqlite")).unwrap();
    let err = Ledger::open(&path).err().expect("refused");
    assert!(err.to_string().contains("copy.sqlite") && err.to_string().contains("hard links"), "{err}");
    assert!(l.submit_lock().is_err(), "a link made while open is refused when submitting");
}

#[test]
fn an_export_that_fails_half_way_leaves_the_target_as_it_was_and_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap();
    let target = dir.path().join("out.csv");
    std::fs::write(&target, "a,b\n1,2\n").unwrap();
    let err = l
        .write_export(&target, |w| {
            w.write_all(b"half,a,file\n").map_err(|e| Error::Refused(e.to_string()))?;
            Err(Error::Refused("the report failed".into()))
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "the report failed");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "a,b\n1,2\n");
    let names: Vec<String> = std::fs::read_dir(dir.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    let written = l.write_export(&target, |w| w.write_all(b"x,y\n").map_err(|e| Error::Refused(e.to_string()))).unwrap();
    assert_eq!(std::fs::read_to_string(&written).unwrap(), "x,y\n");
    // A folder that does not exist is refused before anything is written.
    let err = l.write_export(&dir.path().join("missing/out.csv"), |_| Ok(())).unwrap_err();
    assert!(err.to_string().contains("folder"), "{err}");
}
