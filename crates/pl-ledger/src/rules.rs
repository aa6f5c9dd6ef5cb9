//! The money rules of SPEC §3 and §4, as plain functions over decimals. This file is the one
//! place that says how a processor row becomes a billing event's amounts.
//!
//! Invariant: no float; every USD value is rounded to cents, half away from zero, at the steps
//! named here and nowhere else.
use chrono::NaiveDate;
use pl_money::round_cents;
use rust_decimal::Decimal;

/// Wix's two billing types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillingType {
    Charge,
    Refund,
}

impl BillingType {
    /// `CHARGE` for charge and dispute_reversal; `REFUND` for refund and dispute.
    pub fn of_kind(kind: &str) -> Option<BillingType> {
        match kind {
            "charge" | "dispute_reversal" => Some(BillingType::Charge),
            "refund" | "dispute" => Some(BillingType::Refund),
            _ => None,
        }
    }

    /// [`BillingType::of_kind`] of a kind's bytes.
    pub fn of_kind_bytes(kind: &[u8]) -> Option<BillingType> {
        match kind {
            b"charge" | b"dispute_reversal" => Some(BillingType::Charge),
            b"refund" | b"dispute" => Some(BillingType::Refund),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BillingType::Charge => "CHARGE",
            BillingType::Refund => "REFUND",
        }
    }
}

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

/// SPEC §3 conversion to USD. Sales tax on the row is taken out of gross.
pub fn to_usd(a: &RowAmounts, conversion: Conversion) -> Usd {
    let tax = signed_tax(a);
    match conversion {
        Conversion::Usd => Usd { gross: round_cents(a.gross - tax), fee: round_cents(a.fee) },
        Conversion::Linked { net_usd } => {
            // gross_usd = round(gross × net_usd / net); fee_usd = gross_usd − net_usd.
            let net_usd = round_cents(net_usd);
            let gross_usd = if a.net.is_zero() { net_usd } else { round_cents(a.gross * net_usd / a.net) };
            let tax_usd = if a.net.is_zero() { Decimal::ZERO } else { round_cents(tax * net_usd / a.net) };
            Usd { gross: gross_usd - tax_usd, fee: gross_usd - net_usd }
        }
        Conversion::Table { usd_per_unit } => {
            Usd { gross: round_cents((a.gross - tax) * usd_per_unit), fee: round_cents(a.fee * usd_per_unit) }
        }
    }
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

/// `gross` signed by the billing type (negative for REFUND); `expenses` the USD fee when fees are
/// deducted; `net = gross − expenses`; `wix_share = round(net × rate / 100)`.
pub fn event_amounts(billing: BillingType, usd: Usd, deduct_fees: bool, rate: Decimal) -> EventAmounts {
    let gross = match billing {
        BillingType::Charge => usd.gross.abs(),
        BillingType::Refund => -usd.gross.abs(),
    };
    let expenses = if deduct_fees { usd.fee } else { Decimal::ZERO };
    let net = gross - expenses;
    EventAmounts { gross, expenses, net, rate: rate.normalize(), wix_share: round_cents(percent_of(net, rate)) }
}

/// `v × percent / 100`, exactly: the product with its decimal point moved two places (no
/// division) when its scale allows, else divided.
fn percent_of(v: Decimal, percent: Decimal) -> Decimal {
    let product = v * percent;
    let mut moved = product;
    match moved.set_scale(product.scale() + 2) {
        Ok(()) => moved,
        Err(_) => product / Decimal::ONE_HUNDRED,
    }
}

/// A manual refund (SPEC §5): `gross = −amount`, `expenses = −returned fee` (when fees are
/// deducted), then the rules above.
pub fn manual_refund_amounts(amount: Decimal, fee_returned: Decimal, deduct_fees: bool, rate: Decimal) -> EventAmounts {
    let gross = -round_cents(amount);
    let expenses = if deduct_fees { -round_cents(fee_returned) } else { Decimal::ZERO };
    let net = gross - expenses;
    EventAmounts { gross, expenses, net, rate: rate.normalize(), wix_share: round_cents(percent_of(net, rate)) }
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

    #[test]
    fn half_cent_ties_round_away_from_zero_for_both_signs() {
        // 20 % of 10.125 (2.025) → 2.03, and of −10.125 → −2.03; a 0.005 row rounds to 0.01.
        let a = event_amounts(BillingType::Charge, Usd { gross: dec!(10.125), fee: Decimal::ZERO }, true, dec!(20));
        assert_eq!(a.wix_share, dec!(2.03));
        let r = event_amounts(BillingType::Refund, Usd { gross: dec!(10.125), fee: Decimal::ZERO }, true, dec!(20));
        assert_eq!(r.wix_share, dec!(-2.03));
        assert_eq!(to_usd(&row(dec!(0.005), dec!(-0.005), dec!(0), dec!(0)), Conversion::Usd), Usd { gross: dec!(0.01), fee: dec!(-0.01) });
    }

    #[test]
    fn linked_conversion_uses_the_usd_credit() {
        // FACTS: EUR 45.00 gross, fee 1.96, net 43.04, converted to USD 45.77.
        let usd = to_usd(&row(dec!(45.00), dec!(1.96), dec!(43.04), dec!(0)), Conversion::Linked { net_usd: dec!(45.77) });
        // 45 × 45.77 / 43.04 = 47.8531... → 47.85; fee = 47.85 − 45.77 = 2.08.
        assert_eq!(usd, Usd { gross: dec!(47.85), fee: dec!(2.08) });
    }

    #[test]
    fn table_conversion_rounds_each_value() {
        let usd = to_usd(&row(dec!(100.00), dec!(3.20), dec!(96.80), dec!(0)), Conversion::Table { usd_per_unit: dec!(1.08125) });
        assert_eq!(usd, Usd { gross: dec!(108.13), fee: dec!(3.46) });
    }

    #[test]
    fn sales_tax_is_taken_out_of_gross() {
        let usd = to_usd(&row(dec!(110.00), dec!(3.50), dec!(106.50), dec!(10.00)), Conversion::Usd);
        assert_eq!(usd, Usd { gross: dec!(100.00), fee: dec!(3.50) });
        let refund = to_usd(&row(dec!(-110.00), dec!(-1.00), dec!(-109.00), dec!(10.00)), Conversion::Usd);
        assert_eq!(refund.gross, dec!(-100.00));
    }

    #[test]
    fn refunds_with_a_returned_fee_and_disputes_with_a_fee() {
        // PayPal refund: gross −29.00, fee column +1.01 → normalised −1.01.
        let a = event_amounts(BillingType::Refund, Usd { gross: dec!(-29.00), fee: dec!(-1.01) }, true, dec!(20));
        assert_eq!((a.gross, a.expenses, a.net, a.wix_share), (dec!(-29.00), dec!(-1.01), dec!(-27.99), dec!(-5.60)));
        // Stripe dispute: −99.00 with a 15.00 dispute fee.
        let d = event_amounts(BillingType::Refund, Usd { gross: dec!(-99.00), fee: dec!(15.00) }, true, dec!(20));
        assert_eq!((d.net, d.wix_share), (dec!(-114.00), dec!(-22.80)));
        // A dispute reversal is a CHARGE.
        assert_eq!(BillingType::of_kind("dispute_reversal"), Some(BillingType::Charge));
        assert_eq!(BillingType::of_kind("dispute"), Some(BillingType::Refund));
        let m = manual_refund_amounts(dec!(29), dec!(1.01), true, dec!(20));
        assert_eq!((m.gross, m.expenses, m.net, m.wix_share), (dec!(-29.00), dec!(-1.01), dec!(-27.99), dec!(-5.60)));
    }

    #[test]
    fn fees_are_not_deducted_when_the_setting_is_off() {
        let a = event_amounts(BillingType::Charge, Usd { gross: dec!(29.00), fee: dec!(1.14) }, false, dec!(20));
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
