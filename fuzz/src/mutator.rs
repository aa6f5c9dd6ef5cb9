//! A CSV-aware mutator for every target: half of the mutations are libFuzzer's own (bytes,
//! dictionary insertions), the other half work on cells and records, so that a whole cell of a deep
//! row becomes `7922816251426433759354395033`, `Website Payment`, `Soll` or `02/30/2024` in one
//! step (byte mutations rarely replace exactly one cell without breaking the row around it).
//! The inputs stay plain CSV files, readable when one is kept as a regression.
use std::sync::OnceLock;

/// The tokens of `fuzz/dict/csv.dict` (also given to libFuzzer with `-dict`), by section (a
/// `# name` comment line starts one): the section `amounts` is preferred for numeric cells.
fn sections() -> &'static [(String, Vec<Vec<u8>>)] {
    static SECTIONS: OnceLock<Vec<(String, Vec<Vec<u8>>)>> = OnceLock::new();
    SECTIONS.get_or_init(|| {
        let mut out: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
        for line in include_str!("../dict/csv.dict").lines() {
            if let Some(name) = line.strip_prefix("# ") {
                out.push((name.trim().to_string(), Vec::new()));
            } else if let (Some(t), Some((_, tokens))) = (unescape(line), out.last_mut()) {
                tokens.push(t);
            }
        }
        out.retain(|(_, tokens)| !tokens.is_empty());
        out
    })
}

/// A dictionary token for `cell`: for a number, most often another amount.
fn token_for(cell: &[u8], rng: &mut Rng) -> Vec<u8> {
    let all = sections();
    let numeric = !cell.is_empty() && cell.iter().all(|b| b.is_ascii_digit() || b".,-\" ".contains(b));
    let section = match all.iter().find(|(name, _)| name == "amounts") {
        Some(amounts) if numeric && rng.below(4) != 0 => amounts,
        _ => match all.get(rng.below(all.len())) {
            Some(s) => s,
            None => return Vec::new(),
        },
    };
    section.1.get(rng.below(section.1.len())).cloned().unwrap_or_default()
}

/// A dictionary line `"..."` as bytes (`\\`, `\"` and `\xNN` escapes); `None` for other lines.
fn unescape(line: &str) -> Option<Vec<u8>> {
    let body = line.trim().strip_prefix('"')?.strip_suffix('"')?.as_bytes();
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        match (body[i], body.get(i + 1)) {
            (b'\\', Some(b'x')) => {
                let hex = std::str::from_utf8(body.get(i + 2..i + 4)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 4;
            }
            (b'\\', Some(&c)) => {
                out.push(c);
                i += 2;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(out)
}

/// xorshift32: enough to choose mutations, reproducible from libFuzzer's seed.
struct Rng(u32);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        if n == 0 {
            0
        } else {
            self.0 as usize % n
        }
    }
}

/// libFuzzer's custom mutator: mutates `data[..size]` in place (at most `max_size` bytes) and
/// returns the new size.
pub fn mutate(data: &mut [u8], size: usize, max_size: usize, seed: u32) -> usize {
    let mut rng = Rng(seed | 1);
    if rng.below(2) == 0 {
        return libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    }
    let out = mutate_csv(&data[..size.min(data.len())], &mut rng);
    if out.len() > max_size.min(data.len()) || out == data[..size] {
        return libfuzzer_sys::fuzzer_mutate(data, size, max_size);
    }
    data[..out.len()].copy_from_slice(&out);
    out.len()
}

/// One cell- or record-level change of a CSV text.
fn mutate_csv(input: &[u8], rng: &mut Rng) -> Vec<u8> {
    // Records split after each `\n` (kept), cells on the header's delimiter, quotes ignored: a
    // mutation that lands inside a quoted delimiter is one more odd input.
    let mut records: Vec<Vec<u8>> = input.split_inclusive(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if records.is_empty() {
        records.push(Vec::new());
    }
    let header = &records[0];
    let delim = [b',', b';', b'\t'].into_iter().max_by_key(|d| header.iter().filter(|b| *b == d).count()).unwrap_or(b',');
    // A data record when there is one: that is where the money is.
    let pick = if records.len() > 1 { 1 + rng.below(records.len() - 1) } else { 0 };
    match rng.below(8) {
        0 => {
            let r = records[pick].clone();
            let at = rng.below(records.len() + 1);
            records.insert(at.max(1).min(records.len()), r);
        }
        1 if records.len() > 1 => {
            records.remove(pick);
        }
        2 if records.len() > 2 => {
            // A cell copied from another record's same column (ids, amounts, types).
            let other = 1 + rng.below(records.len() - 1);
            let col = rng.below(cells(&records[pick], delim).len());
            if let Some(v) = cells(&records[other], delim).get(col).cloned() {
                records[pick] = set_cell(&records[pick], delim, col, &v);
            }
        }
        3 => {
            let col = rng.below(cells(&records[pick], delim).len());
            let v = cells(&records[pick], delim).get(col).map(|c| number_mutation(c, rng)).unwrap_or_default();
            records[pick] = set_cell(&records[pick], delim, col, &v);
        }
        _ => {
            let col = rng.below(cells(&records[pick], delim).len());
            let cell = cells(&records[pick], delim).get(col).cloned().unwrap_or_default();
            let token = token_for(&cell, rng);
            records[pick] = set_cell(&records[pick], delim, col, &token);
        }
    }
    records.concat()
}

/// The cells of a record without its line end.
fn cells(record: &[u8], delim: u8) -> Vec<Vec<u8>> {
    let body = record.strip_suffix(b"\n").unwrap_or(record);
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    body.split(|&b| b == delim).map(<[u8]>::to_vec).collect()
}

/// The record with cell `col` set to `value`, quoted when the cell was.
fn set_cell(record: &[u8], delim: u8, col: usize, value: &[u8]) -> Vec<u8> {
    let body = record.strip_suffix(b"\n").unwrap_or(record);
    let body = body.strip_suffix(b"\r").unwrap_or(body);
    let end = &record[body.len()..];
    let mut cs = cells(record, delim);
    if let Some(c) = cs.get_mut(col) {
        let quoted = c.len() >= 2 && c.first() == Some(&b'"') && c.last() == Some(&b'"');
        *c = if quoted { [&b"\""[..], value, b"\""].concat() } else { value.to_vec() };
    }
    let mut out = cs.join(&delim);
    out.extend_from_slice(end);
    out
}

/// A numeric twist of a cell: negated, scaled by powers of ten, given more decimals or digits.
fn number_mutation(cell: &[u8], rng: &mut Rng) -> Vec<u8> {
    let quoted = cell.len() >= 2 && cell.first() == Some(&b'"') && cell.last() == Some(&b'"');
    let inner = if quoted { &cell[1..cell.len() - 1] } else { cell };
    let mut v = match rng.below(5) {
        0 => match inner.strip_prefix(b"-") {
            Some(rest) => rest.to_vec(),
            None => [&b"-"[..], inner].concat(),
        },
        1 => [inner, &b"0000000000"[..rng.below(10) + 1]].concat(),
        2 => [inner, b"000000001"].concat(),
        3 => [&b"99999999999999"[..rng.below(14) + 1], inner].concat(),
        _ => b"0".to_vec(),
    };
    if quoted {
        v = [&b"\""[..], &v, b"\""].concat();
    }
    v
}
