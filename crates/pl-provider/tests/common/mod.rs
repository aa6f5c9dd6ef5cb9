//! A provider over a real ledger file in a temp dir, on a loopback port, called as Wix would
//! (the simulator's signer, real HTTP).
#![allow(dead_code)]
use std::path::PathBuf;

use pl_ledger::Ledger;
use pl_provider::{Config, Server};
use pl_wix_sim::charges::{ListCharges, PeriodEncoding, WixSigner, TEST_PUBLIC_KEY_PEM};
use serde_json::Value;

pub const APP: &str = "9a1b2c3d-0000-4000-8000-00000000a001";
pub const I1: &str = "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31";
pub const I2: &str = "0d9e5c7a-1f2b-4c3d-8e4f-5a6b7c8d9e0f";

/// Unix milliseconds of an RFC 3339 instant.
pub fn ms(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp_millis()
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub server: Option<Server>,
    pub signer: WixSigner,
    pub client: reqwest::Client,
    csv_no: std::cell::Cell<u32>,
}

impl Env {
    /// A ledger with the app and its public key (the simulator's test key), served.
    pub async fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("ledger.sqlite");
        {
            let mut l = Ledger::open(&db).unwrap();
            l.set_app(APP, "Metered App", "tester").unwrap();
            l.set_app_public_key(TEST_PUBLIC_KEY_PEM, "tester").unwrap();
        }
        let server = Server::start(Config { db: db.clone(), listen: "127.0.0.1:0".parse().unwrap() }).await.unwrap();
        Env { dir, db, server: Some(server), signer: WixSigner::test(APP), client: reqwest::Client::new(), csv_no: std::cell::Cell::new(0) }
    }

    pub fn ledger(&self) -> Ledger {
        Ledger::open(&self.db).unwrap()
    }

    pub fn base(&self) -> String {
        self.server.as_ref().unwrap().base_url()
    }

    pub fn plan(&self, metric: &str, prices: &str, from: Option<&str>, instance: Option<&str>) {
        let plan = pl_ledger::NewPlan {
            metric: metric.into(),
            prices: prices.into(),
            description: Some(format!("{metric} units")),
            from: from.map(str::to_string),
            instance: instance.map(str::to_string),
        };
        self.ledger().set_plan(&plan, "tester").unwrap();
    }

    pub fn limit(&self, instance: Option<&str>, currency: &str, amount: &str) {
        self.ledger().set_charge_limit(instance, currency, amount, "tester").unwrap();
    }

    /// Imports usage rows (id, instance, occurred_at, metric, quantity) through `usage import`'s path.
    pub fn usage(&self, rows: &[(&str, &str, &str, &str, &str)]) {
        let n = self.csv_no.get() + 1;
        self.csv_no.set(n);
        let mut text = String::from("id,instance_id,occurred_at,metric,quantity\n");
        for (id, i, at, m, q) in rows {
            text.push_str(&format!("{id},{i},{at},{m},{q}\n"));
        }
        let p = self.dir.path().join(format!("usage-{n}.csv"));
        std::fs::write(&p, text).unwrap();
        let r = self.ledger().import_usage(&p, false, "tester").unwrap();
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    }

    pub fn call_for(&self, instance: &str, currency: &str, from: &str, to: &str, intent: &str) -> ListCharges {
        ListCharges {
            instance_id: instance.into(),
            currency: currency.into(),
            period_start_ms: ms(from),
            period_end_ms: ms(to),
            intent: intent.into(),
            encoding: PeriodEncoding::EpochMillis,
            request_id: format!("req-{instance}-{from}-{intent}"),
        }
    }

    pub async fn post(&self, path: &str, body: String) -> (u16, String) {
        pl_wix_sim::charges::call(&self.client, &self.base(), path, body).await.unwrap()
    }

    /// ListCharges for March 2026 (or the period given), parsed.
    pub async fn list(&self, instance: &str, currency: &str, from: &str, to: &str, intent: &str) -> (u16, String) {
        let token = self.signer.list_charges(&self.call_for(instance, currency, from, to, intent));
        self.post("/v1/charges", token).await
    }

    pub async fn march(&self, instance: &str, currency: &str, intent: &str) -> Value {
        let (status, body) = self.list(instance, currency, "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", intent).await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).unwrap()
    }

    /// The log, after the writer committed everything sent before.
    pub async fn log(&self) -> Vec<pl_ledger::ChargeCall> {
        self.server.as_ref().unwrap().provider().flush().await.unwrap();
        self.ledger().charge_calls(None, 1000).unwrap()
    }

    /// Frozen answers in the ledger.
    pub fn frozen_answers(&self) -> i64 {
        self.ledger().connection().query_row("SELECT count(*) FROM charge_answers", [], |r| r.get(0)).unwrap()
    }

    pub async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop().await.unwrap();
        }
    }
}

/// The charges of an answer as (description, amount).
pub fn charges(v: &Value) -> Vec<(String, String)> {
    v["charges"].as_array().unwrap().iter().map(|c| (c["description"].as_str().unwrap().to_string(), c["amount"].as_str().unwrap().to_string())).collect()
}

pub fn amounts(v: &Value) -> Vec<String> {
    charges(v).into_iter().map(|(_, a)| a).collect()
}
