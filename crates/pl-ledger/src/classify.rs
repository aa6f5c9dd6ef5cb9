//! The operator's classification of types the importer does not know (SPEC §2 "unknown types").
//!
//! Money that came in under an unknown type is imported as `unclassified`: an
//! `unclassified_type` exception of its month. The operator classifies the type once per source
//! format (`charge`, `refund` or `ignore`); the rule is saved (audited) and applied, in the same
//! transaction, to every live `unclassified` row of that source and type, and by every later
//! import to its new rows. A classified row keeps what the file said in its fingerprint and
//! says why its kind changed (`kind_from = 'rule'`), so the rule can be taken back.
//!
//! - `charge` applies to money in (gross > 0), `refund` to money out (gross < 0); a row whose
//!   money goes the other way stays `unclassified`, an exception that says so. `ignore` makes
//!   the row `skipped` with reason `classified as ignore`.
//! - Rows dated in an approved month are classified too: an unclassified row was never an event
//!   (its exception blocked approval; it arrived after), so it becomes a *late* event of the
//!   first open month after its own, as any row imported late does (SPEC §5).
//! - Removing (or changing) a rule puts the rows it classified back to `unclassified`, except
//!   those an approval froze as events: an approved event never changes.
use std::collections::HashMap;

use pl_import::Format;
use rusqlite::Connection;
use rust_decimal::Decimal;

use crate::{import, resolve, store, ClassifyOutcome, ClassifyRule, Error, Result, UnclassifiedType};

/// What a rule makes of its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Charge,
    Refund,
    Ignore,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s.trim().to_ascii_lowercase().as_str() {
            "charge" => Some(Action::Charge),
            "refund" => Some(Action::Refund),
            "ignore" => Some(Action::Ignore),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Charge => "charge",
            Action::Refund => "refund",
            Action::Ignore => "ignore",
        }
    }

    /// Whether a row of this gross goes the way the action needs: a charge is money in, a
    /// refund money out; anything can be ignored.
    pub fn agrees(self, gross: Decimal) -> bool {
        match self {
            Action::Charge => gross > Decimal::ZERO,
            Action::Refund => gross < Decimal::ZERO,
            Action::Ignore => true,
        }
    }
}

/// The match key of a type: trimmed, lower case (Unicode: German types have umlauts).
pub(crate) fn type_key(type_name: &str) -> String {
    type_name.trim().to_lowercase()
}

/// The saved rules by (source, type key).
pub(crate) fn rules(conn: &Connection) -> Result<HashMap<(String, String), Action>> {
    Ok(store::classify::rules(conn)?
        .into_iter()
        .filter_map(|(source, key, action)| Action::parse(&action).map(|a| ((source, key), a)))
        .collect())
}

pub(crate) fn list(conn: &Connection) -> Result<Vec<ClassifyRule>> {
    store::classify::list(conn)
}

/// The types of the live `unclassified` rows, per source (matched as rules match them,
/// ignoring case), with how many rows wait for each: what the operator has to classify. By
/// source, then most rows first.
pub(crate) fn waiting(conn: &Connection) -> Result<Vec<UnclassifiedType>> {
    let mut by_key: HashMap<(String, String), UnclassifiedType> = HashMap::new();
    for row in store::classify::unclassified(conn)? {
        let Some(name) = row.type_name else { continue };
        let entry = by_key
            .entry((row.source.clone(), type_key(&name)))
            .or_insert_with(|| UnclassifiedType { source: row.source, type_name: name.trim().to_string(), rows: 0 });
        entry.rows = entry.rows.saturating_add(1);
    }
    let mut list: Vec<UnclassifiedType> = by_key.into_values().collect();
    list.sort_by(|a, b| a.source.cmp(&b.source).then(b.rows.cmp(&a.rows)).then_with(|| a.type_name.cmp(&b.type_name)));
    Ok(list)
}

/// A stored gross, or an error naming its row.
fn gross_of(id: i64, text: &str) -> Result<Decimal> {
    text.parse().map_err(|_| Error::Refused(format!("ledger row {id}: its stored gross `{text}` is not an amount; undo its batch and import the file again")))
}

/// Applies every saved rule to the live `unclassified` rows (few: each is an exception).
/// Returns how many rows of `only` (source, type key) — of every rule when `None` — it
/// classified, and how many stay unclassified because their money goes the other way.
pub(crate) fn apply(conn: &Connection, only: Option<(&str, &str)>) -> Result<(u32, u32)> {
    let rules = rules(conn)?;
    if rules.is_empty() {
        return Ok((0, 0));
    }
    let mut todo = Vec::new();
    for row in store::classify::unclassified(conn)? {
        let Some(key) = row.type_name.as_deref().map(type_key) else { continue };
        let Some(&action) = rules.get(&(row.source.clone(), key.clone())) else { continue };
        let counted = only.is_none_or(|(s, k)| s == row.source && k == key);
        todo.push((row.id, action, gross_of(row.id, &row.gross)?, row.source_id, counted));
    }
    let (mut classified, mut disagreeing) = (0u32, 0u32);
    for (id, action, gross, source_id, counted) in todo {
        if !action.agrees(gross) {
            disagreeing += u32::from(counted);
            continue;
        }
        match action {
            // A charge is what refunds point back to: by its own processor id when the file
            // gave no other (kept if the rule is removed: only charges are looked up by it).
            Action::Charge => store::classify::make_charge(conn, id, &source_id, import::key_hash(&source_id))?,
            Action::Refund => store::classify::make_refund(conn, id)?,
            Action::Ignore => store::classify::make_ignored(conn, id)?,
        }
        classified += u32::from(counted);
    }
    Ok((classified, disagreeing))
}

/// Puts the rows a rule of (source, type key) classified back to `unclassified`, except those
/// an approval froze. Returns (rows put back, rows frozen).
fn take_back(conn: &Connection, source: &str, key: &str) -> Result<(u32, u32)> {
    let rows_of_rule: Vec<(i64, bool)> = store::classify::classified(conn)?
        .into_iter()
        .filter(|r| r.source == source && r.type_name.as_deref().map(type_key).as_deref() == Some(key))
        .map(|r| (r.id, r.frozen))
        .collect();
    let (mut back, mut frozen) = (0u32, 0u32);
    for (id, is_frozen) in rows_of_rule {
        if is_frozen {
            frozen += 1;
            continue;
        }
        store::classify::unclassify(conn, id)?;
        back += 1;
    }
    Ok((back, frozen))
}

/// Checks a source format id and a type given by the operator; returns the format id as
/// stored and the type trimmed.
fn checked(conn: &Connection, source: &str, type_name: &str) -> Result<(String, String)> {
    let format = Format::from_id(source).ok_or_else(|| {
        Error::Refused(format!(
            "`{}` is not a source format; use stripe-itemized, stripe-balance, paypal-activity or mapped:<name>",
            source.trim()
        ))
    })?;
    if let Format::Mapped(name) = &format {
        if !store::mappings::exists(conn, name)? {
            return Err(Error::Refused(format!("there is no saved column mapping named `{name}`")));
        }
    }
    let type_name = type_name.trim();
    if type_name.is_empty() {
        return Err(Error::Refused("the type to classify is empty".into()));
    }
    if type_name.chars().count() > 200 || type_name.chars().any(char::is_control) {
        return Err(Error::Refused("the type to classify must be at most 200 characters, without control characters".into()));
    }
    Ok((format.id(), type_name.to_string()))
}

/// Saves (or changes) the rule for a source format and type, and applies it to the rows
/// already in the ledger; audited.
pub(crate) fn classify(conn: &mut Connection, source: &str, type_name: &str, action: &str, by: &str) -> Result<ClassifyOutcome> {
    let act = Action::parse(action)
        .ok_or_else(|| Error::Refused(format!("`{}` is not a classification; use charge, refund or ignore", action.trim())))?;
    let tx = conn.transaction()?;
    let (source, type_name) = checked(&tx, source, type_name)?;
    let key = type_key(&type_name);
    let before = store::classify::rule(&tx, &source, &key)?;
    // A changed rule starts from the rows as the files gave them.
    let (_, frozen) = take_back(&tx, &source, &key)?;
    store::classify::save(&tx, &source, &key, &type_name, act.as_str(), by)?;
    let (classified, disagreeing) = apply(&tx, Some((&source, &key)))?;
    resolve::resolve_again(&tx)?;
    let outcome = ClassifyOutcome { rule: store::classify::rule(&tx, &source, &key)?, classified, disagreeing, unclassified: disagreeing, frozen };
    store::audit::record(&tx, by, "classify.set", &format!("classify:{source}:{type_name}"), before.as_ref(), Some(&outcome))?;
    tx.commit()?;
    Ok(outcome)
}

/// Classifies the type of one `unclassified` row (an `unclassified_type` exception's `txn_id`)
/// for its source: what the window's exception row offers.
pub(crate) fn classify_row(conn: &mut Connection, txn_id: i64, action: &str, by: &str) -> Result<ClassifyOutcome> {
    let (source, type_name) = store::classify::unclassified_type(conn, txn_id)?
        .ok_or_else(|| Error::NotFound(format!("row {txn_id} among the unclassified rows (it may be classified already)")))?;
    let type_name = type_name.filter(|t| !t.trim().is_empty()).ok_or_else(|| {
        Error::Refused(format!("row {txn_id} has no type to classify it by; correct its file or column mapping and import it again"))
    })?;
    classify(conn, &source, &type_name, action, by)
}

/// Removes the rule for a source format and type: the rows it classified are `unclassified`
/// again (exceptions), except those an approval froze; audited.
pub(crate) fn remove(conn: &mut Connection, source: &str, type_name: &str, by: &str) -> Result<ClassifyOutcome> {
    let tx = conn.transaction()?;
    let (source, type_name) = checked(&tx, source, type_name)?;
    let key = type_key(&type_name);
    let before = store::classify::rule(&tx, &source, &key)?
        .ok_or_else(|| Error::NotFound(format!("a classification of type `{type_name}` for {source}")))?;
    let (unclassified, frozen) = take_back(&tx, &source, &key)?;
    store::classify::delete(&tx, &source, &key)?;
    resolve::resolve_again(&tx)?;
    let outcome = ClassifyOutcome { rule: None, classified: 0, disagreeing: 0, unclassified, frozen };
    store::audit::record(&tx, by, "classify.remove", &format!("classify:{source}:{}", before.type_name), Some(&before), Some(&outcome))?;
    tx.commit()?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_agree_with_the_direction_of_money() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert!(Action::Charge.agrees(d("10.00")) && !Action::Charge.agrees(d("-10.00")) && !Action::Charge.agrees(d("0")));
        assert!(Action::Refund.agrees(d("-0.01")) && !Action::Refund.agrees(d("5")));
        assert!(Action::Ignore.agrees(d("0")) && Action::Ignore.agrees(d("-3")));
        assert_eq!(Action::parse(" Charge "), Some(Action::Charge));
        assert_eq!(Action::parse("refunds"), None);
        assert_eq!(type_key("  Allgemeine ZAHLUNG "), "allgemeine zahlung");
        assert_eq!(type_key("RÜCKZAHLUNG"), type_key("Rückzahlung"));
    }
}
