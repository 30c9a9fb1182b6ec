//! How a [`RouteDecision`] is kept in `task_routes.route`: one JSON array
//! per decision with one array per candidate, no field names.
//!
//! With 20 candidates the named form was ~3.6 KB per attempt, and writing it
//! was a fifth of the store writer's work at thousands of tasks a second;
//! this form is about half of that, and its fields are in a fixed order:
//!
//! `[chosen, [load, errorRate, latency], [[agentId, container, breaker,
//! inFlight, maxConcurrency, errorRate, avgLatencyMs, score, excluded], …]]`
//!
//! `container` is null for an agent's first instance (its name follows from
//! the agent id), and the figures are kept to what a person can read of
//! them: error rates and scores to 4 decimals, latencies to the microsecond.
//! Together they take a 20-candidate record from ≈ 1.6 KB to ≈ 1.0 KB.
//!
//! Rows written before this form (the named JSON of `RouteDecision`, and
//! arrays with every container named and full-precision figures) are still
//! read.

use serde::{Deserialize, Serialize};

use super::breaker::BreakerState;
use super::router::{RouteDecision, ScoredCandidate, Weights};
use crate::fleet::spec::{container_name, is_first_instance};

#[derive(Serialize)]
struct Record<'a>(Option<u32>, [f64; 3], Vec<Candidate<'a>>);

#[derive(Serialize)]
struct Candidate<'a>(
    &'a str,
    Option<&'a str>,
    BreakerState,
    u32,
    u32,
    f64,
    f64,
    Option<f64>,
    Option<&'a str>,
);

#[derive(Deserialize)]
struct OwnedRecord(Option<u32>, [f64; 3], Vec<OwnedCandidate>);

#[derive(Deserialize)]
struct OwnedCandidate(
    String,
    Option<String>,
    BreakerState,
    u32,
    u32,
    f64,
    f64,
    Option<f64>,
    Option<String>,
);

/// The text stored for `route`.
pub fn encode(route: &RouteDecision) -> String {
    let w = &route.weights;
    let record = Record(
        route.chosen,
        [w.load, w.error_rate, w.latency],
        route
            .candidates
            .iter()
            .map(|c| {
                let first_instance = is_first_instance(&c.agent_id, &c.container);
                Candidate(
                    &c.agent_id,
                    (!first_instance).then_some(c.container.as_str()),
                    c.breaker,
                    c.in_flight,
                    c.max_concurrency,
                    round(c.error_rate, 1e4),
                    round(c.avg_latency_ms, 1e3),
                    c.score.map(|s| round(s, 1e4)),
                    c.excluded.as_deref(),
                )
            })
            .collect(),
    );
    serde_json::to_string(&record).unwrap_or_else(|_| "null".into())
}

/// `x` to the nearest `1 / per`; huge values (an unknown latency is
/// `f64::MAX`) are left as they are.
fn round(x: f64, per: f64) -> f64 {
    let scaled = x * per;
    if scaled.is_finite() && scaled.abs() < 1e15 {
        scaled.round() / per
    } else {
        x
    }
}

/// The decision in a stored text, in this form or the older named one;
/// None when it is neither.
pub fn decode(text: &str) -> Option<RouteDecision> {
    if !text.starts_with('[') {
        return serde_json::from_str(text).ok();
    }
    let OwnedRecord(chosen, [load, error_rate, latency], candidates) = serde_json::from_str(text).ok()?;
    Some(RouteDecision {
        chosen,
        weights: Weights {
            load,
            error_rate,
            latency,
        },
        candidates: candidates
            .into_iter()
            .map(
                |OwnedCandidate(
                    agent_id,
                    container,
                    breaker,
                    in_flight,
                    max_concurrency,
                    error_rate,
                    avg_latency_ms,
                    score,
                    excluded,
                )| {
                    ScoredCandidate {
                        container: container.unwrap_or_else(|| container_name(&agent_id)),
                        agent_id,
                        breaker,
                        in_flight,
                        max_concurrency,
                        error_rate,
                        avg_latency_ms,
                        score,
                        excluded,
                    }
                },
            )
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orchestrator::router::{route, Contender};

    fn decision() -> RouteDecision {
        let names: Vec<(String, String)> = (0..=5)
            .map(|n| (format!("AG-{n:03}"), format!("sutazai-ag-{n:03}")))
            .collect();
        let contender = |n: u32, healthy: bool, breaker: BreakerState, in_flight: u32| Contender {
            agent_id: &names[n as usize].0,
            container: &names[n as usize].1,
            healthy,
            breaker,
            probe_free: true,
            in_flight,
            max_concurrency: 4,
            error_rate: 0.125 * f64::from(n % 3),
            avg_latency_ms: 0.2 + f64::from(n),
        };
        route(
            &[
                contender(1, true, BreakerState::Closed, 1),
                contender(2, false, BreakerState::Closed, 0),
                contender(3, true, BreakerState::Open, 0),
                contender(4, true, BreakerState::HalfOpen, 4),
                contender(5, true, BreakerState::Closed, 0),
            ],
            &Weights::default(),
        )
    }

    /// `decision` with its figures as they are kept.
    fn as_kept(mut decision: RouteDecision) -> RouteDecision {
        for c in &mut decision.candidates {
            c.error_rate = round(c.error_rate, 1e4);
            c.avg_latency_ms = round(c.avg_latency_ms, 1e3);
            c.score = c.score.map(|s| round(s, 1e4));
        }
        decision
    }

    #[test]
    fn a_decision_comes_back_as_it_went_in_with_its_figures_to_four_decimals() {
        let decision = decision();
        assert!(decision.chosen.is_some());
        assert!(decision.candidates.iter().any(|c| c.excluded.is_some()));
        let back = decode(&encode(&decision)).expect("decodes");
        assert_eq!(back, as_kept(decision.clone()));
        for (was, now) in decision.candidates.iter().zip(&back.candidates) {
            let (was, now) = (was.score.unwrap_or(0.0), now.score.unwrap_or(0.0));
            assert!((was - now).abs() <= 0.00005, "{was} kept as {now}");
        }
    }

    #[test]
    fn only_a_later_instance_has_its_container_spelled_out_and_unknown_latency_stays_unknown() {
        let mut decision = decision();
        decision.candidates[1].container = "sutazai-ag-002-2".into();
        decision.candidates[2].avg_latency_ms = f64::MAX;
        let text = encode(&decision);
        assert!(text.contains(r#"["AG-001",null,"#), "{text}");
        assert!(text.contains(r#"["AG-002","sutazai-ag-002-2","#), "{text}");
        assert_eq!(decode(&text), Some(as_kept(decision)));
    }

    #[test]
    fn arrays_with_every_container_named_and_full_figures_are_still_read() {
        // The form written before containers were left out and figures rounded.
        let text = r#"[0,[0.5,0.3,0.2],[["AG-001","sutazai-ag-001","closed",1,4,0.0,1.2345678901,0.123456789,null]]]"#;
        let decision = decode(text).expect("decodes");
        let c = &decision.candidates[0];
        assert_eq!(
            (c.container.as_str(), c.avg_latency_ms, c.score),
            ("sutazai-ag-001", 1.2345678901, Some(0.123456789))
        );
    }

    #[test]
    fn rows_in_the_named_form_are_still_read() {
        let decision = decision();
        let named = serde_json::to_string(&decision).unwrap_or_default();
        assert_eq!(decode(&named), Some(decision.clone()));
        assert!(encode(&decision).len() * 3 < named.len(), "{}", encode(&decision));
    }

    #[test]
    fn text_that_is_neither_form_is_no_decision() {
        for text in ["", "[1, 2]", "{\"chosen\": \"x\"}", "[null, [0.5, 0.3], []]", "garbage"] {
            assert_eq!(decode(text), None, "{text}");
        }
    }
}
