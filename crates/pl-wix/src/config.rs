use std::time::Duration;

/// Where and how to reach Wix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WixConfig {
    /// API root, default `https://www.wixapis.com` (a simulator's URL in tests).
    pub base_url: String,
    /// Billing-event path, default `/apps/v1/billing-event` (one Wix page says `/v1/billing-event`).
    pub billing_path: String,
    /// The app's id (GUID); the OAuth `client_id` and the body's `appId` in the API-key flow.
    pub app_id: String,
    /// Whole-request timeout, default 30 s.
    pub timeout: Duration,
    /// Time allowed to open the connection, default 10 s (capped by `timeout`).
    pub connect_timeout: Duration,
    /// A cached access token is renewed this long before it expires, default 5 minutes.
    pub token_refresh_margin: Duration,
}

impl WixConfig {
    /// Defaults for the given app id.
    pub fn new(app_id: impl Into<String>) -> Self {
        WixConfig {
            base_url: "https://www.wixapis.com".to_string(),
            billing_path: "/apps/v1/billing-event".to_string(),
            app_id: app_id.into(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            token_refresh_margin: Duration::from_secs(5 * 60),
        }
    }

    /// Builder-style base URL.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Builder-style timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub(crate) fn root(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }

    /// Full URL of the billing-event endpoint.
    pub fn billing_url(&self) -> String {
        let path = self.billing_path.trim();
        if path.starts_with('/') {
            format!("{}{}", self.root(), path)
        } else {
            format!("{}/{}", self.root(), path)
        }
    }

    /// Full URL of the OAuth token endpoint.
    pub fn token_url(&self) -> String {
        format!("{}/oauth2/token", self.root())
    }
}

impl Default for WixConfig {
    fn default() -> Self {
        WixConfig::new("")
    }
}
