//! Stripe: itemized payout reconciliation and balance history exports.
//!
//! Categories and types are matched ignoring case. Known ones become their kind; known
//! non-revenue ones are skipped with their name as the reason: itemized `other_adjustment` (a
//! Stripe-side correction), `transfer`/`transfer_reversal` (Connect transfers), `topup`/
//! `topup_reversal` (funding the balance), `connect_reserved_funds`/`risk_reserved_funds`
//! (reserves); balance `transfer*`, `topup*`, `reserve_transaction`, `reserved_funds` and an
//! `adjustment` that is not a dispute. Any other category or type with money (gross or net not
//! zero) is `Unclassified`: an exception until the operator classifies it, never dropped; without
//! money it is skipped. A `charge` (or `payment`) with a negative gross and a `refund` or
//! `dispute` with a positive one are bad rows: the sign is never corrected.
use pl_money::NumberStyle;

use crate::dates::parse_utc;
use crate::engine::{non_empty, Col, Ctx, Headers, PrescanSpec, Rec};
use rust_decimal::Decimal;
use crate::{clip, Format, ImportError, ParseOptions, Row, RowError, RowKind};

/// The first `ch_…` / `py_…` token in a text ("Chargeback withdrawal for ch_x" → `ch_x`).
pub(crate) fn charge_id_in(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|w| (w.starts_with("ch_") || w.starts_with("py_")) && w.len() > 3)
        .map(str::to_string)
}

fn is_charge_id(s: &str) -> bool {
    s.starts_with("ch_") || s.starts_with("py_")
}

/// The itemized report's known categories (matched ignoring case) and their kinds.
const ITEMIZED_CATEGORIES: &[(&str, RowKind)] = &[
    ("charge", RowKind::Charge),
    ("refund", RowKind::Refund),
    ("dispute", RowKind::Dispute),
    ("dispute_reversal", RowKind::DisputeReversal),
    ("fee", RowKind::Fee),
    ("payout", RowKind::Payout),
    ("payout_reversal", RowKind::Payout),
    ("other_adjustment", RowKind::Skipped),
    ("transfer", RowKind::Skipped),
    ("transfer_reversal", RowKind::Skipped),
    ("topup", RowKind::Skipped),
    ("topup_reversal", RowKind::Skipped),
    ("connect_reserved_funds", RowKind::Skipped),
    ("risk_reserved_funds", RowKind::Skipped),
];

/// Columns of an itemized payout reconciliation report.
pub(crate) struct Itemized {
    txn: Col,
    created: Col,
    currency: Col,
    gross: Col,
    fee: Col,
    net: Col,
    category: Col,
    payout: Option<Col>,
    source: Option<Col>,
    description: Option<Col>,
    customer: Option<Col>,
    charge: Option<Col>,
    payment_meta: Option<Col>,
    refund_meta: Option<Col>,
}

impl Itemized {
    pub fn new(h: &Headers, opts: &ParseOptions) -> Result<Itemized, ImportError> {
        let f = Format::StripeItemized;
        let key = &opts.metadata_key;
        Ok(Itemized {
            txn: h.require(&f, &["balance_transaction_id"])?,
            created: h.require(&f, &["created_utc"])?,
            currency: h.require(&f, &["currency"])?,
            gross: h.require(&f, &["gross"])?,
            fee: h.require(&f, &["fee"])?,
            net: h.require(&f, &["net"])?,
            category: h.require(&f, &["reporting_category"])?,
            payout: h.find(&["automatic_payout_id", "payout_id"]),
            source: h.find(&["source_id"]),
            description: h.find(&["description"]),
            customer: h.find(&["customer_id"]),
            charge: h.find(&["charge_id"]),
            payment_meta: h.find(&[&format!("payment_metadata[{key}]")]),
            refund_meta: h.find(&[&format!("refund_metadata[{key}]")]),
        })
    }

    pub fn prescan(&self) -> PrescanSpec {
        PrescanSpec {
            date: Some(self.created.clone()),
            amounts: vec![self.gross.clone(), self.fee.clone(), self.net.clone()],
            default_style: NumberStyle::Point,
        }
    }

    pub fn row(&self, r: &Rec, ctx: &Ctx) -> Result<Row, RowError> {
        let txn = r.get(&self.txn)?;
        if txn.is_empty() {
            return Err(r.err(&self.txn, "the transaction id is empty".into()));
        }
        let category = r.get(&self.category)?;
        if category.is_empty() {
            return Err(r.err(&self.category, "the reporting category is empty".into()));
        }
        let gross = r.amount(&self.gross, ctx.style)?;
        let fee = r.amount_or_zero(Some(&self.fee), ctx.style)?;
        let net = match r.amount_opt(Some(&self.net), ctx.style)? {
            Some(n) => n,
            // Both within 12 integer digits: the difference cannot overflow.
            None => gross - fee,
        };
        // No allocation per row: this is the hot path of a million-row import.
        let known = ITEMIZED_CATEGORIES.iter().find(|(n, _)| n.eq_ignore_ascii_case(category)).map(|(_, k)| *k);
        let kind = match known {
            Some(k) => k,
            None if gross.is_zero() && net.is_zero() => RowKind::Skipped,
            None => RowKind::Unclassified,
        };
        check_sign(r, &self.gross, kind, gross, category)?;
        let mut row = r.row(kind, format!("stripe:{txn}"), txn.to_string());
        row.type_name = Some(category.to_string());
        if kind == RowKind::Skipped {
            let none = if known.is_some() { "" } else { " with no money" };
            row.skip_reason = Some(format!("reporting_category {}{none}", clip(category)));
        }
        let at = parse_utc(r.get(&self.created)?, ctx.order).map_err(|e| r.err(&self.created, e))?;
        row.occurred_at = r.in_range(&self.created, at, ctx)?;
        row.currency = r.currency(&self.currency)?;
        row.gross = gross;
        row.fee = fee;
        row.net = net;
        let source = r.opt(self.source.as_ref())?;
        let charge = r.opt(self.charge.as_ref())?;
        let description = r.opt(self.description.as_ref())?;
        row.description = non_empty(description);
        row.customer_key = r.opt_string(self.customer.as_ref())?;
        row.instance_meta = match r.opt_string(self.payment_meta.as_ref())? {
            Some(m) => Some(m),
            None => r.opt_string(self.refund_meta.as_ref())?,
        };
        row.payout_ref = r.opt_string(self.payout.as_ref())?;
        match kind {
            RowKind::Charge | RowKind::Unclassified => {
                row.charge_ref = non_empty(charge).or_else(|| is_charge_id(source).then(|| source.to_string()))
            }
            RowKind::Refund | RowKind::Dispute | RowKind::DisputeReversal => {
                row.original_ref = non_empty(charge).or_else(|| charge_id_in(description))
            }
            RowKind::Payout if source.starts_with("po_") => row.payout_ref = Some(source.to_string()),
            _ => {}
        }
        Ok(row)
    }
}

/// Columns of a balance history ("All activity") export.
pub(crate) struct Balance {
    id: Col,
    kind: Col,
    source: Option<Col>,
    amount: Col,
    fee: Option<Col>,
    net: Col,
    currency: Col,
    created: Col,
    description: Option<Col>,
    customer: Option<Col>,
    transfer: Option<Col>,
    meta: Option<Col>,
}

impl Balance {
    pub fn new(h: &Headers, opts: &ParseOptions) -> Result<Balance, ImportError> {
        let f = Format::StripeBalance;
        Ok(Balance {
            id: h.require(&f, &["id"])?,
            kind: h.require(&f, &["Type"])?,
            source: h.find(&["Source"]),
            amount: h.require(&f, &["Amount"])?,
            fee: h.find(&["Fee"]),
            net: h.require(&f, &["Net"])?,
            currency: h.require(&f, &["Currency"])?,
            created: h.require(&f, &["Created (UTC)", "Created"])?,
            description: h.find(&["Description"]),
            customer: h.find(&["Customer ID", "customer_id"]),
            transfer: h.find(&["Transfer"]),
            meta: h.find(&[&format!("{} (metadata)", opts.metadata_key)]),
        })
    }

    pub fn prescan(&self) -> PrescanSpec {
        let mut amounts = vec![self.amount.clone(), self.net.clone()];
        amounts.extend(self.fee.clone());
        PrescanSpec { date: Some(self.created.clone()), amounts, default_style: NumberStyle::Point }
    }

    pub fn row(&self, r: &Rec, ctx: &Ctx) -> Result<Row, RowError> {
        let id = r.get(&self.id)?;
        if id.is_empty() {
            return Err(r.err(&self.id, "the transaction id is empty".into()));
        }
        let typ = r.get(&self.kind)?;
        if typ.is_empty() {
            return Err(r.err(&self.kind, "the type is empty".into()));
        }
        let description = r.opt(self.description.as_ref())?;
        let gross = r.amount(&self.amount, ctx.style)?;
        let fee = r.amount_or_zero(self.fee.as_ref(), ctx.style)?;
        let net = match r.amount_opt(Some(&self.net), ctx.style)? {
            Some(n) => n,
            // Both within 12 integer digits: the difference cannot overflow.
            None => gross - fee,
        };
        let mut skip = None;
        let kind = match typ.to_ascii_lowercase().as_str() {
            "charge" | "payment" => RowKind::Charge,
            "refund" | "payment_refund" => RowKind::Refund,
            "dispute" => RowKind::Dispute,
            "adjustment" => {
                let lower_desc = description.to_lowercase();
                let disputed = lower_desc.contains("chargeback") || lower_desc.contains("dispute");
                // A dispute's direction is its money's: withdrawn, or given back.
                if disputed && gross.is_sign_positive() && !gross.is_zero() {
                    RowKind::DisputeReversal
                } else if disputed {
                    RowKind::Dispute
                } else {
                    skip = Some(format!("adjustment `{}`", clip(description)));
                    RowKind::Skipped
                }
            }
            "payout" | "payout_cancel" | "payout_failure" => RowKind::Payout,
            "stripe_fee" | "application_fee" | "fee" => RowKind::Fee,
            "transfer" | "transfer_cancel" | "transfer_failure" | "transfer_refund" | "topup" | "topup_reversal"
            | "reserve_transaction" | "reserved_funds" => {
                skip = Some(format!("type {}", clip(typ)));
                RowKind::Skipped
            }
            _ if gross.is_zero() && net.is_zero() => {
                skip = Some(format!("type {} with no money", clip(typ)));
                RowKind::Skipped
            }
            _ => RowKind::Unclassified,
        };
        check_sign(r, &self.amount, kind, gross, typ)?;
        let mut row = r.row(kind, format!("stripe:{id}"), id.to_string());
        row.skip_reason = skip;
        row.type_name = Some(typ.to_string());
        let at = parse_utc(r.get(&self.created)?, ctx.order).map_err(|e| r.err(&self.created, e))?;
        row.occurred_at = r.in_range(&self.created, at, ctx)?;
        row.currency = r.currency(&self.currency)?;
        row.gross = gross;
        row.fee = fee;
        row.net = net;
        row.description = non_empty(description);
        row.customer_key = r.opt_string(self.customer.as_ref())?;
        row.instance_meta = r.opt_string(self.meta.as_ref())?;
        row.payout_ref = r.opt_string(self.transfer.as_ref())?;
        let source = r.opt(self.source.as_ref())?;
        match kind {
            RowKind::Charge | RowKind::Unclassified => row.charge_ref = non_empty(source),
            RowKind::Refund | RowKind::Dispute | RowKind::DisputeReversal => {
                row.original_ref = if is_charge_id(source) { Some(source.to_string()) } else { charge_id_in(description) }
            }
            RowKind::Payout if source.starts_with("po_") => row.payout_ref = Some(source.to_string()),
            _ => {}
        }
        Ok(row)
    }
}

/// A charge's money comes in, a refund's or dispute's goes out: the opposite sign is a bad row
/// (never corrected with `abs()`).
fn check_sign(r: &Rec, col: &Col, kind: RowKind, gross: Decimal, name: &str) -> Result<(), RowError> {
    let wrong = match kind {
        RowKind::Charge => gross.is_sign_negative() && !gross.is_zero(),
        RowKind::Refund | RowKind::Dispute => gross.is_sign_positive() && !gross.is_zero(),
        _ => false,
    };
    if wrong {
        let should = if kind == RowKind::Charge { "money in (zero or positive)" } else { "money out (negative)" };
        return Err(r.err(col, format!("a `{}` of {gross}: a {kind} is {should}; check the row", clip(name))));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charge_in_description() {
        assert_eq!(charge_id_in("Chargeback withdrawal for ch_3PBq2m").as_deref(), Some("ch_3PBq2m"));
        assert_eq!(charge_id_in("REFUND FOR CHARGE (Pro plan)"), None);
        assert_eq!(charge_id_in("Refund for py_12 (x)").as_deref(), Some("py_12"));
    }
}
