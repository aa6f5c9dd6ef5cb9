//! Fixture builders shared by the ledger's tests: real CSV files written to a temp folder and
//! imported through the public API.
#![allow(dead_code)]
use std::path::{Path, PathBuf};

use pl_ledger::{ImportOptions, ImportReport, Ledger};

pub const ITEMIZED_HEADER: &str = "\"automatic_payout_id\",\"automatic_payout_effective_at\",\"balance_transaction_id\",\"created_utc\",\"created\",\"available_on_utc\",\"available_on\",\"currency\",\"gross\",\"fee\",\"net\",\"reporting_category\",\"source_id\",\"description\",\"customer_facing_amount\",\"customer_facing_currency\",\"customer_id\",\"charge_id\",\"payment_intent_id\",\"invoice_id\",\"payment_metadata[wix_instance_id]\",\"refund_metadata[wix_instance_id]\"";

pub const I1: &str = "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31";
pub const I2: &str = "0d9e5c7a-1f2b-4c3d-8e4f-5a6b7c8d9e0f";
pub const I3: &str = "b2e47d10-8a3c-4f65-b1d9-7e0c3a5f9b82";

/// One stripe-itemized row.
#[derive(Clone, Debug)]
pub struct Item {
    pub txn: String,
    pub created: String,
    pub currency: &'static str,
    pub gross: String,
    pub fee: String,
    pub category: &'static str,
    pub source_id: String,
    pub customer: String,
    pub charge_id: String,
    pub instance: String,
    pub description: String,
}

impl Item {
    pub fn charge(n: u32, created: &str, gross: &str, fee: &str, instance: &str) -> Item {
        Item {
            txn: format!("txn_c{n:04}"),
            created: created.into(),
            currency: "usd",
            gross: gross.into(),
            fee: fee.into(),
            category: "charge",
            source_id: format!("ch_{n:04}"),
            customer: format!("cus_{n:04}"),
            charge_id: format!("ch_{n:04}"),
            instance: instance.into(),
            description: "Pro plan - monthly".into(),
        }
    }

    pub fn refund(n: u32, of: u32, created: &str, gross: &str, instance: &str) -> Item {
        Item {
            txn: format!("txn_r{n:04}"),
            created: created.into(),
            currency: "usd",
            gross: gross.into(),
            fee: "0.00".into(),
            category: "refund",
            source_id: format!("re_{n:04}"),
            customer: format!("cus_{of:04}"),
            charge_id: format!("ch_{of:04}"),
            instance: instance.into(),
            description: "REFUND FOR CHARGE".into(),
        }
    }

    pub fn line(&self) -> String {
        let gross: rust_decimal::Decimal = self.gross.parse().unwrap();
        let fee: rust_decimal::Decimal = self.fee.parse().unwrap();
        format!(
            "\"po_1\",\"2026-10-31 20:00:00\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"{}\",\"pi_x\",\"in_x\",\"{}\",\"\"",
            self.txn, self.created, self.created, self.created, self.created, self.currency, self.gross, self.fee,
            gross - fee, self.category, self.source_id, self.description.replace('"', "\"\""), self.gross, self.currency, self.customer,
            self.charge_id, self.instance
        )
    }
}

pub fn itemized(items: &[Item]) -> String {
    let mut s = String::from(ITEMIZED_HEADER);
    s.push('\n');
    for i in items {
        s.push_str(&i.line());
        s.push('\n');
    }
    s
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub ledger: Ledger,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap();
        Env { dir, ledger }
    }

    pub fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    /// Imports a file that must import cleanly.
    pub fn import(&mut self, path: &Path) -> ImportReport {
        let r = self.ledger.import_file(path, &ImportOptions { by: "test".into(), ..Default::default() }).unwrap();
        assert!(r.rejected.is_empty(), "{}: {:?}", path.display(), r.rejected);
        r
    }

    /// Writes and imports a file that must import cleanly.
    pub fn import_str(&mut self, name: &str, content: &str) -> ImportReport {
        let p = self.file(name, content);
        self.import(&p)
    }

    /// Writes and imports a file, whatever its rows.
    pub fn try_import_str(&mut self, name: &str, content: &str) -> ImportReport {
        let p = self.file(name, content);
        self.ledger.import_file(&p, &ImportOptions { by: "test".into(), ..Default::default() }).unwrap()
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.ledger.connection().query_row(sql, [], |r| r.get(0)).unwrap()
    }

    /// The live ledger as comparable rows: key, kind, amounts, instance.
    pub fn live_rows(&self) -> Vec<String> {
        let mut stmt = self
            .ledger
            .connection()
            .prepare(
                "SELECT dedup_key || '|' || kind || '|' || gross || '|' || fee || '|' || coalesce(instance_id, '-') || '|' || coalesce(resolved_by, '-') \
                 FROM txns WHERE undone = 0 ORDER BY dedup_key",
            )
            .unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
    }
}

pub fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/samples")
}
