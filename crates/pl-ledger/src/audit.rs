//! The audit log lives in the store layer (`crate::store::audit`); this path stays for the
//! modules that still name it (issue 11: the lead removes it after merging).
pub(crate) use crate::store::audit::record;
