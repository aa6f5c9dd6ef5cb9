//! Compact event records: what a streamed report keeps of each event between the scan, which
//! must see every event before the totals are known, and the writing, which starts with the
//! totals (SPEC §8 puts `totals` and `instances` before `events`).
//!
//! An event takes about 70 bytes here where its JSON takes 440: a month of 1M events holds
//! ~70 MB instead of ~440 MB, and the JSON is written from the records in a pipeline of
//! buffers a few MB each. Decimals keep their exact mantissa and scale; strings keep their bytes
//! (a GUID as its 16 bytes, an instant in the stored `YYYY-MM-DDTHH:MM:SSZ` form as seconds, the
//! few names that repeat, such as source, product and state, once per segment); ids are kept as
//! the difference from the previous one. An event read back is the event that was written
//! (`records_read_back_what_was_written`).
use rust_decimal::Decimal;

use crate::calendar::{write_canonical, write_time};
use crate::events::{EventId, EventRef, Note, Product, RateBasis};
use crate::rules::{BillingType, EventAmounts};

/// What the window's pages sort and filter an event by, kept beside its record: its amounts in
/// cents, its instance (the packed GUID; [`crate::report::MonthView`] puts the instance line's
/// position there), its kind, lateness and state.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct EventKey {
    pub instance: u128,
    pub gross: i64,
    pub net: i64,
    pub wix_share: i64,
    pub flags: u8,
}

impl EventKey {
    pub const REFUND: u8 = 1;
    pub const LATE: u8 = 1 << 1;
    /// The instance id is not a GUID: `instance` is 0 until the view places it.
    pub const NOT_GUID: u8 = 1 << 2;
    /// The state ([`crate::EventState`] as a number) in the bits above.
    pub const STATE_SHIFT: u8 = 3;

    pub fn of(e: &EventRef<'_>, guid: Option<u128>) -> EventKey {
        let mut flags = (crate::EventState::of_str(e.state) as u8) << Self::STATE_SHIFT;
        if e.billing == BillingType::Refund {
            flags |= Self::REFUND;
        }
        if e.late {
            flags |= Self::LATE;
        }
        if guid.is_none() {
            flags |= Self::NOT_GUID;
        }
        let a = &e.amounts;
        EventKey { instance: guid.unwrap_or(0), gross: cents(a.gross), net: cents(a.net), wix_share: cents(a.wix_share), flags }
    }
}

/// An amount in cents, for ordering: event amounts are whole cents below 10^15 USD (anything
/// else is rounded or clamped, which only changes where it sorts).
fn cents(d: Decimal) -> i64 {
    let scale = d.scale();
    if scale <= 2 {
        if let Some(c) = i64::try_from(d.mantissa()).ok().and_then(|m| m.checked_mul(if scale == 2 { 1 } else if scale == 1 { 10 } else { 100 })) {
            return c;
        }
    }
    let c = (d * Decimal::ONE_HUNDRED).round();
    i64::try_from(c).unwrap_or(if c.is_sign_negative() { i64::MIN } else { i64::MAX })
}

/// At most so many events in a segment, the unit the writers format (~3.6 MB of JSON).
pub(crate) const SEGMENT_EVENTS: u32 = 8192;
/// A segment's buffers: a segment is full before they would have to grow (and move).
const BIN_BYTES: usize = 384 << 10;
const TEXT_BYTES: usize = 512 << 10;
/// Room a usual event needs (a longer one grows the buffers).
const EVENT_ROOM: usize = 2 << 10;

/// A run of events in report order: fixed-size and varint fields in `bin`, the strings one after
/// the other in `text` (slicing a `String` at a recorded boundary needs no UTF-8 check).
pub(crate) struct Segment {
    /// The events' sort and filter keys, when the report keeps them (the window's pages).
    pub keys: Vec<EventKey>,
    bin: Vec<u8>,
    text: String,
    events: u32,
    /// Repeating strings, as ranges of `text` (their first occurrence).
    names: Vec<(u32, u32)>,
    /// Per kind of name (source, product, state, frozen note, frozen rate basis): the index in
    /// `names` of the last one written, tried first (events in a row mostly repeat them).
    last_name: [usize; 5],
    /// The previous event's id and instant (seconds): ids and instants are kept as differences.
    prev_id: i64,
    prev_secs: i64,
}

// Flags of an event's first two bytes.
const REFUND: u16 = 1;
const LATE: u16 = 1 << 1;
const ID_MANUAL: u16 = 1 << 2;
// 1 << 3 was a stored text id, 1 << 15 a stored `tx-<n>` id: frozen events' ids are derived
// from their keys since migration 0009, so every id is a row's or a manual refund's number.
const HAS_SOURCE_ID: u16 = 1 << 4;
const PRODUCT_MANUAL: u16 = 1 << 5;
const NOTE_STORED: u16 = 1 << 6;
const NOTE_DEDUCT_FEES: u16 = 1 << 7;
const NOTE_TAX: u16 = 1 << 8;
const NOTE_CONVERTED: u16 = 1 << 9;
const INSTANCE_GUID: u16 = 1 << 10;
const HAS_TXN: u16 = 1 << 11;
const HAS_MANUAL: u16 = 1 << 12;
/// `txn_id` is the id (`EventId::Txn`): not written twice.
const TXN_IS_ID: u16 = 1 << 13;
/// `created_date` is kept as seconds.
const CREATED_SECS: u16 = 1 << 14;

/// How many names a segment keeps (more distinct ones are written in full).
const MAX_NAMES: usize = 32;

impl Default for Segment {
    /// Room for a segment of usual events (so that filling it seldom moves it).
    fn default() -> Segment {
        Segment {
            keys: Vec::new(),
            bin: Vec::with_capacity(BIN_BYTES),
            text: String::with_capacity(TEXT_BYTES),
            events: 0,
            names: Vec::new(),
            last_name: [0; 5],
            prev_id: 0,
            prev_secs: 0,
        }
    }
}

impl Segment {
    pub fn len(&self) -> u32 {
        self.events
    }

    pub fn is_full(&self) -> bool {
        self.events >= SEGMENT_EVENTS || self.bin.len() + EVENT_ROOM > BIN_BYTES || self.text.len() + EVENT_ROOM > TEXT_BYTES
    }

    /// Appends one event; `guid` is `guid_pack(e.instance_id)`.
    pub fn push(&mut self, e: &EventRef<'_>, guid: Option<u128>) {
        let mut flags = 0u16;
        if e.billing == BillingType::Refund {
            flags |= REFUND;
        }
        if e.late {
            flags |= LATE;
        }
        if let EventId::Manual(_) = e.id {
            flags |= ID_MANUAL;
        }
        if e.source_id.is_some() {
            flags |= HAS_SOURCE_ID;
        }
        if matches!(e.product, Product::ManualRefund(_)) {
            flags |= PRODUCT_MANUAL;
        }
        match e.note {
            Note::Stored(_) => flags |= NOTE_STORED,
            Note::Rules { deduct_fees, tax, converted } => {
                if deduct_fees {
                    flags |= NOTE_DEDUCT_FEES;
                }
                if tax {
                    flags |= NOTE_TAX;
                }
                if converted.is_some() {
                    flags |= NOTE_CONVERTED;
                }
            }
        }
        if guid.is_some() {
            flags |= INSTANCE_GUID;
        }
        if e.txn_id.is_some() {
            flags |= HAS_TXN;
        }
        if e.manual_id.is_some() {
            flags |= HAS_MANUAL;
        }
        let txn_is_id = matches!((e.id, e.txn_id), (EventId::Txn(a), Some(b)) if a == b);
        if txn_is_id {
            flags |= TXN_IS_ID;
        }
        debug_assert!(e.created_secs.is_none_or(|t| {
            let mut b = [0u8; 20];
            write_canonical(t, &mut b);
            b == e.created_date.as_bytes()
        }));
        let secs = e.created_secs.or_else(|| canonical_secs(e.created_date));
        if secs.is_some() {
            flags |= CREATED_SECS;
        }
        self.bin.extend_from_slice(&flags.to_le_bytes());
        let (EventId::Txn(n) | EventId::Manual(n)) = e.id;
        self.int(n.wrapping_sub(self.prev_id));
        self.prev_id = n;
        if let (Some(n), false) = (e.txn_id, txn_is_id) {
            self.int(n);
        }
        if let Some(n) = e.manual_id {
            self.int(n);
        }
        match guid {
            Some(g) => self.bin.extend_from_slice(&g.to_le_bytes()),
            None => self.str(e.instance_id),
        }
        match secs {
            Some(t) => {
                self.int(t - self.prev_secs);
                self.prev_secs = t;
            }
            None => self.str(e.created_date),
        }
        let a = &e.amounts;
        for d in [a.gross, a.expenses, a.net, a.rate, a.wix_share] {
            self.decimal(d);
        }
        self.name(e.source, 0);
        if let Some(s) = e.source_id {
            self.str(s);
        }
        match e.product {
            Product::Stored(s) | Product::ManualRefund(s) => self.name(s, 1),
        }
        match e.note {
            // Frozen notes repeat with the amounts (a handful of prices and fees).
            Note::Stored(s) => self.name(s, 3),
            Note::Rules { converted: Some(c), .. } => self.str(c),
            Note::Rules { converted: None, .. } => {}
        }
        self.name(e.state, 2);
        // The rate basis: a tag in the two low bits, then the days or the frozen words.
        match e.rate_basis {
            RateBasis::EventDate(d) => self.varint(zigzag32(d) << 2),
            RateBasis::OriginalCharge(d) => self.varint(zigzag32(d) << 2 | 1),
            RateBasis::Stored(s) => {
                self.varint(2);
                self.name(s, 4);
            }
        }
        self.events += 1;
    }

    /// A string that often repeats: `k` for the segment's name `k - 1`, else 0 and the string.
    fn name(&mut self, s: &str, kind: usize) {
        let text = &self.text;
        let is = |&(at, len): &(u32, u32)| len as usize == s.len() && &text[at as usize..(at + len) as usize] == s;
        let last = self.last_name[kind];
        let found = if self.names.get(last).is_some_and(is) { Some(last) } else { self.names.iter().position(is) };
        if let Some(k) = found {
            self.last_name[kind] = k;
            self.varint(k as u64 + 1);
            return;
        }
        self.varint(0);
        let at = self.text.len();
        self.str(s);
        if self.names.len() < MAX_NAMES {
            if let (Ok(at), Ok(len)) = (u32::try_from(at), u32::try_from(s.len())) {
                self.names.push((at, len));
            }
        }
    }

    fn varint(&mut self, mut v: u64) {
        // Byte by byte: most varints are one or two bytes (a copy call costs more).
        while v >= 0x80 {
            self.bin.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.bin.push(v as u8);
    }

    fn int(&mut self, n: i64) {
        self.varint(((n << 1) ^ (n >> 63)) as u64);
    }

    /// Mantissa (zigzag) and scale: the exact value back (a negative zero reads back as zero,
    /// which every writer prints alike). Bit 0 says whether the mantissa's bits above the 58
    /// low ones follow (a Decimal's mantissa has 96).
    fn decimal(&mut self, d: Decimal) {
        let z = zigzag(d.mantissa());
        let low = ((z & ((1 << 58) - 1)) as u64) << 6 | u64::from(d.scale()) << 1;
        if z >> 58 == 0 {
            self.varint(low);
        } else {
            self.varint(low | 1);
            self.varint((z >> 58) as u64);
        }
    }

    fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.text.push_str(s);
    }

    /// Calls `f` with each event, in order.
    pub fn each<E>(&self, mut f: impl FnMut(&EventRef<'_>) -> Result<(), E>) -> Result<(), E> {
        let mut r = Reader { bin: &self.bin, text: &self.text, names: &self.names, at: 0, text_at: 0 };
        let (mut prev_id, mut prev_secs) = (0i64, 0i64);
        let mut created_text = [0u8; 20];
        // The day `created_text` holds (none yet).
        let mut last_day = i64::MIN;
        let mut guid_text = [0u8; 36];
        for _ in 0..self.events {
            let flags = u16::from_le_bytes([r.byte(), r.byte()]);
            let has = |f: u16| flags & f != 0;
            prev_id = prev_id.wrapping_add(r.int());
            let id = if has(ID_MANUAL) { EventId::Manual(prev_id) } else { EventId::Txn(prev_id) };
            let txn_id = if has(TXN_IS_ID) { Some(prev_id) } else { has(HAS_TXN).then(|| r.int()) };
            let manual_id = has(HAS_MANUAL).then(|| r.int());
            let instance_id = if has(INSTANCE_GUID) {
                let mut g = [0u8; 16];
                g.copy_from_slice(&r.bin[r.at..r.at + 16]);
                r.at += 16;
                guid_unpack(u128::from_le_bytes(g), &mut guid_text);
                crate::raw::utf8(&guid_text).expect("hex digits and dashes")
            } else {
                r.str()
            };
            let created_date = if has(CREATED_SECS) {
                prev_secs += r.int();
                // Most events share their day with the one before: only the time is written.
                let day = prev_secs.div_euclid(86_400);
                if day == last_day {
                    write_time(prev_secs.rem_euclid(86_400), &mut created_text);
                } else {
                    write_canonical(prev_secs, &mut created_text);
                    last_day = day;
                }
                crate::raw::utf8(&created_text).expect("digits and separators")
            } else {
                r.str()
            };
            let amounts =
                EventAmounts { gross: r.decimal(), expenses: r.decimal(), net: r.decimal(), rate: r.decimal(), wix_share: r.decimal() };
            let source = r.name();
            let source_id = has(HAS_SOURCE_ID).then(|| r.str());
            let product = if has(PRODUCT_MANUAL) { Product::ManualRefund(r.name()) } else { Product::Stored(r.name()) };
            let note = if has(NOTE_STORED) {
                Note::Stored(r.name())
            } else {
                Note::Rules { deduct_fees: has(NOTE_DEDUCT_FEES), tax: has(NOTE_TAX), converted: has(NOTE_CONVERTED).then(|| r.str()) }
            };
            let state = r.name();
            let basis = r.varint();
            let days = || {
                let z = basis >> 2;
                ((z >> 1) as i64 ^ -((z & 1) as i64)) as i32
            };
            let rate_basis = match basis & 3 {
                0 => RateBasis::EventDate(days()),
                1 => RateBasis::OriginalCharge(days()),
                _ => RateBasis::Stored(r.name()),
            };
            f(&EventRef {
                id,
                txn_id,
                manual_id,
                instance_id,
                billing: if has(REFUND) { BillingType::Refund } else { BillingType::Charge },
                created_date,
                created_secs: has(CREATED_SECS).then_some(prev_secs),
                amounts,
                source,
                source_id,
                product,
                note,
                rate_basis,
                late: has(LATE),
                state,
            })?;
        }
        Ok(())
    }
}

struct Reader<'a> {
    bin: &'a [u8],
    text: &'a str,
    names: &'a [(u32, u32)],
    at: usize,
    text_at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> u8 {
        let b = self.bin[self.at];
        self.at += 1;
        b
    }

    fn varint(&mut self) -> u64 {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = self.byte();
            v |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return v;
            }
            shift += 7;
        }
    }

    fn int(&mut self) -> i64 {
        let v = self.varint();
        ((v >> 1) as i64) ^ -((v & 1) as i64)
    }

    fn decimal(&mut self) -> Decimal {
        let v = self.varint();
        if v & 1 == 0 {
            // The usual amount: its zigzag mantissa fits 58 bits, the mantissa an i64.
            let z = v >> 6;
            return Decimal::new(((z >> 1) as i64) ^ -((z & 1) as i64), ((v >> 1) & 31) as u32);
        }
        let mut z = u128::from(v >> 6);
        if v & 1 != 0 {
            z |= u128::from(self.varint()) << 58;
        }
        Decimal::from_i128_with_scale(unzigzag(z), ((v >> 1) & 31) as u32)
    }

    fn str(&mut self) -> &'a str {
        let len = self.varint() as usize;
        let s = &self.text[self.text_at..self.text_at + len];
        self.text_at += len;
        s
    }

    fn name(&mut self) -> &'a str {
        match self.varint() {
            0 => self.str(),
            k => {
                let (at, len) = self.names[k as usize - 1];
                &self.text[at as usize..(at + len) as usize]
            }
        }
    }
}

/// An `i32` zigzagged (small magnitudes, small values).
fn zigzag32(n: i32) -> u64 {
    u64::from(((n << 1) ^ (n >> 31)) as u32)
}

/// The seconds of an instant written `YYYY-MM-DDTHH:MM:SSZ`, when [`write_canonical`] gives
/// those very bytes back.
fn canonical_secs(s: &str) -> Option<i64> {
    let secs = crate::calendar::parse_instant(s)?.timestamp();
    let mut back = [0u8; 20];
    write_canonical(secs, &mut back);
    (back == s.as_bytes()).then_some(secs)
}

fn zigzag(v: i128) -> u128 {
    ((v << 1) ^ (v >> 127)) as u128
}

fn unzigzag(v: u128) -> i128 {
    ((v >> 1) as i128) ^ -((v & 1) as i128)
}

/// A GUID as Wix and the ledger write it (`8-4-4-4-12` lower-case hex digits) as a number;
/// anything else (upper case included) is `None`, so `guid_unpack` gives back the same text.
pub(crate) fn guid_pack(s: &str) -> Option<u128> {
    let b: &[u8; 36] = s.as_bytes().try_into().ok()?;
    if b[8] != b'-' || b[13] != b'-' || b[18] != b'-' || b[23] != b'-' {
        return None;
    }
    // 16 digits a half, a table lookup each; a byte that is not a digit sets the high bits.
    let half = |groups: [&[u8]; 3]| -> (u64, u8) {
        let (mut v, mut bad) = (0u64, 0u8);
        for g in groups {
            for &c in g {
                let d = HEX_VALUE[usize::from(c)];
                bad |= d;
                v = v << 4 | u64::from(d & 15);
            }
        }
        (v, bad)
    };
    let (hi, bad_hi) = half([&b[0..8], &b[9..13], &b[14..18]]);
    let (lo, bad_lo) = half([&b[19..23], &b[24..36], &[]]);
    ((bad_hi | bad_lo) < 16).then_some(u128::from(hi) << 64 | u128::from(lo))
}

/// Each byte written as two lower-case hex digits.
static HEX_PAIR: [[u8; 2]; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX[i >> 4], HEX[i & 15]];
        i += 1;
    }
    t
};

/// Each byte's value as a lower-case hex digit, 0xff for any other byte.
static HEX_VALUE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// Where each of a GUID's 16 bytes starts in its text (two hex digits each).
const GUID_BYTES: [usize; 16] = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/// The text of a [`guid_pack`]ed GUID.
pub(crate) fn guid_unpack(v: u128, out: &mut [u8; 36]) {
    for at in [8, 13, 18, 23] {
        out[at] = b'-';
    }
    for (byte, at) in v.to_be_bytes().into_iter().zip(GUID_BYTES) {
        out[at..at + 2].copy_from_slice(&HEX_PAIR[usize::from(byte)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn guids_pack_and_unpack() {
        for s in ["157f033e-c1ae-4418-adb0-79d2bcd9d4a8", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"] {
            let mut out = [0u8; 36];
            guid_unpack(guid_pack(s).unwrap(), &mut out);
            assert_eq!(std::str::from_utf8(&out).unwrap(), s);
        }
        for s in ["157F033E-c1ae-4418-adb0-79d2bcd9d4a8", "157f033e-c1ae-4418-adb0-79d2bcd9d4a", "157f033ec1ae-4418-adb0-79d2bcd9d4a8x", "not a guid", "", "157f033e_c1ae-4418-adb0-79d2bcd9d4a8", "157f033e-c1ae-4418-adb0-79d2bcd9d4ag"] {
            assert_eq!(guid_pack(s), None, "{s}");
        }
    }

    proptest! {
        /// A GUID packs when it is written `8-4-4-4-12` in lower-case hex, and unpacks to its text.
        #[test]
        fn guids_pack_exactly_the_lower_case_form(s in "[0-9a-fA-F-]{36}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", v in any::<u128>()) {
            let lower = s.bytes().enumerate().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == b'-' } else { matches!(c, b'0'..=b'9' | b'a'..=b'f') });
            prop_assert_eq!(guid_pack(&s).is_some(), lower);
            if let Some(g) = guid_pack(&s) {
                let mut out = [0u8; 36];
                guid_unpack(g, &mut out);
                prop_assert_eq!(std::str::from_utf8(&out).unwrap(), s.as_str());
            }
            let mut out = [0u8; 36];
            guid_unpack(v, &mut out);
            prop_assert_eq!(guid_pack(std::str::from_utf8(&out).unwrap()), Some(v));
        }

        /// Packed GUIDs compare as their texts (the report sorts instances by the packed value).
        #[test]
        fn packed_guids_sort_as_their_texts(a in any::<u128>(), b in any::<u128>(), shared in 0u32..128) {
            // Values sharing their high bits, as neighbouring ids do.
            let b = if shared == 0 { b } else { (a & !(u128::MAX >> shared)) | (b >> shared) };
            let (mut ta, mut tb) = ([0u8; 36], [0u8; 36]);
            guid_unpack(a, &mut ta);
            guid_unpack(b, &mut tb);
            prop_assert_eq!(a.cmp(&b), ta.cmp(&tb));
        }
    }

    #[test]
    fn stored_instants_are_kept_as_seconds_and_nothing_else_is() {
        for s in ["2026-03-01T00:01:04Z", "1970-01-01T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2024-02-29T12:00:00Z", "1969-12-31T23:59:59Z"] {
            let secs = canonical_secs(s).unwrap_or_else(|| panic!("{s}"));
            let mut out = [0u8; 20];
            write_canonical(secs, &mut out);
            assert_eq!(std::str::from_utf8(&out).unwrap(), s);
        }
        for s in ["2026-03-01T00:01:04.5Z", "2026-03-01T00:01:04+00:00", "2026-03-01 00:01:04Z", "2026-02-30T00:00:00Z", "2016-12-31T23:59:60Z", "", "2026-3-01T00:01:04Z"] {
            assert_eq!(canonical_secs(s), None, "{s}");
        }
    }

    #[test]
    fn instants_of_one_day_and_of_others_read_back() {
        let dates = ["2026-03-01T00:00:00Z", "2026-03-01T23:59:59Z", "2026-03-02T00:00:00Z", "2026-03-01T12:00:00Z", "not an instant", "2026-03-01T12:00:01Z", "1969-12-31T23:59:59Z", "1970-01-01T00:00:00Z", "1969-12-31T00:00:01Z"];
        let mut seg = Segment::default();
        for d in dates {
            let e = EventRef {
                id: EventId::Txn(1),
                txn_id: None,
                manual_id: None,
                instance_id: "x",
                billing: BillingType::Charge,
                created_date: d,
                created_secs: None,
                amounts: EventAmounts { gross: Decimal::ONE, expenses: Decimal::ZERO, net: Decimal::ONE, rate: Decimal::TEN, wix_share: Decimal::ZERO },
                source: "s",
                source_id: None,
                product: Product::Stored("p"),
                note: Note::Stored("n"),
                rate_basis: RateBasis::EventDate(739_000),
                late: false,
                state: "draft",
            };
            seg.push(&e, None);
        }
        let mut back = Vec::new();
        seg.each(|e| {
            back.push(e.created_date.to_string());
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(back, dates);
    }

    fn decimal() -> impl Strategy<Value = Decimal> {
        (any::<i128>(), 0u32..=28).prop_map(|(m, s)| {
            let m = m >> 31; // 97 bits with the sign: a Decimal's mantissa
            Decimal::try_from_i128_with_scale(m, s).unwrap_or(Decimal::MAX)
        })
    }

    #[derive(Debug, Clone)]
    struct Owned {
        id: (u8, i64, String),
        txn_id: Option<i64>,
        manual_id: Option<i64>,
        instance_id: String,
        refund: bool,
        created_date: String,
        amounts: [Decimal; 5],
        source: String,
        source_id: Option<String>,
        product: (bool, String),
        note: (bool, bool, bool, Option<String>, String),
        late: bool,
        state: String,
        rate_basis: (u8, i32, String),
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            ".{0,40}",
            "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[ -~]{0,300}",
            "[0-9]{4}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]Z",
            "tx-[+-]?[0-9]{1,20}",
            // Repeated names (source, product, state).
            prop::sample::select(vec!["draft", "sent", "stripe-itemized", "manual", "Pro plan"]).prop_map(str::to_string),
        ]
    }

    fn owned() -> impl Strategy<Value = Owned> {
        (
            (0u8..3, any::<i64>(), text()),
            (proptest::option::of(any::<i64>()), proptest::option::of(any::<i64>()), text(), any::<bool>(), text()),
            proptest::array::uniform5(decimal()),
            (text(), proptest::option::of(text()), (any::<bool>(), text())),
            (any::<bool>(), any::<bool>(), any::<bool>(), proptest::option::of(text()), text()),
            (any::<bool>(), text()),
            (0u8..3, any::<i32>(), text()),
        )
            .prop_map(|(id, (txn_id, manual_id, instance_id, refund, created_date), amounts, (source, source_id, product), note, (late, state), rate_basis)| Owned {
                id,
                txn_id,
                manual_id,
                instance_id,
                refund,
                created_date,
                amounts,
                source,
                source_id,
                product,
                note,
                late,
                state,
                rate_basis,
            })
    }

    fn event(o: &Owned) -> EventRef<'_> {
        EventRef {
            id: match o.id.0 {
                0 => EventId::Txn(o.id.1),
                _ => EventId::Manual(o.id.1),
            },
            txn_id: o.txn_id,
            manual_id: o.manual_id,
            instance_id: &o.instance_id,
            billing: if o.refund { BillingType::Refund } else { BillingType::Charge },
            created_date: &o.created_date,
            created_secs: None,
            amounts: EventAmounts { gross: o.amounts[0], expenses: o.amounts[1], net: o.amounts[2], rate: o.amounts[3], wix_share: o.amounts[4] },
            source: &o.source,
            source_id: o.source_id.as_deref(),
            product: if o.product.0 { Product::ManualRefund(&o.product.1) } else { Product::Stored(&o.product.1) },
            note: if o.note.0 {
                Note::Stored(&o.note.4)
            } else {
                Note::Rules { deduct_fees: o.note.1, tax: o.note.2, converted: o.note.3.as_deref() }
            },
            rate_basis: match o.rate_basis.0 {
                0 => RateBasis::EventDate(o.rate_basis.1),
                1 => RateBasis::OriginalCharge(o.rate_basis.1),
                _ => RateBasis::Stored(&o.rate_basis.2),
            },
            late: o.late,
            state: &o.state,
        }
    }

    proptest! {
        #[test]
        fn records_read_back_what_was_written(events in proptest::collection::vec(owned(), 0..40)) {
            let mut seg = Segment::default();
            for (k, o) in events.iter().enumerate() {
                let mut e = event(o);
                // Every other event says what its seconds are, when it can; the record is the same.
                if k % 2 == 0 {
                    e.created_secs = canonical_secs(e.created_date);
                }
                seg.push(&e, guid_pack(e.instance_id));
            }
            prop_assert_eq!(seg.len() as usize, events.len());
            let mut i = 0;
            seg.each(|e| {
                let mut want = event(&events[i]);
                want.created_secs = canonical_secs(want.created_date);
                // Debug shows every field; Decimal's Debug shows mantissa and scale.
                assert_eq!(format!("{e:?}"), format!("{want:?}"));
                i += 1;
                Ok::<(), ()>(())
            }).unwrap();
            prop_assert_eq!(i, events.len());
        }
    }
}
