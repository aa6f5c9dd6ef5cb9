//! `mapped:<name>`: any CSV through a saved column mapping (TOML).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use pl_money::NumberStyle;
use serde::Deserialize;

use crate::dates::tz_offset;
use crate::engine::{non_empty, Col, Ctx, Headers, PrescanSpec, Rec};
use crate::{clip, Format, ImportError, Row, RowError, RowKind};

/// How the mapped fee column is signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeeSign {
    /// A cost is written positive (Stripe-like): kept.
    #[default]
    CostPositive,
    /// A cost is written negative (PayPal-like): negated.
    CostNegative,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A saved column mapping (see `mappings/*.toml` for examples). Column names are matched
/// case-insensitively.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The mapping's name (`mapped:<name>`); set by [`Mapping::from_toml_str`].
    #[serde(skip)]
    pub name: String,
    /// Column(s) making the row id; several are joined with `|`.
    #[serde(deserialize_with = "one_or_many")]
    pub id: Vec<String>,
    /// Date (or date-time) column.
    pub date: String,
    /// chrono format of the date column, e.g. `%Y-%m-%d %H:%M:%S` or `%d/%m/%Y`.
    pub date_format: String,
    /// Zone of the dates: `UTC` (default), an abbreviation (`CET`), an offset (`+02:00`) or an IANA
    /// name (`Europe/Berlin`).
    #[serde(default = "utc")]
    pub timezone: String,
    /// Gross amount column.
    pub amount: String,
    /// Fee column (optional) and its sign convention.
    pub fee: Option<String>,
    #[serde(default)]
    pub fee_sign: FeeSign,
    /// Net column (optional; else gross − fee).
    pub net: Option<String>,
    /// Sales tax column (optional).
    pub tax: Option<String>,
    /// Currency column, or `fixed_currency` for single-currency files.
    pub currency: Option<String>,
    pub fixed_currency: Option<String>,
    /// Instance metadata column (optional).
    pub instance: Option<String>,
    /// Customer key column (optional).
    pub customer: Option<String>,
    /// Original charge reference column, for refunds (optional).
    pub original_ref: Option<String>,
    /// Payout reference column (optional).
    pub payout: Option<String>,
    /// Product / description column (optional).
    pub description: Option<String>,
    /// `point` (default) or `comma`.
    pub number_style: Option<NumberStyle>,
    /// Column whose values give the row kind through `kinds`.
    pub type_column: Option<String>,
    /// Type value → kind (`"Sale" = "charge"`), matched case-insensitively.
    #[serde(default)]
    pub kinds: BTreeMap<String, RowKind>,
    /// Kind of a type value not in `kinds`, or of every row without `type_column`
    /// (default `skipped` with a type column, `charge` without). With a type column, a value not
    /// in `kinds` whose row has money is `unclassified` (an exception until the operator
    /// classifies it, SPEC §2) unless `default_kind` names another kind than `skipped`.
    pub default_kind: Option<RowKind>,
    /// Optional status column: rows whose status is not in `ok_statuses` are skipped.
    pub status_column: Option<String>,
    #[serde(default)]
    pub ok_statuses: Vec<String>,
    /// Refund and dispute amounts are written positive in the file: negate gross and net on them.
    #[serde(default)]
    pub refund_amounts_positive: bool,
}

fn utc() -> String {
    "UTC".into()
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// The zone of a mapping's dates.
#[derive(Debug, Clone, Copy)]
enum Zone {
    Fixed(chrono::FixedOffset),
    Iana(chrono_tz::Tz),
}

fn zone(s: &str) -> Option<Zone> {
    tz_offset(s).map(Zone::Fixed).or_else(|| s.trim().parse::<chrono_tz::Tz>().ok().map(Zone::Iana))
}

impl Mapping {
    /// Reads a mapping from TOML and checks it (id, date format, zone, currency).
    pub fn from_toml_str(name: &str, text: &str) -> Result<Mapping, ImportError> {
        let bad = |reason: String| ImportError::InvalidMapping { name: name.to_string(), reason };
        let mut m: Mapping = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        m.name = name.to_string();
        if name.trim().is_empty() || name.contains(':') {
            return Err(bad("the name must be non-empty and contain no `:`".into()));
        }
        if m.id.is_empty() {
            return Err(bad("`id` names no column".into()));
        }
        if zone(&m.timezone).is_none() {
            return Err(bad(format!("unknown timezone `{}`", m.timezone)));
        }
        match (&m.currency, &m.fixed_currency) {
            (None, None) => return Err(bad("set `currency` (a column) or `fixed_currency`".into())),
            (_, Some(c)) if pl_money::Currency::new(c).is_err() => {
                return Err(bad(format!("`{c}` is not a currency code")))
            }
            _ => {}
        }
        if !m.kinds.is_empty() && m.type_column.is_none() {
            return Err(bad("`kinds` needs `type_column`".into()));
        }
        if m.date_format.trim().is_empty() {
            return Err(bad("`date_format` is empty".into()));
        }
        Ok(m)
    }

    /// The columns the file must have.
    fn required(&self) -> impl Iterator<Item = &String> {
        self.id
            .iter()
            .chain([&self.date, &self.amount])
            .chain(self.currency.iter())
            .chain(self.type_column.iter())
            .chain(self.status_column.iter())
    }

    /// Whether a header has every column this mapping requires.
    pub fn matches(&self, headers: &[String]) -> bool {
        let h = Headers::new(headers.to_vec());
        self.required().all(|c| h.has(c))
    }
}

/// A mapping bound to one file's columns.
pub(crate) struct MappedPlan {
    m: Mapping,
    zone: Zone,
    has_time: bool,
    ids: Vec<Col>,
    date: Col,
    amount: Col,
    fee: Option<Col>,
    net: Option<Col>,
    tax: Option<Col>,
    currency: Option<Col>,
    fixed_currency: Option<String>,
    instance: Option<Col>,
    customer: Option<Col>,
    original_ref: Option<Col>,
    payout: Option<Col>,
    description: Option<Col>,
    typ: Option<Col>,
    kinds: Vec<(String, RowKind)>,
    status: Option<Col>,
    ok_statuses: Vec<String>,
}

impl MappedPlan {
    pub fn new(m: &Mapping, h: &Headers) -> Result<MappedPlan, ImportError> {
        let f = Format::Mapped(m.name.clone());
        let req = |c: &String| h.require(&f, &[c.as_str()]);
        let opt = |c: &Option<String>| -> Result<Option<Col>, ImportError> { c.as_ref().map(req).transpose() };
        let has_time = ["%H", "%I", "%M", "%S", "%T", "%R", "%X", "%c", "%s"].iter().any(|p| m.date_format.contains(p));
        Ok(MappedPlan {
            zone: zone(&m.timezone).ok_or_else(|| ImportError::InvalidMapping {
                name: m.name.clone(),
                reason: format!("unknown timezone `{}`", m.timezone),
            })?,
            has_time,
            ids: m.id.iter().map(req).collect::<Result<_, _>>()?,
            date: req(&m.date)?,
            amount: req(&m.amount)?,
            fee: opt(&m.fee)?,
            net: opt(&m.net)?,
            tax: opt(&m.tax)?,
            currency: opt(&m.currency)?,
            fixed_currency: m.fixed_currency.as_ref().map(|c| c.trim().to_ascii_uppercase()),
            instance: opt(&m.instance)?,
            customer: opt(&m.customer)?,
            original_ref: opt(&m.original_ref)?,
            payout: opt(&m.payout)?,
            description: opt(&m.description)?,
            typ: opt(&m.type_column)?,
            kinds: m.kinds.iter().map(|(k, v)| (k.trim().to_lowercase(), *v)).collect(),
            status: opt(&m.status_column)?,
            ok_statuses: m.ok_statuses.iter().map(|s| s.trim().to_lowercase()).collect(),
            m: m.clone(),
        })
    }

    pub fn prescan(&self) -> PrescanSpec {
        // The mapping states the style and the date format: nothing to decide from the values.
        PrescanSpec { date: None, amounts: Vec::new(), default_style: self.m.number_style.unwrap_or(NumberStyle::Point) }
    }

    fn when(&self, r: &Rec, ctx: &Ctx) -> Result<DateTime<Utc>, RowError> {
        let s = r.get(&self.date)?;
        let fmt = &self.m.date_format;
        let bad = || r.err(&self.date, format!("`{}` does not match the date format `{fmt}`", clip(s)));
        let naive = if self.has_time {
            NaiveDateTime::parse_from_str(s, fmt).map_err(|_| bad())?
        } else {
            NaiveDate::parse_from_str(s, fmt).map_err(|_| bad())?.and_hms_opt(0, 0, 0).ok_or_else(bad)?
        };
        let local = match self.zone {
            Zone::Fixed(o) => o.from_local_datetime(&naive).single().map(|d| d.with_timezone(&Utc)),
            // In a DST fall-back hour take the earlier instant.
            Zone::Iana(tz) => tz.from_local_datetime(&naive).earliest().map(|d| d.with_timezone(&Utc)),
        };
        let at = local
            .ok_or_else(|| r.err(&self.date, format!("`{}` does not exist in time zone {}", clip(s), self.m.timezone)))?;
        r.in_range(&self.date, at, ctx)
    }

    pub fn row(&self, r: &Rec, ctx: &Ctx) -> Result<Row, RowError> {
        let mut id = String::new();
        for (i, c) in self.ids.iter().enumerate() {
            let v = r.get(c)?;
            if v.is_empty() {
                return Err(r.err(c, "the id is empty".into()));
            }
            if i > 0 {
                id.push('|');
            }
            id.push_str(v);
        }
        let mut gross = r.amount(&self.amount, ctx.style)?;
        let mut net = r.amount_opt(self.net.as_ref(), ctx.style)?;
        let has_money = !gross.is_zero() || net.is_some_and(|n| !n.is_zero());
        let mut skip = None;
        let mut type_name = None;
        let mut kind = match &self.typ {
            Some(c) => {
                let v = r.get(c)?;
                type_name = non_empty(v);
                let lv = v.to_lowercase();
                match self.kinds.iter().find(|(k, _)| *k == lv) {
                    Some((_, k)) => *k,
                    None => match self.m.default_kind.unwrap_or(RowKind::Skipped) {
                        RowKind::Skipped if has_money && v.is_empty() => {
                            return Err(r.err(c, "the type is empty".into()))
                        }
                        RowKind::Skipped if has_money => RowKind::Unclassified,
                        RowKind::Skipped => {
                            skip = Some(format!("type {} with no money", clip(v)));
                            RowKind::Skipped
                        }
                        k => k,
                    },
                }
            }
            None => self.m.default_kind.unwrap_or(RowKind::Charge),
        };
        if kind == RowKind::Skipped && skip.is_none() {
            skip = Some("mapped as skipped".into());
        }
        if let Some(c) = &self.status {
            let st = r.get(c)?;
            if !self.ok_statuses.contains(&st.to_lowercase()) {
                kind = RowKind::Skipped;
                skip = Some(format!("status {}", clip(st)));
            }
        }
        let mut row = r.row(kind, format!("mapped:{}:{id}", self.m.name), id);
        row.skip_reason = skip;
        row.type_name = type_name;
        row.occurred_at = self.when(r, ctx)?;
        row.currency = match (&self.currency, &self.fixed_currency) {
            (Some(c), _) => r.currency(c)?,
            (None, Some(f)) => f.clone(),
            (None, None) => String::new(),
        };
        let fee_raw = r.amount_or_zero(self.fee.as_ref(), ctx.style)?;
        let fee = match self.m.fee_sign {
            FeeSign::CostPositive => fee_raw,
            FeeSign::CostNegative if fee_raw.is_zero() => fee_raw.abs(),
            FeeSign::CostNegative => -fee_raw,
        };
        let outgoing = matches!(kind, RowKind::Refund | RowKind::Dispute);
        if self.m.refund_amounts_positive && outgoing {
            // The mapping says these are written positive: a negative one contradicts it (its sign
            // is never hidden with `abs()`).
            if gross.is_sign_negative() && !gross.is_zero() {
                return Err(r.err(
                    &self.amount,
                    format!(
                        "a {kind} written negative ({gross}) where the mapping says refund amounts are written positive"
                    ),
                ));
            }
            gross = -gross;
            net = net.map(|n| -n);
        }
        row.gross = gross;
        row.fee = fee;
        // Both within 12 integer digits: the difference cannot overflow.
        row.net = net.unwrap_or(gross - fee);
        row.tax = r.amount_or_zero(self.tax.as_ref(), ctx.style)?;
        row.instance_meta = r.opt_string(self.instance.as_ref())?;
        row.customer_key = r.opt_string(self.customer.as_ref())?;
        row.description = r.opt_string(self.description.as_ref())?;
        row.payout_ref = r.opt_string(self.payout.as_ref())?;
        let orig = non_empty(r.opt(self.original_ref.as_ref())?);
        match kind {
            RowKind::Charge | RowKind::Unclassified => row.charge_ref = Some(row.source_id.clone()),
            // A `sent` row with a reference is a refund candidate (the ledger promotes it when
            // the reference is a charge it holds).
            RowKind::Refund | RowKind::Dispute | RowKind::DisputeReversal | RowKind::Sent => row.original_ref = orig,
            _ => {}
        }
        Ok(row)
    }
}
