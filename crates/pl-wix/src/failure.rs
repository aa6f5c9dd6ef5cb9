use serde_json::Value;
use std::fmt;

/// What the caller's outbox should do with a failed send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureClass {
    /// Certainly not processed by Wix (connection refused, DNS, connect timeout, 429, 502, 503,
    /// or the access token could not be obtained): retry with backoff.
    NotSent,
    /// May have been processed (timeout or reset after the request was written, 500, 504,
    /// unreadable response): mark uncertain, never re-send automatically.
    Ambiguous,
    /// Wix refused this event (400, 404, 409, other 4xx): the event is rejected.
    Rejected,
    /// Configuration problem (401, 403, 428, no usable credentials): stop the whole run.
    Config,
}

impl FailureClass {
    /// Short lower-case name (`not_sent`, `ambiguous`, `rejected`, `config`).
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::NotSent => "not_sent",
            FailureClass::Ambiguous => "ambiguous",
            FailureClass::Rejected => "rejected",
            FailureClass::Config => "config",
        }
    }
}

impl fmt::Display for FailureClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A send that did not end in an accepted event. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFailure {
    /// What the outbox should do.
    pub class: FailureClass,
    /// HTTP status of Wix's answer, if one came.
    pub status: Option<u16>,
    /// Wix's response body, if one came (secrets scrubbed).
    pub body: Option<String>,
    /// What happened, in words a finance person understands.
    pub message: String,
}

impl fmt::Display for SendFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SendFailure {}

impl SendFailure {
    pub(crate) fn new(class: FailureClass, message: impl Into<String>) -> Self {
        SendFailure { class, status: None, body: None, message: message.into() }
    }
}

/// Class of a non-2xx answer to the billing-event call.
pub(crate) fn class_for_status(status: u16) -> FailureClass {
    match status {
        401 | 403 | 428 => FailureClass::Config,
        429 | 502 | 503 => FailureClass::NotSent,
        400..=499 => FailureClass::Rejected,
        300..=399 => FailureClass::Config,
        _ => FailureClass::Ambiguous,
    }
}

/// Wix's own words from an error body: message, application error, field violations.
pub fn wix_error_detail(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    let mut parts: Vec<String> = Vec::new();
    let details = v.get("details");
    if let Some(app) = details.and_then(|d| d.get("applicationError")) {
        let code = app.get("code").and_then(Value::as_str).unwrap_or("");
        let desc = app.get("description").and_then(Value::as_str).unwrap_or("");
        match (code.is_empty(), desc.is_empty()) {
            (false, false) => parts.push(format!("{desc} ({code})")),
            (false, true) => parts.push(code.to_string()),
            (true, false) => parts.push(desc.to_string()),
            _ => {}
        }
    }
    if let Some(list) = details
        .and_then(|d| d.get("validationError"))
        .and_then(|e| e.get("fieldViolations"))
        .and_then(Value::as_array)
    {
        let items: Vec<String> = list
            .iter()
            .map(|fv| {
                let field = fv.get("field").and_then(Value::as_str).unwrap_or("?");
                let desc = fv.get("description").and_then(Value::as_str).unwrap_or("invalid");
                format!("{field}: {desc}")
            })
            .collect();
        if !items.is_empty() {
            parts.push(format!("invalid fields: {}", items.join("; ")));
        }
    }
    let msg = v.get("message").and_then(Value::as_str).unwrap_or("").trim();
    if !msg.is_empty() && !parts.iter().any(|p| p.contains(msg)) {
        parts.insert(0, msg.to_string());
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join(". "))
    }
}

/// The finance-readable message for a non-2xx answer to the billing-event call.
pub(crate) fn status_message(status: u16, body: &str) -> String {
    let head = match status {
        400 => "Wix rejected the billing event as invalid (400)".to_string(),
        401 => "Wix did not accept our credentials (401 Unauthorized): check the app secret or \
                the API key; nothing more will be sent"
            .to_string(),
        403 => "Wix refused access (403 Forbidden): the credentials lack the permission to report \
                billing for this app (app id, API key, or Wix account id mismatch); nothing more \
                will be sent"
            .to_string(),
        404 => "Wix does not know this app or instance (404 Not Found); the event was rejected"
            .to_string(),
        409 => "Wix refused the event because it conflicts with one it already has (409 Conflict)"
            .to_string(),
        428 => "The app is not set up for external billing in Wix (428 FAILED_PRECONDITION): \
                enable Partner Billed external billing for the app in the Wix app dashboard \
                before submitting; nothing more will be sent"
            .to_string(),
        429 => "Wix is limiting how fast we send (429 Too Many Requests); the event was not \
                processed and will be retried later"
            .to_string(),
        502 | 503 => format!(
            "Wix was temporarily unavailable ({status}); the event was not processed and will \
             be retried later"
        ),
        500 | 504 => format!(
            "Wix answered with a server error ({status}) after receiving the event: it may or may \
             not have been recorded. Check in Wix before sending it again"
        ),
        300..=399 => format!(
            "Wix answered with a redirect ({status}): the configured Wix address is probably wrong"
        ),
        s if (400..500).contains(&s) => format!("Wix rejected the billing event ({s})"),
        s => format!(
            "Wix answered with an unexpected error ({s}): the event may or may not have been \
             recorded. Check in Wix before sending it again"
        ),
    };
    match wix_error_detail(body) {
        Some(d) => format!("{head}. Wix said: {d}"),
        None => head,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_error_is_readable() {
        let body = r#"{"message":"precondition failed","details":{"applicationError":
            {"code":"FAILED_PRECONDITION","description":"The app isn't configured for external billing"}}}"#;
        let m = status_message(428, body);
        assert!(m.contains("not set up for external billing"), "{m}");
        assert!(m.contains("The app isn't configured for external billing (FAILED_PRECONDITION)"), "{m}");
        assert!(m.contains("precondition failed"), "{m}");
    }

    #[test]
    fn field_violations_are_listed() {
        let body = r#"{"details":{"validationError":{"fieldViolations":[
            {"field":"event.grossRevenue","description":"must be a decimal string"},
            {"field":"event.billingType","description":"is required"}]}}}"#;
        let m = status_message(400, body);
        assert!(m.contains("event.grossRevenue: must be a decimal string; event.billingType: is required"), "{m}");
    }

    #[test]
    fn classes() {
        for (s, c) in [
            (400, FailureClass::Rejected),
            (404, FailureClass::Rejected),
            (409, FailureClass::Rejected),
            (401, FailureClass::Config),
            (403, FailureClass::Config),
            (428, FailureClass::Config),
            (429, FailureClass::NotSent),
            (502, FailureClass::NotSent),
            (503, FailureClass::NotSent),
            (500, FailureClass::Ambiguous),
            (504, FailureClass::Ambiguous),
        ] {
            assert_eq!(class_for_status(s), c, "{s}");
        }
    }
}
