//! Amounts on rust_decimal: ISO-4217 minor units, locale-aware parsing, fixed-decimal printing, half-away-from-zero rounding.
