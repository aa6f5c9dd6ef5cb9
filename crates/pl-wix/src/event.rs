use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// Charge or refund, as Wix's `billingType` (serialised as its wire value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BillingType {
    /// `CHARGE`
    Charge,
    /// `REFUND`
    Refund,
}

impl BillingType {
    /// The wire value: `CHARGE` or `REFUND`.
    pub fn as_str(self) -> &'static str {
        match self {
            BillingType::Charge => "CHARGE",
            BillingType::Refund => "REFUND",
        }
    }

    /// The type of a wire value (exactly `CHARGE` or `REFUND`).
    pub fn parse(wire: &str) -> Option<BillingType> {
        match wire {
            "CHARGE" => Some(BillingType::Charge),
            "REFUND" => Some(BillingType::Refund),
            _ => None,
        }
    }
}

/// One external billing event for one app instance, amounts in USD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingEvent {
    /// The app instance (site installation) the money belongs to.
    pub instance_id: String,
    /// Gross revenue without sales tax; negative for refunds.
    pub gross_revenue: Decimal,
    /// Gross minus agreed expenses.
    pub net_revenue: Decimal,
    /// Wix's share, taken from net.
    pub wix_share: Decimal,
    /// When the transaction happened (sent with whole seconds).
    pub created_date: DateTime<Utc>,
    /// Charge or refund.
    pub billing_type: BillingType,
}

/// Decimal as a string keeping its scale ("-49.00"), never a float.
pub(crate) fn amount(d: &Decimal) -> Value {
    Value::String(d.to_string())
}

/// RFC 3339 with `Z` and whole seconds.
pub(crate) fn wire_date(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl BillingEvent {
    /// The `{"event": {...}}` body; `app_id` is included (API-key flow) when given.
    pub fn to_body(&self, app_id: Option<&str>) -> Value {
        let mut ev = Map::new();
        if let Some(app) = app_id {
            ev.insert("appId".into(), Value::String(app.to_string()));
        }
        ev.insert("instanceId".into(), Value::String(self.instance_id.clone()));
        ev.insert("grossRevenue".into(), amount(&self.gross_revenue));
        ev.insert("netRevenue".into(), amount(&self.net_revenue));
        ev.insert("wixShare".into(), amount(&self.wix_share));
        ev.insert("createdDate".into(), Value::String(wire_date(&self.created_date)));
        ev.insert("billingType".into(), Value::String(self.billing_type.as_str().into()));
        let mut root = Map::new();
        root.insert("event".into(), Value::Object(ev));
        Value::Object(root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::str::FromStr;

    #[test]
    fn body_is_camel_case_with_string_amounts() {
        let ev = BillingEvent {
            instance_id: "inst-1".into(),
            gross_revenue: Decimal::from_str("-49.00").unwrap(),
            net_revenue: Decimal::from_str("-47.50").unwrap(),
            wix_share: Decimal::from_str("-9.5000").unwrap(),
            created_date: Utc.with_ymd_and_hms(2026, 10, 2, 10, 0, 0).unwrap()
                + chrono::Duration::milliseconds(789),
            billing_type: BillingType::Refund,
        };
        let body = ev.to_body(Some("app-1"));
        assert_eq!(
            body,
            serde_json::json!({"event": {
                "appId": "app-1", "instanceId": "inst-1",
                "grossRevenue": "-49.00", "netRevenue": "-47.50", "wixShare": "-9.5000",
                "createdDate": "2026-10-02T10:00:00Z", "billingType": "REFUND"}})
        );
        assert!(ev.to_body(None)["event"].get("appId").is_none());
    }

    #[test]
    fn billing_types_read_and_write_their_wire_values() {
        for t in [BillingType::Charge, BillingType::Refund] {
            assert_eq!(BillingType::parse(t.as_str()), Some(t));
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{}\"", t.as_str()));
            assert_eq!(serde_json::from_str::<BillingType>(&format!("\"{}\"", t.as_str())).unwrap(), t);
        }
        assert_eq!(BillingType::parse("charge"), None);
        assert!(serde_json::from_str::<BillingType>("\"Refund\"").is_err());
    }
}
