//! Amounts on rust_decimal: ISO-4217 minor units, locale-aware parsing, fixed-decimal printing, half-away-from-zero rounding.
//!
//! Nothing in this crate ever goes through a float: parsing builds the decimal mantissa digit by
//! digit, printing works on the decimal's own digits.
// No unsafe code in this crate (the engine's only unsafe code is pl-ledger/src/raw.rs).
#![forbid(unsafe_code)]

use std::fmt;
use std::str::FromStr;

pub use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy;

/// Why a string is not an amount or a currency.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// The text is not a number in the expected style.
    #[error("`{input}` is not an amount: {reason}")]
    Invalid { input: String, reason: String },
    /// The text is not a three-letter currency code.
    #[error("`{0}` is not a currency code (three letters, e.g. USD)")]
    Currency(String),
}

impl AmountError {
    fn invalid(input: &str, reason: impl Into<String>) -> AmountError {
        AmountError::Invalid { input: input.to_string(), reason: reason.into() }
    }
}

/// An ISO-4217 currency code, stored upper case.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

/// Currencies with no minor unit.
const ZERO_DP: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV",
    "XAF", "XOF", "XPF",
];
/// Currencies with three decimals.
const THREE_DP: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];

impl Currency {
    /// Parses a three-letter code, any case, surrounding spaces ignored (`usd` → `USD`).
    pub fn new(code: &str) -> Result<Currency, AmountError> {
        let t = code.trim().as_bytes();
        if t.len() != 3 || !t.iter().all(|b| b.is_ascii_alphabetic()) {
            return Err(AmountError::Currency(code.to_string()));
        }
        Ok(Currency([t[0].to_ascii_uppercase(), t[1].to_ascii_uppercase(), t[2].to_ascii_uppercase()]))
    }

    /// The code, upper case.
    pub fn as_str(&self) -> &str {
        // Only ASCII letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Number of decimals of the currency's minor unit: 0 (JPY, KRW, ...), 3 (BHD, KWD, JOD, OMR, TND, ...) or 2.
    pub fn minor_units(&self) -> u32 {
        let c = self.as_str();
        if ZERO_DP.contains(&c) {
            0
        } else if THREE_DP.contains(&c) {
            3
        } else {
            2
        }
    }

    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");
}

impl FromStr for Currency {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::new(s)
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Currency::new(&s).map_err(serde::de::Error::custom)
    }
}

/// A value in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount {
    pub value: Decimal,
    pub currency: Currency,
}

impl Amount {
    /// An amount, value kept as given (not rounded).
    pub fn new(value: Decimal, currency: Currency) -> Amount {
        Amount { value, currency }
    }

    /// The value rounded half away from zero to the currency's minor unit.
    pub fn rounded(&self) -> Amount {
        Amount { value: round_dp(self.value, self.currency.minor_units()), currency: self.currency }
    }

    /// The value printed with exactly the currency's decimals (`-49.00`, `1250`, `1.250`), rounded half
    /// away from zero, never a negative zero.
    pub fn to_fixed(&self) -> String {
        fmt_dp(self.value, self.currency.minor_units())
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_fixed())
    }
}

/// Rounds to `dp` decimals, half away from zero (0.005 → 0.01, -0.005 → -0.01).
pub fn round_dp(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// Rounds to cents, half away from zero (0.005 → 0.01, -0.005 → -0.01).
pub fn round_cents(d: Decimal) -> Decimal {
    round_dp(d, 2)
}

/// Prints with exactly two decimals after rounding to cents; never prints `-0.00`.
pub fn fmt2(d: Decimal) -> String {
    fmt_dp(d, 2)
}

/// Prints with exactly `dp` decimals after rounding half away from zero; never a negative zero.
pub fn fmt_dp(d: Decimal, dp: u32) -> String {
    format_decimal(d, dp, NumberStyle::Point, false)
}

/// How a number is written: decimal point and comma groups (`1,250.00`), or decimal comma and
/// point groups (`1.250,00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumberStyle {
    /// `1,250.00`
    Point,
    /// `1.250,00`
    Comma,
}

impl NumberStyle {
    /// The decimal separator.
    pub fn decimal_sep(self) -> u8 {
        match self {
            NumberStyle::Point => b'.',
            NumberStyle::Comma => b',',
        }
    }
    /// The thousands separator.
    pub fn group_sep(self) -> u8 {
        match self {
            NumberStyle::Point => b',',
            NumberStyle::Comma => b'.',
        }
    }
}

/// Prints `d` rounded (half away from zero) to exactly `dp` decimals in `style`, with thousands
/// groups when `thousands`. Never prints a negative zero.
pub fn format_decimal(d: Decimal, dp: u32, style: NumberStyle, thousands: bool) -> String {
    let dp = dp.min(28);
    let r = round_dp(d, dp);
    let neg = r.is_sign_negative() && !r.is_zero();
    // The rounded mantissa at exactly `dp` decimals.
    let mut digits = r.mantissa().unsigned_abs().to_string();
    for _ in r.scale()..dp {
        digits.push('0'); // widen to exactly `dp` decimals
    }
    let dp_us = dp as usize;
    let (int_part, frac_part) = if digits.len() > dp_us {
        digits.split_at(digits.len() - dp_us)
    } else {
        ("", digits.as_str())
    };
    let mut out = String::with_capacity(digits.len() + 8);
    if neg {
        out.push('-');
    }
    if int_part.is_empty() {
        out.push('0');
    } else if thousands {
        let first = int_part.len() % 3;
        for (i, ch) in int_part.chars().enumerate() {
            if i > 0 && (i + 3 - first) % 3 == 0 {
                out.push(style.group_sep() as char);
            }
            out.push(ch);
        }
    } else {
        out.push_str(int_part);
    }
    if dp > 0 {
        out.push(style.decimal_sep() as char);
        for _ in frac_part.len()..dp_us {
            out.push('0');
        }
        out.push_str(frac_part);
    }
    out
}

/// Parses a decimal number written in `style`, never through a float.
///
/// Accepts surrounding spaces, one leading `+` or `-`, thousands groups (`1,250.00` in `Point`,
/// `4.626,81` in `Comma`; every group after the first has exactly three digits and groups only
/// appear before the decimal separator), a bare integer (`1250`), a trailing separator (`29.`) and a
/// leading one (`.5`). Rejects anything else with a reason.
pub fn parse_decimal(s: &str, style: NumberStyle) -> Result<Decimal, AmountError> {
    let t = s.trim();
    let b = t.as_bytes();
    if b.is_empty() {
        return Err(AmountError::invalid(s, "empty"));
    }
    let mut i = 0;
    let mut neg = false;
    if b[0] == b'-' || b[0] == b'+' {
        neg = b[0] == b'-';
        i = 1;
    }
    let dsep = style.decimal_sep();
    let gsep = style.group_sep();
    let mut mantissa: u128 = 0;
    let mut sig_digits = 0u32; // digits counted after leading zeros
    let mut scale = 0u32;
    let mut int_digits = 0usize;
    let mut group_len = 0usize; // digits since the last group separator
    let mut groups = 0usize;
    let mut seen_dec = false;
    let mut frac_digits = 0usize;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_digit() {
            if mantissa != 0 || c != b'0' {
                sig_digits += 1;
            }
            if sig_digits > 28 {
                return Err(AmountError::invalid(s, "too many digits"));
            }
            mantissa = mantissa * 10 + u128::from(c - b'0');
            if seen_dec {
                frac_digits += 1;
                scale += 1;
                if scale > 28 {
                    return Err(AmountError::invalid(s, "too many decimals"));
                }
            } else {
                int_digits += 1;
                group_len += 1;
            }
        } else if c == dsep {
            if seen_dec {
                return Err(AmountError::invalid(s, format!("more than one decimal separator `{}`", dsep as char)));
            }
            seen_dec = true;
        } else if c == gsep {
            if seen_dec {
                return Err(AmountError::invalid(
                    s,
                    format!("thousands separator `{}` after the decimal separator", gsep as char),
                ));
            }
            if groups == 0 {
                if group_len == 0 || group_len > 3 {
                    return Err(AmountError::invalid(s, "thousands groups of the wrong length"));
                }
            } else if group_len != 3 {
                return Err(AmountError::invalid(s, "thousands groups of the wrong length"));
            }
            groups += 1;
            group_len = 0;
        } else if c == b'-' || c == b'+' {
            return Err(AmountError::invalid(s, "misplaced sign"));
        } else {
            let ch = t[i..].chars().next().unwrap_or('?');
            return Err(AmountError::invalid(s, format!("unexpected character `{ch}`")));
        }
        i += 1;
    }
    if groups > 0 && group_len != 3 {
        return Err(AmountError::invalid(s, "thousands groups of the wrong length"));
    }
    if int_digits == 0 && frac_digits == 0 {
        return Err(AmountError::invalid(s, "no digits"));
    }
    if mantissa > (1u128 << 96) - 1 {
        return Err(AmountError::invalid(s, "too large"));
    }
    let mut d = Decimal::from_i128_with_scale(mantissa as i128, scale);
    if neg {
        d.set_sign_negative(true);
    }
    Ok(d)
}

/// What a single written number says about the file's style: `Some(Point)` for `12.50` or
/// `1,250.00`, `Some(Comma)` for `0,25` or `4.626,81`, `None` when it cannot tell (`1250`, `1,250`,
/// `1.250`: one separator followed by exactly three digits).
pub fn style_hint(s: &str) -> Option<NumberStyle> {
    let b = s.trim().as_bytes();
    let last_dot = b.iter().rposition(|&c| c == b'.');
    let last_comma = b.iter().rposition(|&c| c == b',');
    match (last_dot, last_comma) {
        (None, None) => None,
        (Some(d), Some(c)) => Some(if d > c { NumberStyle::Point } else { NumberStyle::Comma }),
        (Some(p), None) => one_sep_hint(b, b'.', p, NumberStyle::Point),
        (None, Some(p)) => one_sep_hint(b, b',', p, NumberStyle::Comma),
    }
}

/// Only `sep` appears, last at `pos`; `as_decimal` is the style in which `sep` is the decimal separator.
fn one_sep_hint(b: &[u8], sep: u8, pos: usize, as_decimal: NumberStyle) -> Option<NumberStyle> {
    let other = match as_decimal {
        NumberStyle::Point => NumberStyle::Comma,
        NumberStyle::Comma => NumberStyle::Point,
    };
    if b.iter().filter(|&&c| c == sep).count() > 1 {
        return Some(other); // repeated: must be groups
    }
    let after = b[pos + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
    let before = b[..pos].iter().rev().take_while(|c| c.is_ascii_digit()).count();
    let leading_zero = before > 0 && b[pos - before] == b'0';
    if after == 3 && (1..=3).contains(&before) && !leading_zero {
        None
    } else {
        Some(as_decimal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn currency_units() {
        assert_eq!(Currency::new("jpy").unwrap().minor_units(), 0);
        assert_eq!(Currency::new("KWD").unwrap().minor_units(), 3);
        assert_eq!(Currency::new("usd").unwrap().as_str(), "USD");
        assert!(Currency::new("US").is_err());
        assert!(Currency::new("U$D").is_err());
    }

    #[test]
    fn fixed_printing() {
        let usd = Currency::new("USD").unwrap();
        assert_eq!(Amount::new(d("-49"), usd).to_fixed(), "-49.00");
        assert_eq!(Amount::new(d("1250.4"), Currency::new("JPY").unwrap()).to_string(), "1250");
        assert_eq!(Amount::new(d("1.25"), Currency::new("BHD").unwrap()).to_fixed(), "1.250");
        assert_eq!(Amount::new(d("-0.001"), usd).to_fixed(), "0.00");
        assert_eq!(fmt2(d("-0")), "0.00");
        assert_eq!(fmt2(d("-0.004")), "0.00");
        assert_eq!(fmt2(d("0.005")), "0.01");
        assert_eq!(fmt2(d("-0.005")), "-0.01");
        assert_eq!(fmt2(d("0.5")), "0.50");
        assert_eq!(fmt2(d("1234567.891")), "1234567.89");
        assert_eq!(format_decimal(d("1234567.891"), 2, NumberStyle::Comma, true), "1.234.567,89");
        assert_eq!(format_decimal(d("-123456"), 0, NumberStyle::Point, true), "-123,456");
        assert_eq!(format_decimal(d("999.999"), 2, NumberStyle::Point, true), "1,000.00");
        assert_eq!(fmt_dp(Decimal::MAX, 28).len(), 29 + 28 + 1);
    }

    #[test]
    fn rounding() {
        assert_eq!(round_cents(d("0.005")), d("0.01"));
        assert_eq!(round_cents(d("-0.005")), d("-0.01"));
        assert_eq!(round_cents(d("2.675")), d("2.68"));
        assert_eq!(round_cents(d("-2.665")), d("-2.67"));
        assert_eq!(round_cents(d("1.004")), d("1.00"));
    }

    #[test]
    fn parsing_accepts() {
        let p = NumberStyle::Point;
        let c = NumberStyle::Comma;
        assert_eq!(parse_decimal("1,250.00", p).unwrap(), d("1250.00"));
        assert_eq!(parse_decimal("1250", p).unwrap(), d("1250"));
        assert_eq!(parse_decimal("-29", p).unwrap(), d("-29"));
        assert_eq!(parse_decimal("29.", p).unwrap(), d("29"));
        assert_eq!(parse_decimal(" 12.5 ", p).unwrap(), d("12.5"));
        assert_eq!(parse_decimal("+5", p).unwrap(), d("5"));
        assert_eq!(parse_decimal(".5", p).unwrap(), d("0.5"));
        assert_eq!(parse_decimal("4.626,81", c).unwrap(), d("4626.81"));
        assert_eq!(parse_decimal("-0,25", c).unwrap(), d("-0.25"));
        assert_eq!(parse_decimal("1.234.567", c).unwrap(), d("1234567"));
        assert_eq!(parse_decimal("0.000", p).unwrap(), d("0"));
        assert!(parse_decimal("-0.00", p).unwrap().is_zero());
    }

    #[test]
    fn parsing_rejects() {
        let p = NumberStyle::Point;
        for bad in ["12abc", "1.2.3", "", "  ", "--5", "1,25,0.00", "1,2345.00", ",250", "-", "+-5", "5-", "1.250,00", "12,5", "1e5", "$5"] {
            let e = parse_decimal(bad, p);
            assert!(e.is_err(), "{bad:?} should fail, got {e:?}");
        }
        assert!(parse_decimal("1,5", NumberStyle::Comma).is_ok());
        assert!(parse_decimal("1.5", NumberStyle::Comma).is_err());
        let msg = parse_decimal("12abc", p).unwrap_err().to_string();
        assert!(msg.contains("`12abc` is not an amount"), "{msg}");
    }

    #[test]
    fn hints() {
        assert_eq!(style_hint("0,25"), Some(NumberStyle::Comma));
        assert_eq!(style_hint("4.626,81"), Some(NumberStyle::Comma));
        assert_eq!(style_hint("1,250.00"), Some(NumberStyle::Point));
        assert_eq!(style_hint("12.50"), Some(NumberStyle::Point));
        assert_eq!(style_hint("1,250"), None);
        assert_eq!(style_hint("1.250"), None);
        assert_eq!(style_hint("1250"), None);
        assert_eq!(style_hint("1,250,000"), Some(NumberStyle::Point));
        assert_eq!(style_hint("0.250"), Some(NumberStyle::Point));
    }
}
