//! Picks the agent instance for a task.
//!
//! Every contender gets a weighted score from its load, its recent error
//! rate and its recent latency, each brought to 0..1; the lowest score among
//! those that can take the task now wins. The decision keeps every
//! contender with its score or the reason it was left out, so the UI can
//! show why a task went where it did.
//!
//! Pure logic: the orchestrator gathers the contenders (health, breaker,
//! load, recent figures) and stores the [`RouteDecision`] with the task.

use std::cmp::Ordering;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::breaker::BreakerState;

/// How much each normalised figure counts in a score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Weights {
    /// Calls in flight over the concurrency limit.
    pub load: f64,
    /// Recent share of failed calls.
    pub error_rate: f64,
    /// Recent average latency over the slowest eligible contender's.
    pub latency: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            load: 0.5,
            error_rate: 0.3,
            latency: 0.2,
        }
    }
}

impl Weights {
    /// The weights as used: NaN and negative ones count as 0, infinite ones
    /// win over finite ones, and all are scaled to sum to 1 (all 0 when none
    /// is positive). Scaling does not change which contender wins; it keeps
    /// scores in 0..1 and free of overflow.
    pub fn normalised(&self) -> Weights {
        let parts = [self.load, self.error_rate, self.latency];
        let any_infinite = parts.contains(&f64::INFINITY);
        let clean = parts.map(|w| match w {
            w if w == f64::INFINITY => 1.0,
            w if w > 0.0 && !any_infinite => w,
            _ => 0.0,
        });
        let largest = clean.iter().copied().fold(0.0, f64::max);
        if largest <= 0.0 {
            return Weights {
                load: 0.0,
                error_rate: 0.0,
                latency: 0.0,
            };
        }
        // Divide by the largest first so that the sum cannot overflow.
        let scaled = clean.map(|w| w / largest);
        let sum: f64 = scaled.iter().sum();
        Weights {
            load: scaled[0] / sum,
            error_rate: scaled[1] / sum,
            latency: scaled[2] / sum,
        }
    }
}

/// One agent instance that could take the task, as the orchestrator sees it
/// now.
///
/// Borrows its names from the fleet's endpoints: the router looks at every
/// contender for every task, and copying two names each was most of its
/// cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Contender<'a> {
    /// The agent's catalog id.
    pub agent_id: &'a str,
    /// The instance's container, e.g. "sutazai-ag-010" or "sutazai-ag-010-2".
    pub container: &'a str,
    /// Whether the instance answers `/health` with `ok`.
    pub healthy: bool,
    /// The instance's breaker now; half-open counts as allowed only if
    /// `probe_free`.
    pub breaker: BreakerState,
    /// For half-open: no probe is in flight.
    pub probe_free: bool,
    /// Calls sent to the instance and not ended yet.
    pub in_flight: u32,
    /// Calls the instance takes at once; 0 means unknown and counts as 1.
    pub max_concurrency: u32,
    /// Recent share of failed calls, 0..1.
    pub error_rate: f64,
    /// Recent average latency in milliseconds, >= 0.
    pub avg_latency_ms: f64,
}

/// Why the router chose as it did: every contender with its score or why it
/// was left out. Shown in the UI's task detail and stored with the task
/// (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RouteDecision {
    /// Index into `candidates` of the chosen one; None when nobody can take
    /// it now.
    pub chosen: Option<u32>,
    /// Every contender, in the order given.
    pub candidates: Vec<ScoredCandidate>,
    /// The weights as used (see [`Weights::normalised`]).
    pub weights: Weights,
}

impl RouteDecision {
    /// The chosen candidate, if any.
    pub fn chosen_candidate(&self) -> Option<&ScoredCandidate> {
        self.chosen
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.candidates.get(i))
    }
}

/// One contender in a [`RouteDecision`], with the figures as the router used
/// them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScoredCandidate {
    /// The agent's catalog id.
    pub agent_id: String,
    /// The instance's container.
    pub container: String,
    /// The instance's breaker when the router looked.
    pub breaker: BreakerState,
    /// Calls in flight when the router looked.
    pub in_flight: u32,
    /// The concurrency limit as used (an unknown 0 shows as 1).
    pub max_concurrency: u32,
    /// The error rate as used: clamped to 0..1, NaN as 1.
    pub error_rate: f64,
    /// The latency as used: negative as 0, NaN and infinite as `f64::MAX`.
    pub avg_latency_ms: f64,
    /// The weighted score (lower is better); None when excluded.
    pub score: Option<f64>,
    /// Why it could not take the task: "unhealthy", "breaker open", "probe
    /// in flight", "at its concurrency limit (4/4)". None when eligible.
    pub excluded: Option<String>,
}

/// Why a contender cannot take the task now, if it cannot.
fn exclusion(c: &Contender, max_concurrency: u32) -> Option<String> {
    if !c.healthy {
        return Some("unhealthy".to_string());
    }
    match c.breaker {
        BreakerState::Open => return Some("breaker open".to_string()),
        BreakerState::HalfOpen if !c.probe_free => return Some("probe in flight".to_string()),
        BreakerState::Closed | BreakerState::HalfOpen => {}
    }
    if c.in_flight >= max_concurrency {
        return Some(format!("at its concurrency limit ({}/{max_concurrency})", c.in_flight));
    }
    None
}

/// Scores every contender and picks the lowest score among the eligible
/// (healthy, breaker allows, in_flight < max_concurrency). Normalisation:
/// load = in_flight / max_concurrency; error_rate as is (clamped 0..1);
/// latency = avg_latency_ms / (max avg_latency_ms among eligible), 0 when
/// that max is 0. Ties: fewer in_flight first, then the earlier contender in
/// input order. Deterministic; never panics (NaN inputs are treated as
/// worst: 1.0).
pub fn route(contenders: &[Contender], weights: &Weights) -> RouteDecision {
    let weights = weights.normalised();
    let mut candidates: Vec<ScoredCandidate> = contenders
        .iter()
        .map(|c| {
            let max_concurrency = c.max_concurrency.max(1);
            ScoredCandidate {
                agent_id: c.agent_id.to_string(),
                container: c.container.to_string(),
                breaker: c.breaker,
                in_flight: c.in_flight,
                max_concurrency,
                error_rate: if c.error_rate.is_nan() {
                    1.0
                } else {
                    c.error_rate.clamp(0.0, 1.0)
                },
                avg_latency_ms: match c.avg_latency_ms {
                    l if l.is_nan() || l == f64::INFINITY => f64::MAX,
                    l => l.max(0.0),
                },
                score: None,
                excluded: exclusion(c, max_concurrency),
            }
        })
        .collect();

    let slowest = candidates
        .iter()
        .filter(|c| c.excluded.is_none())
        .map(|c| c.avg_latency_ms)
        .fold(0.0, f64::max);
    for c in candidates.iter_mut().filter(|c| c.excluded.is_none()) {
        let load = f64::from(c.in_flight) / f64::from(c.max_concurrency);
        // At most 1: x / y with x <= y rounds to at most 1.
        let latency = if slowest > 0.0 { c.avg_latency_ms / slowest } else { 0.0 };
        c.score = Some(weights.load * load + weights.error_rate * c.error_rate + weights.latency * latency);
    }

    let chosen = candidates
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.score.map(|s| (i, s, c.in_flight)))
        // `min_by` keeps the first of equal elements: the earlier contender.
        .min_by(|a, b| a.1.partial_cmp(&b.1).unwrap_or(Ordering::Equal).then(a.2.cmp(&b.2)))
        .and_then(|(i, _, _)| u32::try_from(i).ok());

    RouteDecision {
        chosen,
        candidates,
        weights,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A healthy, idle, closed contender with a limit of 4 that is fast and
    /// never fails; cases change what they need.
    fn contender(container: &'static str) -> Contender<'static> {
        Contender {
            agent_id: "ag-010",
            container,
            healthy: true,
            breaker: BreakerState::Closed,
            probe_free: true,
            in_flight: 0,
            max_concurrency: 4,
            error_rate: 0.0,
            avg_latency_ms: 100.0,
        }
    }

    fn with(container: &'static str, f: impl FnOnce(&mut Contender<'static>)) -> Contender<'static> {
        let mut c = contender(container);
        f(&mut c);
        c
    }

    /// The chosen container, or None.
    fn chosen(contenders: &[Contender]) -> Option<String> {
        route(contenders, &Weights::default())
            .chosen_candidate()
            .map(|c| c.container.clone())
    }

    #[test]
    fn picks() {
        // (case, contenders, chosen container)
        let cases: Vec<(&str, Vec<Contender>, Option<&str>)> = vec![
            ("nobody", vec![], None),
            ("a single one", vec![contender("a")], Some("a")),
            (
                "an idle agent beats a loaded one",
                vec![with("a", |c| c.in_flight = 3), contender("b")],
                Some("b"),
            ),
            (
                "a high error rate loses",
                vec![with("a", |c| c.error_rate = 0.6), contender("b")],
                Some("b"),
            ),
            (
                "a slow one loses",
                vec![with("a", |c| c.avg_latency_ms = 2_000.0), contender("b")],
                Some("b"),
            ),
            (
                // a: 0.5 * 2/4 = 0.25; b: 0.3 * 0.5 = 0.15.
                "load weighs more than the error rate",
                vec![with("a", |c| c.in_flight = 2), with("b", |c| c.error_rate = 0.5)],
                Some("b"),
            ),
            (
                // a: 0.5 * 1/4 = 0.125; b: 0.3 * 0.5 = 0.15.
                "and less when the load is light",
                vec![with("a", |c| c.in_flight = 1), with("b", |c| c.error_rate = 0.5)],
                Some("a"),
            ),
            (
                "a tie goes to the earlier",
                vec![contender("a"), contender("b")],
                Some("a"),
            ),
            (
                // Both score 0.5 * 1/2 = 0.25: b has fewer calls in flight.
                "an equal score goes to the one with fewer in flight",
                vec![
                    with("a", |c| {
                        c.in_flight = 2;
                        c.max_concurrency = 4;
                    }),
                    with("b", |c| {
                        c.in_flight = 1;
                        c.max_concurrency = 2;
                    }),
                ],
                Some("b"),
            ),
            (
                "excluded ones are skipped",
                vec![with("a", |c| c.healthy = false), with("b", |c| c.in_flight = 3)],
                Some("b"),
            ),
            (
                "a free half-open probe may go",
                vec![with("a", |c| c.breaker = BreakerState::HalfOpen)],
                Some("a"),
            ),
            (
                "everybody excluded",
                vec![
                    with("a", |c| c.breaker = BreakerState::Open),
                    with("b", |c| c.in_flight = 4),
                ],
                None,
            ),
            (
                "NaN error rate counts as 1",
                vec![
                    with("a", |c| c.error_rate = f64::NAN),
                    with("b", |c| c.error_rate = 0.9),
                ],
                Some("b"),
            ),
            (
                "NaN latency counts as the slowest",
                vec![
                    with("a", |c| c.avg_latency_ms = f64::NAN),
                    with("b", |c| c.avg_latency_ms = 1e9),
                ],
                Some("b"),
            ),
        ];
        for (name, contenders, want) in cases {
            assert_eq!(chosen(&contenders).as_deref(), want, "{name}");
        }
    }

    #[test]
    fn exclusions() {
        // (case, contender, reason)
        let cases: Vec<(&str, Contender, Option<&str>)> = vec![
            ("eligible", contender("a"), None),
            ("unhealthy", with("a", |c| c.healthy = false), Some("unhealthy")),
            (
                "unhealthy comes first",
                with("a", |c| {
                    c.healthy = false;
                    c.breaker = BreakerState::Open;
                }),
                Some("unhealthy"),
            ),
            (
                "open",
                with("a", |c| c.breaker = BreakerState::Open),
                Some("breaker open"),
            ),
            (
                "half-open with a probe out",
                with("a", |c| {
                    c.breaker = BreakerState::HalfOpen;
                    c.probe_free = false;
                }),
                Some("probe in flight"),
            ),
            ("closed ignores probe_free", with("a", |c| c.probe_free = false), None),
            (
                "full",
                with("a", |c| c.in_flight = 4),
                Some("at its concurrency limit (4/4)"),
            ),
            (
                "over full",
                with("a", |c| c.in_flight = 6),
                Some("at its concurrency limit (6/4)"),
            ),
            (
                "unknown limit counts as 1",
                with("a", |c| {
                    c.max_concurrency = 0;
                    c.in_flight = 1;
                }),
                Some("at its concurrency limit (1/1)"),
            ),
        ];
        for (name, c, want) in cases {
            let d = route(&[c], &Weights::default());
            let got = &d.candidates[0];
            assert_eq!(got.excluded.as_deref(), want, "{name}");
            assert_eq!(got.score.is_some(), want.is_none(), "{name}");
            assert_eq!(d.chosen.is_some(), want.is_none(), "{name}");
        }
    }

    #[test]
    fn scores_are_the_weighted_sum() {
        let d = route(
            &[
                with("a", |c| {
                    c.in_flight = 1;
                    c.error_rate = 0.5;
                    c.avg_latency_ms = 50.0;
                }),
                with("b", |c| c.avg_latency_ms = 200.0),
                with("c", |c| {
                    c.healthy = false;
                    c.avg_latency_ms = 10_000.0;
                }),
            ],
            &Weights::default(),
        );
        let scores: Vec<Option<f64>> = d.candidates.iter().map(|c| c.score).collect();
        // a: 0.5 * 0.25 + 0.3 * 0.5 + 0.2 * 50/200; b: 0.2 * 1. The
        // unhealthy one's latency does not count as the slowest.
        let want = [Some(0.125 + 0.15 + 0.05), Some(0.2), None];
        for (got, want) in scores.iter().zip(want) {
            match (got, want) {
                (Some(g), Some(w)) => assert!((g - w).abs() < 1e-12, "{g} != {w}"),
                (g, w) => assert_eq!(*g, w),
            }
        }
        assert_eq!(d.chosen, Some(1));
        assert_eq!(d.weights, Weights::default());
    }

    #[test]
    fn weights_as_used() {
        let w = |load, error_rate, latency| Weights {
            load,
            error_rate,
            latency,
        };
        // (given, as used)
        let cases = [
            (w(0.5, 0.3, 0.2), w(0.5, 0.3, 0.2)),
            (w(5.0, 3.0, 2.0), w(0.5, 0.3, 0.2)),
            (w(1.0, -1.0, f64::NAN), w(1.0, 0.0, 0.0)),
            (w(0.0, 0.0, 0.0), w(0.0, 0.0, 0.0)),
            (w(f64::MAX, f64::MAX, 0.0), w(0.5, 0.5, 0.0)),
            (w(f64::INFINITY, 1.0, f64::INFINITY), w(0.5, 0.0, 0.5)),
        ];
        for (given, want) in cases {
            let got = given.normalised();
            let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
            assert!(
                close(got.load, want.load)
                    && close(got.error_rate, want.error_rate)
                    && close(got.latency, want.latency),
                "{given:?} gave {got:?}, want {want:?}"
            );
        }
    }

    #[test]
    fn decision_json() {
        let d = route(
            &[with("a", |c| c.in_flight = 1), with("b", |c| c.healthy = false)],
            &Weights::default(),
        );
        let json = serde_json::to_value(&d).expect("a decision serialises");
        assert_eq!(json["chosen"], 0);
        assert_eq!(json["weights"]["errorRate"], 0.3);
        assert_eq!(json["candidates"][0]["agentId"], "ag-010");
        assert_eq!(json["candidates"][0]["avgLatencyMs"], 100.0);
        assert_eq!(json["candidates"][1]["breaker"], "closed");
        assert_eq!(json["candidates"][1]["excluded"], "unhealthy");
        let back: RouteDecision = serde_json::from_value(json).expect("a decision deserialises");
        assert_eq!(back, d);
    }

    fn any_f64() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => 0.0f64..1.0,
            2 => 0.0f64..5_000.0,
            1 => any::<f64>(),
            1 => prop::sample::select(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, f64::MAX, -1.0]),
        ]
    }

    fn any_breaker() -> impl Strategy<Value = BreakerState> {
        prop_oneof![
            4 => Just(BreakerState::Closed),
            1 => Just(BreakerState::Open),
            1 => Just(BreakerState::HalfOpen),
        ]
    }

    /// Contenders with distinct containers, so that they can be told apart
    /// after shuffling.
    fn any_contenders() -> impl Strategy<Value = Vec<Contender<'static>>> {
        const AGENTS: [&str; 3] = ["ag-0", "ag-1", "ag-2"];
        const CONTAINERS: [&str; 8] = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"];
        let one = (
            prop::bool::weighted(0.85),
            any_breaker(),
            any::<bool>(),
            prop_oneof![0u32..6, any::<u32>()],
            prop_oneof![0u32..6, any::<u32>()],
            any_f64(),
            any_f64(),
        );
        prop::collection::vec(one, 0..CONTAINERS.len()).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(
                    |(i, (healthy, breaker, probe_free, in_flight, max_concurrency, error_rate, avg_latency_ms))| {
                        Contender {
                            agent_id: AGENTS[i % 3],
                            container: CONTAINERS[i],
                            healthy,
                            breaker,
                            probe_free,
                            in_flight,
                            max_concurrency,
                            error_rate,
                            avg_latency_ms,
                        }
                    },
                )
                .collect()
        })
    }

    fn any_weights() -> impl Strategy<Value = Weights> {
        prop_oneof![
            3 => Just(Weights::default()),
            2 => (0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0)
                .prop_map(|(load, error_rate, latency)| Weights { load, error_rate, latency }),
            1 => (any_f64(), any_f64(), any_f64())
                .prop_map(|(load, error_rate, latency)| Weights { load, error_rate, latency }),
        ]
    }

    fn eligible(c: &Contender) -> bool {
        c.healthy
            && match c.breaker {
                BreakerState::Closed => true,
                BreakerState::Open => false,
                BreakerState::HalfOpen => c.probe_free,
            }
            && c.in_flight < c.max_concurrency.max(1)
    }

    /// Equal but for the last bits of floats: serde_json's default parser
    /// (without its `float_roundtrip` feature) can be one ULP off.
    fn nearly_same(a: &RouteDecision, b: &RouteDecision) -> bool {
        let close = |x: f64, y: f64| x == y || (x - y).abs() <= 4.0 * f64::EPSILON * x.abs().max(y.abs());
        let close_opt = |x: Option<f64>, y: Option<f64>| match (x, y) {
            (Some(x), Some(y)) => close(x, y),
            (x, y) => x.is_none() && y.is_none(),
        };
        let weights = |w: &Weights| [w.load, w.error_rate, w.latency];
        a.chosen == b.chosen
            && weights(&a.weights)
                .iter()
                .zip(weights(&b.weights))
                .all(|(x, y)| close(*x, y))
            && a.candidates.len() == b.candidates.len()
            && a.candidates.iter().zip(&b.candidates).all(|(x, y)| {
                let exact = |c: &ScoredCandidate| {
                    (
                        c.agent_id.clone(),
                        c.container.clone(),
                        c.breaker,
                        c.in_flight,
                        c.max_concurrency,
                        c.excluded.clone(),
                    )
                };
                exact(x) == exact(y)
                    && close(x.error_rate, y.error_rate)
                    && close(x.avg_latency_ms, y.avg_latency_ms)
                    && close_opt(x.score, y.score)
            })
    }

    proptest! {
        #[test]
        fn chosen_is_eligible_with_the_least_score(cs in any_contenders(), w in any_weights()) {
            let d = route(&cs, &w);
            prop_assert_eq!(d.candidates.len(), cs.len());
            for (c, sc) in cs.iter().zip(&d.candidates) {
                prop_assert_eq!(eligible(c), sc.excluded.is_none());
                prop_assert_eq!(sc.score.is_some(), sc.excluded.is_none());
                if let Some(s) = sc.score {
                    prop_assert!(s.is_finite() && (0.0..=1.0 + 1e-9).contains(&s), "score {}", s);
                }
                prop_assert!(sc.error_rate.is_finite() && sc.avg_latency_ms.is_finite());
            }
            prop_assert_eq!(d.chosen.is_some(), cs.iter().any(eligible));
            if let Some(i) = d.chosen {
                let i = i as usize;
                prop_assert!(eligible(&cs[i]));
                let best = d.candidates[i].score.expect("the chosen has a score");
                for sc in &d.candidates {
                    if let Some(s) = sc.score {
                        prop_assert!(best <= s, "chose {} over {}", best, s);
                        if s == best {
                            prop_assert!(d.candidates[i].in_flight <= sc.in_flight);
                        }
                    }
                }
            }
        }

        #[test]
        fn order_matters_only_for_exact_ties(
            (cs, shuffled) in any_contenders().prop_flat_map(|cs| (Just(cs.clone()), Just(cs).prop_shuffle())),
            w in any_weights(),
        ) {
            let a = route(&cs, &w);
            let b = route(&shuffled, &w);
            match (a.chosen_candidate(), b.chosen_candidate()) {
                (None, None) => {}
                (Some(x), Some(y)) => {
                    if x.container != y.container {
                        prop_assert_eq!(x.score, y.score);
                        prop_assert_eq!(x.in_flight, y.in_flight);
                    }
                    prop_assert_eq!(x, b.candidates.iter().find(|c| c.container == x.container).expect("the same contender"));
                }
                (x, y) => prop_assert!(false, "one chose {:?}, the other {:?}", x, y),
            }
        }

        #[test]
        fn decisions_round_trip_through_json(cs in any_contenders(), w in any_weights()) {
            let d = route(&cs, &w);
            let json = serde_json::to_string(&d).expect("a decision serialises");
            let back: RouteDecision = serde_json::from_str(&json).expect("a decision deserialises");
            prop_assert!(nearly_same(&back, &d), "{:?} came back as {:?}", d, back);
        }
    }
}
