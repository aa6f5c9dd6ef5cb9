//! Declares the app's own commands to Tauri's ACL (so each needs an explicit permission in
//! `capabilities/`) and checks that the UI was built before the frontend is embedded.
fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/dist/index.html");
    println!("cargo:rerun-if-changed=../ui/dist");
    if !dist.exists() {
        panic!(
            "ui/dist/index.html is missing: build the UI first (`make ui`, i.e. `npm ci && npm run build` in ui/)"
        );
    }
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "ledger_info",
            "list_batches",
            "import_file",
            "undo_batch",
            "list_months",
            "month_summary",
            "instance_page",
            "event_page",
            "approve_month",
            "reopen_month",
            "assign_instance",
            "classify_exception",
            "outbox_page",
            "outbox_counts",
            "outbox_attempts",
            "recover_outbox",
            "resolve_event",
            "submit_month",
            // The Usage view (src/usage.rs).
            "usage_status",
            "list_plans",
            "set_plan",
            "list_charge_limits",
            "set_charge_limit",
            "set_app_key",
            "import_usage",
            "preview_charges",
            "charge_calls",
            "frozen_charges",
        ]),
    ))
    .expect("tauri-build failed");
}
