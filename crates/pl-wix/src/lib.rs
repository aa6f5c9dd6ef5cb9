//! HTTP client for Wix's Report External Billing Event API, OAuth client-credentials tokens and the API-key flow.
//!
//! [`Client::report_event`] sends one [`BillingEvent`] and answers [`Accepted`] or a
//! [`SendFailure`] whose [`FailureClass`] tells the caller's outbox what to do
//! (retry, mark uncertain, reject the event, or stop the run). Secrets live in [`Secret`],
//! which never prints its value.
// No unsafe code in this crate (the engine's only unsafe code is pl-ledger/src/raw.rs).
#![forbid(unsafe_code)]

mod client;
mod clock;
mod config;
mod event;
mod failure;
mod scrub;
mod secrets;

pub use client::{Accepted, AuthFlow, Client, RenderedRequest};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{check_base_url, WixConfig};
pub use scrub::{scrub_secrets, Scrubber};
pub use event::{BillingEvent, BillingType};
pub use failure::{FailureClass, SendFailure};
pub use secrets::{
    credential_status, delete_credential, keyring_enabled, mask, store_credential, CredentialKind, CredentialStatus, KeyringError, Secret,
    Secrets, KEYRING_ENV, KEYRING_SERVICE,
};
