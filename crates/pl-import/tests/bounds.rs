//! Files and bounds (SPEC §2, issue 10 point 7): only regular files within the size limit, CR-only
//! line ends, a file cut inside a quoted field, over-long lines, dates and amounts out of bounds,
//! and messages that quote at most 80 characters with control characters escaped.

mod common;

use std::path::PathBuf;

use common::*;
use pl_import::{check_file, clip, parse_bytes, parse_path, ImportError, ParseOptions, RowError, RowKind};

const ITEMIZED: &str = "balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category";

fn temp(name: &str, bytes: &[u8]) -> PathBuf {
    let p = std::env::temp_dir().join(format!("pl-bounds-{}-{name}", std::process::id()));
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Parses bytes in memory and from a file: both must agree.
fn both(name: &str, bytes: &[u8]) -> Out {
    let p = temp(name, bytes);
    let out = parse_file(&p, &ParseOptions::default());
    std::fs::remove_file(&p).ok();
    out
}

fn parse_mem(bytes: &[u8]) -> (Result<pl_import::Parsed, ImportError>, Vec<pl_import::Row>, Vec<RowError>) {
    let (mut rows, mut errors) = (Vec::new(), Vec::new());
    let p = parse_bytes(bytes, &ParseOptions::default(), |r| rows.push(r), |e| errors.push(e));
    (p, rows, errors)
}

#[test]
fn a_directory_is_refused() {
    let dir = std::env::temp_dir();
    let e = check_file(&dir).unwrap_err();
    assert!(matches!(e, ImportError::NotARegularFile { what: "a directory", .. }), "{e:?}");
    assert!(e.to_string().ends_with("is a directory, not a regular file: pass the path of a CSV export"), "{e}");
    let e = parse_path(&dir, &ParseOptions::default(), |_| {}, |_| {}).unwrap_err();
    assert!(matches!(e, ImportError::NotARegularFile { .. }), "{e:?}");
}

#[cfg(unix)]
#[test]
fn dev_zero_is_refused_at_once() {
    let start = std::time::Instant::now();
    let e = parse_path(std::path::Path::new("/dev/zero"), &ParseOptions::default(), |_| {}, |_| {}).unwrap_err();
    assert_eq!(e.to_string(), "`/dev/zero` is a device, not a regular file: pass the path of a CSV export");
    assert!(start.elapsed() < std::time::Duration::from_secs(5));
}

#[cfg(unix)]
#[test]
fn a_fifo_is_refused_without_waiting_for_a_writer() {
    let p = std::env::temp_dir().join(format!("pl-bounds-{}-fifo", std::process::id()));
    std::fs::remove_file(&p).ok();
    let made = std::process::Command::new("mkfifo").arg(&p).status().unwrap();
    assert!(made.success());
    // Opening a FIFO for reading would block until a writer comes: it must not be opened.
    let e = parse_path(&p, &ParseOptions::default(), |_| {}, |_| {}).unwrap_err();
    std::fs::remove_file(&p).ok();
    assert!(matches!(e, ImportError::NotARegularFile { what: "a FIFO (named pipe)", .. }), "{e:?}");
}

#[test]
fn a_file_above_the_size_limit_is_refused() {
    let p = std::env::temp_dir().join(format!("pl-bounds-{}-huge.csv", std::process::id()));
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(pl_import::MAX_FILE_BYTES + 1).unwrap(); // sparse: no disk used
    drop(f);
    let e = check_file(&p).unwrap_err();
    let e2 = parse_path(&p, &ParseOptions::default(), |_| {}, |_| {}).unwrap_err();
    std::fs::remove_file(&p).ok();
    assert!(matches!(e, ImportError::TooLarge { size, .. } if size == pl_import::MAX_FILE_BYTES + 1), "{e:?}");
    assert!(e.to_string().contains("above the limit of 2147483648 bytes"), "{e}");
    assert!(matches!(e2, ImportError::TooLarge { .. }));
    let small = temp("small.csv", b"a,b\n");
    assert_eq!(check_file(&small).unwrap(), 4);
    std::fs::remove_file(&small).ok();
}

#[test]
fn cr_only_line_ends_are_line_ends() {
    let text = format!(
        "{ITEMIZED}\rtxn_1,2024-06-01 10:00:00,usd,29.00,1.14,27.86,charge\rtxn_2,2024-06-02 10:00:00,usd,1x,1.14,27.86,charge\rtxn_3,2024-06-03 10:00:00,usd,12.00,0.66,11.34,charge\r"
    );
    let out = both("cr.csv", text.as_bytes());
    assert_eq!(out.parsed.unwrap().rows_read, 3);
    let lines: Vec<u32> = out.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 4]);
    assert_eq!(out.errors.len(), 1);
    assert_eq!(out.errors[0].line, 3);
    assert_eq!(out.rows[1].gross, d("12.00"));
}

#[test]
fn crlf_line_numbers_stay_right() {
    let text = format!(
        "{ITEMIZED}\r\ntxn_1,2024-06-01 10:00:00,usd,29.00,1.14,27.86,charge\r\n\r\ntxn_2,2024-06-02 10:00:00,usd,1x,1.14,27.86,charge\r\n"
    );
    let out = both("crlf.csv", text.as_bytes());
    assert_eq!(out.rows[0].line, 2);
    assert_eq!(out.errors[0].line, 4, "the blank line counts");
}

#[test]
fn a_file_cut_inside_its_last_quoted_field_is_refused() {
    let text = format!(
        "{ITEMIZED},description\ntxn_1,2024-06-01 10:00:00,usd,29.00,1.14,27.86,charge,\"Pro plan\"\ntxn_2,2024-06-02 10:00:00,usd,29.00,1.14,27.86,charge,\"Pro pl"
    );
    let out = both("cut.csv", text.as_bytes());
    let e = out.parsed.unwrap_err();
    assert!(matches!(e, ImportError::UnterminatedQuote { line: 3 }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "the file ends inside a quoted field that starts on line 3: it was cut short; download the export again"
    );
    // the same file, complete, and one whose last field is a bare field with a quote in it
    let whole = format!("{text}an\"\n");
    assert!(both("whole.csv", whole.as_bytes()).parsed.is_ok());
    let bare = format!("{ITEMIZED},description\ntxn_1,2024-06-01 10:00:00,usd,29.00,1.14,27.86,charge,5\" screen");
    assert!(both("bare.csv", bare.as_bytes()).parsed.is_ok());
    // a BOM before the header does not shift the offset of the last record
    let bom = format!("\u{feff}{text}");
    assert!(matches!(both("bom-cut.csv", bom.as_bytes()).parsed, Err(ImportError::UnterminatedQuote { line: 3 })));
}

#[test]
fn a_line_over_the_limit_is_refused_before_it_is_held() {
    let mut text = format!("{ITEMIZED}\ntxn_1,2024-06-01 10:00:00,usd,29.00,1.14,27.86,charge\ntxn_2,").into_bytes();
    text.resize(text.len() + pl_import::MAX_LINE_BYTES + 1, b'9');
    let out = both("long.csv", &text);
    let e = out.parsed.unwrap_err();
    assert!(matches!(e, ImportError::LineTooLong { line: 3, .. }), "{e:?}");
    assert!(e.to_string().starts_with("line 3 runs over 4194304 bytes without a line end"), "{e}");
}

#[test]
fn a_header_of_100k_columns_gives_a_short_error() {
    let mut header = String::new();
    for i in 0..100_000 {
        if i > 0 {
            header.push(',');
        }
        header.push_str(&format!("column_{i}"));
    }
    header.push('\n');
    let (p, _, _) = parse_mem(header.as_bytes());
    let m = p.unwrap_err().to_string();
    assert!(m.len() < 400, "{} bytes: {m}", m.len());
    assert!(m.contains("the header has 100000 column(s): `column_0`, "), "{m}");
    assert!(m.contains("and 99992 more;"), "{m}");
}

#[test]
fn cells_are_quoted_clipped_and_escaped() {
    let nasty = format!("\u{1b}[31m{}\r", "x".repeat(500));
    assert_eq!(clip("a\u{1b}b\rc\n\td"), "a\\u{1b}b\\rc\\n\\td");
    let c = clip(&nasty);
    assert!(c.starts_with("\\u{1b}[31mxxx"), "{c}");
    assert!(c.ends_with("… (426 more characters)"), "{c}");
    assert!(!c.contains('\u{1b}'));
    // through a real error: an unknown currency and an unknown status
    let text = format!("{ITEMIZED}\ntxn_1,2024-06-01 10:00:00,\"{nasty}\",29.00,1.14,27.86,charge\n");
    let (p, _, errors) = parse_mem(text.as_bytes());
    p.unwrap();
    let m = errors[0].to_string();
    assert!(m.starts_with("line 2, column `currency`: `\\u{1b}[31mxxx"), "{m}");
    assert!(!m.contains('\u{1b}') && m.chars().count() < 200, "{m}");
    // a header name quoted in a file error is clipped too
    let long_col = format!("\u{7}{}", "g".repeat(300));
    let (p, _, _) = parse_mem(format!("\"{long_col}\",other\n1,2\n").as_bytes());
    let m = p.unwrap_err().to_string();
    assert!(m.contains("`\\u{7}ggg") && m.contains("(221 more characters)`"), "{m}");
    assert!(!m.contains('\u{7}'));
}

#[test]
fn dates_before_2000_or_more_than_a_year_ahead_are_bad_rows() {
    let today = chrono::Utc::now().date_naive();
    let soon = today + chrono::Duration::days(300);
    let far = today + chrono::Duration::days(400);
    let text = format!(
        "{ITEMIZED}\ntxn_1,1999-12-31 23:59:59,usd,29.00,1.14,27.86,charge\ntxn_2,2000-01-01 00:00:00,usd,29.00,1.14,27.86,charge\ntxn_3,{soon} 10:00:00,usd,29.00,1.14,27.86,charge\ntxn_4,{far} 10:00:00,usd,29.00,1.14,27.86,charge\n"
    );
    let (p, rows, errors) = parse_mem(text.as_bytes());
    p.unwrap();
    let ok: Vec<&str> = rows.iter().map(|r| r.source_id.as_str()).collect();
    assert_eq!(ok, ["txn_2", "txn_3"]);
    assert_eq!(errors[0].to_string(), "line 2, column `created_utc`: the date 1999-12-31 is before 2000: check the column");
    assert_eq!(
        errors[1].to_string(),
        format!("line 5, column `created_utc`: the date {far} is more than a year after today ({today}): check the column")
    );
}

#[test]
fn amounts_nobody_can_pay_are_bad_rows() {
    let text = format!(
        "{ITEMIZED}\ntxn_1,2024-06-01 10:00:00,usd,7922816251426433759354395033,1.14,27.86,charge\ntxn_2,2024-06-01 10:00:00,usd,29.00,1000000000000,27.86,charge\ntxn_3,2024-06-01 10:00:00,usd,\"-999,999,999,999.99\",0,\"-999,999,999,999.99\",refund\ntxn_4,2024-06-01 10:00:00,usd,79228162514264337593543950336,0,0,charge\n"
    );
    let (p, rows, errors) = parse_mem(text.as_bytes());
    p.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].kind, rows[0].gross), (RowKind::Refund, d("-999999999999.99")));
    let cols: Vec<(u32, &str)> = errors.iter().map(|e| (e.line, e.column.as_deref().unwrap_or(""))).collect();
    assert_eq!(cols, [(2, "gross"), (3, "fee"), (5, "gross")]);
    assert!(errors[0].reason.contains("more than 12 integer digits"), "{}", errors[0]);
}

#[test]
fn no_cell_panics() {
    // Every column of each format filled with hostile values, in turn.
    let hostile = [
        "", " ", "\u{0}", "\u{1b}[2J", "-", "+", ".", ",", "--1", "1e9", "NaN", "inf", "١٢٣", "9999999999999999999999999999999999999999",
        "0.0000000000000000000000000001", "99/99/9999", "2024-02-30 25:61:61", "12:00:00 PM PM", "GMT+99", "\"", "ü",
        "Update to ", "Aktualisierung für ", "𝟘𝟙", "-0", "1,2,3", "1.2.3",
    ];
    let headers = [
        ITEMIZED.to_string(),
        "id,Type,Source,Amount,Fee,Net,Currency,Created (UTC),Description".to_string(),
        "Date,Time,TimeZone,Type,Status,Currency,Gross,Fee,Net,Transaction ID,Reference Txn ID,Balance Impact".to_string(),
    ];
    let good = [
        "txn_1,2024-06-01 10:00:00,usd,29.00,1.14,27.86,charge",
        "txn_1,charge,ch_1,29.00,1.14,27.86,usd,2024-06-01 10:00,Pro",
        "06/13/2024,10:00:00,PDT,Website Payment,Completed,USD,29.00,-1.00,28.00,T1,,Credit",
    ];
    for (h, g) in headers.iter().zip(good) {
        let cells: Vec<&str> = g.split(',').collect();
        for i in 0..cells.len() {
            for v in hostile {
                let mut row = cells.clone();
                let quoted = format!("\"{}\"", v.replace('"', "\"\""));
                row[i] = &quoted;
                let text = format!("{h}\n{}\n", row.join(","));
                let _ = parse_mem(text.as_bytes());
            }
        }
    }
}
