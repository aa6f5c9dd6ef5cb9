//! HTTP client for Wix's Report External Billing Event API, OAuth client-credentials tokens and the API-key flow.
