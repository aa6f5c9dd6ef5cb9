//! The money rules of SPEC §3 and §4, as plain functions over decimals. This file is the one
//! place that says how a processor row becomes a billing event's amounts.
//!
//! Invariant: no float; every USD value is rounded to cents, half away from zero, at the steps
//! named here and nowhere else.
use chrono::NaiveDate;
use pl_money::round_cents;
use rust_decimal::Decimal;

/// Wix's two billing types: the one enum, `pl_wix`'s (the row kind → type mapping is
/// `crate::kinds::billing_type`).
pub use pl_wix::BillingType;

/// A row's amounts as the processor gave them, fee normalised (positive = a cost).
#[derive(Debug, Clone, Copy)]
pub struct RowAmounts {
    pub gross: Decimal,
    pub fee: Decimal,
    pub net: Decimal,
    pub tax: Decimal,
}

/// How a row reaches USD.
#[derive(Debug, Clone, Copy)]
pub enum Conversion {
    /// Settled in USD: as is.
    Usd,
    /// A PayPal payment with linked currency-conversion rows: the USD they credited (or debited).
    Linked { net_usd: Decimal },
    /// The operator's FX table: USD per unit on (or at most 7 days before) the event's date.
    Table { usd_per_unit: Decimal },
}

/// Gross (tax taken out) and fee in USD, cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usd {
    pub gross: Decimal,
    pub fee: Decimal,
}

/// The tax carried on a row, with the gross's sign (a refund's tax is returned too).
fn signed_tax(a: &RowAmounts) -> Decimal {
    if a.gross.is_sign_negative() { -a.tax.abs() } else { a.tax.abs() }
}

/// The largest USD amount an event may carry (exclusive): 10^15 USD. Real amounts are far below
/// it (the importer refuses more than 12 integer digits in any currency); a value at or above it
/// comes from a ledger written before that check or edited by hand, and is refused. Bounding
/// every event amount bounds every sum: 2^32 events of 10^15 USD stay far inside a `Decimal`
/// (10^28), so report totals need no overflow check of their own.
pub const MAX_EVENT_USD: Decimal = Decimal::from_parts(2_764_472_320, 232_830, 0, false, 0); // 10^15

/// Whether `d` is a usable event amount: `|d| < MAX_EVENT_USD`.
#[inline]
pub fn in_bounds(d: Decimal) -> bool {
    // A mantissa below 10^15 is a value below 10^15 whatever the scale (the usual case: one
    // comparison of integers).
    d.mantissa().unsigned_abs() < 1_000_000_000_000_000 || d.abs() < MAX_EVENT_USD
}

/// Why a row's money cannot become an event (what an error names with the row).
pub const IMPOSSIBLE_AMOUNT: &str = "its amounts are impossible (an amount or a conversion of it is 10^15 USD or more, \
     beyond what a Decimal can compute); no real payment is this large";

/// SPEC §3 conversion to USD. Sales tax on the row is taken out of gross. None when a value
/// overflows (only absurd stored amounts can).
pub fn to_usd(a: &RowAmounts, conversion: Conversion) -> Option<Usd> {
    let tax = signed_tax(a);
    let usd = match conversion {
        Conversion::Usd => Usd { gross: round_cents(a.gross.checked_sub(tax)?), fee: round_cents(a.fee) },
        Conversion::Linked { net_usd } => {
            // gross_usd = round(gross × net_usd / net); fee_usd = gross_usd − net_usd.
            let net_usd = round_cents(net_usd);
            let share = |v: Decimal| -> Option<Decimal> { Some(round_cents(v.checked_mul(net_usd)?.checked_div(a.net)?)) };
            let gross_usd = if a.net.is_zero() { net_usd } else { share(a.gross)? };
            let tax_usd = if a.net.is_zero() { Decimal::ZERO } else { share(tax)? };
            Usd { gross: gross_usd.checked_sub(tax_usd)?, fee: gross_usd.checked_sub(net_usd)? }
        }
        Conversion::Table { usd_per_unit } => Usd {
            gross: round_cents(a.gross.checked_sub(tax)?.checked_mul(usd_per_unit)?),
            fee: round_cents(a.fee.checked_mul(usd_per_unit)?),
        },
    };
    (in_bounds(usd.gross) && in_bounds(usd.fee)).then_some(usd)
}

/// An event's amounts (SPEC §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventAmounts {
    pub gross: Decimal,
    pub expenses: Decimal,
    pub net: Decimal,
    pub rate: Decimal,
    pub wix_share: Decimal,
}

impl EventAmounts {
    /// Whether every amount is within [`MAX_EVENT_USD`] (the rate is a percent, 0 to 100).
    pub fn in_bounds(&self) -> bool {
        in_bounds(self.gross) && in_bounds(self.expenses) && in_bounds(self.net) && in_bounds(self.wix_share)
    }
}

/// Whether `rate` is a percent a schedule can hold: 0 to 100.
pub fn valid_rate(rate: Decimal) -> bool {
    rate >= Decimal::ZERO && rate <= Decimal::ONE_HUNDRED
}

/// `gross` signed by the billing type (negative for REFUND); `expenses` the USD fee when fees are
/// deducted; `net = gross − expenses`; `wix_share = round(net × rate / 100)`. None when an amount
/// is out of bounds ([`in_bounds`]) or the rate is not a percent.
pub fn event_amounts(billing: BillingType, usd: Usd, deduct_fees: bool, rate: Decimal) -> Option<EventAmounts> {
    let gross = match billing {
        BillingType::Charge => usd.gross.abs(),
        BillingType::Refund => -usd.gross.abs(),
    };
    let expenses = if deduct_fees { usd.fee } else { Decimal::ZERO };
    amounts_of(gross, expenses, rate)
}

/// `net = gross − expenses` and the share, checked.
fn amounts_of(gross: Decimal, expenses: Decimal, rate: Decimal) -> Option<EventAmounts> {
    if !(in_bounds(gross) && in_bounds(expenses) && valid_rate(rate)) {
        return None;
    }
    // Both below 10^15 and the rate at most 100: nothing below can overflow.
    let net = gross - expenses;
    let a = EventAmounts { gross, expenses, net, rate: rate.normalize(), wix_share: round_cents(percent_of(net, rate)) };
    a.in_bounds().then_some(a)
}

/// `v × percent / 100`, exactly: the product with its decimal point moved two places (no
/// division) when its scale allows, else divided. `v` below 10^15 and `percent` at most 100
/// (as [`amounts_of`] checks) cannot overflow.
fn percent_of(v: Decimal, percent: Decimal) -> Decimal {
    let product = v * percent;
    let mut moved = product;
    match moved.set_scale(product.scale() + 2) {
        Ok(()) => moved,
        Err(_) => product / Decimal::ONE_HUNDRED,
    }
}

/// A manual refund (SPEC §5): `gross = −amount`, `expenses = −returned fee` (when fees are
/// deducted), then the rules above. None when an amount is out of bounds.
pub fn manual_refund_amounts(amount: Decimal, fee_returned: Decimal, deduct_fees: bool, rate: Decimal) -> Option<EventAmounts> {
    if !(in_bounds(amount) && in_bounds(fee_returned)) {
        return None;
    }
    let gross = -round_cents(amount);
    let expenses = if deduct_fees { -round_cents(fee_returned) } else { Decimal::ZERO };
    amounts_of(gross, expenses, rate)
}

/// An FX rate is usable for at most this many days after its date.
pub const FX_MAX_AGE_DAYS: i64 = 7;

/// The operator's FX table: per currency, rates sorted by date.
#[derive(Debug, Default, Clone)]
pub struct FxTable {
    rates: std::collections::HashMap<String, Vec<(NaiveDate, Decimal)>>,
}

impl FxTable {
    pub fn insert(&mut self, currency: &str, date: NaiveDate, usd_per_unit: Decimal) {
        let v = self.rates.entry(currency.to_ascii_uppercase()).or_default();
        match v.binary_search_by_key(&date, |(d, _)| *d) {
            Ok(i) => v[i].1 = usd_per_unit,
            Err(i) => v.insert(i, (date, usd_per_unit)),
        }
    }

    /// The latest rate on or before `date`, at most [`FX_MAX_AGE_DAYS`] old.
    pub fn rate(&self, currency: &str, date: NaiveDate) -> Option<Decimal> {
        let v = self.rates.get(currency)?;
        let i = v.partition_point(|(d, _)| *d <= date);
        let (d, r) = v.get(i.checked_sub(1)?)?;
        ((date - *d).num_days() <= FX_MAX_AGE_DAYS).then_some(*r)
    }
}

/// The revenue-share schedule: effective-dated percents for the app, and per-instance overrides.
#[derive(Debug, Default, Clone)]
pub struct RateBook {
    app: Vec<(NaiveDate, Decimal)>,
    instances: std::collections::HashMap<String, Vec<(NaiveDate, Decimal)>>,
}

fn in_force(v: &[(NaiveDate, Decimal)], date: NaiveDate) -> Option<Decimal> {
    let i = v.partition_point(|(d, _)| *d <= date);
    v.get(i.checked_sub(1)?).map(|(_, p)| *p)
}

impl RateBook {
    pub fn insert(&mut self, from: NaiveDate, percent: Decimal, instance: Option<&str>) {
        let v = match instance {
            Some(i) => self.instances.entry(i.to_string()).or_default(),
            None => &mut self.app,
        };
        match v.binary_search_by_key(&from, |(d, _)| *d) {
            Ok(i) => v[i].1 = percent,
            Err(i) => v.insert(i, (from, percent)),
        }
    }

    /// The percent in force on `date` for `instance`: its override when one is in force, else
    /// the app's rate; none when nothing is in force yet.
    pub fn rate(&self, instance: &str, date: NaiveDate) -> Option<Decimal> {
        self.instances.get(instance).and_then(|v| in_force(v, date)).or_else(|| in_force(&self.app, date))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn row(gross: Decimal, fee: Decimal, net: Decimal, tax: Decimal) -> RowAmounts {
        RowAmounts { gross, fee, net, tax }
    }

    proptest::proptest! {
        #[test]
        fn percent_of_is_the_division_by_100(m in -10_000_000_000i64..10_000_000_000, s in 0u32..27, p in 0i64..100_000, ps in 0u32..5) {
            let (v, pct) = (Decimal::new(m, s), Decimal::new(p, ps));
            proptest::prop_assert_eq!(percent_of(v, pct), v * pct / Decimal::ONE_HUNDRED);
            proptest::prop_assert_eq!(round_cents(percent_of(v, pct)), round_cents(v * pct / Decimal::ONE_HUNDRED));
        }
    }

    fn odd_decimal() -> impl proptest::strategy::Strategy<Value = Decimal> {
        use proptest::prelude::*;
        prop_oneof![
            (any::<i64>(), 0u32..29).prop_map(|(m, s)| Decimal::new(m, s)),
            (any::<u32>(), any::<u32>(), any::<u32>(), any::<bool>(), 0u32..29).prop_map(|(l, m, h, n, s)| Decimal::from_parts(l, m, h, n, s)),
            Just(Decimal::MAX),
            Just(Decimal::MIN),
            Just(Decimal::ZERO),
            Just(Decimal::new(1, 28)),
        ]
    }

    proptest::proptest! {
        /// Whatever a ledger holds, the rules give amounts within bounds or nothing: never a panic.
        #[test]
        fn the_rules_never_panic_on_odd_decimals(
            g in odd_decimal(), f in odd_decimal(), n in odd_decimal(), t in odd_decimal(), x in odd_decimal(), r in odd_decimal(),
            deduct in proptest::bool::ANY,
        ) {
            let a = row(g, f, n, t);
            for conversion in [Conversion::Usd, Conversion::Linked { net_usd: x }, Conversion::Table { usd_per_unit: x }] {
                if let Some(usd) = to_usd(&a, conversion) {
                    proptest::prop_assert!(in_bounds(usd.gross) && in_bounds(usd.fee));
                    for billing in [BillingType::Charge, BillingType::Refund] {
                        if let Some(e) = event_amounts(billing, usd, deduct, r) {
                            proptest::prop_assert!(e.in_bounds() && valid_rate(e.rate));
                            proptest::prop_assert_eq!(e.net, e.gross - e.expenses);
                        }
                    }
                }
            }
            if let Some(m) = manual_refund_amounts(g, f, deduct, r) {
                proptest::prop_assert!(m.in_bounds());
            }
        }
    }

    #[test]
    fn impossible_amounts_give_nothing() {
        let huge = dec!(7922816251426433759354395033);
        assert_eq!(to_usd(&row(huge, dec!(0), huge, dec!(0)), Conversion::Usd), None);
        assert_eq!(to_usd(&row(huge, dec!(1), huge, dec!(0)), Conversion::Table { usd_per_unit: dec!(1.1) }), None);
        assert_eq!(to_usd(&row(dec!(10), dec!(1), dec!(9), dec!(0)), Conversion::Linked { net_usd: huge }), None);
        let big = Usd { gross: dec!(999999999999999.99), fee: dec!(-999999999999999.99) };
        assert_eq!(event_amounts(BillingType::Charge, big, true, dec!(20)), None, "net 2×10^15");
        assert_eq!(event_amounts(BillingType::Charge, Usd { gross: dec!(10), fee: dec!(0) }, true, dec!(1000)), None, "a rate above 100");
        assert_eq!(manual_refund_amounts(huge, dec!(0), true, dec!(20)), None);
        assert!(in_bounds(dec!(999999999999999.99)) && !in_bounds(dec!(1000000000000000)) && !in_bounds(dec!(-1000000000000000.0)));
    }

    #[test]
    fn half_cent_ties_round_away_from_zero_for_both_signs() {
        // 20 % of 10.125 (2.025) → 2.03, and of −10.125 → −2.03; a 0.005 row rounds to 0.01.
        let a = event_amounts(BillingType::Charge, Usd { gross: dec!(10.125), fee: Decimal::ZERO }, true, dec!(20)).unwrap();
        assert_eq!(a.wix_share, dec!(2.03));
        let r = event_amounts(BillingType::Refund, Usd { gross: dec!(10.125), fee: Decimal::ZERO }, true, dec!(20)).unwrap();
        assert_eq!(r.wix_share, dec!(-2.03));
        assert_eq!(to_usd(&row(dec!(0.005), dec!(-0.005), dec!(0), dec!(0)), Conversion::Usd).unwrap(), Usd { gross: dec!(0.01), fee: dec!(-0.01) });
    }

    #[test]
    fn linked_conversion_uses_the_usd_credit() {
        // FACTS: EUR 45.00 gross, fee 1.96, net 43.04, converted to USD 45.77.
        let usd = to_usd(&row(dec!(45.00), dec!(1.96), dec!(43.04), dec!(0)), Conversion::Linked { net_usd: dec!(45.77) }).unwrap();
        // 45 × 45.77 / 43.04 = 47.8531... → 47.85; fee = 47.85 − 45.77 = 2.08.
        assert_eq!(usd, Usd { gross: dec!(47.85), fee: dec!(2.08) });
    }

    #[test]
    fn table_conversion_rounds_each_value() {
        let usd = to_usd(&row(dec!(100.00), dec!(3.20), dec!(96.80), dec!(0)), Conversion::Table { usd_per_unit: dec!(1.08125) }).unwrap();
        assert_eq!(usd, Usd { gross: dec!(108.13), fee: dec!(3.46) });
    }

    #[test]
    fn sales_tax_is_taken_out_of_gross() {
        let usd = to_usd(&row(dec!(110.00), dec!(3.50), dec!(106.50), dec!(10.00)), Conversion::Usd).unwrap();
        assert_eq!(usd, Usd { gross: dec!(100.00), fee: dec!(3.50) });
        let refund = to_usd(&row(dec!(-110.00), dec!(-1.00), dec!(-109.00), dec!(10.00)), Conversion::Usd).unwrap();
        assert_eq!(refund.gross, dec!(-100.00));
    }

    #[test]
    fn refunds_with_a_returned_fee_and_disputes_with_a_fee() {
        // PayPal refund: gross −29.00, fee column +1.01 → normalised −1.01.
        let a = event_amounts(BillingType::Refund, Usd { gross: dec!(-29.00), fee: dec!(-1.01) }, true, dec!(20)).unwrap();
        assert_eq!((a.gross, a.expenses, a.net, a.wix_share), (dec!(-29.00), dec!(-1.01), dec!(-27.99), dec!(-5.60)));
        // Stripe dispute: −99.00 with a 15.00 dispute fee.
        let d = event_amounts(BillingType::Refund, Usd { gross: dec!(-99.00), fee: dec!(15.00) }, true, dec!(20)).unwrap();
        assert_eq!((d.net, d.wix_share), (dec!(-114.00), dec!(-22.80)));
        // A dispute reversal is a CHARGE.
        assert_eq!(crate::kinds::billing_type("dispute_reversal"), Some(BillingType::Charge));
        assert_eq!(crate::kinds::billing_type("dispute"), Some(BillingType::Refund));
        let m = manual_refund_amounts(dec!(29), dec!(1.01), true, dec!(20)).unwrap();
        assert_eq!((m.gross, m.expenses, m.net, m.wix_share), (dec!(-29.00), dec!(-1.01), dec!(-27.99), dec!(-5.60)));
    }

    #[test]
    fn fees_are_not_deducted_when_the_setting_is_off() {
        let a = event_amounts(BillingType::Charge, Usd { gross: dec!(29.00), fee: dec!(1.14) }, false, dec!(20)).unwrap();
        assert_eq!((a.expenses, a.net, a.wix_share), (dec!(0), dec!(29.00), dec!(5.80)));
    }

    #[test]
    fn rate_book_dates_and_overrides() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut book = RateBook::default();
        book.insert(d("2025-10-15"), dec!(0), None);
        book.insert(d("2026-10-15"), dec!(20), None);
        book.insert(d("2026-10-20"), dec!(10), Some("i1"));
        assert_eq!(book.rate("i2", d("2025-10-14")), None);
        assert_eq!(book.rate("i2", d("2026-10-14")), Some(dec!(0)));
        assert_eq!(book.rate("i2", d("2026-10-15")), Some(dec!(20)));
        assert_eq!(book.rate("i1", d("2026-10-19")), Some(dec!(20)));
        assert_eq!(book.rate("i1", d("2026-10-20")), Some(dec!(10)));
    }

    #[test]
    fn fx_rates_are_used_for_at_most_seven_days() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut fx = FxTable::default();
        fx.insert("EUR", d("2026-10-01"), dec!(1.08));
        assert_eq!(fx.rate("EUR", d("2026-09-30")), None);
        assert_eq!(fx.rate("EUR", d("2026-10-08")), Some(dec!(1.08)));
        assert_eq!(fx.rate("EUR", d("2026-10-09")), None);
        assert_eq!(fx.rate("GBP", d("2026-10-01")), None);
    }
}
