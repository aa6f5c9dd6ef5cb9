//! The Setup and Audit views' commands: the app and its rates, settings, Wix credentials and
//! the connection test, the FX table, column mappings (with a preview), customer mappings,
//! type classifications, the audit log, and the operator's name. Each calls one engine method
//! (the rules are the engine's); only the operator's name is the shell's own: it belongs to the
//! desktop user, not to a ledger, and is kept in the app's configuration folder.
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pl_ledger::{
    AppInfo, AuditEntry, AuditFacets, AuditPage, AuditQuery, ClassifyOutcome, ClassifyRule, ColumnMappingInfo, ConnectionTest, CredentialsInfo,
    CustomerMappingPage, CustomerMappingQuery, FxCurrency, FxImportReport, Ledger, MappingPreview, OperatorInfo, RateInfo, SettingInfo,
    UnclassifiedType, UnmapOutcome,
};
use tauri::State;

use crate::commands::blocking;
use crate::{operator_name, Session};

type Shared<'a> = State<'a, Arc<Session>>;

/// The file in the configuration folder holding the operator's name (one line, UTF-8).
pub const OPERATOR_FILE: &str = "operator.txt";

/// The longest operator name: it is written into every audit entry.
pub const MAX_OPERATOR_CHARS: usize = 80;

/// The desktop user's configuration folder: `PARTNER_LEDGER_CONFIG_DIR` when set (tests and the
/// end-to-end run keep their own), else the engine's default for this OS user.
pub fn config_dir() -> PathBuf {
    std::env::var_os("PARTNER_LEDGER_CONFIG_DIR").filter(|v| !v.is_empty()).map(PathBuf::from).unwrap_or_else(Ledger::default_config_dir)
}

/// An operator name as typed: trimmed, not empty, at most [`MAX_OPERATOR_CHARS`] characters,
/// no control character (it is one line of the audit log).
pub fn checked_operator(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("type your name: it is recorded with everything you change".into());
    }
    if name.chars().count() > MAX_OPERATOR_CHARS {
        return Err(format!("a name is at most {MAX_OPERATOR_CHARS} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("a name is one line, without tabs or other control characters".into());
    }
    Ok(name.to_string())
}

/// The saved name in `dir`, if there is a usable one (an unreadable or damaged file is "none":
/// the window asks again).
fn read_operator(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join(OPERATOR_FILE)).ok()?;
    checked_operator(&text).ok()
}

/// Writes the name through a temporary file renamed into place, so a crash never leaves half
/// a name.
fn write_operator(dir: &Path, name: &str) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("your name could not be saved in {}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(fail)?;
    let tmp = dir.join(format!("{OPERATOR_FILE}.tmp"));
    std::fs::write(&tmp, format!("{name}\n")).map_err(fail)?;
    std::fs::rename(&tmp, dir.join(OPERATOR_FILE)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

impl Session {
    /// Keeps the operator's name in `dir` from now on, and uses the one saved there, if any.
    pub fn with_config_dir(mut self, dir: PathBuf) -> Session {
        if let Some(saved) = read_operator(&dir) {
            *self.operator_name.get_mut().unwrap_or_else(|e| e.into_inner()) = saved;
        }
        self.config_dir = Some(dir);
        self
    }

    pub fn operator_info(&self) -> OperatorInfo {
        let saved = self.config_dir.as_deref().and_then(read_operator);
        OperatorInfo { saved, current: self.operator(), suggestion: operator_name() }
    }

    /// Saves the operator's name for this desktop user and uses it for every later action.
    pub fn set_operator(&self, name: &str) -> Result<OperatorInfo, String> {
        let name = checked_operator(name)?;
        let dir = self.config_dir.as_deref().ok_or("this session keeps no configuration folder")?;
        write_operator(dir, &name)?;
        *self.operator_name.write().unwrap_or_else(|e| e.into_inner()) = name;
        Ok(self.operator_info())
    }

    // ---- the app and its rates ----------------------------------------------------------------

    pub fn app_info(&self) -> Result<AppInfo, String> {
        self.with_ledger(|l| l.app())
    }

    pub fn set_app(&self, id: &str, name: &str) -> Result<AppInfo, String> {
        self.with_ledger(|l| {
            l.set_app(id, name, &self.operator())?;
            l.app()
        })
    }

    pub fn list_rates(&self) -> Result<Vec<RateInfo>, String> {
        self.with_ledger(|l| l.rates())
    }

    /// `instance`: none or blank for the app's rate, else an instance's override.
    pub fn add_rate(&self, from: &str, percent: &str, instance: Option<&str>) -> Result<RateInfo, String> {
        let instance = instance.map(str::trim).filter(|i| !i.is_empty());
        self.with_ledger(|l| l.add_rate(from, percent, instance, &self.operator()))
    }

    pub fn remove_rate(&self, from: &str, instance: Option<&str>) -> Result<RateInfo, String> {
        self.with_ledger(|l| l.remove_rate(from, instance, &self.operator()))
    }

    // ---- settings ---------------------------------------------------------------------------

    pub fn list_settings(&self) -> Result<Vec<SettingInfo>, String> {
        self.with_ledger(|l| l.settings())
    }

    /// Sets one setting (the engine checks it); returns every setting as it is now.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<Vec<SettingInfo>, String> {
        self.with_ledger(|l| {
            l.set_setting(key.trim(), value, &self.operator())?;
            l.settings()
        })
    }

    // ---- Wix credentials ----------------------------------------------------------------------

    pub fn credentials_info(&self) -> Result<CredentialsInfo, String> {
        self.with_ledger(|l| l.credentials())
    }

    pub fn store_credential(&self, name: &str, value: &str) -> Result<CredentialsInfo, String> {
        self.with_ledger(|l| l.store_credential(name, value, &self.operator()))
    }

    pub fn remove_credential(&self, name: &str) -> Result<CredentialsInfo, String> {
        self.with_ledger(|l| l.remove_credential(name, &self.operator()))
    }

    /// Tests the connection to the configured Wix address: prepared from the ledger, then run
    /// without it (the window keeps using the ledger meanwhile). Failed checks are data.
    pub async fn test_connection(self: Arc<Self>, instance: Option<String>) -> Result<ConnectionTest, String> {
        let target = blocking(&self, move |s| s.with_ledger(|l| l.connection_target(instance.as_deref()))).await?;
        Ok(target.run().await)
    }

    // ---- the FX table -----------------------------------------------------------------------

    pub fn import_fx(&self, path: &str) -> Result<FxImportReport, String> {
        let path = path.trim();
        if path.is_empty() {
            return Err("choose an FX table file".into());
        }
        self.with_ledger(|l| l.import_fx(Path::new(path), &self.operator()))
    }

    pub fn fx_summary(&self) -> Result<Vec<FxCurrency>, String> {
        self.with_ledger(|l| l.fx_summary())
    }

    // ---- column mappings --------------------------------------------------------------------

    pub fn list_column_mappings(&self) -> Result<Vec<ColumnMappingInfo>, String> {
        self.with_ledger(|l| l.list_column_mappings())
    }

    pub fn column_mapping(&self, name: &str) -> Result<String, String> {
        self.with_ledger(|l| l.column_mapping(name))
    }

    pub fn preview_column_mapping(&self, name: &str, toml: &str, path: &str) -> Result<MappingPreview, String> {
        let path = path.trim();
        if path.is_empty() {
            return Err("choose a sample file for the preview".into());
        }
        self.with_ledger(|l| l.preview_column_mapping(name, toml, Path::new(path)))
    }

    /// Saves a mapping (checked by the engine); returns the saved mappings.
    pub fn save_column_mapping(&self, name: &str, toml: &str) -> Result<Vec<ColumnMappingInfo>, String> {
        self.with_ledger(|l| {
            l.add_column_mapping(name, toml, &self.operator())?;
            l.list_column_mappings()
        })
    }

    pub fn remove_column_mapping(&self, name: &str) -> Result<Vec<ColumnMappingInfo>, String> {
        self.with_ledger(|l| {
            l.remove_column_mapping(name, &self.operator())?;
            l.list_column_mappings()
        })
    }

    // ---- customer mappings ------------------------------------------------------------------

    pub fn customer_mappings(&self, query: &CustomerMappingQuery) -> Result<CustomerMappingPage, String> {
        self.with_ledger(|l| l.customer_mappings(query))
    }

    /// Saves (or changes) a customer's mapping; returns how many rows it resolved.
    pub fn map_customer(&self, key: &str, instance: &str) -> Result<u32, String> {
        self.with_ledger(|l| l.map_customer(key, instance.trim(), &self.operator()))
    }

    pub fn unmap_customer(&self, key: &str) -> Result<UnmapOutcome, String> {
        self.with_ledger(|l| l.unmap_customer(key, &self.operator()))
    }

    // ---- type classifications ---------------------------------------------------------------

    pub fn list_classifications(&self) -> Result<Vec<ClassifyRule>, String> {
        self.with_ledger(|l| l.classify_rules())
    }

    pub fn unclassified_types(&self) -> Result<Vec<UnclassifiedType>, String> {
        self.with_ledger(|l| l.unclassified_types())
    }

    pub fn classify_type(&self, source: &str, type_name: &str, action: &str) -> Result<ClassifyOutcome, String> {
        self.with_ledger(|l| l.classify_type(source, type_name, action, &self.operator()))
    }

    pub fn remove_classification(&self, source: &str, type_name: &str) -> Result<ClassifyOutcome, String> {
        self.with_ledger(|l| l.remove_classification(source, type_name, &self.operator()))
    }

    // ---- the audit log ----------------------------------------------------------------------

    pub fn audit_page(&self, query: &AuditQuery) -> Result<AuditPage, String> {
        self.with_ledger(|l| l.audit_page(query))
    }

    pub fn audit_facets(&self) -> Result<AuditFacets, String> {
        self.with_ledger(|l| l.audit_facets())
    }

    pub fn audit_entry(&self, id: i64) -> Result<AuditEntry, String> {
        self.with_ledger(|l| l.audit_entry(id))
    }
}

// ---- the commands ---------------------------------------------------------------------------

#[tauri::command]
pub fn operator_info(session: Shared<'_>) -> OperatorInfo {
    session.operator_info()
}

#[tauri::command]
pub async fn set_operator(session: Shared<'_>, name: String) -> Result<OperatorInfo, String> {
    blocking(&session, move |s| s.set_operator(&name)).await
}

#[tauri::command]
pub async fn app_info(session: Shared<'_>) -> Result<AppInfo, String> {
    blocking(&session, |s| s.app_info()).await
}

#[tauri::command]
pub async fn set_app(session: Shared<'_>, id: String, name: String) -> Result<AppInfo, String> {
    blocking(&session, move |s| s.set_app(&id, &name)).await
}

#[tauri::command]
pub async fn list_rates(session: Shared<'_>) -> Result<Vec<RateInfo>, String> {
    blocking(&session, |s| s.list_rates()).await
}

#[tauri::command]
pub async fn add_rate(session: Shared<'_>, from: String, percent: String, instance: Option<String>) -> Result<RateInfo, String> {
    blocking(&session, move |s| s.add_rate(&from, &percent, instance.as_deref())).await
}

#[tauri::command]
pub async fn remove_rate(session: Shared<'_>, from: String, instance: Option<String>) -> Result<RateInfo, String> {
    blocking(&session, move |s| s.remove_rate(&from, instance.as_deref())).await
}

#[tauri::command]
pub async fn list_settings(session: Shared<'_>) -> Result<Vec<SettingInfo>, String> {
    blocking(&session, |s| s.list_settings()).await
}

#[tauri::command]
pub async fn set_setting(session: Shared<'_>, key: String, value: String) -> Result<Vec<SettingInfo>, String> {
    blocking(&session, move |s| s.set_setting(&key, &value)).await
}

/// The IANA time zone names the `timezone` setting accepts (the window's searchable list).
#[tauri::command]
pub fn list_timezones() -> Vec<String> {
    Ledger::timezones()
}

#[tauri::command]
pub async fn credentials_info(session: Shared<'_>) -> Result<CredentialsInfo, String> {
    blocking(&session, |s| s.credentials_info()).await
}

/// Stores a credential in the OS keyring. The value is never logged, stored in the ledger or
/// sent back: the answer says only which credentials are set.
#[tauri::command]
pub async fn store_credential(session: Shared<'_>, name: String, value: String) -> Result<CredentialsInfo, String> {
    blocking(&session, move |s| s.store_credential(&name, &value)).await
}

#[tauri::command]
pub async fn remove_credential(session: Shared<'_>, name: String) -> Result<CredentialsInfo, String> {
    blocking(&session, move |s| s.remove_credential(&name)).await
}

#[tauri::command]
pub async fn test_connection(session: Shared<'_>, instance: Option<String>) -> Result<ConnectionTest, String> {
    Arc::clone(&session).test_connection(instance).await
}

#[tauri::command]
pub async fn import_fx(session: Shared<'_>, path: String) -> Result<FxImportReport, String> {
    blocking(&session, move |s| s.import_fx(&path)).await
}

#[tauri::command]
pub async fn fx_summary(session: Shared<'_>) -> Result<Vec<FxCurrency>, String> {
    blocking(&session, |s| s.fx_summary()).await
}

#[tauri::command]
pub async fn list_column_mappings(session: Shared<'_>) -> Result<Vec<ColumnMappingInfo>, String> {
    blocking(&session, |s| s.list_column_mappings()).await
}

/// The text of a mapping file the operator chose in the file dialog.
#[tauri::command]
pub async fn read_mapping_file(path: String) -> Result<String, String> {
    tauri::async_runtime::spawn_blocking(move || pl_ledger::mappings::read_file(Path::new(path.trim())).map_err(|e| e.to_string()))
        .await
        .map_err(|e| format!("the file could not be read: {e}"))?
}

#[tauri::command]
pub async fn column_mapping(session: Shared<'_>, name: String) -> Result<String, String> {
    blocking(&session, move |s| s.column_mapping(&name)).await
}

#[tauri::command]
pub async fn preview_column_mapping(session: Shared<'_>, name: String, toml: String, path: String) -> Result<MappingPreview, String> {
    blocking(&session, move |s| s.preview_column_mapping(&name, &toml, &path)).await
}

#[tauri::command]
pub async fn save_column_mapping(session: Shared<'_>, name: String, toml: String) -> Result<Vec<ColumnMappingInfo>, String> {
    blocking(&session, move |s| s.save_column_mapping(&name, &toml)).await
}

#[tauri::command]
pub async fn remove_column_mapping(session: Shared<'_>, name: String) -> Result<Vec<ColumnMappingInfo>, String> {
    blocking(&session, move |s| s.remove_column_mapping(&name)).await
}

#[tauri::command]
pub async fn customer_mappings(session: Shared<'_>, query: CustomerMappingQuery) -> Result<CustomerMappingPage, String> {
    blocking(&session, move |s| s.customer_mappings(&query)).await
}

#[tauri::command]
pub async fn map_customer(session: Shared<'_>, key: String, instance: String) -> Result<u32, String> {
    blocking(&session, move |s| s.map_customer(&key, &instance)).await
}

#[tauri::command]
pub async fn unmap_customer(session: Shared<'_>, key: String) -> Result<UnmapOutcome, String> {
    blocking(&session, move |s| s.unmap_customer(&key)).await
}

#[tauri::command]
pub async fn list_classifications(session: Shared<'_>) -> Result<Vec<ClassifyRule>, String> {
    blocking(&session, |s| s.list_classifications()).await
}

#[tauri::command]
pub async fn unclassified_types(session: Shared<'_>) -> Result<Vec<UnclassifiedType>, String> {
    blocking(&session, |s| s.unclassified_types()).await
}

#[tauri::command(rename_all = "camelCase")]
pub async fn classify_type(session: Shared<'_>, source: String, type_name: String, action: String) -> Result<ClassifyOutcome, String> {
    blocking(&session, move |s| s.classify_type(&source, &type_name, &action)).await
}

#[tauri::command(rename_all = "camelCase")]
pub async fn remove_classification(session: Shared<'_>, source: String, type_name: String) -> Result<ClassifyOutcome, String> {
    blocking(&session, move |s| s.remove_classification(&source, &type_name)).await
}

#[tauri::command]
pub async fn audit_page(session: Shared<'_>, query: AuditQuery) -> Result<AuditPage, String> {
    blocking(&session, move |s| s.audit_page(&query)).await
}

#[tauri::command]
pub async fn audit_facets(session: Shared<'_>) -> Result<AuditFacets, String> {
    blocking(&session, |s| s.audit_facets()).await
}

#[tauri::command]
pub async fn audit_entry(session: Shared<'_>, id: i64) -> Result<AuditEntry, String> {
    blocking(&session, move |s| s.audit_entry(id)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> (tempfile::TempDir, Session) {
        let dir = tempfile::tempdir().unwrap();
        let s = Session::new(dir.path().join("ledger.sqlite"), "fallback".into()).with_config_dir(dir.path().join("config"));
        (dir, s)
    }

    const APP: &str = "9a1b2c3d-0000-4000-8000-00000000a001";
    const INSTANCE: &str = "6f1c2a9e-3b4d-4e8a-9c1f-2d7b8e0a5c31";

    #[test]
    fn an_operator_name_is_one_trimmed_line() {
        assert_eq!(checked_operator("  Ana Lima ").unwrap(), "Ana Lima");
        assert!(checked_operator("   ").unwrap_err().contains("type your name"));
        assert!(checked_operator(&"a".repeat(81)).unwrap_err().contains("at most 80"));
        assert_eq!(checked_operator(&"é".repeat(80)).unwrap().chars().count(), 80);
        assert!(checked_operator("ana\nben").unwrap_err().contains("one line"));
    }

    #[test]
    fn the_operator_is_asked_once_then_remembered_and_used_for_the_audit_log() {
        let (dir, s) = session();
        let first = s.operator_info();
        assert_eq!((first.saved, first.current.as_str()), (None, "fallback"));
        assert!(!first.suggestion.trim().is_empty());
        assert!(s.set_operator("  ").is_err());
        assert_eq!(s.operator_info().saved, None, "a refused name saves nothing");

        let info = s.set_operator(" Ana Lima ").unwrap();
        assert_eq!((info.saved.as_deref(), info.current.as_str()), (Some("Ana Lima"), "Ana Lima"));
        assert_eq!(std::fs::read_to_string(dir.path().join("config").join(OPERATOR_FILE)).unwrap(), "Ana Lima\n");
        s.set_app(APP, "Demo").unwrap();
        let log = Ledger::open(&dir.path().join("ledger.sqlite")).unwrap().audit_log().unwrap();
        assert!(log.iter().all(|a| a.who == "Ana Lima"), "{log:?}");

        // A new session of the same desktop user (the next start) uses it without asking.
        let again = Session::new(dir.path().join("ledger.sqlite"), "fallback".into()).with_config_dir(dir.path().join("config"));
        assert_eq!(again.operator_info().saved.as_deref(), Some("Ana Lima"));
        assert_eq!(again.operator(), "Ana Lima");
        // A damaged file is no name: the window asks again.
        std::fs::write(dir.path().join("config").join(OPERATOR_FILE), "\n\n").unwrap();
        let damaged = Session::new(dir.path().join("ledger.sqlite"), "fallback".into()).with_config_dir(dir.path().join("config"));
        assert_eq!((damaged.operator_info().saved, damaged.operator()), (None, "fallback".to_string()));
        // Without a configuration folder the name cannot be kept, and the session says so.
        let bare = Session::new(dir.path().join("ledger.sqlite"), "x".into());
        assert!(bare.set_operator("Ana").unwrap_err().contains("configuration folder"));
    }

    #[test]
    fn the_app_rates_and_settings_through_the_shell() {
        let (_d, s) = session();
        assert_eq!(s.app_info().unwrap().id, None);
        assert!(s.set_app("nope", "Demo").unwrap_err().contains("not a Wix app id"));
        assert_eq!(s.set_app(APP, "Demo").unwrap().name.as_deref(), Some("Demo"));
        let r = s.add_rate("2026-01-01", "20", Some("  ")).unwrap();
        assert_eq!((r.percent.as_str(), r.instance_id, r.added_by.as_str()), ("20", None, "fallback"));
        s.add_rate("2026-06-01", "10", Some(INSTANCE)).unwrap();
        assert!(s.add_rate("2026-13-01", "10", None).unwrap_err().contains("YYYY-MM-DD"));
        assert!(s.add_rate("2026-01-01", "120", None).unwrap_err().contains("between 0 and 100"));
        assert_eq!(s.list_rates().unwrap().len(), 2);
        assert_eq!(s.remove_rate("2026-06-01", Some(INSTANCE)).unwrap().percent, "10");
        assert_eq!(s.list_rates().unwrap().len(), 1);

        let after = s.set_setting(" timezone ", "Europe/Berlin").unwrap();
        assert_eq!(after.iter().find(|x| x.key == "timezone").unwrap().value.as_deref(), Some("Europe/Berlin"));
        let e = s.set_setting("timezone", "Mars/Base").unwrap_err();
        assert!(e.contains("not an IANA time zone"), "{e}");
        assert!(list_timezones().iter().any(|z| z == "Europe/Berlin"));
    }

    #[test]
    fn a_mapping_file_is_read_previewed_saved_and_removed() {
        let (dir, s) = session();
        let toml = "id = \"Ref\"\ndate = \"Booked\"\ndate_format = \"%Y-%m-%d\"\namount = \"Amount\"\nfixed_currency = \"USD\"\ninstance = \"Site\"\n";
        let file = dir.path().join("bank.toml");
        std::fs::write(&file, format!("\u{feff}{toml}")).unwrap();
        let rt = tokio::runtime::Runtime::new().unwrap();
        let read = |p: &Path| rt.block_on(read_mapping_file(p.display().to_string()));
        assert_eq!(read(&file).unwrap(), toml, "a byte-order mark is dropped");
        assert!(read(dir.path()).unwrap_err().contains("not a regular file"));
        std::fs::write(dir.path().join("big.toml"), vec![b'#'; 70_000]).unwrap();
        assert!(read(&dir.path().join("big.toml")).unwrap_err().contains("at most"));
        std::fs::write(dir.path().join("bin.toml"), [0xff, 0xfe, 0x00]).unwrap();
        assert!(read(&dir.path().join("bin.toml")).unwrap_err().contains("not UTF-8"));

        let sample = dir.path().join("bank.csv");
        std::fs::write(&sample, format!("Ref,Booked,Amount,Site\nB-1,2026-10-04,10.00,{INSTANCE}\n")).unwrap();
        assert!(s.preview_column_mapping("bank", toml, " ").unwrap_err().contains("choose a sample file"));
        let p = s.preview_column_mapping("bank", toml, &sample.display().to_string()).unwrap();
        assert_eq!((p.rows_read, p.rows.len(), p.rows[0].kind.as_str()), (1, 1, "charge"));
        assert!(s.list_column_mappings().unwrap().is_empty(), "a preview saves nothing");
        assert_eq!(s.save_column_mapping("bank", toml).unwrap().iter().map(|m| m.saved_by.as_str()).collect::<Vec<_>>(), ["fallback"]);
        assert_eq!(s.column_mapping("bank").unwrap(), toml);
        assert!(s.remove_column_mapping("bank").unwrap().is_empty());
    }

    #[test]
    fn customers_classifications_fx_and_the_audit_log_through_the_shell() {
        let (dir, s) = session();
        assert_eq!(s.map_customer("cus_1", INSTANCE).unwrap(), 0);
        assert!(s.map_customer("cus_2", "site").unwrap_err().contains("not a Wix instance id"));
        let page = s.customer_mappings(&CustomerMappingQuery { search: Some("CUS".into()), offset: 0, limit: 50 }).unwrap();
        assert_eq!((page.total, page.rows[0].instance_id.as_str()), (1, INSTANCE));
        assert_eq!(s.unmap_customer("cus_1").unwrap().unresolved, 0);

        assert!(s.classify_type("paypal-activity", "General Payment", "revenue").unwrap_err().contains("charge, refund or ignore"));
        let out = s.classify_type("paypal-activity", "General Payment", "charge").unwrap();
        assert_eq!(out.rule.unwrap().saved_by, "fallback");
        assert_eq!(s.list_classifications().unwrap().len(), 1);
        assert!(s.unclassified_types().unwrap().is_empty());
        s.remove_classification("paypal-activity", "general payment").unwrap();
        assert!(s.list_classifications().unwrap().is_empty());

        assert!(s.import_fx("  ").unwrap_err().contains("choose an FX table file"));
        let fx = dir.path().join("fx.csv");
        std::fs::write(&fx, "date,currency,usd_per_unit\n2026-10-01,EUR,1.08\n").unwrap();
        assert_eq!(s.import_fx(&fx.display().to_string()).unwrap().rates, 1);
        assert_eq!(s.fx_summary().unwrap()[0].currency, "EUR");

        let q = AuditQuery { month: None, who: Some("fallback".into()), action: Some("customer_map.set".into()), search: None, offset: 0, limit: 10 };
        let page = s.audit_page(&q).unwrap();
        assert_eq!(page.total, 1);
        let facets = s.audit_facets().unwrap();
        assert!(facets.actions.contains(&"fx.import".to_string()) && facets.operators == ["fallback"], "{facets:?}");
        assert_eq!(s.audit_entry(page.rows[0].id).unwrap().entity, "customer:cus_1");
        assert!(s.audit_entry(0).unwrap_err().contains("not found"));
    }

    #[test]
    fn the_connection_test_asks_the_simulator_and_failures_are_data() {
        let (_d, s) = session();
        let s = Arc::new(s);
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let sim = rt.block_on(pl_wix_sim::Simulator::start(pl_wix_sim::SimConfig::default())).unwrap();
        assert!(rt.block_on(Arc::clone(&s).test_connection(None)).unwrap_err().contains("no Wix app id yet"));
        s.set_app(APP, "Demo").unwrap();
        s.set_setting("wix.base_url", &sim.base_url()).unwrap();
        // The secret comes from the environment here, as in the submission test of this crate
        // (the same value: the tests of this process may run in any order).
        std::env::set_var("WIX_APP_SECRET", "sim-app-secret");
        let t = rt.block_on(Arc::clone(&s).test_connection(Some(INSTANCE.into()))).unwrap();
        // (An API-key check may follow when this user's keyring holds one for the app.)
        assert!(t.checks[0].ok && t.checks[0].flow == "oauth" && t.base_url == sim.base_url(), "{t:?}");
        assert_eq!(sim.billing_requests(), 0);
        let t = rt.block_on(Arc::clone(&s).test_connection(None)).unwrap();
        assert!(!t.ok && t.checks[0].message.contains("no instance"), "{t:?}");
        assert!(rt.block_on(Arc::clone(&s).test_connection(Some("x".into()))).unwrap_err().contains("not a Wix instance id"));
        sim.shutdown();
    }
}
