//! PayPal Activity download, English or German headers.
//!
//! German header names confirmed by FACTS.md: `Datum`, `Brutto`, `Gebühr`, `Netto`,
//! `Transaktionscode`, `Zugehöriger Transaktionscode`, `Auswirkung auf Guthaben`; values
//! `Abgeschlossen`, `Allgemeine Währungsumrechnung`, `Haben`, `Soll`. The other German names and
//! values below (`Uhrzeit`, `Zeitzone`, `Typ`, `Währung`, `Absender E-Mail-Adresse`,
//! `Empfänger E-Mail-Adresse`, `Artikelbezeichnung`, `Umsatzsteuer`, `Rechnungsnummer`,
//! `Zollnummer` / `Benutzerdefinierte Nummer`, the German transaction types) are our best reading
//! of PayPal's German exports, unconfirmed.
//!
//! Direction (SPEC §2): a row's money goes out when its `Balance Impact` is `Debit`/`Soll`, or,
//! without one, when its gross is negative; `Credit`/`Haben` with a negative gross (or the
//! reverse) is a bad row. Money out is a refund only when it pays a customer back (a refund type,
//! a chargeback); a payment-type or unknown-type row going out is `Sent`, with `original_ref` set
//! to its `Reference Txn ID` when it has one (a refund candidate the ledger may promote). Money in
//! under a type not known here is `Unclassified`, never skipped; known non-revenue types
//! (conversions, holds and releases, withdrawals, deposits, card funding, transfers,
//! authorizations, cart items) are skipped or kept as their kind with a reason. An empty type, an
//! empty or unknown status and an unknown balance impact are bad rows.

use pl_money::NumberStyle;
use rust_decimal::Decimal;

use crate::dates::{parse_time, resolve, split_date, to_utc, tz_offset};
use crate::engine::{Col, Ctx, Headers, PrescanSpec, Rec};
use crate::{clip, Format, ImportError, Row, RowError, RowKind};

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
        if typ.is_empty() {
            return Err(r.err(&self.typ, "the type is empty".into()));
        }
        let status = r.get(&self.status)?;
        let completed = match status_completed(status) {
            Some(c) => c,
            None if status.is_empty() => return Err(r.err(&self.status, "the status is empty".into())),
            None => {
                return Err(r.err(
                    &self.status,
                    format!("`{}` is not a PayPal status (Completed, Pending, Denied, Reversed, ...)", clip(status)),
                ))
            }
        };
        let impact_s = r.opt(self.impact.as_ref())?;
        let impact = match Impact::parse(impact_s) {
            Some(i) => i,
            None => {
                let col = self.impact.as_ref().unwrap_or(&self.typ);
                return Err(r.err(col, format!("`{}` is not Credit, Debit or Memo", clip(impact_s))));
            }
        };
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
            .ok_or_else(|| r.err(&self.tz, format!("unknown time zone abbreviation `{}`", clip(tz_s))))?;
        let occurred_at = r.in_range(&self.date, to_utc(date, time, off), ctx)?;

        let base = strip_update(typ);
        let class = classify(base);
        // Direction: the Balance Impact when the file has it, else the sign of the gross.
        let out = match impact {
            Impact::Debit => true,
            Impact::Credit => false,
            Impact::Memo | Impact::Absent => gross.is_sign_negative() && !gross.is_zero(),
        };
        let skip = if !completed {
            Some(format!("status {}", clip(status)))
        } else if impact == Impact::Memo {
            Some(format!("balance impact {}", clip(impact_s)))
        } else {
            None
        };
        let decided = match skip {
            Some(reason) => Ok((RowKind::Skipped, Some(reason))),
            None => {
                let contradiction = match impact {
                    Impact::Credit => gross.is_sign_negative() && !gross.is_zero(),
                    Impact::Debit => gross.is_sign_positive() && !gross.is_zero(),
                    _ => false,
                };
                if contradiction {
                    let col = self.impact.as_ref().unwrap_or(&self.gross);
                    return Err(r.err(
                        col,
                        format!(
                            "`{}` says money {} but `{}` is {gross}: the row contradicts itself",
                            clip(impact_s),
                            if out { "out" } else { "in" },
                            self.gross.name
                        ),
                    ));
                }
                decide(class, out, gross, base)
            }
        };
        let (kind, skip) = match decided {
            Ok(d) => d,
            Err(reason) => return Err(r.err(&self.gross, reason)),
        };

        let mut key = format!("paypal:{txn}|{typ}|{currency}|{}", key_decimal(gross));
        if !completed {
            key.push('|');
            key.push_str(status);
        }
        let mut row = r.row(kind, key, txn.to_string());
        row.skip_reason = skip;
        row.type_name = Some(base.to_string());
        row.occurred_at = occurred_at;
        row.currency = currency;
        row.gross = gross;
        row.fee = if fee_raw.is_zero() { fee_raw.abs() } else { -fee_raw };
        row.net = match r.amount_opt(self.net.as_ref(), ctx.style)? {
            Some(n) => n,
            // Both within 12 integer digits: the sum cannot overflow.
            None => gross + fee_raw,
        };
        row.tax = r.amount_or_zero(self.tax.as_ref(), ctx.style)?;
        row.instance_meta = r.opt_string(self.custom.as_ref())?;
        row.description = r.opt_string(self.item.as_ref())?;
        let reference = r.opt_string(self.reference.as_ref())?;
        // The counterparty: the payer of a receipt, the receiver of money going out.
        let counterparty = if out { self.to.as_ref() } else { self.from.as_ref() };
        // A skipped row (pending, memo) keeps the references it would have when completed.
        let kind_for_refs = match kind {
            RowKind::Skipped => decide(class, out, gross, base).map(|d| d.0).unwrap_or(RowKind::Skipped),
            k => k,
        };
        match kind_for_refs {
            RowKind::Charge | RowKind::Unclassified => {
                row.charge_ref = Some(txn.to_string());
                row.customer_key = r.opt_string(counterparty)?;
            }
            RowKind::Refund | RowKind::Dispute | RowKind::DisputeReversal | RowKind::Sent => {
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

/// The `Balance Impact` column (`Auswirkung auf Guthaben`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impact {
    Credit,
    Debit,
    Memo,
    /// No such column, or an empty cell: the sign of the gross decides.
    Absent,
}

impl Impact {
    fn parse(s: &str) -> Option<Impact> {
        let is = |names: &[&str]| names.iter().any(|n| s.eq_ignore_ascii_case(n));
        Some(if s.is_empty() {
            Impact::Absent
        } else if is(&["Credit", "Haben"]) {
            Impact::Credit
        } else if is(&["Debit", "Soll"]) {
            Impact::Debit
        } else if is(&["Memo", "Hinweis", "Notiz"]) {
            Impact::Memo
        } else {
            return None;
        })
    }
}

/// The kind of a completed, non-memo row from what its type says and where its money goes; an
/// `Err` is a bad row's reason (on the gross).
fn decide(class: TypeClass, out: bool, gross: Decimal, typ: &str) -> Result<(RowKind, Option<String>), String> {
    let skip = |why: &str| Ok((RowKind::Skipped, Some(format!("type {} ({why})", clip(typ)))));
    let kind = match class {
        TypeClass::Conversion => RowKind::Conversion,
        TypeClass::Hold => RowKind::Hold,
        TypeClass::Withdrawal => RowKind::Payout,
        TypeClass::Fee => RowKind::Fee,
        TypeClass::Funding => return skip("money moved into or out of the account, not revenue"),
        TypeClass::Authorization => return skip("an authorization: no money moved"),
        TypeClass::CartItem => return skip("an item of a shopping cart payment, counted on the payment"),
        TypeClass::Refund if out || gross.is_zero() => RowKind::Refund,
        TypeClass::Dispute if out || gross.is_zero() => RowKind::Dispute,
        TypeClass::Refund | TypeClass::Dispute => {
            return Err(format!(
                "`{}` with money coming in ({gross}): a refund or chargeback pays money out, so its gross is negative",
                clip(typ)
            ))
        }
        TypeClass::DisputeReversal if !out => RowKind::DisputeReversal,
        TypeClass::DisputeReversal => {
            return Err(format!(
                "`{}` with money going out ({gross}): a reversal brings money back, so its gross is positive",
                clip(typ)
            ))
        }
        TypeClass::Payment if out => RowKind::Sent,
        TypeClass::Payment => RowKind::Charge,
        TypeClass::SentType if out => RowKind::Sent,
        TypeClass::SentType | TypeClass::Unknown if gross.is_zero() => return skip("no money"),
        TypeClass::SentType => RowKind::Unclassified,
        TypeClass::Unknown if out => RowKind::Sent,
        TypeClass::Unknown => RowKind::Unclassified,
    };
    Ok((kind, None))
}

/// The gross in the dedup key: normalised, so `29.00`, `29` and `29,00` give `29`.
fn key_decimal(d: Decimal) -> String {
    if d.is_zero() {
        "0".into()
    } else {
        d.normalize().to_string()
    }
}

/// Whether a status is completed (`Some(true)`), another known status (`Some(false)`: the row is
/// skipped), or unknown (`None`: a bad row). German names beyond `Abgeschlossen` are unconfirmed.
fn status_completed(status: &str) -> Option<bool> {
    const COMPLETED: &[&str] = &["completed", "abgeschlossen"];
    const OTHER: &[&str] = &[
        "pending",
        "denied",
        "reversed",
        "canceled",
        "cancelled",
        "refunded",
        "partially refunded",
        "held",
        "on hold",
        "unclaimed",
        "removed",
        "placed",
        "cleared",
        "uncleared",
        "returned",
        "expired",
        "voided",
        "failed",
        "processing",
        "in progress",
        "created",
        "ausstehend",
        "abgelehnt",
        "storniert",
        "rückgängig gemacht",
        "rückbuchung",
        "erstattet",
        "teilweise erstattet",
        "rückerstattet",
        "teilweise rückerstattet",
        "zurückerstattet",
        "teilweise zurückerstattet",
        "einbehalten",
        "nicht abgeholt",
        "entfernt",
        "abgelaufen",
        "fehlgeschlagen",
        "in bearbeitung",
    ];
    // ASCII case only (no allocation): German statuses are written with a lower-case umlaut.
    let is = |names: &[&str]| names.iter().any(|n| n.eq_ignore_ascii_case(status.trim()));
    if is(COMPLETED) {
        Some(true)
    } else if is(OTHER) {
        Some(false)
    } else {
        None
    }
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

/// German transaction types (lower case) → English. Confirmed by FACTS.md or seen in published
/// German exports: the currency conversion, `PayPal Express-Zahlung`, `Handyzahlung`, `Allgemeine
/// Zahlung`, `eBay-Auktionszahlung`, `Website-Zahlung`, `Zahlung im Einzugsverfahren mit
/// Zahlungsrechnung`, `Allgemeine Gutschrift auf Kreditkarte`, `Bankgutschrift auf PayPal-Konto`,
/// the authorization and hold names; the others are our best reading.
const GERMAN_TYPES: &[(&str, &str)] = &[
    ("allgemeine währungsumrechnung", "general currency conversion"),
    ("währungsumrechnung", "general currency conversion"),
    ("paypal express-zahlung", "express checkout payment"),
    ("express-checkout-zahlung", "express checkout payment"),
    ("abonnementzahlung", "subscription payment"),
    ("website-zahlung", "website payment"),
    ("handyzahlung", "mobile payment"),
    ("mobile zahlung", "mobile payment"),
    ("allgemeine zahlung", "general payment"),
    ("ebay-auktionszahlung", "ebay auction payment"),
    ("spendenzahlung", "donation payment"),
    ("zahlung im einzugsverfahren mit zahlungsrechnung", "preapproved payment bill user payment"),
    ("zahlung erhalten", "payment received"),
    ("echeck-zahlung erhalten", "echeck received"),
    ("rechnungszahlung", "invoice payment"),
    ("zahlung gesendet", "payment sent"),
    ("rückzahlung", "payment refund"),
    ("zahlungsrückerstattung", "payment refund"),
    ("rückerstattung", "refund"),
    ("rückbuchung", "chargeback"),
    ("rückbuchungsstornierung", "chargeback reversal"),
    ("stornierung der rückbuchung", "chargeback reversal"),
    ("allgemeine abbuchung", "general withdrawal"),
    ("allgemeine abhebung", "general withdrawal"),
    ("von nutzer eingeleitete abbuchung", "user initiated withdrawal"),
    ("abbuchung", "withdrawal"),
    ("allgemeine autorisierung", "general authorization"),
    ("einbehaltung für offene autorisierung", "account hold for open authorization"),
    ("rückbuchung allgemeiner einbehaltung", "reversal of general account hold"),
    ("zahlungseinbehaltung", "payment hold"),
    ("zahlungsfreigabe", "payment release"),
    ("kontoeinbehaltung", "account hold"),
    ("allgemeine gutschrift auf kreditkarte", "general credit card deposit"),
    ("bankgutschrift auf paypal-konto", "bank deposit to pp account"),
    ("rückbuchung von ach-gutschrift", "reversal of ach deposit"),
    ("gebühr", "fee"),
];

/// Types of money received for a sale that this importer knows (lower case, English): a charge
/// when money comes in. Anything else coming in is `unclassified` until the operator says what
/// it is: `General Payment`, `Mobile Payment`, `Donation Payment`, `eBay Auction Payment` are
/// deliberately not here (a personal transfer, a donation or an eBay sale is not the app's
/// revenue by itself).
const PAYMENT_TYPES: &[&str] = &[
    "express checkout payment",
    "website payment",
    "web accept payment",
    "subscription payment",
    "recurring payment",
    "preapproved payment bill user payment",
    "shopping cart payment",
    "invoice payment",
    "virtual terminal payment",
    "pos payment",
    "payment received",
    "echeck received",
];

/// What a PayPal type name says, before the money's direction is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeClass {
    /// A sale's payment: a charge when money comes in, `sent` when it goes out.
    Payment,
    /// A type naming money sent (`Payment Sent`, `Recurring Payment Sent`).
    SentType,
    Refund,
    Dispute,
    DisputeReversal,
    Fee,
    Conversion,
    Hold,
    Withdrawal,
    /// Deposits, card funding and transfers into or out of the account: skipped.
    Funding,
    /// An authorization: no money moved, skipped.
    Authorization,
    /// A line of a shopping cart payment (the payment row carries the money): skipped.
    CartItem,
    Unknown,
}

/// The class of a PayPal transaction type (English or German, any case).
pub(crate) fn classify(typ: &str) -> TypeClass {
    let mut t = typ.trim().to_lowercase();
    if let Some((_, en)) = GERMAN_TYPES.iter().find(|(de, _)| *de == t) {
        t = en.to_string();
    }
    let t = t.as_str();
    let has = |ps: &[&str]| ps.iter().any(|p| t.contains(p));
    if has(&["currency conversion", "währungsumrechnung"]) {
        TypeClass::Conversion
    } else if has(&["hold", "reserve", "payment release", "einbehaltung", "freigabe"]) || t.starts_with("release") {
        TypeClass::Hold
    } else if has(&["authorization", "authorisation", "autorisierung"]) {
        TypeClass::Authorization
    } else if t.starts_with("shopping cart item") {
        TypeClass::CartItem
    } else if has(&["deposit", "add funds", "transfer", "gutschrift", "überweisung", "einzahlung"])
        || t.starts_with("charge from")
    {
        TypeClass::Funding
    } else if t.starts_with("chargeback reversal") || t.starts_with("cancellation of") {
        TypeClass::DisputeReversal
    } else if t == "fee" || t.ends_with(" fee") || t.contains(" fee ") || t.starts_with("fee ") {
        TypeClass::Fee
    } else if t.starts_with("chargeback") {
        TypeClass::Dispute
    } else if matches!(t, "payment refund" | "refund" | "payment reversal") || t.ends_with(" refund") {
        TypeClass::Refund
    } else if has(&["withdrawal", "abbuchung"]) {
        TypeClass::Withdrawal
    } else if t == "payment sent" || t.ends_with(" sent") {
        TypeClass::SentType
    } else if PAYMENT_TYPES.contains(&t) {
        TypeClass::Payment
    } else {
        TypeClass::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types() {
        use TypeClass::*;
        assert_eq!(classify("Express Checkout Payment"), Payment);
        assert_eq!(classify("PreApproved Payment Bill User Payment"), Payment);
        assert_eq!(classify("website payment"), Payment, "any case");
        assert_eq!(classify("PayPal Express-Zahlung"), Payment);
        assert_eq!(classify("Website-Zahlung"), Payment);
        assert_eq!(classify("Payment Refund"), Refund);
        assert_eq!(classify("Payment Reversal"), Refund);
        assert_eq!(classify("Rückzahlung"), Refund);
        assert_eq!(classify("Chargeback"), Dispute);
        assert_eq!(classify("Chargeback Fee"), Fee);
        assert_eq!(classify("Chargeback Reversal"), DisputeReversal);
        assert_eq!(classify("Cancellation of Hold for Dispute Resolution"), Hold);
        assert_eq!(classify("General Currency Conversion"), Conversion);
        assert_eq!(classify("Allgemeine Währungsumrechnung"), Conversion);
        assert_eq!(classify("General Withdrawal"), Withdrawal);
        assert_eq!(classify("Payment Hold"), Hold);
        assert_eq!(classify("Payment Release"), Hold);
        assert_eq!(classify("Account Hold for Open Authorization"), Hold);
        assert_eq!(classify("Einbehaltung für offene Autorisierung"), Hold);
        assert_eq!(classify("General Authorization"), Authorization);
        assert_eq!(classify("Bank Deposit to PP Account"), Funding);
        assert_eq!(classify("Charge From Debit Card"), Funding);
        assert_eq!(classify("General Credit Card Deposit"), Funding);
        assert_eq!(classify("Allgemeine Gutschrift auf Kreditkarte"), Funding);
        assert_eq!(classify("Shopping Cart Item"), CartItem);
        assert_eq!(classify("Payment Sent"), SentType);
        assert_eq!(classify("Recurring Payment Sent"), SentType);
        for unknown in ["General Payment", "Mobile Payment", "Handyzahlung", "eBay-Auktionszahlung", "Allgemeine Zahlung", "Donation Payment"] {
            assert_eq!(classify(unknown), Unknown, "{unknown}");
        }
        assert_eq!(strip_update("Update to eCheck Received"), "eCheck Received");
        assert_eq!(key_decimal(Decimal::new(2900, 2)), "29");
        assert_eq!(key_decimal(Decimal::new(-0, 2)), "0");
    }

    #[test]
    fn statuses() {
        assert_eq!(status_completed("Completed"), Some(true));
        assert_eq!(status_completed("ABGESCHLOSSEN"), Some(true));
        assert_eq!(status_completed("Pending"), Some(false));
        assert_eq!(status_completed("Partially Refunded"), Some(false));
        assert_eq!(status_completed("Compl3ted"), None);
        assert_eq!(status_completed(""), None);
    }
}
