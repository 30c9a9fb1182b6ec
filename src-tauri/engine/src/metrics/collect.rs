//! One second's samples from what the subsystems counted: the fleet's
//! container stats, the orchestrator's and the gateway's counters, the
//! runs' news and the host's files. Pure: the metrics loop gathers the
//! [`Sources`] and hands them here; counters become per-second deltas,
//! latencies per-second histograms and sliding percentiles.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use hdrhistogram::Histogram;

use super::host::{self, HostCounters};
use super::series::{SeriesKey, PERCENTILES};
use crate::fleet::model::Endpoint;
use crate::fleet::stats::ContainerStats;
use crate::latency::latency_histogram;
use crate::llm::usage::UsageFigures;
use crate::orchestrator::breaker::BreakerState;
use crate::orchestrator::roster::ContainerFigures;
use crate::runs::model::RunSummary;
use crate::runs::RunNews;

/// Sliding percentiles at 1 s look at this many seconds of latencies.
const PERCENTILE_WINDOW: usize = 10;
/// The success rate looks at the attempts ended in this many seconds.
const SUCCESS_WINDOW: usize = 60;

/// Everything read in one second.
#[derive(Debug, Default)]
pub struct Sources {
    pub at_ms: i64,
    /// `None` when Docker did not answer.
    pub containers: Option<Vec<ContainerStats>>,
    pub endpoints: Vec<Endpoint>,
    pub orchestrator: Vec<ContainerFigures>,
    pub waiting: usize,
    pub usage: Vec<UsageFigures>,
    pub runs: RunTally,
    /// Restarts by self-healing since the last second, by agent.
    pub restarts: BTreeMap<String, u32>,
    pub host: Option<HostCounters>,
}

/// One second's samples.
#[derive(Debug, Default)]
pub struct Samples {
    pub at_ms: i64,
    pub values: Vec<(SeriesKey, f64)>,
    /// The latencies (µs) that ended in this second, per latency series.
    pub latencies: Vec<(SeriesKey, Histogram<u64>)>,
}

impl Samples {
    fn put(&mut self, metric: &'static str, label: Option<&str>, value: f64) {
        self.values.push((SeriesKey::new(metric, label), value));
    }
}

/// What the runs' news said since the last second.
#[derive(Debug, Default)]
pub struct RunTally {
    pub started: u32,
    pub succeeded: u32,
    pub failed: u32,
    /// Steps that ended: milliseconds from start to end.
    pub step_ms: Vec<i64>,
}

/// Follows the runs' news: which runs are under way, which steps were timed.
#[derive(Debug, Default)]
pub struct RunWatch {
    active: HashSet<String>,
    timed: HashSet<(String, String)>,
    tally: RunTally,
}

impl RunWatch {
    pub fn hear(&mut self, news: &RunNews) {
        match news {
            RunNews::Run(event) => self.run(&event.run),
            RunNews::Step(event) => {
                let step = &event.step;
                if !step.status.is_final() {
                    return;
                }
                let (Some(start), Some(end)) = (step.started_ms, step.finished_ms) else {
                    return;
                };
                if self.timed.insert((event.run_id.clone(), step.id.clone())) {
                    self.tally.step_ms.push(end - start);
                }
            }
        }
    }

    fn run(&mut self, run: &RunSummary) {
        use crate::runs::model::RunStatus;
        if !run.status.is_final() {
            if self.active.insert(run.id.clone()) {
                self.tally.started += 1;
            }
            return;
        }
        // An end is counted once, for a run seen under way (a recovered
        // run is heard again when it resumes).
        if !self.active.remove(&run.id) {
            return;
        }
        self.timed.retain(|(id, _)| id != &run.id);
        if run.status == RunStatus::Succeeded {
            self.tally.succeeded += 1;
        } else {
            self.tally.failed += 1;
        }
    }

    /// The runs under way.
    pub fn active(&self) -> usize {
        self.active.len()
    }

    /// What was heard since the last call.
    pub fn take(&mut self) -> RunTally {
        std::mem::take(&mut self.tally)
    }
}

/// The collector's memory between seconds.
#[derive(Debug, Default)]
pub struct Collector {
    /// The last cumulative counter per (what, container or caller/model).
    previous: HashMap<(&'static str, String), u64>,
    host: Option<(i64, HostCounters)>,
    /// Per latency series, the last seconds' histograms; `None` for a
    /// second with no latency (an idle agent's every second: an empty
    /// histogram of the latencies' shape is 26 KB, and 69 of them a second
    /// were most of what monitoring a fleet cost the app's memory).
    windows: HashMap<SeriesKey, VecDeque<Option<Histogram<u64>>>>,
    /// The fleet's ended attempts (ok, failed) in the last seconds.
    outcomes: VecDeque<(u64, u64)>,
}

impl Collector {
    /// The per-second increase of a cumulative counter (a counter that went
    /// back, after a restart of its source, counts from zero).
    fn delta(&mut self, what: &'static str, whose: &str, total: u64) -> u64 {
        let before = self.previous.insert((what, whose.to_string()), total);
        match before {
            Some(b) if b <= total => total - b,
            _ => total,
        }
    }

    pub fn tick(&mut self, sources: Sources, runs_active: usize) -> Samples {
        let mut out = Samples {
            at_ms: sources.at_ms,
            ..Samples::default()
        };
        let agent_of: HashMap<&str, &str> = sources
            .endpoints
            .iter()
            .map(|e| (e.container.as_str(), e.agent_id.as_str()))
            .collect();
        let mut agents: BTreeMap<&str, AgentSecond> = BTreeMap::new();
        for e in &sources.endpoints {
            agents.entry(e.agent_id.as_str()).or_default().healthy |= e.healthy;
        }
        if let Some(containers) = &sources.containers {
            for c in containers {
                let a = agents.entry(c.agent_id.as_str()).or_default();
                a.cpu += c.cpu_percent.unwrap_or(0.0);
                a.memory += c.memory_bytes as f64;
                a.rx += c.net_rx_per_s.unwrap_or(0.0);
                a.tx += c.net_tx_per_s.unwrap_or(0.0);
                a.sampled = true;
            }
        }
        let (mut ok_now, mut failed_now) = (0, 0);
        for f in &sources.orchestrator {
            let Some(agent) = agent_of.get(f.container.as_str()).copied() else {
                continue;
            };
            let started = self.delta("started", &f.container, f.started);
            let succeeded = self.delta("succeeded", &f.container, f.succeeded);
            let failed = self.delta("failed", &f.container, f.failed);
            let a = agents.entry(agent).or_default();
            a.started += started;
            a.succeeded += succeeded;
            a.failed += failed;
            a.active += u64::from(f.in_flight);
            a.breakers_open += u64::from(f.breaker == BreakerState::Open);
            if let Some(h) = &f.latencies {
                merge_into(&mut a.latencies, h);
            }
            ok_now += succeeded;
            failed_now += failed;
        }
        for (agent, n) in &sources.restarts {
            if let Some(a) = agents.get_mut(agent.as_str()) {
                a.restarts += u64::from(*n);
            }
        }

        let mut fleet = AgentSecond::default();
        for (agent, a) in &agents {
            let label = Some(*agent);
            if a.sampled {
                out.put("cpu_percent", label, a.cpu);
                out.put("memory_bytes", label, a.memory);
                out.put("net_rx_bytes", label, a.rx);
                out.put("net_tx_bytes", label, a.tx);
                out.put("restarts", label, a.restarts as f64);
            }
            out.put("tasks_started", label, a.started as f64);
            out.put("tasks_succeeded", label, a.succeeded as f64);
            out.put("tasks_failed", label, a.failed as f64);
            out.put("active_tasks", label, a.active as f64);
            out.put("breakers_open", label, a.breakers_open as f64);
            self.latency(&mut out, SeriesKey::new("task_latency_ms", label), a.latencies.as_ref());
            fleet.add(a);
        }
        if sources.containers.is_some() {
            out.put("cpu_percent", None, fleet.cpu);
            out.put("memory_bytes", None, fleet.memory);
            out.put("net_rx_bytes", None, fleet.rx);
            out.put("net_tx_bytes", None, fleet.tx);
            out.put("restarts", None, fleet.restarts as f64);
        }
        out.put("tasks_started", None, fleet.started as f64);
        out.put("tasks_succeeded", None, fleet.succeeded as f64);
        out.put("tasks_failed", None, fleet.failed as f64);
        out.put("active_tasks", None, fleet.active as f64);
        out.put("breakers_open", None, fleet.breakers_open as f64);
        self.latency(
            &mut out,
            SeriesKey::new("task_latency_ms", None),
            fleet.latencies.as_ref(),
        );
        out.put("queue_depth", None, sources.waiting as f64);
        out.put(
            "agents_deployed",
            None,
            sources
                .endpoints
                .iter()
                .map(|e| &e.agent_id)
                .collect::<HashSet<_>>()
                .len() as f64,
        );
        out.put(
            "agents_healthy",
            None,
            agents.values().filter(|a| a.healthy).count() as f64,
        );
        self.outcomes.push_back((ok_now, failed_now));
        if self.outcomes.len() > SUCCESS_WINDOW {
            self.outcomes.pop_front();
        }
        let (ok, failed) = self.outcomes.iter().fold((0, 0), |(o, f), (a, b)| (o + a, f + b));
        if ok + failed > 0 {
            out.put("success_rate", None, ok as f64 / (ok + failed) as f64);
        }

        let deployed: HashSet<&str> = agents.keys().copied().collect();
        self.gateway(&mut out, &sources.usage, &deployed);

        let runs = sources.runs;
        out.put("runs_started", None, f64::from(runs.started));
        out.put("runs_succeeded", None, f64::from(runs.succeeded));
        out.put("runs_failed", None, f64::from(runs.failed));
        out.put("runs_active", None, runs_active as f64);
        let steps = (!runs.step_ms.is_empty()).then(|| {
            let mut h = latency_histogram();
            for ms in &runs.step_ms {
                h.saturating_record(u64::try_from(*ms).unwrap_or(0).saturating_mul(1000).max(1));
            }
            h
        });
        self.latency(&mut out, SeriesKey::new("step_latency_ms", None), steps.as_ref());

        if let Some(now) = sources.host {
            if let Some((at, before)) = self.host {
                let seconds = (sources.at_ms - at) as f64 / 1000.0;
                let f = host::figures(&before, &now, seconds);
                out.put("app_cpu_percent", None, f.app_cpu_percent);
                out.put("machine_cpu_percent", None, f.machine_cpu_percent);
            }
            out.put("app_memory_bytes", None, now.app_resident_bytes as f64);
            out.put("machine_memory_bytes", None, now.memory_used_bytes as f64);
            self.host = Some((sources.at_ms, now));
        }
        out
    }

    /// The LLM gateway's counters per model and for all models, and per
    /// agent (for the agents that called it) and for all of them.
    fn gateway(&mut self, out: &mut Samples, usage: &[UsageFigures], agents: &HashSet<&str>) {
        let mut models: BTreeMap<&str, CallSecond> = BTreeMap::new();
        let mut callers: BTreeMap<&str, CallSecond> = BTreeMap::new();
        for u in usage {
            let whose = format!("{}\u{0}{}", u.caller, u.model);
            let second = CallSecond {
                calls: self.delta("calls", &whose, u.calls),
                cache_hits: self.delta("cache_hits", &whose, u.cache_hits),
                tokens_in: self.delta("tokens_in", &whose, u.tokens_in),
                tokens_out: self.delta("tokens_out", &whose, u.tokens_out),
                latencies: u.latencies.clone(),
            };
            models.entry(u.model.as_str()).or_default().add(&second);
            if agents.contains(u.caller.as_str()) {
                callers.entry(u.caller.as_str()).or_default().add(&second);
            }
        }
        let mut all = CallSecond::default();
        for (model, m) in &models {
            self.calls(out, CALL_METRICS, Some(model), m);
            all.add(m);
        }
        self.calls(out, CALL_METRICS, None, &all);
        let mut all = CallSecond::default();
        for (agent, c) in &callers {
            self.calls(out, AGENT_CALL_METRICS, Some(agent), c);
            all.add(c);
        }
        self.calls(out, AGENT_CALL_METRICS, None, &all);
    }

    fn calls(&mut self, out: &mut Samples, names: [&'static str; 5], label: Option<&str>, c: &CallSecond) {
        out.put(names[0], label, c.calls as f64);
        out.put(names[1], label, c.cache_hits as f64);
        out.put(names[2], label, c.tokens_in as f64);
        out.put(names[3], label, c.tokens_out as f64);
        self.latency(out, SeriesKey::new(names[4], label), c.latencies.as_ref());
    }

    /// A latency series' second: its histogram for the minute rollup, and
    /// p50/p95/p99 over the last seconds while any latency is in them.
    fn latency(&mut self, out: &mut Samples, key: SeriesKey, second: Option<&Histogram<u64>>) {
        let second = second.filter(|h| !h.is_empty());
        if second.is_none() && !self.windows.contains_key(&key) {
            return;
        }
        let window = self.windows.entry(key.clone()).or_default();
        window.push_back(second.cloned());
        if window.len() > PERCENTILE_WINDOW {
            window.pop_front();
        }
        if window.iter().all(Option::is_none) {
            if window.len() == PERCENTILE_WINDOW {
                self.windows.remove(&key);
            }
            return;
        }
        let mut merged = latency_histogram();
        for h in window.iter().flatten() {
            let _ = merged.add(h);
        }
        for (part, p) in PERCENTILES {
            out.values.push((
                key.clone().with_part(part),
                merged.value_at_percentile(p) as f64 / 1000.0,
            ));
        }
        if let Some(h) = second {
            out.latencies.push((key, h.clone()));
        }
    }
}

fn merge_into(into: &mut Option<Histogram<u64>>, h: &Histogram<u64>) {
    let merged = into.get_or_insert_with(latency_histogram);
    let _ = merged.add(h);
}

/// One agent's second, its instances summed.
#[derive(Debug, Default)]
struct AgentSecond {
    sampled: bool,
    healthy: bool,
    cpu: f64,
    memory: f64,
    rx: f64,
    tx: f64,
    restarts: u64,
    started: u64,
    succeeded: u64,
    failed: u64,
    active: u64,
    breakers_open: u64,
    latencies: Option<Histogram<u64>>,
}

impl AgentSecond {
    fn add(&mut self, a: &AgentSecond) {
        self.cpu += a.cpu;
        self.memory += a.memory;
        self.rx += a.rx;
        self.tx += a.tx;
        self.restarts += a.restarts;
        self.started += a.started;
        self.succeeded += a.succeeded;
        self.failed += a.failed;
        self.active += a.active;
        self.breakers_open += a.breakers_open;
        if let Some(h) = &a.latencies {
            merge_into(&mut self.latencies, h);
        }
    }
}

/// The gateway's calls of one model or one agent in one second.
#[derive(Debug, Default)]
struct CallSecond {
    calls: u64,
    cache_hits: u64,
    tokens_in: u64,
    tokens_out: u64,
    latencies: Option<Histogram<u64>>,
}

impl CallSecond {
    fn add(&mut self, other: &CallSecond) {
        self.calls += other.calls;
        self.cache_hits += other.cache_hits;
        self.tokens_in += other.tokens_in;
        self.tokens_out += other.tokens_out;
        if let Some(h) = &other.latencies {
            merge_into(&mut self.latencies, h);
        }
    }
}

/// The series of the gateway's calls: per model, and per agent.
const CALL_METRICS: [&str; 5] = [
    "llm_calls",
    "llm_cache_hits",
    "llm_tokens_in",
    "llm_tokens_out",
    "llm_latency_ms",
];
const AGENT_CALL_METRICS: [&str; 5] = [
    "agent_llm_calls",
    "agent_llm_cache_hits",
    "agent_llm_tokens_in",
    "agent_llm_tokens_out",
    "agent_llm_latency_ms",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(agent: &str, container: &str, healthy: bool) -> Endpoint {
        Endpoint {
            agent_id: agent.into(),
            container: container.into(),
            port: 10300,
            healthy,
            token_epoch: "1".into(),
        }
    }

    fn figures(container: &str, started: u64, succeeded: u64, failed: u64, latencies_ms: &[u64]) -> ContainerFigures {
        let mut h = latency_histogram();
        for ms in latencies_ms {
            h.record(ms * 1000).expect("in range");
        }
        ContainerFigures {
            container: container.into(),
            started,
            succeeded,
            failed,
            in_flight: 1,
            breaker: BreakerState::Closed,
            latencies: (!latencies_ms.is_empty()).then_some(h),
        }
    }

    fn value(samples: &Samples, key: &str) -> Option<f64> {
        let key = SeriesKey::parse(key).expect("a valid key");
        samples.values.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    #[test]
    fn counters_become_per_second_deltas_summed_per_agent_and_fleet() {
        let endpoints = vec![
            endpoint("AG-001", "sutazai-ag-001", true),
            endpoint("AG-001", "sutazai-ag-001-2", false),
            endpoint("AG-002", "sutazai-ag-002", false),
        ];
        let mut c = Collector::default();
        let first = c.tick(
            Sources {
                at_ms: 1_000,
                endpoints: endpoints.clone(),
                orchestrator: vec![
                    figures("sutazai-ag-001", 5, 4, 1, &[10, 20]),
                    figures("sutazai-ag-001-2", 2, 2, 0, &[]),
                ],
                ..Sources::default()
            },
            0,
        );
        assert_eq!(value(&first, "tasks_started{AG-001}"), Some(7.0));
        assert_eq!(value(&first, "tasks_failed{AG-001}"), Some(1.0));
        assert_eq!(value(&first, "active_tasks{AG-001}"), Some(2.0));
        assert_eq!(value(&first, "tasks_started{AG-002}"), Some(0.0));
        assert_eq!(value(&first, "tasks_started"), Some(7.0));
        assert_eq!(value(&first, "agents_deployed"), Some(2.0));
        assert_eq!(value(&first, "agents_healthy"), Some(1.0));
        assert_eq!(value(&first, "success_rate"), Some(6.0 / 7.0));
        // The second's latencies go to the minute histogram and the
        // sliding percentiles.
        assert_eq!(first.latencies.len(), 2, "per agent and for the fleet");
        let p99 = value(&first, "task_latency_ms:p99{AG-001}").expect("a p99");
        assert!((p99 - 20.0).abs() < 0.5, "{p99}");

        let second = c.tick(
            Sources {
                at_ms: 2_000,
                endpoints,
                orchestrator: vec![figures("sutazai-ag-001", 8, 6, 2, &[])],
                ..Sources::default()
            },
            0,
        );
        assert_eq!(value(&second, "tasks_started{AG-001}"), Some(3.0));
        assert_eq!(value(&second, "tasks_succeeded"), Some(2.0));
        // No new latency, but the window still holds the last seconds'.
        assert!(second.latencies.is_empty());
        assert!(value(&second, "task_latency_ms:p50{AG-001}").is_some());
        // No Docker answer: no container series at all (not zeros).
        assert_eq!(value(&second, "cpu_percent"), None);
    }

    #[test]
    fn idle_agents_keep_no_latency_window_and_a_latency_leaves_after_the_window() {
        let endpoints: Vec<_> = (1..=69)
            .map(|n| endpoint(&format!("AG-{n:03}"), &format!("sutazai-ag-{n:03}"), true))
            .collect();
        let mut c = Collector::default();
        let tick = |c: &mut Collector, second: i64, latencies: &[u64]| {
            c.tick(
                Sources {
                    at_ms: second * 1_000,
                    endpoints: endpoints.clone(),
                    orchestrator: vec![figures("sutazai-ag-001", second as u64, 0, 0, latencies)],
                    ..Sources::default()
                },
                0,
            )
        };
        for second in 1..=35 {
            tick(&mut c, second, &[]);
        }
        assert!(c.windows.is_empty(), "an idle fleet keeps {} windows", c.windows.len());

        let with = tick(&mut c, 36, &[40]);
        assert!(value(&with, "task_latency_ms:p50{AG-001}").is_some());
        assert_eq!(c.windows.len(), 2, "AG-001's and the fleet's");
        for second in 37..=45 {
            let s = tick(&mut c, second, &[]);
            assert!(value(&s, "task_latency_ms:p50{AG-001}").is_some(), "second {second}");
        }
        let after = tick(&mut c, 46, &[]);
        assert_eq!(value(&after, "task_latency_ms:p50{AG-001}"), None);
        assert!(c.windows.is_empty());
    }

    #[test]
    fn gateway_calls_count_per_model_and_per_calling_agent() {
        let usage = |caller: &str, model: &str, calls: u64, tokens: u64| UsageFigures {
            caller: caller.into(),
            model: model.into(),
            calls,
            cache_hits: 1,
            tokens_in: tokens,
            tokens_out: 2 * tokens,
            latencies: None,
        };
        let mut c = Collector::default();
        let tick = |c: &mut Collector, at_ms: i64, usage: Vec<UsageFigures>| {
            c.tick(
                Sources {
                    at_ms,
                    endpoints: vec![endpoint("AG-001", "sutazai-ag-001", true)],
                    usage,
                    ..Sources::default()
                },
                0,
            )
        };
        tick(
            &mut c,
            1_000,
            vec![usage("AG-001", "m1", 3, 10), usage("desktop", "m1", 1, 5)],
        );
        let s = tick(
            &mut c,
            2_000,
            vec![
                usage("AG-001", "m1", 5, 30),
                usage("desktop", "m1", 1, 5),
                usage("AG-001", "m2", 1, 1),
            ],
        );
        assert_eq!(value(&s, "llm_calls{m1}"), Some(2.0));
        assert_eq!(value(&s, "llm_calls{m2}"), Some(1.0));
        assert_eq!(value(&s, "llm_calls"), Some(3.0));
        assert_eq!(value(&s, "llm_tokens_out{m1}"), Some(40.0));
        assert_eq!(value(&s, "agent_llm_calls{AG-001}"), Some(3.0));
        assert_eq!(value(&s, "agent_llm_tokens_in{AG-001}"), Some(21.0));
        // The desktop is no agent: in the models' figures only.
        assert!(s.values.iter().all(|(k, _)| k.label.as_deref() != Some("desktop")));
    }

    #[test]
    fn runs_are_counted_once_each() {
        use crate::runs::model::{RunEvent, RunStatus};
        let run = |status: RunStatus, finished: Option<i64>| {
            RunNews::Run(RunEvent {
                run: RunSummary {
                    id: "r-1".into(),
                    workflow_id: "w".into(),
                    workflow_name: "w".into(),
                    version: 1,
                    status,
                    started_by: "desktop".into(),
                    created_ms: 0,
                    updated_ms: 0,
                    finished_ms: finished,
                    steps_total: 1,
                    steps_done: 0,
                    error_code: None,
                    rerun_of: None,
                },
            })
        };
        let mut watch = RunWatch::default();
        watch.hear(&run(RunStatus::Queued, None));
        watch.hear(&run(RunStatus::Running, None));
        assert_eq!(watch.active(), 1);
        watch.hear(&run(RunStatus::Succeeded, Some(5)));
        watch.hear(&run(RunStatus::Succeeded, Some(5)));
        let tally = watch.take();
        assert_eq!((tally.started, tally.succeeded, tally.failed), (1, 1, 0));
        assert_eq!(watch.active(), 0);
    }
}
