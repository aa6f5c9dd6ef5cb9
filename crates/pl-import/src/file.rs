//! What is read at all: regular files of a sane size, lines of a sane length, CR-only line ends,
//! and whether a file ends inside a quoted field.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::ImportError;

/// The largest file read (2 GiB): far above a year of exports of one account (a 1,000,000-row
/// Stripe report is about 450 MB), far below what would exhaust a desktop.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// The longest line read (4 MiB): a real export's lines are under a few KB (a header of 100,000
/// columns is about 1.2 MB). A longer line is refused before it is held in memory.
pub const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// Checks that `path` is a regular file (following symlinks) of at most [`MAX_FILE_BYTES`], and
/// returns its size. A directory, FIFO, socket or device (`/dev/zero`) is refused at once, without
/// opening it (opening a FIFO would wait for a writer). The ledger calls it before it opens the
/// file itself; the parse functions call it too.
pub fn check_file(path: &Path) -> Result<u64, ImportError> {
    let meta = std::fs::metadata(path)?;
    check_meta(path, &meta)
}

fn check_meta(path: &Path, meta: &std::fs::Metadata) -> Result<u64, ImportError> {
    let name = || path.display().to_string();
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(ImportError::NotARegularFile { path: crate::clip(&name()), what: describe(&ft) });
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge { path: crate::clip(&name()), size: meta.len(), limit: MAX_FILE_BYTES });
    }
    Ok(meta.len())
}

#[cfg(unix)]
fn describe(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "a directory"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_socket() {
        "a socket"
    } else if ft.is_char_device() || ft.is_block_device() {
        "a device"
    } else {
        "not a regular file"
    }
}

#[cfg(not(unix))]
fn describe(ft: &std::fs::FileType) -> &'static str {
    if ft.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Opens a checked file: checked by path first (so that a FIFO is never opened), then the opened
/// handle again (the path may have been replaced in between).
pub(crate) fn open_checked(path: &Path) -> Result<File, ImportError> {
    check_file(path)?;
    let f = File::open(path)?;
    check_meta(path, &f.metadata()?)?;
    Ok(f)
}

/// The error a [`Lines`] reader gives for an over-long line, carried through the csv reader.
#[derive(Debug)]
pub(crate) struct LineTooLong {
    pub line: u64,
}

impl std::fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {} runs over {MAX_LINE_BYTES} bytes", self.line)
    }
}

impl std::error::Error for LineTooLong {}

/// A reader that refuses a line longer than [`MAX_LINE_BYTES`] and, for a CR-only file, turns
/// every CR into a line end. Per chunk it counts line ends and looks for the last one (both
/// vectorised scans), so it costs next to nothing beside the CSV parsing.
pub(crate) struct Lines<R> {
    inner: R,
    cr_only: bool,
    /// Bytes since the last line end.
    run: usize,
    /// Line ends seen so far (a vectorised count per chunk), for the message.
    line_ends: u64,
}

impl<R: Read> Lines<R> {
    pub fn new(inner: R, cr_only: bool) -> Lines<R> {
        Lines { inner, cr_only, run: 0, line_ends: 0 }
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &mut buf[..n];
        if self.cr_only {
            for b in chunk.iter_mut() {
                if *b == b'\r' {
                    *b = b'\n';
                }
            }
        }
        self.line_ends += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        match chunk.iter().rposition(|&b| b == b'\n') {
            Some(last) => self.run = n - last - 1,
            None => self.run += n,
        }
        if self.run > MAX_LINE_BYTES {
            return Err(io::Error::new(io::ErrorKind::InvalidData, LineTooLong { line: self.line_ends + 1 }));
        }
        Ok(n)
    }
}

/// Whether CSV text read from a record's start to the end of the file ends inside a quoted field,
/// with the csv crate's own rules: a field is quoted only when its first byte is `"`; inside it,
/// `""` is a quote; after the closing quote, bytes up to the next delimiter are part of the field.
pub(crate) fn ends_inside_quote(mut r: impl Read, delim: u8) -> io::Result<bool> {
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        Start,
        Bare,
        Quoted,
        QuoteInQuoted,
    }
    let mut s = S::Start;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for &b in &buf[..n] {
            s = match (s, b) {
                (S::Quoted, b'"') => S::QuoteInQuoted,
                (S::Quoted, _) => S::Quoted,
                (S::QuoteInQuoted, b'"') => S::Quoted,
                (S::Start, b'"') => S::Quoted,
                (_, b'\n' | b'\r') => S::Start,
                (_, c) if c == delim => S::Start,
                _ => S::Bare,
            };
        }
    }
    Ok(s == S::Quoted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_at_the_end() {
        let inside = |s: &str| ends_inside_quote(s.as_bytes(), b',').unwrap();
        assert!(inside("a,\"b"));
        assert!(inside("a,\"b\"\"\n"));
        assert!(!inside("a,\"b\"\"\""));
        assert!(!inside("a,\"b\",c\n"));
        assert!(!inside("a,5\" screen,c"), "a quote inside a bare field is a character");
        assert!(inside("a,\"x\ny\nz"));
        assert!(!inside("\"a\"x,\"\""));
    }

    #[test]
    fn long_lines_are_refused_and_cr_becomes_lf() {
        let mut out = Vec::new();
        Lines::new(&b"a\rb\rc"[..], true).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"a\nb\nc");
        let long = vec![b'x'; MAX_LINE_BYTES + 10];
        let mut text = b"h\nok\n".to_vec();
        text.extend_from_slice(&long);
        let e = Lines::new(&text[..], false).read_to_end(&mut Vec::new()).unwrap_err();
        let inner = e.get_ref().and_then(|i| i.downcast_ref::<LineTooLong>()).map(|l| l.line);
        assert_eq!(inner, Some(3));
    }
}
