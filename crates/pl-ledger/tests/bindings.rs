//! The desktop UI's IPC types (`ui/src/bindings/`) are generated from the engine's Rust types
//! with ts-rs. This test renders every one of them and fails when a checked-in file differs, or
//! when the folder holds a file no type produces. To refresh them after changing a type:
//!
//!     UPDATE_BINDINGS=1 cargo test -p pl-ledger --test bindings
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pl_ledger::outbox::AttemptInfo;
use pl_ledger::{
    ApprovalOutcome, BatchSummary, ClassifyOutcome, ClassifyRule, EventLine, Exception, ImportReport, InstanceLine, MonthInfo, OutboxEntry, PayoutCheck,
    RejectedRow, Report, StateCounts, SubmitProgress, SubmitReport, Totals, MonthStatus, EventState, ExceptionKind, MonthSummary, InstanceSort,
    InstanceQuery, InstancePage, EventSort, EventQuery, EventPage, OutboxQuery, OutboxPage,
};
use pl_ledger::{
    AppInfo, AuditEntry, AuditFacets, AuditLine, AuditPage, AuditQuery, ColumnMappingInfo, ConnectionCheck, ConnectionTest, CredentialInfo,
    CredentialsInfo, CustomerMapping, CustomerMappingPage, CustomerMappingQuery, FxCurrency, FxImportReport, KindCount, MappingPreview,
    OperatorInfo, PreviewRow, RateInfo, SettingInfo, UnclassifiedType, UnmapOutcome,
};
use pl_ledger::{ChargeCall, ChargeLimitInfo, ChargesAnswer, Frozen, FrozenCharge, LeftOut, LeftOutReason, NewPlan, PlanInfo, PlanPrice, UsageCounts, UsageImportReport, UsageStatus};
use ts_rs::TS;

fn bindings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings")
}

fn file_of<T: TS + 'static>() -> (String, String) {
    let name = T::output_path()
        .expect("an exported type has an output path")
        .to_string_lossy()
        .into_owned();
    let text = T::export_to_string().expect("ts-rs renders the type");
    (name, text)
}

/// Every type that crosses the desktop IPC boundary.
fn expected() -> BTreeMap<String, String> {
    [
        file_of::<ImportReport>(),
        file_of::<RejectedRow>(),
        file_of::<BatchSummary>(),
        // The month view.
        file_of::<MonthInfo>(),
        file_of::<Report>(),
        file_of::<Totals>(),
        file_of::<InstanceLine>(),
        file_of::<EventLine>(),
        file_of::<Exception>(),
        file_of::<PayoutCheck>(),
        file_of::<ApprovalOutcome>(),
        // The month's pages.
        file_of::<MonthStatus>(),
        file_of::<EventState>(),
        file_of::<ExceptionKind>(),
        file_of::<MonthSummary>(),
        file_of::<InstanceSort>(),
        file_of::<InstanceQuery>(),
        file_of::<InstancePage>(),
        file_of::<EventSort>(),
        file_of::<EventQuery>(),
        file_of::<EventPage>(),
        file_of::<OutboxQuery>(),
        file_of::<OutboxPage>(),
        // Classifying an unclassified_type exception.
        file_of::<ClassifyRule>(),
        file_of::<ClassifyOutcome>(),
        // The submission view.
        file_of::<OutboxEntry>(),
        file_of::<StateCounts>(),
        file_of::<SubmitReport>(),
        file_of::<SubmitProgress>(),
        file_of::<AttemptInfo>(),
        // The Setup and Audit views.
        file_of::<AppInfo>(),
        file_of::<RateInfo>(),
        file_of::<SettingInfo>(),
        file_of::<FxImportReport>(),
        file_of::<FxCurrency>(),
        file_of::<ColumnMappingInfo>(),
        file_of::<MappingPreview>(),
        file_of::<KindCount>(),
        file_of::<PreviewRow>(),
        file_of::<CustomerMapping>(),
        file_of::<CustomerMappingQuery>(),
        file_of::<CustomerMappingPage>(),
        file_of::<UnmapOutcome>(),
        file_of::<UnclassifiedType>(),
        file_of::<CredentialsInfo>(),
        file_of::<CredentialInfo>(),
        file_of::<ConnectionTest>(),
        file_of::<ConnectionCheck>(),
        file_of::<AuditQuery>(),
        file_of::<AuditLine>(),
        file_of::<AuditPage>(),
        file_of::<AuditFacets>(),
        file_of::<AuditEntry>(),
        file_of::<OperatorInfo>(),
        // The window's month workflow: the import set, the manual refund form, charts, exports.
        file_of::<pl_ledger::ImportFileRequest>(),
        file_of::<pl_ledger::RowCount>(),
        file_of::<pl_ledger::FilePreview>(),
        file_of::<pl_ledger::ImportPreview>(),
        file_of::<pl_ledger::ImportProgress>(),
        file_of::<pl_ledger::RefundField>(),
        file_of::<pl_ledger::FieldProblem>(),
        file_of::<pl_ledger::RefundOutcome>(),
        file_of::<pl_ledger::ManualRefundInfo>(),
        file_of::<pl_ledger::MonthPoint>(),
        file_of::<pl_ledger::ExportKind>(),
        // The Usage view (Custom Charges).
        file_of::<PlanInfo>(),
        file_of::<PlanPrice>(),
        file_of::<NewPlan>(),
        file_of::<ChargeLimitInfo>(),
        file_of::<ChargeCall>(),
        file_of::<ChargesAnswer>(),
        file_of::<LeftOut>(),
        file_of::<LeftOutReason>(),
        file_of::<Frozen>(),
        file_of::<FrozenCharge>(),
        file_of::<UsageCounts>(),
        file_of::<UsageImportReport>(),
        file_of::<UsageStatus>(),
    ]
    .into_iter()
    .collect()
}

#[test]
fn ui_bindings_are_up_to_date() {
    let dir = bindings_dir();
    let expected = expected();
    let update = std::env::var_os("UPDATE_BINDINGS").is_some_and(|v| !v.is_empty() && v != "0");

    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let mut stale = Vec::new();
    for (name, text) in &expected {
        let path = dir.join(name);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() != Some(text.as_str()) {
            if update {
                std::fs::write(&path, text).unwrap();
                eprintln!("rewrote {}", path.display());
            } else {
                let what = if current.is_some() { "stale" } else { "missing" };
                stale.push(format!("{} is {what}", path.display()));
            }
        }
    }
    // A type that was removed or renamed must not leave its old file behind.
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for entry in entries {
            let entry = entry.unwrap();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".ts") && !expected.contains_key(&name) {
                if update {
                    std::fs::remove_file(entry.path()).unwrap();
                    eprintln!("removed {}", entry.path().display());
                } else {
                    stale.push(format!("{} is generated by no type", entry.path().display()));
                }
            }
        }
    }
    assert!(
        stale.is_empty(),
        "the UI's IPC bindings differ from the Rust types:\n  {}\nrun `make bindings` \
         (UPDATE_BINDINGS=1 cargo test -p pl-ledger --test bindings) and commit ui/src/bindings/",
        stale.join("\n  ")
    );
}
