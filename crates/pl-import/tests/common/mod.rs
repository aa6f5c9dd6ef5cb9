//! Helpers shared by the fixture tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use pl_import::{parse_bytes, parse_path, ImportError, ParseOptions, Parsed, Row, RowError};
use rust_decimal::Decimal;

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// The shared samples, as checked in with the repository (`tests/fixtures/samples`).
pub fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/samples").join(name)
}

pub struct Out {
    pub parsed: Result<Parsed, ImportError>,
    pub rows: Vec<Row>,
    pub errors: Vec<RowError>,
}

/// Parses a file by path and checks that parsing the same bytes in memory gives the same result.
pub fn parse_file(path: &std::path::Path, opts: &ParseOptions) -> Out {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let parsed = parse_path(path, opts, |r| rows.push(r), |e| errors.push(e));
    let bytes = std::fs::read(path).unwrap();
    let (mut rows2, mut errors2) = (Vec::new(), Vec::new());
    let parsed2 = parse_bytes(&bytes, opts, |r| rows2.push(r), |e| errors2.push(e));
    assert_eq!(format!("{parsed:?}"), format!("{parsed2:?}"));
    assert_eq!(rows, rows2);
    assert_eq!(errors, errors2);
    Out { parsed, rows, errors }
}

pub fn parse(name: &str, opts: &ParseOptions) -> Out {
    parse_file(&fixture(name), opts)
}

pub fn ok(name: &str) -> (Parsed, Vec<Row>) {
    let out = parse(name, &ParseOptions::default());
    assert!(out.errors.is_empty(), "{name}: {:?}", out.errors);
    (out.parsed.unwrap_or_else(|e| panic!("{name}: {e}")), out.rows)
}

pub fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub fn ts(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn row<'a>(rows: &'a [Row], source_id: &str) -> &'a Row {
    rows.iter().find(|r| r.source_id == source_id).unwrap_or_else(|| panic!("no row {source_id}"))
}
