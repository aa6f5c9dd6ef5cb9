//! SQLite's C API, used directly where rusqlite's safe layer costs too much on a million rows.
//! Nothing else in the engine touches the raw handles.
//!
//! - [`RawInsert`]: the import's row INSERT, its text parameters bound without a copy. rusqlite
//!   binds every text as `SQLITE_TRANSIENT`, so SQLite allocates and copies each one before
//!   copying it again into the record; here they are bound `SQLITE_STATIC`: the statement is
//!   stepped and reset (bindings cleared) before [`RawInsert::run`] returns, while the borrowed
//!   values are still alive.
//! - [`RawQuery`]: the report's scans. rusqlite's `Row::get_ref` makes four C calls per column
//!   (column count, type, text, bytes); a scan of 1M rows reads 14 to 17 columns a row, and
//!   those calls were 15 % of a month report's instructions. A [`RawRow`] reads a text in two
//!   calls and an integer in one, and checks the type only where a column may be NULL.
//!
//! Invariant: this is the only `unsafe` code of the engine.
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

fn error(db: *mut ffi::sqlite3, rc: c_int) -> rusqlite::Error {
    // SAFETY: `db` is the live connection the statement belongs to; sqlite3_errmsg returns a
    // NUL-terminated string owned by SQLite, copied out at once.
    let msg = unsafe { std::ffi::CStr::from_ptr(ffi::sqlite3_errmsg(db)) }.to_string_lossy().into_owned();
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), Some(msg))
}

/// A prepared statement on a borrowed connection, finalized when dropped.
struct Stmt<'c> {
    db: *mut ffi::sqlite3,
    stmt: NonNull<ffi::sqlite3_stmt>,
    params: usize,
    _conn: PhantomData<&'c Connection>,
}

impl<'c> Stmt<'c> {
    /// Prepares `sql` (one statement) on `conn`, which it borrows for its whole life.
    fn new(conn: &'c Connection, sql: &str) -> rusqlite::Result<Stmt<'c>> {
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
        Ok(Stmt { db, stmt, params, _conn: PhantomData })
    }

    /// Binds `values` to ?1, ?2, …, texts with `text` (`SQLITE_STATIC` or `SQLITE_TRANSIENT`).
    ///
    /// # Safety
    ///
    /// With `SQLITE_STATIC` SQLite reads the texts in place: they must stay alive and unchanged
    /// until the statement is reset and its bindings cleared.
    unsafe fn bind(&mut self, values: &[Val<'_>], text: ffi::sqlite3_destructor_type) -> rusqlite::Result<()> {
        if values.len() != self.params {
            return Err(rusqlite::Error::InvalidParameterCount(values.len(), self.params));
        }
        let stmt = self.stmt.as_ptr();
        for (i, v) in values.iter().enumerate() {
            let idx = i as c_int + 1;
            // SAFETY: `stmt` is live; how long a text must live is the caller's contract.
            let rc = unsafe {
                match *v {
                    Val::Null => ffi::sqlite3_bind_null(stmt, idx),
                    Val::Int(n) => ffi::sqlite3_bind_int64(stmt, idx, n),
                    Val::Text(s) => {
                        ffi::sqlite3_bind_text64(stmt, idx, s.as_ptr().cast::<c_char>(), s.len() as u64, text, ffi::SQLITE_UTF8 as u8)
                    }
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(error(self.db, rc));
            }
        }
        Ok(())
    }

    /// Ends the statement's current run (it can then be run again).
    fn reset(&mut self) {
        // SAFETY: `stmt` is live.
        unsafe {
            ffi::sqlite3_reset(self.stmt.as_ptr());
        }
    }
}

impl Drop for Stmt<'_> {
    fn drop(&mut self) {
        // SAFETY: the statement is live and finalized once, while its connection is borrowed.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

/// A prepared INSERT (or UPDATE) run once per call, see the module's notes.
pub(crate) struct RawInsert<'c>(Stmt<'c>);

impl<'c> RawInsert<'c> {
    /// Prepares `sql` (one statement) on `conn`, which it borrows for its whole life.
    pub(crate) fn new(conn: &'c Connection, sql: &str) -> rusqlite::Result<RawInsert<'c>> {
        Stmt::new(conn, sql).map(RawInsert)
    }

    /// Binds `values` to ?1, ?2, … and runs the statement once; returns the rows it changed.
    pub(crate) fn run(&mut self, values: &[Val<'_>]) -> rusqlite::Result<usize> {
        // SAFETY: the texts are borrowed for this call, and the statement is reset and its
        // bindings cleared below, before it returns: then no binding points to them.
        let bound = unsafe { self.0.bind(values, ffi::SQLITE_STATIC()) };
        let (db, stmt) = (self.0.db, self.0.stmt.as_ptr());
        let changed = bound.and_then(|()| {
            // SAFETY: `stmt` is live with every parameter bound.
            match unsafe { ffi::sqlite3_step(stmt) } {
                ffi::SQLITE_DONE => Ok(unsafe { ffi::sqlite3_changes(db) } as usize),
                rc => Err(error(db, rc)),
            }
        });
        self.0.reset();
        // SAFETY: `stmt` is live; after this it holds no borrowed text.
        unsafe {
            ffi::sqlite3_clear_bindings(stmt);
        }
        changed
    }
}

/// A prepared SELECT, run with [`RawQuery::rows`] as many times as needed.
pub(crate) struct RawQuery<'c>(Stmt<'c>);

impl<'c> RawQuery<'c> {
    /// Prepares `sql` (one statement) on `conn`, which it borrows for its whole life.
    pub(crate) fn new(conn: &'c Connection, sql: &str) -> rusqlite::Result<RawQuery<'c>> {
        Stmt::new(conn, sql).map(RawQuery)
    }

    /// Binds `values` to ?1, ?2, … (texts are copied by SQLite) and starts the query from its
    /// first row.
    pub(crate) fn rows(&mut self, values: &[Val<'_>]) -> rusqlite::Result<RawRows<'_, 'c>> {
        // The reset ends any earlier run (its rows were borrowed from `self`, so none is alive).
        self.0.reset();
        // SAFETY: SQLITE_TRANSIENT: SQLite copies the texts.
        unsafe { self.0.bind(values, ffi::SQLITE_TRANSIENT())? };
        Ok(RawRows { query: self, done: false })
    }
}

/// `b` as a string, as `std::str::from_utf8` gives it, faster for ASCII (ids, dates, amounts:
/// nearly every stored or printed text), which is checked a word at a time by `is_ascii`.
#[inline]
pub(crate) fn utf8(b: &[u8]) -> Result<&str, std::str::Utf8Error> {
    if b.is_ascii() {
        // SAFETY: ASCII bytes are valid UTF-8.
        Ok(unsafe { std::str::from_utf8_unchecked(b) })
    } else {
        std::str::from_utf8(b)
    }
}

/// The rows of one run of a [`RawQuery`].
pub(crate) struct RawRows<'q, 'c> {
    query: &'q mut RawQuery<'c>,
    done: bool,
}

impl RawRows<'_, '_> {
    /// The next row, or none after the last one. The row borrows `self`: its values are valid
    /// until the next step.
    #[inline]
    pub(crate) fn next(&mut self) -> rusqlite::Result<Option<RawRow<'_>>> {
        if self.done {
            return Ok(None);
        }
        let stmt = self.query.0.stmt.as_ptr();
        // SAFETY: `stmt` is live with its parameters bound; no value of the previous row is
        // borrowed any more (each row borrows `self` mutably).
        match unsafe { ffi::sqlite3_step(stmt) } {
            ffi::SQLITE_ROW => Ok(Some(RawRow { stmt, db: self.query.0.db, _rows: PhantomData })),
            ffi::SQLITE_DONE => {
                self.done = true;
                Ok(None)
            }
            rc => {
                self.done = true;
                Err(error(self.query.0.db, rc))
            }
        }
    }
}

/// The current row of a [`RawRows`]. A column index past the last one reads as NULL.
pub(crate) struct RawRow<'r> {
    stmt: *mut ffi::sqlite3_stmt,
    db: *mut ffi::sqlite3,
    _rows: PhantomData<&'r mut ()>,
}

impl<'r> RawRow<'r> {
    /// Column `i` as an integer (NULL reads as 0, as SQLite converts it).
    #[inline]
    pub(crate) fn int(&self, i: usize) -> i64 {
        // SAFETY: `stmt` is on a row (borrowed from `RawRows::next`); an index out of range
        // gives 0.
        unsafe { ffi::sqlite3_column_int64(self.stmt, i as c_int) }
    }

    /// Column `i` as an integer, none when it is NULL.
    #[inline]
    pub(crate) fn opt_int(&self, i: usize) -> Option<i64> {
        // SAFETY: as in `int`.
        (unsafe { ffi::sqlite3_column_type(self.stmt, i as c_int) } != ffi::SQLITE_NULL).then(|| self.int(i))
    }

    /// Column `i` as text bytes (no UTF-8 check), none when it is NULL. Valid until the next
    /// step of the rows.
    #[inline]
    pub(crate) fn bytes(&self, i: usize) -> rusqlite::Result<Option<&'r [u8]>> {
        let col = i as c_int;
        // SAFETY: `stmt` is on a row. sqlite3_column_text gives a pointer to the value's text
        // (converting a number in place), valid until the next step, reset or finalize: the
        // returned slice borrows the row, which borrows the rows mutably, so it cannot outlive
        // the step. It is null for NULL, or when SQLite could not allocate (then the column's
        // type is not NULL). sqlite3_column_bytes, called after it, is that text's length.
        unsafe {
            let p = ffi::sqlite3_column_text(self.stmt, col);
            if p.is_null() {
                return match ffi::sqlite3_column_type(self.stmt, col) {
                    ffi::SQLITE_NULL => Ok(None),
                    _ => Err(error(self.db, ffi::SQLITE_NOMEM)),
                };
            }
            let n = ffi::sqlite3_column_bytes(self.stmt, col);
            Ok(Some(std::slice::from_raw_parts(p.cast::<u8>(), usize::try_from(n).unwrap_or(0))))
        }
    }

    /// Column `i` as text bytes; an error naming the column when it is NULL.
    #[inline]
    pub(crate) fn text_bytes(&self, i: usize) -> rusqlite::Result<&'r [u8]> {
        self.bytes(i)?.ok_or_else(|| self.null_error(i))
    }

    /// Column `i` as a string, none when it is NULL; an error when it is not UTF-8.
    #[inline]
    pub(crate) fn opt_str(&self, i: usize) -> rusqlite::Result<Option<&'r str>> {
        self.bytes(i)?.map(|b| utf8(b).map_err(|e| rusqlite::Error::Utf8Error(i, e))).transpose()
    }

    /// Column `i` as a string; an error when it is NULL or not UTF-8.
    #[inline]
    pub(crate) fn str(&self, i: usize) -> rusqlite::Result<&'r str> {
        self.opt_str(i)?.ok_or_else(|| self.null_error(i))
    }

    fn null_error(&self, i: usize) -> rusqlite::Error {
        // SAFETY: `stmt` is live; the name (or null) is copied out at once.
        let name = unsafe {
            let p = ffi::sqlite3_column_name(self.stmt, i as c_int);
            if p.is_null() { format!("column {i}") } else { std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned() }
        };
        rusqlite::Error::InvalidColumnType(i, name, rusqlite::types::Type::Null)
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

    #[test]
    fn queries_read_texts_ints_and_nulls_and_run_again() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (a TEXT NOT NULL, b INTEGER, c TEXT) STRICT; \
             INSERT INTO t VALUES ('un', 1, NULL), ('', NULL, 'deux'), ('trois é', -3, '');",
        )
        .unwrap();
        let mut q = RawQuery::new(&conn, "SELECT a, b, c, b * 2 FROM t WHERE b IS NULL OR b < ?1 ORDER BY rowid").unwrap();
        let read = |q: &mut RawQuery<'_>, below: i64| {
            let mut out = Vec::new();
            let mut rows = q.rows(&[Val::Int(below)]).unwrap();
            while let Some(r) = rows.next().unwrap() {
                out.push((r.str(0).unwrap().to_string(), r.opt_int(1), r.opt_str(2).unwrap().map(str::to_string), r.text_bytes(3).ok().map(<[u8]>::to_vec), r.int(9)));
            }
            // After the last row, still none.
            assert!(rows.next().unwrap().is_none());
            out
        };
        let all = read(&mut q, 10);
        assert_eq!(
            all,
            vec![
                ("un".into(), Some(1), None, Some(b"2".to_vec()), 0),
                (String::new(), None, Some("deux".into()), None, 0),
                ("trois é".into(), Some(-3), Some(String::new()), Some(b"-6".to_vec()), 0),
            ]
        );
        // The same statement again, with another parameter.
        assert_eq!(read(&mut q, 0).len(), 2);
        // A NULL read as a required text names the column.
        let mut rows = q.rows(&[Val::Int(10)]).unwrap();
        let err = rows.next().unwrap().unwrap().str(2).unwrap_err().to_string();
        assert!(err.contains('c'), "{err}");
        assert!(matches!(q.rows(&[]), Err(rusqlite::Error::InvalidParameterCount(0, 1))));
        // Text parameters are copied: the value may go before the rows are read.
        let mut q = RawQuery::new(&conn, "SELECT count(*) FROM t WHERE a = ?1").unwrap();
        let mut rows = q.rows(&[Val::Text(&String::from("un"))]).unwrap();
        assert_eq!(rows.next().unwrap().unwrap().int(0), 1);
        // A failing statement reports SQLite's message.
        let err = RawQuery::new(&conn, "SELECT nope FROM t").err().unwrap().to_string();
        assert!(err.contains("no such column"), "{err}");
    }

    #[test]
    fn utf8_is_from_utf8() {
        let mut cases: Vec<Vec<u8>> = vec![b"".to_vec(), b"plain ascii 0123".to_vec(), "é".into(), "漢字🎉".into(), vec![0xff], vec![b'a', 0xc3], vec![0x7f; 40]];
        for b in 0..=255u8 {
            for at in [0, 7, 8, 15, 16, 31] {
                let mut v = vec![b'x'; 33];
                v[at] = b;
                cases.push(v);
            }
        }
        for c in cases {
            assert_eq!(utf8(&c), std::str::from_utf8(&c), "{c:?}");
        }
    }
}
