//! The Usage view's commands (Custom Charges, SPEC §9): plans, charge limits, the app's public
//! key, usage imports, a preview per instance and period (what a DISPLAY_ONLY call would answer)
//! and the provider's log of Wix's calls. Each calls one engine method; no rule lives here.
use std::path::Path;
use std::sync::Arc;

use pl_ledger::{AnswerKind, ChargeCall, ChargeLimitInfo, ChargesAnswer, FrozenCharge, NewPlan, PlanInfo, UsageImportReport, UsageStatus};
use tauri::State;

use crate::Session;

type Shared<'a> = State<'a, Arc<Session>>;

/// The most log lines the window asks for at once.
pub const MAX_LOG: u32 = 500;

fn some(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl Session {
    pub fn usage_status(&self) -> Result<UsageStatus, String> {
        self.with_ledger(|l| l.usage_status())
    }

    pub fn list_plans(&self) -> Result<Vec<PlanInfo>, String> {
        self.with_ledger(|l| l.plans())
    }

    pub fn set_plan(&self, plan: NewPlan) -> Result<PlanInfo, String> {
        let plan = NewPlan { description: some(plan.description), from: some(plan.from), instance: some(plan.instance), ..plan };
        self.with_ledger(|l| l.set_plan(&plan, &self.operator()))
    }

    pub fn list_charge_limits(&self) -> Result<Vec<ChargeLimitInfo>, String> {
        self.with_ledger(|l| l.charge_limits())
    }

    pub fn set_charge_limit(&self, instance: Option<String>, currency: &str, amount: &str) -> Result<ChargeLimitInfo, String> {
        let instance = some(instance);
        self.with_ledger(|l| l.set_charge_limit(instance.as_deref(), currency, amount, &self.operator()))
    }

    /// Stores the app's public key (PEM text pasted in the window); returns its fingerprint.
    pub fn set_app_key(&self, pem: &str) -> Result<String, String> {
        if pem.trim().is_empty() {
            return Err("paste the app's public key from Wix's app dashboard".to_owned());
        }
        self.with_ledger(|l| l.set_app_public_key(pem, &self.operator()))
    }

    pub fn import_usage(&self, path: &str, dry_run: bool) -> Result<UsageImportReport, String> {
        let path = path.trim();
        if path.is_empty() {
            return Err("choose a usage file to import".to_owned());
        }
        self.with_ledger(|l| l.import_usage(Path::new(path), dry_run, &self.operator()))
    }

    /// What a DISPLAY_ONLY ListCharges call would answer now (`from`/`to`: YYYY-MM-DD or RFC 3339).
    pub fn preview_charges(&self, instance: &str, currency: &str, from: &str, to: &str) -> Result<ChargesAnswer, String> {
        self.with_ledger(|l| l.preview_charges(instance, currency, from, to, AnswerKind::Charges))
    }

    pub fn charge_calls(&self, instance: Option<String>, limit: u32) -> Result<Vec<ChargeCall>, String> {
        let instance = some(instance);
        self.with_ledger(|l| l.charge_calls(instance.as_deref(), limit.min(MAX_LOG)))
    }

    pub fn frozen_charges(&self, instance: Option<String>) -> Result<Vec<FrozenCharge>, String> {
        let instance = some(instance);
        self.with_ledger(|l| l.frozen_charges(instance.as_deref(), MAX_LOG))
    }
}

async fn blocking<T: Send + 'static>(session: &Arc<Session>, f: impl FnOnce(&Session) -> Result<T, String> + Send + 'static) -> Result<T, String> {
    let s = Arc::clone(session);
    tauri::async_runtime::spawn_blocking(move || f(&s)).await.map_err(|e| format!("the ledger task failed: {e}"))?
}

#[tauri::command]
pub async fn usage_status(session: Shared<'_>) -> Result<UsageStatus, String> {
    blocking(&session, |s| s.usage_status()).await
}

#[tauri::command]
pub async fn list_plans(session: Shared<'_>) -> Result<Vec<PlanInfo>, String> {
    blocking(&session, |s| s.list_plans()).await
}

#[tauri::command]
pub async fn set_plan(session: Shared<'_>, plan: NewPlan) -> Result<PlanInfo, String> {
    blocking(&session, move |s| s.set_plan(plan)).await
}

#[tauri::command]
pub async fn list_charge_limits(session: Shared<'_>) -> Result<Vec<ChargeLimitInfo>, String> {
    blocking(&session, |s| s.list_charge_limits()).await
}

#[tauri::command]
pub async fn set_charge_limit(session: Shared<'_>, instance: Option<String>, currency: String, amount: String) -> Result<ChargeLimitInfo, String> {
    blocking(&session, move |s| s.set_charge_limit(instance, &currency, &amount)).await
}

#[tauri::command]
pub async fn set_app_key(session: Shared<'_>, pem: String) -> Result<String, String> {
    blocking(&session, move |s| s.set_app_key(&pem)).await
}

#[tauri::command(rename_all = "camelCase")]
pub async fn import_usage(session: Shared<'_>, path: String, dry_run: bool) -> Result<UsageImportReport, String> {
    blocking(&session, move |s| s.import_usage(&path, dry_run)).await
}

#[tauri::command]
pub async fn preview_charges(session: Shared<'_>, instance: String, currency: String, from: String, to: String) -> Result<ChargesAnswer, String> {
    blocking(&session, move |s| s.preview_charges(&instance, &currency, &from, &to)).await
}

#[tauri::command]
pub async fn charge_calls(session: Shared<'_>, instance: Option<String>, limit: u32) -> Result<Vec<ChargeCall>, String> {
    blocking(&session, move |s| s.charge_calls(instance, limit)).await
}

#[tauri::command]
pub async fn frozen_charges(session: Shared<'_>, instance: Option<String>) -> Result<Vec<FrozenCharge>, String> {
    blocking(&session, move |s| s.frozen_charges(instance)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP: &str = "9a1b2c3d-0000-4000-8000-00000000a001";
    const I1: &str = "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31";

    #[test]
    fn the_usage_view_sets_up_and_previews_through_the_shell() {
        let dir = tempfile::tempdir().unwrap();
        let s = Session::new(dir.path().join("ledger.sqlite"), "tester".into());
        assert_eq!(s.usage_status().unwrap().key_fingerprint, None);
        assert!(s.set_app_key("  ").unwrap_err().contains("paste"));
        assert!(s.set_app_key("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----").unwrap_err().contains("private key"));
        let fp = s.set_app_key(pl_wix_sim::charges::TEST_PUBLIC_KEY_PEM).unwrap();
        assert_eq!(s.usage_status().unwrap().key_fingerprint.as_deref(), Some(fp.as_str()));
        // Empty optional fields from the form are "not given".
        let plan = NewPlan { metric: "emails".into(), prices: "USD=0.01".into(), description: Some(" ".into()), from: Some("".into()), instance: Some("".into()) };
        let p = s.set_plan(plan).unwrap();
        assert_eq!((p.description.as_str(), p.instance_id.as_deref()), ("emails", None));
        assert!(s.set_plan(NewPlan { metric: "x".into(), prices: "USD=abc".into(), description: None, from: None, instance: None }).unwrap_err().contains("unit price"));
        assert_eq!(s.list_plans().unwrap().len(), 1);
        s.set_charge_limit(Some(" ".into()), "usd", "100").unwrap();
        assert!(s.set_charge_limit(None, "USD", "-1").is_err());
        assert_eq!(s.list_charge_limits().unwrap()[0].instance_id, None);
        let csv = dir.path().join("usage.csv");
        std::fs::write(&csv, format!("id,instance_id,occurred_at,metric,quantity\nu1,{I1},2026-03-02T10:00:00Z,emails,250\n")).unwrap();
        assert_eq!(s.import_usage(&csv.display().to_string(), false).unwrap().imported, 1);
        assert_eq!(s.usage_status().unwrap().counts.rows, 1);
        let a = s.preview_charges(I1, "USD", "2026-03-01", "2026-04-01").unwrap();
        assert!(a.body.contains(r#""amount":"2.50""#), "{}", a.body);
        assert!(s.preview_charges("nobody", "USD", "2026-03-01", "2026-04-01").unwrap_err().contains("GUID"));
        assert!(s.preview_charges(I1, "USD", "March", "2026-04-01").unwrap_err().contains("not an instant"));
        assert!(s.charge_calls(None, 10).unwrap().is_empty());
        assert!(s.frozen_charges(Some(I1.into())).unwrap().is_empty());
        let _ = APP;
    }
}
