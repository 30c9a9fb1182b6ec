//! What the orchestrator knows about each agent container right now: where
//! it answers (from the fleet), how busy it is, its recent error rate and
//! latency, and its circuit breaker. The router scores what this yields.

use std::collections::HashMap;

use hdrhistogram::Histogram;

use crate::latency::latency_histogram;
use tokio::time::Instant;

use super::breaker::{Breaker, BreakerSettings, BreakerState};
use super::queue::Target;
use super::router::Contender;
use crate::catalog::Catalog;
use crate::fleet::model::Endpoint;

/// How much one outcome moves the error rate and latency averages.
const SMOOTHING: f64 = 0.2;
/// Tasks one agent container runs at once (the runtime's default).
pub const AGENT_CONCURRENCY: u32 = 4;

#[derive(Debug, Default)]
struct Live {
    in_flight: u32,
    error_rate: f64,
    avg_latency_ms: f64,
    breaker: Breaker,
    /// Counted since the engine started, for the metrics.
    started: u64,
    succeeded: u64,
    failed: u64,
    /// Latencies (µs) since the metrics last took them.
    latencies: Option<Histogram<u64>>,
}

/// One container's counters for the metrics: totals since the engine
/// started, and the latencies since the previous [`Roster::take_figures`].
#[derive(Debug, Clone)]
pub struct ContainerFigures {
    pub container: String,
    pub started: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub in_flight: u32,
    pub breaker: BreakerState,
    /// Microseconds, from the call's start to its answer.
    pub latencies: Option<Histogram<u64>>,
}

/// How a call to an agent ended, as far as routing cares.
#[derive(Debug, Clone, Copy)]
pub struct CallEnd {
    /// `Some(false)` when the agent itself failed (unreachable, timed out,
    /// 5xx); `Some(true)` when it answered; `None` when the call says
    /// nothing about the agent (cancelled by the user).
    pub agent_ok: Option<bool>,
    /// Whether the task succeeded (for the error rate).
    pub task_ok: bool,
    pub latency_ms: f64,
}

#[derive(Debug, Default)]
pub struct Roster {
    live: HashMap<String, Live>,
    pub settings: BreakerSettings,
}

impl Roster {
    pub fn new(settings: BreakerSettings) -> Roster {
        Roster {
            live: HashMap::new(),
            settings,
        }
    }

    /// The containers that could take a task for `target`, in a stable order.
    /// Whether an agent qualifies comes from the catalog (capability, task
    /// type); where it runs and whether it is healthy from the fleet.
    pub fn contenders<'a>(
        &self,
        endpoints: &'a [Endpoint],
        catalog: &Catalog,
        target: &Target,
        now: Instant,
    ) -> Vec<Contender<'a>> {
        endpoints
            .iter()
            .filter(|e| target.agent_id.as_deref().is_none_or(|id| id == e.agent_id))
            .filter(|e| {
                catalog.get(&e.agent_id).is_some_and(|entry| {
                    let m = &entry.manifest;
                    m.knows_task_type(&target.task_type)
                        && target
                            .capability
                            .as_ref()
                            .is_none_or(|c| m.capabilities.iter().any(|have| have == c))
                })
            })
            .map(|e| {
                let live = self.live.get(&e.container);
                let breaker = live.map(|l| l.breaker.clone()).unwrap_or_default();
                Contender {
                    agent_id: &e.agent_id,
                    container: &e.container,
                    healthy: e.healthy,
                    breaker: breaker.state(now, &self.settings),
                    probe_free: breaker.allows(now, &self.settings),
                    in_flight: live.map_or(0, |l| l.in_flight),
                    max_concurrency: AGENT_CONCURRENCY,
                    error_rate: live.map_or(0.0, |l| l.error_rate),
                    avg_latency_ms: live.map_or(0.0, |l| l.avg_latency_ms),
                }
            })
            .collect()
    }

    /// Whether any agent in the catalog could ever take tasks for `target`
    /// (running or not): when none can, waiting is pointless.
    pub fn anyone_could(catalog: &Catalog, target: &Target) -> bool {
        catalog.all().any(|entry| {
            let m = &entry.manifest;
            target.agent_id.as_deref().is_none_or(|id| id == m.id)
                && m.knows_task_type(&target.task_type)
                && target
                    .capability
                    .as_ref()
                    .is_none_or(|c| m.capabilities.iter().any(|have| have == c))
        })
    }

    /// A call to `container` starts now; false when its breaker refuses.
    pub fn begin(&mut self, container: &str, now: Instant) -> bool {
        let live = live_of(&mut self.live, container);
        if !live.breaker.begin(now, &self.settings) {
            return false;
        }
        live.in_flight += 1;
        live.started += 1;
        true
    }

    /// A call to `container` ended.
    pub fn end(&mut self, container: &str, end: CallEnd, now: Instant) {
        let live = live_of(&mut self.live, container);
        live.in_flight = live.in_flight.saturating_sub(1);
        match end.agent_ok {
            Some(true) => live.breaker.on_success(),
            Some(false) => live.breaker.on_failure(now, &self.settings),
            None => {
                live.breaker.on_abandon();
                return;
            }
        }
        if end.task_ok {
            live.succeeded += 1;
        } else {
            live.failed += 1;
        }
        let micros = (end.latency_ms * 1000.0).clamp(1.0, 3_600_000_000.0) as u64;
        let _ = live.latencies.get_or_insert_with(latency_histogram).record(micros);
        let failed = if end.task_ok { 0.0 } else { 1.0 };
        live.error_rate += SMOOTHING * (failed - live.error_rate);
        live.avg_latency_ms += SMOOTHING * (end.latency_ms - live.avg_latency_ms);
    }

    /// Every container's breaker state now (for the UI and the API).
    pub fn breakers(&self, now: Instant) -> Vec<(String, BreakerState, u32)> {
        let mut all: Vec<_> = self
            .live
            .iter()
            .map(|(name, l)| (name.clone(), l.breaker.state(now, &self.settings), l.in_flight))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }
}

impl Roster {
    /// Every container's counters, handing over the latencies gathered
    /// since the last call.
    pub fn take_figures(&mut self, now: Instant) -> Vec<ContainerFigures> {
        let settings = &self.settings;
        self.live
            .iter_mut()
            .map(|(name, l)| ContainerFigures {
                container: name.clone(),
                started: l.started,
                succeeded: l.succeeded,
                failed: l.failed,
                in_flight: l.in_flight,
                breaker: l.breaker.state(now, settings),
                latencies: l.latencies.take(),
            })
            .collect()
    }
}

/// `container`'s figures, made on its first call (found without copying the
/// name: this runs twice per task).
fn live_of<'m>(live: &'m mut HashMap<String, Live>, container: &str) -> &'m mut Live {
    if !live.contains_key(container) {
        live.insert(container.to_string(), Live::default());
    }
    live.get_mut(container).expect("inserted above")
}
