//! Reads processor CSV exports (Stripe, PayPal, mapped) into normalised rows; pure parsing, no database.

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Format(String),
}
