//! One input through the importer (`pl_import::parse_bytes`), the format forced or detected.
//! Errors are fine; a panic, or counts that disagree with the rows given, is a finding.
use std::collections::HashMap;

use pl_import::{DateOrder, Format, ImportError, Mapping, ParseOptions};

/// The example mappings shipped with the importer, by name (`paddle`, `braintree`).
pub fn mappings() -> HashMap<String, Mapping> {
    [
        ("paddle", include_str!("../../crates/pl-import/mappings/paddle.toml")),
        ("braintree", include_str!("../../crates/pl-import/mappings/braintree.toml")),
    ]
    .into_iter()
    .map(|(name, text)| {
        // The repository's own files: a failure here is a broken checkout, not a finding.
        let m = Mapping::from_toml_str(name, text).unwrap_or_else(|e| panic!("mapping {name}: {e}"));
        (name.to_string(), m)
    })
    .collect()
}

/// Which importer a target drives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    StripeItemized,
    StripeBalance,
    PaypalActivity,
    /// Both example mappings, each forced in turn.
    Mapped,
    /// No format given: detection (built-in formats, then the mappings) chooses.
    Detect,
}

impl Target {
    /// The target of a fuzz target's (and its regressions folder's) name.
    pub fn from_name(name: &str) -> Option<Target> {
        Some(match name {
            "stripe_itemized" => Target::StripeItemized,
            "stripe_balance" => Target::StripeBalance,
            "paypal_activity" => Target::PaypalActivity,
            "mapped" => Target::Mapped,
            "detect" => Target::Detect,
            _ => return None,
        })
    }

    fn formats(self) -> Vec<Option<Format>> {
        match self {
            Target::StripeItemized => vec![Some(Format::StripeItemized)],
            Target::StripeBalance => vec![Some(Format::StripeBalance)],
            Target::PaypalActivity => vec![Some(Format::PaypalActivity)],
            Target::Mapped => vec![Some(Format::Mapped("paddle".into())), Some(Format::Mapped("braintree".into()))],
            Target::Detect => vec![None],
        }
    }
}

/// Parses `data` as the target says. A file whose slash dates cannot decide their order is read
/// again with `--date-order day-first`, as an operator would.
pub fn run(target: Target, data: &[u8], mappings: &HashMap<String, Mapping>) {
    for format in target.formats() {
        let mut opts = ParseOptions { format, mappings: mappings.clone(), ..Default::default() };
        if let Err(ImportError::UndecidableDateOrder { .. }) = parse(data, &opts) {
            opts.date_order = Some(DateOrder::DayFirst);
            let _ = parse(data, &opts);
        }
    }
}

fn parse(data: &[u8], opts: &ParseOptions) -> Result<(), ImportError> {
    let (mut ok, mut skipped, mut failed) = (0u32, 0u32, 0u32);
    let parsed = pl_import::parse_bytes(
        data,
        opts,
        |row| {
            ok += 1;
            if row.kind == pl_import::RowKind::Skipped {
                skipped += 1;
            }
            assert!(row.line >= 2, "a data row on line {} (the header is line 1)", row.line);
        },
        |err| {
            failed += 1;
            assert!(err.line >= 1, "a row error on line 0: {err}");
        },
    )?;
    assert_eq!(parsed.rows_ok, ok, "rows_ok disagrees with the rows given");
    assert_eq!(parsed.rows_skipped, skipped, "rows_skipped disagrees with the skipped rows given");
    assert_eq!(parsed.rows_failed, failed, "rows_failed disagrees with the row errors given");
    Ok(())
}
