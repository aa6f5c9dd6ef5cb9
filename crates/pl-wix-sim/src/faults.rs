//! Fault plans: which billing requests misbehave, and how.
//!
//! ```json
//! {"rules": [
//!   {"nth": 1, "kind": "status", "code": 503},
//!   {"every": 5, "kind": "drop_after_processing"},
//!   {"probability": 0.1, "seed": 42, "kind": "delay_ms", "ms": 40000},
//!   {"instance": "2f0c…", "times": 1, "kind": "reject"},
//!   {"nth": 7, "kind": "status", "code": 500, "processed": false}
//! ]}
//! ```
//!
//! Kinds: `reject` (400 validation error), `status` + `code`, `drop_after_processing`,
//! `drop_before_processing`, `delay_ms` + `ms`, `echo_auth` (+ optional `code`, default 401:
//! an error body echoing the Authorization header in every encoding). The first matching rule wins; requests are
//! counted from 1 since the plan was installed (or the last reset).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// What to do to a matched billing request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Answer 400 with a validation error; the event is not recorded.
    Reject,
    /// Answer this HTTP status with a Wix error body. Only 500 and 504 can be "processed"
    /// (the event is recorded, then the error is answered); `processed` defaults to `true`
    /// for them and is ignored for every other code (never recorded).
    Status {
        /// HTTP status, e.g. 401, 403, 409, 428, 429, 500, 502, 503, 504.
        code: u16,
        /// For 500/504: whether Wix recorded the event before failing (default true).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        processed: Option<bool>,
    },
    /// Record the event as accepted, then close the connection without any response.
    DropAfterProcessing,
    /// Close the connection without any response and without recording the event.
    DropBeforeProcessing,
    /// Record the event, then answer 200 after `ms` milliseconds.
    DelayMs {
        /// Delay in milliseconds.
        ms: u64,
    },
    /// Answer `code` (default 401) with an error body that echoes the request's `Authorization`
    /// header (the access token or the API key) in every form a careless server might use:
    /// verbatim and JSON-escaped (`message`), JSON-escaped with non-ASCII as `\uXXXX`
    /// (`description`), and URL-encoded with `%20` and with `+` (`data`). Not recorded.
    EchoAuth {
        /// HTTP status, default 401.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<u16>,
    },
}

impl Fault {
    /// True when the event is recorded as accepted before the fault shows.
    pub fn processes_event(&self) -> bool {
        match self {
            Fault::Reject | Fault::DropBeforeProcessing | Fault::EchoAuth { .. } => false,
            Fault::Status { code, processed } => {
                matches!(code, 500 | 504) && processed.unwrap_or(true)
            }
            Fault::DropAfterProcessing | Fault::DelayMs { .. } => true,
        }
    }
}

/// One rule: conditions (all given ones must hold; none = every request) and a fault.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Matches the Nth billing request (1-based, over all instances, counted since the plan
    /// was installed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    /// Matches every Nth billing request (N, 2N, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every: Option<u64>,
    /// Matches with this probability (0..=1), drawn from a generator seeded with `seed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Seed for `probability` (default 0): the same plan gives the same faults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Matches requests for this instance id (from the token, else the body's `instanceId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Fires at most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u64>,
    /// The fault (flattened: `"kind": ...` sits in the rule object).
    #[serde(flatten)]
    pub fault: Fault,
}

impl FaultRule {
    /// A rule with no condition (every request) for `fault`.
    pub fn always(fault: Fault) -> Self {
        FaultRule { nth: None, every: None, probability: None, seed: None, instance: None, times: None, fault }
    }

    /// A rule for the Nth billing request.
    pub fn nth(n: u64, fault: Fault) -> Self {
        FaultRule { nth: Some(n), ..Self::always(fault) }
    }

    /// A rule for every Nth billing request.
    pub fn every(n: u64, fault: Fault) -> Self {
        FaultRule { every: Some(n), ..Self::always(fault) }
    }

    /// A rule for one instance.
    pub fn instance(instance: impl Into<String>, fault: Fault) -> Self {
        FaultRule { instance: Some(instance.into()), ..Self::always(fault) }
    }

    /// A rule that fires with `probability`, deterministically from `seed`.
    pub fn random(probability: f64, seed: u64, fault: Fault) -> Self {
        FaultRule { probability: Some(probability), seed: Some(seed), ..Self::always(fault) }
    }
}

/// A list of rules; the first matching rule decides a request's fault.
///
/// JSON: `{"rules": [...]}` or a bare list `[...]`, each rule like
/// `{"nth": 3, "kind": "status", "code": 503}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FaultPlan {
    /// Rules in priority order.
    pub rules: Vec<FaultRule>,
}

impl<'de> Deserialize<'de> for FaultPlan {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Object { rules: Vec<FaultRule> },
            List(Vec<FaultRule>),
        }
        Ok(match Form::deserialize(d)? {
            Form::Object { rules } | Form::List(rules) => FaultPlan { rules },
        })
    }
}

impl FaultPlan {
    /// A plan with these rules.
    pub fn new(rules: Vec<FaultRule>) -> Self {
        FaultPlan { rules }
    }

    /// Parses and checks a JSON plan.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let plan: FaultPlan = serde_json::from_str(text).map_err(|e| format!("bad fault plan: {e}"))?;
        plan.check()?;
        Ok(plan)
    }

    /// Checks values (probabilities in 0..=1, N ≥ 1, status codes 400..=599).
    pub fn check(&self) -> Result<(), String> {
        for (i, r) in self.rules.iter().enumerate() {
            if let Some(p) = r.probability {
                if !(0.0..=1.0).contains(&p) {
                    return Err(format!("rule {}: probability must be between 0 and 1", i + 1));
                }
            }
            if r.nth == Some(0) || r.every == Some(0) {
                return Err(format!("rule {}: nth and every count from 1", i + 1));
            }
            let code = match r.fault {
                Fault::Status { code, .. } | Fault::EchoAuth { code: Some(code) } => Some(code),
                _ => None,
            };
            if let Some(code) = code {
                if !(400..=599).contains(&code) {
                    return Err(format!("rule {}: status code must be 400..=599", i + 1));
                }
            }
        }
        Ok(())
    }
}

/// A plan with its matching state (counter, generators, fire counts).
#[derive(Debug)]
pub(crate) struct ActivePlan {
    pub plan: FaultPlan,
    counter: u64,
    rngs: Vec<StdRng>,
    fired: Vec<u64>,
}

impl ActivePlan {
    pub fn new(plan: FaultPlan) -> Self {
        let rngs = plan.rules.iter().map(|r| StdRng::seed_from_u64(r.seed.unwrap_or(0))).collect();
        let fired = vec![0; plan.rules.len()];
        ActivePlan { plan, counter: 0, rngs, fired }
    }

    /// Counts one billing request and returns the fault of the first matching rule.
    pub fn next(&mut self, instance: Option<&str>) -> Option<Fault> {
        self.counter += 1;
        let n = self.counter;
        let mut chosen = None;
        for (i, r) in self.plan.rules.iter().enumerate() {
            // Always draw, so a rule's random sequence does not depend on the other rules.
            let draw_ok = match r.probability {
                Some(p) => self.rngs[i].random_bool(p),
                None => true,
            };
            let ok = draw_ok
                && r.nth.is_none_or(|k| k == n)
                && r.every.is_none_or(|k| n.is_multiple_of(k))
                && r.instance.as_deref().is_none_or(|want| Some(want) == instance)
                && r.times.is_none_or(|t| self.fired[i] < t);
            if ok && chosen.is_none() {
                self.fired[i] += 1;
                chosen = Some(r.fault.clone());
            }
        }
        chosen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_forms() {
        let a = FaultPlan::from_json(
            r#"{"rules":[{"nth":3,"kind":"status","code":503},{"every":5,"kind":"drop_after_processing"},
            {"probability":0.5,"seed":7,"kind":"delay_ms","ms":100},{"instance":"i-1","kind":"reject"}]}"#,
        )
        .unwrap();
        assert_eq!(a.rules.len(), 4);
        assert_eq!(a.rules[0].fault, Fault::Status { code: 503, processed: None });
        let e = FaultPlan::from_json(r#"[{"kind":"echo_auth"},{"kind":"echo_auth","code":403}]"#).unwrap();
        assert_eq!(e.rules[0].fault, Fault::EchoAuth { code: None });
        assert!(!e.rules[1].fault.processes_event());
        assert!(FaultPlan::from_json(r#"[{"kind":"echo_auth","code":200}]"#).is_err());
        let b = FaultPlan::from_json(r#"[{"kind":"drop_before_processing"}]"#).unwrap();
        assert_eq!(b.rules[0].fault, Fault::DropBeforeProcessing);
        assert!(FaultPlan::from_json(r#"[{"kind":"status","code":200}]"#).is_err());
        assert!(FaultPlan::from_json(r#"[{"kind":"explode"}]"#).is_err());
    }

    #[test]
    fn matching_is_deterministic() {
        let plan = FaultPlan::new(vec![FaultRule::random(0.3, 42, Fault::Reject)]);
        let run = || {
            let mut a = ActivePlan::new(plan.clone());
            (0..50).map(|_| a.next(None).is_some()).collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        assert!(first.iter().any(|x| *x) && first.iter().any(|x| !*x));
    }

    #[test]
    fn nth_every_instance_times() {
        let plan = FaultPlan::new(vec![
            FaultRule::nth(2, Fault::Reject),
            FaultRule::every(3, Fault::DropBeforeProcessing),
            FaultRule { times: Some(1), ..FaultRule::instance("x", Fault::DelayMs { ms: 1 }) },
        ]);
        let mut a = ActivePlan::new(plan);
        assert_eq!(a.next(None), None);
        assert_eq!(a.next(None), Some(Fault::Reject));
        assert_eq!(a.next(None), Some(Fault::DropBeforeProcessing));
        assert_eq!(a.next(Some("x")), Some(Fault::DelayMs { ms: 1 }));
        assert_eq!(a.next(Some("x")), None);
        assert_eq!(a.next(Some("x")), Some(Fault::DropBeforeProcessing));
    }
}
