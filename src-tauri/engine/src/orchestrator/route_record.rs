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
//! Rows written before this form (the named JSON of `RouteDecision`) are
//! still read.

use serde::{Deserialize, Serialize};

use super::breaker::BreakerState;
use super::router::{RouteDecision, ScoredCandidate, Weights};

#[derive(Serialize)]
struct Record<'a>(Option<u32>, [f64; 3], Vec<Candidate<'a>>);

#[derive(Serialize)]
struct Candidate<'a>(
    &'a str,
    &'a str,
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
    String,
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
                Candidate(
                    &c.agent_id,
                    &c.container,
                    c.breaker,
                    c.in_flight,
                    c.max_concurrency,
                    c.error_rate,
                    c.avg_latency_ms,
                    c.score,
                    c.excluded.as_deref(),
                )
            })
            .collect(),
    );
    serde_json::to_string(&record).unwrap_or_else(|_| "null".into())
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
                        agent_id,
                        container,
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
        let contender = |n: u32, healthy: bool, breaker: BreakerState, in_flight: u32| Contender {
            agent_id: format!("AG-{n:03}"),
            container: format!("sutazai-ag-{n:03}"),
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

    #[test]
    fn a_decision_comes_back_as_it_went_in() {
        let decision = decision();
        assert!(decision.chosen.is_some());
        assert!(decision.candidates.iter().any(|c| c.excluded.is_some()));
        assert_eq!(decode(&encode(&decision)), Some(decision));
    }

    #[test]
    fn rows_in_the_named_form_are_still_read() {
        let decision = decision();
        let named = serde_json::to_string(&decision).unwrap_or_default();
        assert_eq!(decode(&named), Some(decision.clone()));
        assert!(encode(&decision).len() * 2 < named.len() + 200, "{}", encode(&decision));
    }

    #[test]
    fn text_that_is_neither_form_is_no_decision() {
        for text in ["", "[1, 2]", "{\"chosen\": \"x\"}", "[null, [0.5, 0.3], []]", "garbage"] {
            assert_eq!(decode(text), None, "{text}");
        }
    }
}
