//! The negative suite (issue 13): tokens that must not pass, each refused with 401, no charge
//! frozen, no usage consumed, and the refusal in the log with its reason (never the token).
mod common;

use base64::Engine;
use common::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pl_wix_sim::charges::{now_secs, WixSigner, TEST_PUBLIC_KEY_PEM};
use serde_json::{json, Value};

const OTHER_PRIVATE_KEY: &str = include_str!("keys/other-TEST-ONLY-private.pem");

fn b64(v: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v)
}

#[tokio::test]
async fn every_bad_token_is_refused_with_401_no_charges_and_a_log_line() {
    let mut env = Env::new().await;
    env.plan("emails", "USD=1", None, None);
    env.limit(None, "USD", "1000");
    env.usage(&[("u1", I1, "2026-03-05T00:00:00Z", "emails", "10")]);
    let call = env.call_for(I1, "USD", "2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", "CREATE_INVOICE");
    let envelope = env.signer.list_charges_envelope(&call);
    let good_claims = env.signer.claims(envelope.clone());
    let with = |k: &str, v: Value| {
        let mut c = good_claims.clone();
        c[k] = v;
        c
    };
    let now = now_secs();
    let good = env.signer.sign_claims(&good_claims);
    let parts: Vec<&str> = good.split('.').collect();

    let alg_none = format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), b64(good_claims.to_string().as_bytes()));
    let hs256_with_public_pem =
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &good_claims, &EncodingKey::from_secret(TEST_PUBLIC_KEY_PEM.as_bytes()).unwrap()).unwrap();
    let other_key = WixSigner::from_pem(APP, OTHER_PRIVATE_KEY).unwrap().sign_claims(&good_claims);
    let wrong_aud = env.signer.sign_claims(&with("aud", json!("11111111-2222-4333-8444-555555555555")));
    let wrong_iss = env.signer.sign_claims(&with("iss", json!("evil.example")));
    let mut expired_claims = with("exp", json!(now - 10));
    expired_claims["iat"] = json!(now - 3600);
    let expired = env.signer.sign_claims(&expired_claims);
    let iat_ahead = env.signer.sign_claims(&with("iat", json!(now + 3600)));
    let mut no_iat_claims = good_claims.clone();
    no_iat_claims.as_object_mut().unwrap().remove("iat");
    let no_iat = env.signer.sign_claims(&no_iat_claims);
    let mut changed = good_claims.clone();
    changed["data"]["metadata"]["instanceId"] = json!(I2);
    let changed_after_signing = format!("{}.{}.{}", parts[0], b64(changed.to_string().as_bytes()), parts[2]);
    let truncated = good[..good.len() / 2].to_string();

    let cases: Vec<(&str, String, &str)> = vec![
        ("alg none", alg_none, "RS256"),
        ("HS256 with the public key's PEM as the secret", hs256_with_public_pem, "RS256"),
        ("another RSA key", other_key, "signature"),
        ("wrong aud", wrong_aud, "aud"),
        ("wrong iss", wrong_iss, "iss"),
        ("expired", expired, "expired"),
        ("iat an hour ahead", iat_ahead, "future"),
        ("no iat", no_iat, "iat"),
        ("payload changed after signing", changed_after_signing, "signature"),
        ("truncated", truncated, ""),
        ("empty body", String::new(), "empty"),
    ];
    for (name, token, why) in &cases {
        let (status, body) = env.post("/v1/charges", token.clone()).await;
        assert_eq!(status, 401, "{name}: {body}");
        let msg: Value = serde_json::from_str(&body).unwrap();
        assert!(msg["message"].as_str().unwrap().contains(why), "{name}: {body}");
        assert!(msg.get("charges").is_none(), "{name}");
    }
    assert_eq!(env.frozen_answers(), 0, "no bad token froze anything");
    let log = env.log().await;
    assert_eq!(log.len(), cases.len());
    for (entry, (name, token, _)) in log.iter().rev().zip(&cases) {
        assert_eq!(entry.status, 401, "{name}");
        assert!(entry.note.as_deref().is_some_and(|n| !n.is_empty()), "{name}: a reason");
        assert!(entry.answer.is_none() && entry.frozen.is_none(), "{name}");
        // Nothing from an unverified token is taken for true, and the token is never stored.
        assert!(entry.instance_id.is_none(), "{name}");
        if token.len() > 20 {
            assert!(!serde_json::to_string(entry).unwrap().contains(&token[token.len() - 20..]), "{name}: the token is not in the log");
        }
    }
    // The usage is still there for a real call.
    let (status, body) = env.post("/v1/charges", good).await;
    assert_eq!((status, amounts(&serde_json::from_str(&body).unwrap())), (200, vec!["10.00".to_string()]));
    env.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_a_jwt_is_400_and_logged() {
    let mut env = Env::new().await;
    for body in [r#"{"data":{"request":{}}}"#, "not a token at all", "\u{0}\u{1}binary"] {
        let (status, answer) = env.post("/v1/charges", body.to_string()).await;
        assert_eq!(status, 400, "{body:?}: {answer}");
    }
    let log = env.log().await;
    assert_eq!(log.iter().filter(|c| c.status == 400).count(), 3);
    env.stop().await;
}

#[tokio::test]
async fn without_the_app_key_every_call_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.sqlite");
    pl_ledger::Ledger::open(&db).unwrap().set_app(APP, "App", "t").unwrap();
    let server = pl_provider::Server::start(pl_provider::Config { db, listen: "127.0.0.1:0".parse().unwrap() }).await.unwrap();
    let signer = WixSigner::test(APP);
    let token = signer.charge_limit(I1, "USD");
    let (status, body) = pl_wix_sim::charges::call(&reqwest::Client::new(), &server.base_url(), "/v1/charge-limit", token).await.unwrap();
    assert_eq!(status, 401);
    assert!(body.contains("public key is not set"), "{body}");
    server.stop().await.unwrap();
}
