//! PayPal Activity download, English or German headers.
//!
//! German header names confirmed by FACTS.md: `Datum`, `Brutto`, `Gebühr`, `Netto`,
//! `Transaktionscode`, `Zugehöriger Transaktionscode`, `Auswirkung auf Guthaben`; values
//! `Abgeschlossen`, `Allgemeine Währungsumrechnung`, `Haben`, `Soll`. The other German names and
//! values below (`Uhrzeit`, `Zeitzone`, `Typ`, `Währung`, `Absender E-Mail-Adresse`,
//! `Empfänger E-Mail-Adresse`, `Artikelbezeichnung`, `Umsatzsteuer`, `Rechnungsnummer`,
//! `Zollnummer` / `Benutzerdefinierte Nummer`, the German transaction types) are our best reading
//! of PayPal's German exports, unconfirmed: an unknown German type is skipped (never guessed).

use pl_money::NumberStyle;
use rust_decimal::Decimal;

use crate::dates::{parse_time, resolve, split_date, to_utc, tz_offset};
use crate::engine::{Col, Ctx, Headers, PrescanSpec, Rec};
use crate::{Format, ImportError, Row, RowError, RowKind};

const DATE: &[&str] = &["Date", "Datum"];
const TIME: &[&str] = &["Time", "Uhrzeit"];
const TZ: &[&str] = &["TimeZone", "Time Zone", "Zeitzone"];
const TYPE: &[&str] = &["Type", "Typ"];
const STATUS: &[&str] = &["Status"];
const CURRENCY: &[&str] = &["Currency", "Währung"];
const GROSS: &[&str] = &["Gross", "Brutto"];
const FEE: &[&str] = &["Fee", "Gebühr", "Gebühren"];
const NET: &[&str] = &["Net", "Netto"];
const FROM: &[&str] = &["From Email Address", "Absender E-Mail-Adresse", "Absender-E-Mail-Adresse"];
const TO: &[&str] = &["To Email Address", "Empfänger E-Mail-Adresse", "Empfänger-E-Mail-Adresse"];
const TXN: &[&str] = &["Transaction ID", "Transaktionscode"];
const ITEM: &[&str] = &["Item Title", "Artikelbezeichnung"];
const TAX: &[&str] = &["Sales Tax", "Umsatzsteuer"];
const REF: &[&str] = &["Reference Txn ID", "Zugehöriger Transaktionscode"];
const CUSTOM: &[&str] = &["Custom Number", "Zollnummer", "Benutzerdefinierte Nummer"];
const IMPACT: &[&str] = &["Balance Impact", "Auswirkung auf Guthaben"];
const BALANCE: &[&str] = &["Balance", "Guthaben"];

/// Whether a header looks like a PayPal activity download.
pub(crate) fn looks_like(h: &Headers) -> bool {
    h.find(TXN).is_some() && h.find(GROSS).is_some() && h.find(TYPE).is_some() && h.find(DATE).is_some()
}

/// Columns of a PayPal activity download.
pub(crate) struct Paypal {
    german: bool,
    date: Col,
    time: Col,
    tz: Col,
    typ: Col,
    status: Col,
    currency: Col,
    gross: Col,
    fee: Option<Col>,
    net: Option<Col>,
    from: Option<Col>,
    to: Option<Col>,
    txn: Col,
    item: Option<Col>,
    tax: Option<Col>,
    reference: Option<Col>,
    custom: Option<Col>,
    impact: Option<Col>,
    balance: Option<Col>,
}

impl Paypal {
    pub fn new(h: &Headers) -> Result<Paypal, ImportError> {
        let f = Format::PaypalActivity;
        let gross = h.require(&f, GROSS)?;
        Ok(Paypal {
            german: gross.name.eq_ignore_ascii_case("Brutto"),
            date: h.require(&f, DATE)?,
            time: h.require(&f, TIME)?,
            tz: h.require(&f, TZ)?,
            typ: h.require(&f, TYPE)?,
            status: h.require(&f, STATUS)?,
            currency: h.require(&f, CURRENCY)?,
            gross,
            fee: h.find(FEE),
            net: h.find(NET),
            from: h.find(FROM),
            to: h.find(TO),
            txn: h.require(&f, TXN)?,
            item: h.find(ITEM),
            tax: h.find(TAX),
            reference: h.find(REF),
            custom: h.find(CUSTOM),
            impact: h.find(IMPACT),
            balance: h.find(BALANCE),
        })
    }

    pub fn prescan(&self) -> PrescanSpec {
        let mut amounts = vec![self.gross.clone()];
        amounts.extend(self.fee.clone());
        amounts.extend(self.net.clone());
        amounts.extend(self.balance.clone());
        amounts.extend(self.tax.clone());
        PrescanSpec {
            date: Some(self.date.clone()),
            amounts,
            default_style: if self.german { NumberStyle::Comma } else { NumberStyle::Point },
        }
    }

    pub fn row(&self, r: &Rec, ctx: &Ctx) -> Result<Row, RowError> {
        let txn = r.get(&self.txn)?;
        if txn.is_empty() {
            return Err(r.err(&self.txn, "the transaction id is empty".into()));
        }
        let typ = r.get(&self.typ)?;
        let status = r.get(&self.status)?;
        let impact = r.opt(self.impact.as_ref())?;
        let currency = r.currency(&self.currency)?;
        let gross = r.amount(&self.gross, ctx.style)?;
        let fee_raw = r.amount_or_zero(self.fee.as_ref(), ctx.style)?;

        // Date, time and zone → UTC.
        let date_s = r.get(&self.date)?;
        let (parts, _) = split_date(date_s).map_err(|e| r.err(&self.date, e))?;
        let date = resolve(parts, ctx.order, date_s).map_err(|e| r.err(&self.date, e))?;
        let time = parse_time(r.get(&self.time)?).map_err(|e| r.err(&self.time, e))?;
        let tz_s = r.get(&self.tz)?;
        let off = tz_offset(tz_s)
            .ok_or_else(|| r.err(&self.tz, format!("unknown time zone abbreviation `{tz_s}`")))?;

        let completed = is_completed(status);
        let memo = impact.eq_ignore_ascii_case("Memo");
        let base = strip_update(typ);
        let (kind, skip) = if !completed {
            (RowKind::Skipped, Some(format!("status {status}")))
        } else if memo {
            (RowKind::Skipped, Some(format!("balance impact {impact}")))
        } else {
            match classify(base) {
                Some(k) => (k, None),
                None => (RowKind::Skipped, Some(format!("type {typ}"))),
            }
        };

        let mut key = format!("paypal:{txn}|{typ}|{currency}|{}", key_decimal(gross));
        if !completed {
            key.push('|');
            key.push_str(status);
        }
        let mut row = r.row(kind, key, txn.to_string());
        row.skip_reason = skip;
        row.occurred_at = to_utc(date, time, off);
        row.currency = currency;
        row.gross = gross;
        row.fee = if fee_raw.is_zero() { fee_raw.abs() } else { -fee_raw };
        row.net = match r.amount_opt(self.net.as_ref(), ctx.style)? {
            Some(n) => n,
            None => gross + fee_raw,
        };
        row.tax = r.amount_or_zero(self.tax.as_ref(), ctx.style)?;
        row.instance_meta = r.opt_string(self.custom.as_ref())?;
        row.description = r.opt_string(self.item.as_ref())?;
        let reference = r.opt_string(self.reference.as_ref())?;
        // The counterparty: the payer of a receipt, the receiver of money going out.
        let counterparty = if gross.is_sign_negative() && !gross.is_zero() { self.to.as_ref() } else { self.from.as_ref() };
        let kind_for_refs = if kind == RowKind::Skipped { classify(base).unwrap_or(RowKind::Skipped) } else { kind };
        match kind_for_refs {
            RowKind::Charge => {
                row.charge_ref = Some(txn.to_string());
                row.customer_key = r.opt_string(counterparty)?;
            }
            RowKind::Refund | RowKind::Dispute | RowKind::DisputeReversal => {
                row.original_ref = reference;
                row.customer_key = r.opt_string(counterparty)?;
            }
            RowKind::Conversion => row.conversion_ref = reference,
            RowKind::Payout => row.payout_ref = Some(txn.to_string()),
            _ => {}
        }
        Ok(row)
    }
}

/// The gross in the dedup key: normalised, so `29.00`, `29` and `29,00` give `29`.
fn key_decimal(d: Decimal) -> String {
    if d.is_zero() {
        "0".into()
    } else {
        d.normalize().to_string()
    }
}

fn is_completed(status: &str) -> bool {
    status.eq_ignore_ascii_case("Completed") || status.eq_ignore_ascii_case("Abgeschlossen")
}

/// `Update to eCheck Received` → `eCheck Received`.
fn strip_update(typ: &str) -> &str {
    for p in ["Update to ", "Aktualisierung für ", "Aktualisierung zu ", "Aktualisierung von "] {
        if typ.len() > p.len() && typ.is_char_boundary(p.len()) && typ[..p.len()].eq_ignore_ascii_case(p) {
            return typ[p.len()..].trim();
        }
    }
    typ
}

/// German transaction types (lower case) → English. Unconfirmed beyond the currency conversion.
const GERMAN_TYPES: &[(&str, &str)] = &[
    ("allgemeine währungsumrechnung", "general currency conversion"),
    ("währungsumrechnung", "general currency conversion"),
    ("express-checkout-zahlung", "express checkout payment"),
    ("abonnementzahlung", "subscription payment"),
    ("website-zahlung", "website payment"),
    ("mobile zahlung", "mobile payment"),
    ("zahlung erhalten", "payment received"),
    ("echeck-zahlung erhalten", "echeck received"),
    ("rechnungszahlung", "invoice payment"),
    ("rückzahlung", "payment refund"),
    ("zahlungsrückerstattung", "payment refund"),
    ("rückerstattung", "refund"),
    ("rückbuchung", "chargeback"),
    ("rückbuchungsstornierung", "chargeback reversal"),
    ("stornierung der rückbuchung", "chargeback reversal"),
    ("allgemeine abbuchung", "general withdrawal"),
    ("allgemeine abhebung", "general withdrawal"),
    ("abbuchung", "withdrawal"),
    ("zahlungseinbehaltung", "payment hold"),
    ("zahlungsfreigabe", "payment release"),
    ("kontoeinbehaltung", "account hold"),
    ("gebühr", "fee"),
];

/// The kind of a (completed, non-memo) PayPal transaction type; `None` for unknown types.
pub(crate) fn classify(typ: &str) -> Option<RowKind> {
    let mut t = typ.trim().to_lowercase();
    if let Some((_, en)) = GERMAN_TYPES.iter().find(|(de, _)| *de == t) {
        t = en.to_string();
    }
    let t = t.as_str();
    let starts = |ps: &[&str]| ps.iter().any(|p| t.starts_with(p));
    if t.contains("currency conversion") {
        Some(RowKind::Conversion)
    } else if t.contains("hold") || t.contains("reserve") || t.contains("payment release") || t.starts_with("release") {
        Some(RowKind::Hold)
    } else if t.starts_with("chargeback reversal") || t.starts_with("cancellation of") {
        Some(RowKind::DisputeReversal)
    } else if t == "fee" || t.ends_with(" fee") || t.contains(" fee ") || t.starts_with("fee ") {
        Some(RowKind::Fee)
    } else if t.starts_with("chargeback") {
        Some(RowKind::Dispute)
    } else if t == "payment refund" || t == "refund" || t.ends_with(" refund") {
        Some(RowKind::Refund)
    } else if t.contains("withdrawal") {
        Some(RowKind::Payout)
    } else if starts(&[
        "express checkout payment",
        "subscription payment",
        "website payment",
        "mobile payment",
        "payment received",
        "echeck received",
        "preapproved payment",
        "invoice payment",
        "recurring payment",
        "web accept payment",
        "shopping cart payment",
        "virtual terminal payment",
        "pos payment",
        "donation payment",
    ]) || t.ends_with("payment received")
    {
        Some(RowKind::Charge)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types() {
        assert_eq!(classify("Express Checkout Payment"), Some(RowKind::Charge));
        assert_eq!(classify("PreApproved Payment Bill User Payment"), Some(RowKind::Charge));
        assert_eq!(classify("Payment Refund"), Some(RowKind::Refund));
        assert_eq!(classify("Chargeback"), Some(RowKind::Dispute));
        assert_eq!(classify("Chargeback Fee"), Some(RowKind::Fee));
        assert_eq!(classify("Chargeback Reversal"), Some(RowKind::DisputeReversal));
        assert_eq!(classify("Cancellation of Hold for Dispute Resolution"), Some(RowKind::Hold));
        assert_eq!(classify("General Currency Conversion"), Some(RowKind::Conversion));
        assert_eq!(classify("Allgemeine Währungsumrechnung"), Some(RowKind::Conversion));
        assert_eq!(classify("General Withdrawal"), Some(RowKind::Payout));
        assert_eq!(classify("Payment Hold"), Some(RowKind::Hold));
        assert_eq!(classify("Payment Release"), Some(RowKind::Hold));
        assert_eq!(classify("Account Hold for Open Authorization"), Some(RowKind::Hold));
        assert_eq!(classify("Payment Sent"), None);
        assert_eq!(strip_update("Update to eCheck Received"), "eCheck Received");
        assert_eq!(key_decimal(Decimal::new(2900, 2)), "29");
        assert_eq!(key_decimal(Decimal::new(-0, 2)), "0");
    }
}
