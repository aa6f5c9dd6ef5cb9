//! A prepared statement whose text parameters are bound without a copy, for the import's row
//! INSERT (a million rows a file). rusqlite binds every text as `SQLITE_TRANSIENT`, so SQLite
//! allocates and copies each one before copying it again into the record; here they are bound
//! `SQLITE_STATIC`: the statement is stepped and reset (bindings cleared) before [`RawInsert::run`]
//! returns, while the borrowed values are still alive.
//!
//! Invariant: this is the only `unsafe` code of the engine; nothing else touches the raw handles.
use std::marker::PhantomData;
use std::os::raw::{c_char, c_int};
use std::ptr::NonNull;

use rusqlite::{ffi, Connection};

/// A parameter value.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Val<'a> {
    Null,
    Int(i64),
    Text(&'a str),
}

impl<'a> From<Option<&'a str>> for Val<'a> {
    fn from(v: Option<&'a str>) -> Val<'a> {
        v.map_or(Val::Null, Val::Text)
    }
}

impl From<Option<i64>> for Val<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Val::Null, Val::Int)
    }
}

pub(crate) struct RawInsert<'c> {
    db: *mut ffi::sqlite3,
    stmt: NonNull<ffi::sqlite3_stmt>,
    params: usize,
    _conn: PhantomData<&'c Connection>,
}

fn error(db: *mut ffi::sqlite3, rc: c_int) -> rusqlite::Error {
    // SAFETY: `db` is the live connection the statement belongs to; sqlite3_errmsg returns a
    // NUL-terminated string owned by SQLite, copied out at once.
    let msg = unsafe { std::ffi::CStr::from_ptr(ffi::sqlite3_errmsg(db)) }.to_string_lossy().into_owned();
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), Some(msg))
}

impl<'c> RawInsert<'c> {
    /// Prepares `sql` (one statement) on `conn`, which it borrows for its whole life.
    pub(crate) fn new(conn: &'c Connection, sql: &str) -> rusqlite::Result<RawInsert<'c>> {
        // SAFETY: the handle is only used while `conn` is borrowed (the `'c` lifetime), on this
        // thread, and the statement is finalized in `Drop` before the borrow ends.
        let db = unsafe { conn.handle() };
        let mut stmt = std::ptr::null_mut();
        let len = c_int::try_from(sql.len()).map_err(|_| rusqlite::Error::InvalidQuery)?;
        // SAFETY: `sql` is valid for `len` bytes; `stmt` receives the new statement or null.
        let rc = unsafe { ffi::sqlite3_prepare_v2(db, sql.as_ptr().cast::<c_char>(), len, &mut stmt, std::ptr::null_mut()) };
        if rc != ffi::SQLITE_OK {
            return Err(error(db, rc));
        }
        let stmt = NonNull::new(stmt).ok_or(rusqlite::Error::InvalidQuery)?;
        // SAFETY: `stmt` was just prepared.
        let params = unsafe { ffi::sqlite3_bind_parameter_count(stmt.as_ptr()) } as usize;
        Ok(RawInsert { db, stmt, params, _conn: PhantomData })
    }

    /// Binds `values` to ?1, ?2, … and runs the statement once; returns the rows it changed.
    pub(crate) fn run(&mut self, values: &[Val<'_>]) -> rusqlite::Result<usize> {
        if values.len() != self.params {
            return Err(rusqlite::Error::InvalidParameterCount(values.len(), self.params));
        }
        let stmt = self.stmt.as_ptr();
        let mut result = Ok(());
        for (i, v) in values.iter().enumerate() {
            let idx = i as c_int + 1;
            // SAFETY: `stmt` is live; a text is bound SQLITE_STATIC, so SQLite reads it in place:
            // it stays borrowed (alive, unchanged) until the reset below, after which the
            // cleared bindings hold no pointer to it.
            let rc = unsafe {
                match *v {
                    Val::Null => ffi::sqlite3_bind_null(stmt, idx),
                    Val::Int(n) => ffi::sqlite3_bind_int64(stmt, idx, n),
                    Val::Text(s) => ffi::sqlite3_bind_text64(
                        stmt,
                        idx,
                        s.as_ptr().cast::<c_char>(),
                        s.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                result = Err(error(self.db, rc));
                break;
            }
        }
        let changed = if result.is_ok() {
            // SAFETY: `stmt` is live with every parameter bound.
            match unsafe { ffi::sqlite3_step(stmt) } {
                ffi::SQLITE_DONE => Ok(unsafe { ffi::sqlite3_changes(self.db) } as usize),
                rc => Err(error(self.db, rc)),
            }
        } else {
            result.map(|()| 0)
        };
        // SAFETY: `stmt` is live; after these calls it holds no borrowed text.
        unsafe {
            ffi::sqlite3_reset(stmt);
            ffi::sqlite3_clear_bindings(stmt);
        }
        changed
    }
}

impl Drop for RawInsert<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement is live and finalized once, while its connection is borrowed.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserts_texts_ints_and_nulls_and_reports_changes_and_errors() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (a TEXT NOT NULL UNIQUE, b INTEGER, c TEXT) STRICT").unwrap();
        {
            let mut ins = RawInsert::new(&conn, "INSERT INTO t (a, b, c) VALUES (?1, ?2, ?3) ON CONFLICT(a) DO NOTHING").unwrap();
            for i in 0..100 {
                // A fresh string each time: SQLite must have copied it into the row.
                let a = format!("key-{i}");
                assert_eq!(ins.run(&[Val::Text(&a), Val::Int(i), Val::Null]).unwrap(), 1);
            }
            assert_eq!(ins.run(&[Val::Text("key-7"), Val::Int(0), Val::Text("x")]).unwrap(), 0, "a conflict changes nothing");
            assert!(matches!(ins.run(&[Val::Text("z")]), Err(rusqlite::Error::InvalidParameterCount(1, 3))));
            let err = ins.run(&[Val::Null, Val::Int(1), Val::Null]).unwrap_err().to_string();
            assert!(err.contains("NOT NULL"), "{err}");
            assert_eq!(ins.run(&[Val::Text("après"), Val::Int(-5), Val::Text("")]).unwrap(), 1, "usable after an error");
        }
        let rows: Vec<(String, i64, Option<String>)> = conn
            .prepare("SELECT a, b, c FROM t WHERE a IN ('key-7', 'key-99', 'après') ORDER BY b")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            rows,
            vec![("après".into(), -5, Some(String::new())), ("key-7".into(), 7, None), ("key-99".into(), 99, None)]
        );
    }
}
