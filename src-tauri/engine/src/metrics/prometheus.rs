//! The metrics in Prometheus's text format (version 0.0.4), as `GET
//! /metrics` serves them: every metric of the table ([`METRICS`]),
//! accumulated since the engine started, encoded by `prometheus-client`.
//!
//! How a metric of the table is exported (names and help come from the
//! table, so a metric added there is exported without a line here):
//! - [`Kind::Rate`]: a counter, the sum of its per-second increments,
//!   `sutazai_<name>_total` (`sutazai_tasks_started_total`,
//!   `sutazai_net_rx_bytes_total`);
//! - [`Kind::Gauge`]: a gauge holding the last second's value
//!   (`sutazai_queue_depth`, `sutazai_memory_bytes`); percents become
//!   ratios, Prometheus's base unit (`sutazai_cpu_ratio`: 1 is one core). A
//!   series the last second did not have (an agent removed, Docker silent)
//!   is left out rather than kept at a stale value;
//! - [`Kind::Latency`]: a histogram in seconds
//!   (`sutazai_llm_latency_seconds`) of every latency each second's
//!   hdrhistogram recorded. The table's `:p50`/`:p95`/`:p99` series are not
//!   exported: Prometheus computes quantiles from the buckets;
//! - a metric with a label exports its labelled series only (`agent_id` or
//!   `model`): the fleet's and all models' totals are a `sum()` away, and
//!   beside the labelled series in one family they would double it;
//! - seed 000's names are kept for the agent metrics it has:
//!   `agent_requests_total{agent_id, status}` (`tasks_succeeded` as
//!   `status="success"`, `tasks_failed` as `status="error"`, the seed's
//!   words), `agent_request_duration_seconds{agent_id}` (`task_latency_ms`)
//!   and `agent_active_tasks{agent_id}` (`active_tasks`).
//!
//! Counters start from zero when the app starts; Prometheus's `rate()` and
//! `increase()` take the reset in their stride.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use hdrhistogram::Histogram;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::text::encode_registry;
use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use super::collect::Samples;
use super::series::{Kind, Label, Metric, SeriesKey, Unit, METRICS};

/// The latency histograms' bucket bounds in microseconds (what the
/// hdrhistograms count; the text says seconds): Prometheus's defaults
/// stretched to the minutes an LLM call or a task may take.
const BUCKETS_US: [u64; 15] = [
    5_000,
    10_000,
    25_000,
    50_000,
    100_000,
    250_000,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    30_000_000,
    60_000_000,
    120_000_000,
    300_000_000,
];

/// Seed 000's name for a metric of the table, and the `status` its series
/// carry there.
struct SeedName {
    metric: &'static str,
    family: &'static str,
    status: Option<&'static str>,
}

const SEED_NAMES: [SeedName; 4] = [
    SeedName {
        metric: "tasks_succeeded",
        family: "agent_requests",
        status: Some("success"),
    },
    SeedName {
        metric: "tasks_failed",
        family: "agent_requests",
        status: Some("error"),
    },
    SeedName {
        metric: "task_latency_ms",
        family: "agent_request_duration_seconds",
        status: None,
    },
    SeedName {
        metric: "active_tasks",
        family: "agent_active_tasks",
        status: None,
    },
];

/// The help of `agent_requests_total`, where two metrics of the table meet.
const REQUESTS_HELP: &str = "task attempts that ended at the agent, by status: success (with a result) or error";

/// What Prometheus is told a family is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Counter,
    Gauge,
    Histogram,
}

/// One exported metric family. A counter's name leaves out `_total`,
/// which the encoder adds to its samples.
#[derive(Debug, Clone)]
struct Family {
    name: String,
    help: String,
    shape: Shape,
}

/// Where the samples of a metric of the table go.
#[derive(Debug, Clone, Copy)]
struct Route {
    family: usize,
    /// The label's name, when the metric has one.
    label: Option<&'static str>,
    status: Option<&'static str>,
    /// Multiplies every value (percent → ratio).
    scale: f64,
}

/// A series' labels, in the order they are written.
type Labels = Vec<(&'static str, String)>;

/// One histogram's counts (each bucket its own, not cumulative; the last
/// is `+Inf`) and sum.
#[derive(Debug, Clone, Default)]
struct Buckets {
    counts: [u64; BUCKETS_US.len() + 1],
    sum_us: u64,
    count: u64,
}

impl Buckets {
    /// Adds every latency of `h` (microseconds). A value goes to a bucket
    /// by the lowest value hdrhistogram holds equivalent to it, so a
    /// recorded 5 ms stays within `le="0.005"`; the sum takes the middle
    /// of the range, as hdrhistogram's own mean does.
    fn add(&mut self, h: &Histogram<u64>) {
        for v in h.iter_recorded() {
            let at = v.value_iterated_to();
            let n = v.count_at_value();
            let low = h.lowest_equivalent(at);
            let bucket = BUCKETS_US.iter().position(|le| low <= *le).unwrap_or(BUCKETS_US.len());
            self.counts[bucket] += n;
            self.count += n;
            self.sum_us = self.sum_us.saturating_add(h.median_equivalent(at).saturating_mul(n));
        }
    }

    /// The buckets as `prometheus-client` takes them (`f64::MAX` is `+Inf`).
    fn bounds(&self) -> Vec<(f64, u64)> {
        BUCKETS_US
            .iter()
            .map(|us| *us as f64 / 1e6)
            .chain([f64::MAX])
            .zip(self.counts)
            .collect()
    }
}

/// Everything exported: the families and their series' values, in a
/// stable order (the table's, then the labels').
#[derive(Debug, Clone)]
struct State {
    families: Vec<Family>,
    /// Counters and gauges.
    values: BTreeMap<(usize, Labels), f64>,
    histograms: BTreeMap<(usize, Labels), Buckets>,
}

/// The Prometheus exposition: fed one second of samples at a time by the
/// collection loop, rendered at each scrape.
#[derive(Debug)]
pub struct Exposition {
    routes: HashMap<&'static str, Route>,
    /// Shared with the registry only while a render encodes it.
    state: Arc<State>,
}

impl Default for Exposition {
    fn default() -> Exposition {
        Exposition::new()
    }
}

impl Exposition {
    pub fn new() -> Exposition {
        let mut families: Vec<Family> = Vec::new();
        let mut routes = HashMap::new();
        for metric in METRICS {
            let seed = SEED_NAMES.iter().find(|s| s.metric == metric.name);
            let (family, scale) = family_of(metric, seed);
            let index = match families.iter().position(|f| f.name == family.name) {
                Some(index) => index,
                None => {
                    families.push(family);
                    families.len() - 1
                }
            };
            let label = match metric.label {
                Label::None => None,
                Label::Agent => Some("agent_id"),
                Label::Model => Some("model"),
            };
            let route = Route {
                family: index,
                label,
                status: seed.and_then(|s| s.status),
                scale,
            };
            routes.insert(metric.name, route);
        }
        Exposition {
            routes,
            state: Arc::new(State {
                families,
                values: BTreeMap::new(),
                histograms: BTreeMap::new(),
            }),
        }
    }

    /// Takes one second: counters and histograms add it, gauges become it.
    pub fn observe(&mut self, samples: &Samples) {
        // Unique again once the last render's registry is gone, so this
        // never copies in practice.
        let State {
            families,
            values,
            histograms,
        } = Arc::make_mut(&mut self.state);
        values.retain(|(family, _), _| families[*family].shape != Shape::Gauge);
        for (key, value) in &samples.values {
            let Some((route, labels)) = series(&self.routes, key) else {
                continue;
            };
            if !value.is_finite() {
                continue;
            }
            let value = value * route.scale;
            match families[route.family].shape {
                Shape::Counter => *values.entry((route.family, labels)).or_default() += value,
                Shape::Gauge => {
                    values.insert((route.family, labels), value);
                }
                // A latency's values are its percentiles, left out by `series`.
                Shape::Histogram => {}
            }
        }
        for (key, h) in &samples.latencies {
            if let Some((route, labels)) = series(&self.routes, key) {
                histograms.entry((route.family, labels)).or_default().add(h);
            }
        }
    }

    /// The text format 0.0.4 (`text/plain; version=0.0.4`).
    pub fn render(&self) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Arc::clone(&self.state)));
        let mut text = String::new();
        encode_registry(&mut text, &registry).expect("writing to a String does not fail");
        classic(&text)
    }
}

/// The family a metric of the table is exported as, and the factor its
/// values take.
fn family_of(metric: &Metric, seed: Option<&SeedName>) -> (Family, f64) {
    let (shape, name, help, scale) = match (metric.kind, metric.unit) {
        (Kind::Rate, _) => (Shape::Counter, metric.name.to_string(), metric.help.to_string(), 1.0),
        (Kind::Latency, _) => {
            let base = metric.name.strip_suffix("_ms").unwrap_or(metric.name);
            (
                Shape::Histogram,
                format!("{base}_seconds"),
                metric.help.to_string(),
                1.0,
            )
        }
        (Kind::Gauge, Unit::Percent) => {
            let base = metric.name.strip_suffix("_percent").unwrap_or(metric.name);
            let help = format!("{} (as a ratio: 1 is 100 percent)", metric.help);
            (Shape::Gauge, format!("{base}_ratio"), help, 0.01)
        }
        (Kind::Gauge, _) => (Shape::Gauge, metric.name.to_string(), metric.help.to_string(), 1.0),
    };
    let (name, help) = match seed {
        Some(SeedName {
            family,
            status: Some(_),
            ..
        }) => (family.to_string(), REQUESTS_HELP.to_string()),
        Some(SeedName { family, .. }) => (family.to_string(), help),
        None => (format!("sutazai_{name}"), help),
    };
    (Family { name, help, shape }, scale)
}

/// Where a series of the samples goes, with its labels; `None` for what is
/// not exported (percentiles, totals over a label).
fn series(routes: &HashMap<&'static str, Route>, key: &SeriesKey) -> Option<(Route, Labels)> {
    if key.part.is_some() {
        return None;
    }
    let route = *routes.get(key.metric)?;
    let mut labels = Labels::new();
    match (route.label, &key.label) {
        (Some(name), Some(value)) => labels.push((name, escaped(value))),
        (Some(_), None) => return None,
        (None, _) => {}
    }
    if let Some(status) = route.status {
        labels.push(("status", status.to_string()));
    }
    Some((route, labels))
}

/// A label value as the text format quotes it (the encoder writes values
/// as they are).
fn escaped(value: &str) -> String {
    value.replace('\\', r"\\").replace('"', "\\\"").replace('\n', r"\n")
}

impl Collector for State {
    fn encode(&self, mut encoder: DescriptorEncoder) -> std::fmt::Result {
        for (index, family) in self.families.iter().enumerate() {
            let range = (index, Labels::new())..(index + 1, Labels::new());
            let metric_type = match family.shape {
                Shape::Counter => MetricType::Counter,
                Shape::Gauge => MetricType::Gauge,
                Shape::Histogram => MetricType::Histogram,
            };
            if family.shape == Shape::Histogram {
                let mut series = self.histograms.range(range).peekable();
                if series.peek().is_none() {
                    continue;
                }
                let mut metric = encoder.encode_descriptor(&family.name, &family.help, None, metric_type)?;
                for ((_, labels), h) in series {
                    with_labels(&mut metric, labels, |m| {
                        m.encode_histogram::<NoLabelSet>(h.sum_us as f64 / 1e6, h.count, &h.bounds(), None)
                    })?;
                }
            } else {
                let mut series = self.values.range(range).peekable();
                if series.peek().is_none() {
                    continue;
                }
                let mut metric = encoder.encode_descriptor(&family.name, &family.help, None, metric_type)?;
                for ((_, labels), value) in series {
                    with_labels(&mut metric, labels, |m| match family.shape {
                        Shape::Counter => m.encode_counter::<NoLabelSet, f64, f64>(value, None),
                        _ => m.encode_gauge(value),
                    })?;
                }
            }
        }
        Ok(())
    }
}

/// Encodes one series, with its labels when it has any (an empty label set
/// would be written `{}`).
fn with_labels(
    metric: &mut MetricEncoder<'_>,
    labels: &Labels,
    encode: impl FnOnce(&mut MetricEncoder<'_>) -> std::fmt::Result,
) -> std::fmt::Result {
    if labels.is_empty() {
        encode(metric)
    } else {
        encode(&mut metric.encode_family(labels)?)
    }
}

/// Prometheus's text format from `prometheus-client`'s OpenMetrics text:
/// the same lines, but a counter family is named like its samples
/// (`# TYPE x_total counter`, where OpenMetrics writes `# TYPE x counter`),
/// which `promtool check metrics` and the 0.0.4 parsers expect. (The
/// encoder writes no `# UNIT` lines here, as names carry their units, and
/// `encode_registry` no `# EOF`.)
fn classic(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len() + 256);
    let mut lines = openmetrics.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            if lines.next_if_eq(&format!("# TYPE {name} counter").as_str()).is_some() {
                out.push_str(&format!("# HELP {name}_total {help}\n# TYPE {name}_total counter\n"));
                continue;
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::latency::latency_histogram;

    fn key(text: &str) -> SeriesKey {
        SeriesKey::parse(text).expect("a valid key")
    }

    fn second(values: &[(&str, f64)], latencies: &[(&str, &[u64])]) -> Samples {
        Samples {
            at_ms: 0,
            values: values.iter().map(|(k, v)| (key(k), *v)).collect(),
            latencies: latencies
                .iter()
                .map(|(k, ms)| {
                    let mut h = latency_histogram();
                    for ms in *ms {
                        h.record(ms * 1000).expect("in range");
                    }
                    (key(k), h)
                })
                .collect(),
        }
    }

    /// The value of the sample line that starts with `series`.
    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    #[test]
    fn two_seconds_render_as_counters_gauges_and_histograms() {
        let mut exposition = Exposition::new();
        exposition.observe(&second(
            &[
                ("tasks_started{AG-001}", 3.0),
                ("tasks_succeeded{AG-001}", 2.0),
                ("tasks_failed{AG-001}", 1.0),
                // The fleet's totals and the percentiles are not exported.
                ("tasks_succeeded", 2.0),
                ("task_latency_ms:p95{AG-001}", 120.0),
                ("active_tasks{AG-001}", 1.0),
                ("cpu_percent{AG-001}", 50.0),
                ("cpu_percent{AG-002}", 12.5),
                ("memory_bytes{AG-001}", 1_048_576.0),
                ("queue_depth", 4.0),
                ("llm_calls{llama3.2:1b}", 2.0),
                ("llm_calls", 2.0),
            ],
            &[
                ("task_latency_ms{AG-001}", &[3, 120]),
                ("task_latency_ms", &[3, 120]),
                ("step_latency_ms", &[2_000]),
            ],
        ));
        exposition.observe(&second(
            &[
                ("tasks_started{AG-001}", 3.0),
                ("tasks_succeeded{AG-001}", 3.0),
                ("tasks_failed{AG-001}", 0.0),
                ("active_tasks{AG-001}", 0.0),
                // AG-001's containers are gone: its gauges with them.
                ("cpu_percent{AG-002}", 25.0),
                ("queue_depth", 0.0),
                ("llm_calls{llama3.2:1b}", 1.0),
            ],
            &[("task_latency_ms{AG-001}", &[5])],
        ));
        insta::assert_snapshot!(exposition.render(), @r#"
        # HELP sutazai_cpu_ratio CPU of the agent's containers, percent of one core (as a ratio: 1 is 100 percent)
        # TYPE sutazai_cpu_ratio gauge
        sutazai_cpu_ratio{agent_id="AG-002"} 0.25
        # HELP sutazai_tasks_started_total task attempts sent to the agent
        # TYPE sutazai_tasks_started_total counter
        sutazai_tasks_started_total{agent_id="AG-001"} 6.0
        # HELP agent_requests_total task attempts that ended at the agent, by status: success (with a result) or error
        # TYPE agent_requests_total counter
        agent_requests_total{agent_id="AG-001",status="error"} 1.0
        agent_requests_total{agent_id="AG-001",status="success"} 5.0
        # HELP agent_request_duration_seconds time from sending a task to its answer
        # TYPE agent_request_duration_seconds histogram
        agent_request_duration_seconds_sum{agent_id="AG-001"} 0.128072
        agent_request_duration_seconds_count{agent_id="AG-001"} 3
        agent_request_duration_seconds_bucket{le="0.005",agent_id="AG-001"} 2
        agent_request_duration_seconds_bucket{le="0.01",agent_id="AG-001"} 2
        agent_request_duration_seconds_bucket{le="0.025",agent_id="AG-001"} 2
        agent_request_duration_seconds_bucket{le="0.05",agent_id="AG-001"} 2
        agent_request_duration_seconds_bucket{le="0.1",agent_id="AG-001"} 2
        agent_request_duration_seconds_bucket{le="0.25",agent_id="AG-001"} 3
        agent_request_duration_seconds_bucket{le="0.5",agent_id="AG-001"} 3
        agent_request_duration_seconds_bucket{le="1.0",agent_id="AG-001"} 3
        agent_request_duration_seconds_bucket{le="2.5",agent_id="AG-001"} 3
        agent_request_duration_seconds_bucket{le="5.0",agent_id="AG-001"} 3
        agent_request_duration_seconds_bucket{le="10.0",agent_id="AG-001"} 3
        agent_request_duration_seconds_bucket{le="30.0",agent_id="AG-001"} 3
        agent_request_duration_seconds_bucket{le="60.0",agent_id="AG-001"} 3
        agent_request_duration_seconds_bucket{le="120.0",agent_id="AG-001"} 3
        agent_request_duration_seconds_bucket{le="300.0",agent_id="AG-001"} 3
        agent_request_duration_seconds_bucket{le="+Inf",agent_id="AG-001"} 3
        # HELP agent_active_tasks tasks at the agent now
        # TYPE agent_active_tasks gauge
        agent_active_tasks{agent_id="AG-001"} 0.0
        # HELP sutazai_queue_depth tasks waiting for an agent
        # TYPE sutazai_queue_depth gauge
        sutazai_queue_depth 0.0
        # HELP sutazai_llm_calls_total calls through the LLM gateway
        # TYPE sutazai_llm_calls_total counter
        sutazai_llm_calls_total{model="llama3.2:1b"} 3.0
        # HELP sutazai_step_latency_seconds time from a step's start to its end
        # TYPE sutazai_step_latency_seconds histogram
        sutazai_step_latency_seconds_sum 2.002944
        sutazai_step_latency_seconds_count 1
        sutazai_step_latency_seconds_bucket{le="0.005"} 0
        sutazai_step_latency_seconds_bucket{le="0.01"} 0
        sutazai_step_latency_seconds_bucket{le="0.025"} 0
        sutazai_step_latency_seconds_bucket{le="0.05"} 0
        sutazai_step_latency_seconds_bucket{le="0.1"} 0
        sutazai_step_latency_seconds_bucket{le="0.25"} 0
        sutazai_step_latency_seconds_bucket{le="0.5"} 0
        sutazai_step_latency_seconds_bucket{le="1.0"} 0
        sutazai_step_latency_seconds_bucket{le="2.5"} 1
        sutazai_step_latency_seconds_bucket{le="5.0"} 1
        sutazai_step_latency_seconds_bucket{le="10.0"} 1
        sutazai_step_latency_seconds_bucket{le="30.0"} 1
        sutazai_step_latency_seconds_bucket{le="60.0"} 1
        sutazai_step_latency_seconds_bucket{le="120.0"} 1
        sutazai_step_latency_seconds_bucket{le="300.0"} 1
        sutazai_step_latency_seconds_bucket{le="+Inf"} 1
        "#);
    }

    #[test]
    fn counters_add_up_every_second_and_gauges_hold_only_the_last() {
        let mut exposition = Exposition::new();
        for n in 1..=60 {
            let mut values = vec![
                ("net_rx_bytes{AG-003}", 1_500.5),
                ("llm_tokens_out{m1}", f64::from(n)),
                ("runs_active", f64::from(n)),
            ];
            if n < 60 {
                values.push(("memory_bytes{AG-003}", 1e6));
            }
            exposition.observe(&second(&values, &[("llm_latency_ms{m1}", &[40])]));
        }
        let text = exposition.render();
        assert_eq!(
            sample(&text, r#"sutazai_net_rx_bytes_total{agent_id="AG-003"}"#),
            Some(90_030.0)
        );
        assert_eq!(
            sample(&text, r#"sutazai_llm_tokens_out_total{model="m1"}"#),
            Some(1_830.0)
        );
        assert_eq!(sample(&text, "sutazai_runs_active"), Some(60.0));
        assert_eq!(
            sample(&text, r#"sutazai_llm_latency_seconds_count{model="m1"}"#),
            Some(60.0)
        );
        assert_eq!(
            sample(&text, r#"sutazai_llm_latency_seconds_bucket{le="0.05",model="m1"}"#),
            Some(60.0)
        );
        assert_eq!(
            sample(&text, r#"sutazai_llm_latency_seconds_bucket{le="0.025",model="m1"}"#),
            Some(0.0)
        );
        assert!(!text.contains("sutazai_memory_bytes"), "{text}");
    }

    #[test]
    fn names_follow_prometheus_conventions() {
        let exposition = Exposition::new();
        let families = &exposition.state.families;
        for f in families {
            let valid = f.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && f.name.starts_with(|c: char| c.is_ascii_alphabetic());
            assert!(valid, "{}", f.name);
            assert!(!f.name.ends_with("_total"), "{}: the encoder adds `_total`", f.name);
            assert!(!f.name.ends_with("_ms") && !f.name.contains("percent"), "{}", f.name);
            if f.shape == Shape::Histogram {
                assert!(f.name.ends_with("_seconds"), "{}", f.name);
            }
        }
        let mut names: Vec<_> = families.iter().map(|f| f.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), families.len());
        // Every metric of the table is exported, two of them into one family.
        assert_eq!(exposition.routes.len(), METRICS.len());
        assert_eq!(families.len(), METRICS.len() - 1);
        for metric in METRICS {
            let family = &families[exposition.routes[metric.name].family];
            if matches!(metric.unit, Unit::Bytes | Unit::BytesPerSecond) {
                assert!(family.name.ends_with("_bytes"), "{}", family.name);
            }
        }
    }

    #[test]
    fn label_values_are_quoted_safely() {
        let mut exposition = Exposition::new();
        exposition.observe(&second(&[("llm_calls{a\\b\"c}", 1.0)], &[]));
        let text = exposition.render();
        assert!(
            text.contains(r#"sutazai_llm_calls_total{model="a\\b\"c"} 1.0"#),
            "{text}"
        );
    }
}
