//! Row kinds: which of them make billing events, and Wix's billing type of each (vocabulary:
//! no SQL, no rule beyond the names).
use pl_wix::BillingType;

/// Row kinds that give billing events.
pub const EVENT_KINDS: [&str; 4] = ["charge", "refund", "dispute", "dispute_reversal"];

/// Wix's billing type of a row kind: `CHARGE` for charge and dispute_reversal; `REFUND` for
/// refund and dispute; none for kinds that give no event.
pub fn billing_type(kind: &str) -> Option<BillingType> {
    billing_type_bytes(kind.as_bytes())
}

/// [`billing_type`] of a kind's bytes (as the report's scans read them).
pub fn billing_type_bytes(kind: &[u8]) -> Option<BillingType> {
    match kind {
        b"charge" | b"dispute_reversal" => Some(BillingType::Charge),
        b"refund" | b"dispute" => Some(BillingType::Refund),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_kind_has_a_billing_type_and_no_other_kind_does() {
        for k in EVENT_KINDS {
            assert!(billing_type(k).is_some(), "{k}");
        }
        for k in ["sent", "unclassified", "skipped", "payout", "fee", "conversion", "CHARGE", ""] {
            assert_eq!(billing_type(k), None, "{k}");
        }
        assert_eq!(billing_type("dispute"), Some(BillingType::Refund));
        assert_eq!(billing_type("dispute_reversal"), Some(BillingType::Charge));
    }
}
