//! One window per ledger file. Two ledgers may be open side by side; one ledger is never open
//! in two windows (two windows would each keep a month's pages and show the other's changes
//! late, and each approve, submit or undo from what it last read).
//!
//! Two layers, both keyed on the ledger file's identity (its canonical path, as the engine's
//! submit lock is):
//! - `tauri-plugin-single-instance`, with a D-Bus name per ledger ([`dbus_id`]): a second start
//!   on the same ledger hands over to the first, which comes to the front, and exits;
//! - an OS lock on `<canonical path>.window.lock` ([`WindowLock`]), for when there is no D-Bus
//!   session bus (the plugin then lets every start through): the second window refuses every
//!   command, saying that the ledger is open in another window.
//!
//! Not a lock on the ledger file itself: SQLite's POSIX locks on it would be dropped when we
//! closed a descriptor of our own (see `pl_ledger::outbox`).
use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

/// The one name of a ledger file, whichever name it was given: symlinks, `..` and relative
/// paths resolved. A file that does not exist yet is named by its folder's canonical path (the
/// folder is created, as opening the ledger would). `None` when even that fails: then the
/// window's first command reports why the ledger cannot be opened.
pub fn ledger_identity(db: &Path) -> Option<PathBuf> {
    if let Ok(real) = db.canonicalize() {
        return Some(real);
    }
    let name = db.file_name()?;
    let dir = match db.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let _ = std::fs::create_dir_all(&dir);
    Some(dir.canonicalize().ok()?.join(name))
}

/// The D-Bus name the single-instance plugin registers for this ledger (it appends
/// `.SingleInstance`): the app identifier and a hash of the ledger's identity. A D-Bus name's
/// elements may not start with a digit, hence the `ledger_` prefix.
pub fn dbus_id(identifier: &str, identity: &Path) -> String {
    format!("{identifier}.ledger_{:016x}", fnv1a64(identity.as_os_str().as_encoded_bytes()))
}

/// FNV-1a, 64 bits: a hash that every build of the app computes alike (the standard library's
/// hasher promises no such thing), so two versions of the app find each other.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

/// The lock file of the window that has the ledger `identity` open.
pub fn lock_path(identity: &Path) -> PathBuf {
    let mut p = identity.as_os_str().to_owned();
    p.push(".window.lock");
    PathBuf::from(p)
}

/// Held while this window has its ledger open; the OS releases it when the process ends,
/// however it ends.
#[derive(Debug)]
pub struct WindowLock {
    _file: File,
    path: PathBuf,
}

impl WindowLock {
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// What taking the window lock found.
#[derive(Debug)]
pub enum LockOutcome {
    /// This window is the ledger's only one.
    Held(WindowLock),
    /// Another window has this ledger open: this one must not touch it.
    Busy { ledger: PathBuf },
    /// No lock could be taken (an unwritable folder, say): the window opens, and the engine
    /// reports what it finds when it opens the ledger.
    Unavailable(String),
}

/// Takes the window lock of the ledger at `db`.
pub fn acquire(db: &Path) -> LockOutcome {
    let Some(identity) = ledger_identity(db) else {
        return LockOutcome::Unavailable(format!("the folder of {} cannot be used", db.display()));
    };
    let path = lock_path(&identity);
    let file = match OpenOptions::new().create(true).truncate(false).write(true).open(&path) {
        Ok(f) => f,
        Err(e) => return LockOutcome::Unavailable(format!("cannot create {}: {e}", path.display())),
    };
    match file.try_lock() {
        Ok(()) => LockOutcome::Held(WindowLock { _file: file, path }),
        Err(TryLockError::WouldBlock) => LockOutcome::Busy { ledger: identity },
        Err(TryLockError::Error(e)) => LockOutcome::Unavailable(format!("cannot lock {}: {e}", path.display())),
    }
}

/// What a window refused by [`LockOutcome::Busy`] says for every command.
pub fn busy_message(ledger: &Path) -> String {
    format!(
        "this ledger ({}) is open in another Partner Ledger window; use that window, or close it and \
         start Partner Ledger again",
        ledger.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A D-Bus well-known name: elements of `[A-Za-z0-9_-]`, none empty or starting with a
    /// digit, at least two, at most 255 bytes in all.
    fn valid_dbus_name(name: &str) -> bool {
        let parts: Vec<&str> = name.split('.').collect();
        name.len() <= 255
            && parts.len() >= 2
            && parts.iter().all(|p| {
                p.bytes().next().is_some_and(|b| !b.is_ascii_digit())
                    && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            })
    }

    #[test]
    fn every_name_of_one_ledger_has_one_identity() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ledger.sqlite");
        std::fs::write(&db, b"").unwrap();
        let link = dir.path().join("link.sqlite");
        std::os::unix::fs::symlink(&db, &link).unwrap();
        let dotted = dir.path().join("sub/../ledger.sqlite");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let id = ledger_identity(&db).unwrap();
        assert_eq!(ledger_identity(&link).unwrap(), id);
        assert_eq!(ledger_identity(&dotted).unwrap(), id);
        let other = ledger_identity(&dir.path().join("other.sqlite")).unwrap();
        assert_ne!(other, id);
        assert_eq!(other.parent(), id.parent(), "a file not created yet is named in its folder's canonical path");
    }

    #[test]
    fn a_new_ledger_in_a_new_folder_has_an_identity() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("a/b/ledger.sqlite");
        let id = ledger_identity(&db).unwrap();
        assert!(id.is_absolute() && id.ends_with("a/b/ledger.sqlite"), "{id:?}");
        assert!(dir.path().join("a/b").is_dir());
    }

    #[test]
    fn the_dbus_name_is_valid_and_per_ledger() {
        let app = "app.partnerledger.desktop";
        let a = dbus_id(app, Path::new("/home/alice/.local/share/app.partnerledger.desktop/ledger.sqlite"));
        let b = dbus_id(app, Path::new("/home/alice/2026/ledger.sqlite"));
        assert_ne!(a, b);
        assert_eq!(a, dbus_id(app, Path::new("/home/alice/.local/share/app.partnerledger.desktop/ledger.sqlite")));
        for name in [&a, &b] {
            // What the plugin registers, and the object path it derives from it.
            let full = format!("{name}.SingleInstance");
            assert!(valid_dbus_name(&full), "{full}");
            assert!(full.len() < 100);
        }
        // Odd bytes in a path change the hash, never the name's alphabet.
        let odd = dbus_id(app, Path::new("/tmp/ä ledger;\n.sqlite"));
        assert!(valid_dbus_name(&format!("{odd}.SingleInstance")), "{odd}");
        // Stable across builds: the hash is FNV-1a's, not the standard library's.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn a_ledger_is_locked_by_one_window_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ledger.sqlite");
        let link = dir.path().join("same.sqlite");
        std::fs::write(&db, b"").unwrap();
        std::os::unix::fs::symlink(&db, &link).unwrap();

        let LockOutcome::Held(first) = acquire(&db) else { panic!("the first window gets the lock") };
        assert_eq!(first.path(), lock_path(&db.canonicalize().unwrap()));
        // Another name of the same file: refused, naming the ledger.
        match acquire(&link) {
            LockOutcome::Busy { ledger } => {
                assert_eq!(ledger, db.canonicalize().unwrap());
                let m = busy_message(&ledger);
                assert!(m.contains("open in another Partner Ledger window") && m.contains("ledger.sqlite"), "{m}");
            }
            other => panic!("a second window on the same ledger: {other:?}"),
        }
        // Another ledger beside it: its own window.
        let LockOutcome::Held(_other) = acquire(&dir.path().join("other.sqlite")) else { panic!("another ledger is free") };
        // The lock goes with its window.
        drop(first);
        assert!(matches!(acquire(&link), LockOutcome::Held(_)));
    }

    #[test]
    fn an_unusable_folder_is_not_a_refusal() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("plain-file");
        std::fs::write(&file, b"x").unwrap();
        // A ledger "inside" a regular file: no folder, no lock; the engine will say why.
        assert!(matches!(acquire(&file.join("ledger.sqlite")), LockOutcome::Unavailable(_)));
    }
}
