//! Property tests: printing then parsing gives the value back; rounding is half away from zero.

use pl_money::{fmt2, format_decimal, parse_decimal, round_cents, round_dp, Amount, Currency, Decimal, NumberStyle};
use proptest::prelude::*;

fn any_decimal() -> impl Strategy<Value = Decimal> {
    // mantissa up to ~2^80, scale 0..=10, either sign
    (any::<i64>(), any::<u16>(), 0u32..=10).prop_map(|(hi, lo, scale)| {
        let m = (i128::from(hi) << 16) | i128::from(lo);
        Decimal::from_i128_with_scale(m, scale)
    })
}

proptest! {
    #[test]
    fn fixed_roundtrip_both_styles(d in any_decimal(), dp in 0u32..=4, thousands in any::<bool>()) {
        let r = round_dp(d, dp);
        for style in [NumberStyle::Point, NumberStyle::Comma] {
            let s = format_decimal(d, dp, style, thousands);
            let back = parse_decimal(&s, style).unwrap();
            prop_assert_eq!(back, r, "printed {}", s);
        }
    }

    #[test]
    fn fmt2_roundtrip(d in any_decimal()) {
        let s = fmt2(d);
        prop_assert!(!s.starts_with("-0.00") || s.len() > 5);
        prop_assert_ne!(s.as_str(), "-0.00");
        let dot = s.find('.').unwrap();
        prop_assert_eq!(s.len() - dot - 1, 2);
        prop_assert_eq!(parse_decimal(&s, NumberStyle::Point).unwrap(), round_cents(d));
    }

    #[test]
    fn to_fixed_roundtrip(d in any_decimal(), code in prop::sample::select(vec!["USD", "JPY", "KWD", "EUR"])) {
        let c = Currency::new(code).unwrap();
        let s = Amount::new(d, c).to_fixed();
        let back = parse_decimal(&s, NumberStyle::Point).unwrap();
        prop_assert_eq!(back, round_dp(d, c.minor_units()));
        let decimals = s.find('.').map(|p| s.len() - p - 1).unwrap_or(0);
        prop_assert_eq!(decimals as u32, c.minor_units());
    }

    #[test]
    fn ties_round_away_from_zero(cents in -1_000_000_000i64..1_000_000_000, neg in any::<bool>()) {
        // x = cents/100 + 0.005 exactly (a tie), in either sign
        let base = Decimal::new(cents.abs() * 10 + 5, 3);
        let x = if neg { -base } else { base };
        let r = round_cents(x);
        let away = Decimal::new(cents.abs() + 1, 2);
        prop_assert_eq!(r, if neg { -away } else { away });
    }

    #[test]
    fn rounding_is_nearest(d in any_decimal()) {
        let r = round_cents(d);
        let diff = (r - d).abs();
        prop_assert!(diff <= Decimal::new(5, 3));
    }
}
