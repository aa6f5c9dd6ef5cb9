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

    /// Full URL of Query Sites (an account-level, read-only call taking an API key): what a
    /// connection test asks to check an API key and account id without reporting anything.
    pub fn sites_query_url(&self) -> String {
        format!("{}/site-list/v2/sites/query", self.root())
    }
}

/// Checks a Wix base URL (SPEC §6): `https://`, or `http://` only to a loopback address
/// (`127.0.0.0/8`, `::1`, `localhost`: the simulator), so that no secret travels in clear.
pub fn check_base_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url.trim()).map_err(|e| format!("`{url}` is not a URL ({e})"))?;
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" => {
            let host = parsed.host_str().unwrap_or("");
            let ip = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>();
            let loopback = match ip {
                Ok(ip) => ip.is_loopback(),
                Err(_) => host.eq_ignore_ascii_case("localhost"),
            };
            if loopback {
                Ok(())
            } else {
                Err(format!(
                    "the Wix address `{url}` is http:// to a host that is not this machine: secrets would travel \
                     unencrypted; use https:// (plain http is only for a simulator on 127.0.0.1, ::1 or localhost)"
                ))
            }
        }
        _ => Err(format!("the Wix address `{url}` must start with https://")),
    }
}

impl Default for WixConfig {
    fn default() -> Self {
        WixConfig::new("")
    }
}

#[cfg(test)]
mod tests {
    use super::check_base_url;

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for ok in ["https://www.wixapis.com", "https://10.0.0.1:8443/x", "http://127.0.0.1:8080", "http://127.9.9.9", "http://[::1]:9/", "http://localhost:3000", "http://LOCALHOST"] {
            assert!(check_base_url(ok).is_ok(), "{ok}");
        }
        for bad in ["http://www.wixapis.com", "http://10.0.0.1", "http://localhost.evil.com", "http://127.0.0.1.nip.io", "http://[::2]", "ftp://x", "www.wixapis.com", "", "https://"] {
            let e = check_base_url(bad).unwrap_err();
            assert!(!e.is_empty(), "{bad}");
        }
        assert!(check_base_url("http://example.com").unwrap_err().contains("unencrypted"));
    }
}
