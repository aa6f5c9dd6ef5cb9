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
            "operator_info",
            "set_operator",
            "app_info",
            "set_app",
            "list_rates",
            "add_rate",
            "remove_rate",
            "list_settings",
            "set_setting",
            "list_timezones",
            "credentials_info",
            "store_credential",
            "remove_credential",
            "test_connection",
            "import_fx",
            "fx_summary",
            "list_column_mappings",
            "read_mapping_file",
            "column_mapping",
            "preview_column_mapping",
            "save_column_mapping",
            "remove_column_mapping",
            "customer_mappings",
            "map_customer",
            "unmap_customer",
            "list_classifications",
            "unclassified_types",
            "classify_type",
            "remove_classification",
            "audit_page",
            "audit_facets",
            "audit_entry",
            "preview_imports",
            "commit_imports",
            "cancel_import",
            "check_manual_refund",
            "add_manual_refund",
            "month_series",
            "export_csv",
            "export_file_name",
            "ledger_timezone",
        ]),
    ))
    .expect("tauri-build failed");
}
