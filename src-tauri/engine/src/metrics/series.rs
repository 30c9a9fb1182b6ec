//! THE declaration of every metric the app keeps: its name, what it means,
//! its unit, how its samples combine, the resolution it is stored at and
//! the one label it may carry. The collector, the store, the charts, the
//! Prometheus text and the UI's picker all read this table.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a metric's values measure (how a chart labels its axis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Unit {
    /// Percent of one core, or of a whole (0–100).
    Percent,
    Bytes,
    BytesPerSecond,
    /// Things per second (tasks, calls, tokens).
    PerSecond,
    /// A number of things now (agents, tasks in flight).
    Count,
    Milliseconds,
    /// 0 to 1 (success rate).
    Ratio,
}

/// How a metric's samples combine over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// A level at each moment: a rollup keeps min, max and mean.
    Gauge,
    /// Events counted in each second: a rollup's mean is the rate, its sum
    /// the count.
    Rate,
    /// Durations: each second stores p50/p95/p99 of the last seconds, each
    /// minute the whole histogram, so percentiles merge exactly over any
    /// range.
    Latency,
}

/// The one label a metric's series may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Label {
    /// One series for the whole system.
    None,
    /// One series per agent (summed over its instances), and one for the
    /// whole fleet without the label.
    Agent,
    /// One series per model, and one for all models without the label.
    Model,
}

/// One metric of the table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Metric {
    pub name: &'static str,
    pub help: &'static str,
    pub unit: Unit,
    pub kind: Kind,
    pub label: Label,
    /// Values are stored as whole multiples of this (the store's integers
    /// compress far better than floats; a chart never shows finer).
    pub resolution: f64,
}

const fn metric(
    name: &'static str,
    unit: Unit,
    kind: Kind,
    label: Label,
    resolution: f64,
    help: &'static str,
) -> Metric {
    Metric {
        name,
        help,
        unit,
        kind,
        label,
        resolution,
    }
}

use Kind::{Gauge, Latency, Rate};
use Label::{Agent, Model};

/// Every metric. Names are stable: they are stored, exported and asked for.
pub const METRICS: &[Metric] = &[
    // Containers (each agent's instances summed).
    metric(
        "cpu_percent",
        Unit::Percent,
        Gauge,
        Agent,
        0.01,
        "CPU of the agent's containers, percent of one core",
    ),
    metric(
        "memory_bytes",
        Unit::Bytes,
        Gauge,
        Agent,
        1.0,
        "memory in use by the agent's containers, without page cache",
    ),
    metric(
        "net_rx_bytes",
        Unit::BytesPerSecond,
        Rate,
        Agent,
        1.0,
        "bytes the agent's containers received",
    ),
    metric(
        "net_tx_bytes",
        Unit::BytesPerSecond,
        Rate,
        Agent,
        1.0,
        "bytes the agent's containers sent",
    ),
    metric(
        "restarts",
        Unit::PerSecond,
        Rate,
        Agent,
        1.0,
        "restarts of the agent's containers",
    ),
    // The orchestrator.
    metric(
        "tasks_started",
        Unit::PerSecond,
        Rate,
        Agent,
        1.0,
        "task attempts sent to the agent",
    ),
    metric(
        "tasks_succeeded",
        Unit::PerSecond,
        Rate,
        Agent,
        1.0,
        "task attempts the agent ended with a result",
    ),
    metric(
        "tasks_failed",
        Unit::PerSecond,
        Rate,
        Agent,
        1.0,
        "task attempts that failed at the agent",
    ),
    metric(
        "task_latency_ms",
        Unit::Milliseconds,
        Latency,
        Agent,
        0.01,
        "time from sending a task to its answer",
    ),
    metric("active_tasks", Unit::Count, Gauge, Agent, 1.0, "tasks at the agent now"),
    metric(
        "breakers_open",
        Unit::Count,
        Gauge,
        Agent,
        1.0,
        "the agent's containers whose circuit breaker is open",
    ),
    metric(
        "queue_depth",
        Unit::Count,
        Gauge,
        Label::None,
        1.0,
        "tasks waiting for an agent",
    ),
    metric(
        "success_rate",
        Unit::Ratio,
        Gauge,
        Label::None,
        0.0001,
        "task attempts that succeeded, of those that ended in the last minute",
    ),
    metric(
        "agents_healthy",
        Unit::Count,
        Gauge,
        Label::None,
        1.0,
        "agents with at least one healthy container",
    ),
    metric(
        "agents_deployed",
        Unit::Count,
        Gauge,
        Label::None,
        1.0,
        "agents with at least one container",
    ),
    // The LLM gateway.
    metric(
        "llm_calls",
        Unit::PerSecond,
        Rate,
        Model,
        1.0,
        "calls through the LLM gateway",
    ),
    metric(
        "llm_cache_hits",
        Unit::PerSecond,
        Rate,
        Model,
        1.0,
        "calls answered from the gateway's cache",
    ),
    metric(
        "llm_tokens_in",
        Unit::PerSecond,
        Rate,
        Model,
        1.0,
        "prompt tokens Ollama read",
    ),
    metric(
        "llm_tokens_out",
        Unit::PerSecond,
        Rate,
        Model,
        1.0,
        "tokens Ollama generated",
    ),
    metric(
        "llm_latency_ms",
        Unit::Milliseconds,
        Latency,
        Model,
        0.01,
        "time to an LLM call's last byte",
    ),
    metric(
        "agent_llm_calls",
        Unit::PerSecond,
        Rate,
        Agent,
        1.0,
        "the agent's calls through the LLM gateway",
    ),
    metric(
        "agent_llm_cache_hits",
        Unit::PerSecond,
        Rate,
        Agent,
        1.0,
        "the agent's calls answered from the cache",
    ),
    metric(
        "agent_llm_tokens_in",
        Unit::PerSecond,
        Rate,
        Agent,
        1.0,
        "prompt tokens of the agent's LLM calls",
    ),
    metric(
        "agent_llm_tokens_out",
        Unit::PerSecond,
        Rate,
        Agent,
        1.0,
        "tokens generated for the agent's LLM calls",
    ),
    metric(
        "agent_llm_latency_ms",
        Unit::Milliseconds,
        Latency,
        Agent,
        0.01,
        "time to the last byte of the agent's LLM calls",
    ),
    // Workflow runs.
    metric(
        "runs_started",
        Unit::PerSecond,
        Rate,
        Label::None,
        1.0,
        "workflow runs started",
    ),
    metric(
        "runs_succeeded",
        Unit::PerSecond,
        Rate,
        Label::None,
        1.0,
        "workflow runs that succeeded",
    ),
    metric(
        "runs_failed",
        Unit::PerSecond,
        Rate,
        Label::None,
        1.0,
        "workflow runs that failed or were cancelled",
    ),
    metric(
        "runs_active",
        Unit::Count,
        Gauge,
        Label::None,
        1.0,
        "workflow runs not yet ended",
    ),
    metric(
        "step_latency_ms",
        Unit::Milliseconds,
        Latency,
        Label::None,
        0.01,
        "time from a step's start to its end",
    ),
    // What the app and the machine cost.
    metric(
        "app_cpu_percent",
        Unit::Percent,
        Gauge,
        Label::None,
        0.01,
        "CPU of the app itself, percent of one core",
    ),
    metric(
        "app_memory_bytes",
        Unit::Bytes,
        Gauge,
        Label::None,
        1.0,
        "resident memory of the app itself",
    ),
    metric(
        "machine_cpu_percent",
        Unit::Percent,
        Gauge,
        Label::None,
        0.01,
        "CPU of the whole machine, percent of one core",
    ),
    metric(
        "machine_memory_bytes",
        Unit::Bytes,
        Gauge,
        Label::None,
        1.0,
        "memory in use on the machine",
    ),
];

/// The metric called `name`.
pub fn metric_named(name: &str) -> Option<&'static Metric> {
    METRICS.iter().find(|m| m.name == name)
}

/// The percentiles a [`Kind::Latency`] metric keeps at full detail, each as
/// a series of its own (`task_latency_ms:p95`).
pub const PERCENTILES: [(&str, f64); 3] = [("p50", 50.0), ("p95", 95.0), ("p99", 99.0)];

/// Latency histograms count microseconds; this turns them into the
/// metrics' milliseconds.
pub const HISTOGRAM_MS: f64 = 0.001;

/// One series: a metric, perhaps a label's value, and for a latency metric
/// which percentile (at full detail). Written `name{value}` or `name:p95{value}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeriesKey {
    pub metric: &'static str,
    pub part: Option<&'static str>,
    pub label: Option<String>,
}

impl SeriesKey {
    pub fn new(metric: &'static str, label: Option<&str>) -> SeriesKey {
        SeriesKey {
            metric,
            part: None,
            label: label.map(str::to_string),
        }
    }

    pub fn with_part(mut self, part: &'static str) -> SeriesKey {
        self.part = Some(part);
        self
    }

    /// The metric this series belongs to.
    pub fn metric(&self) -> &'static Metric {
        metric_named(self.metric).expect("a SeriesKey is only made from a declared metric")
    }

    /// Reads `name`, `name{label}`, `name:p95` or `name:p95{label}`; the
    /// error names what is wrong.
    pub fn parse(text: &str) -> Result<SeriesKey, String> {
        let (head, label) = match text.split_once('{') {
            Some((head, rest)) => {
                let label = rest
                    .strip_suffix('}')
                    .ok_or_else(|| format!("series `{text}`: a label ends with `}}`"))?;
                if label.is_empty() {
                    return Err(format!("series `{text}`: the label is empty"));
                }
                (head, Some(label))
            }
            None => (text, None),
        };
        let (name, part) = match head.split_once(':') {
            Some((name, part)) => (name, Some(part)),
            None => (head, None),
        };
        let metric = metric_named(name).ok_or_else(|| format!("series `{text}`: no metric `{name}`"))?;
        if label.is_some() && metric.label == Label::None {
            return Err(format!("series `{text}`: metric `{name}` has no label"));
        }
        let part = match part {
            None => None,
            Some(p) => {
                if metric.kind != Latency {
                    return Err(format!("series `{text}`: only a latency metric has percentiles"));
                }
                let (known, _) = PERCENTILES
                    .iter()
                    .find(|(name, _)| *name == p)
                    .ok_or_else(|| format!("series `{text}`: no percentile `{p}` (p50, p95, p99)"))?;
                Some(*known)
            }
        };
        Ok(SeriesKey {
            metric: metric.name,
            part,
            label: label.map(str::to_string),
        })
    }
}

impl std::fmt::Display for SeriesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.metric)?;
        if let Some(part) = self.part {
            write!(f, ":{part}")?;
        }
        if let Some(label) = &self.label {
            write!(f, "{{{label}}}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_resolutions_positive() {
        let mut names: Vec<_> = METRICS.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), METRICS.len());
        assert!(METRICS.iter().all(|m| m.resolution > 0.0));
    }

    #[test]
    fn keys_read_back_what_they_write() {
        for text in [
            "cpu_percent",
            "cpu_percent{AG-001}",
            "task_latency_ms:p95{AG-002}",
            "llm_calls{llama3.2:1b}",
        ] {
            let key = SeriesKey::parse(text).expect(text);
            assert_eq!(key.to_string(), text);
        }
    }

    #[test]
    fn bad_keys_say_what_is_wrong() {
        let cases = [
            ("nope", "no metric `nope`"),
            ("queue_depth{AG-001}", "has no label"),
            ("cpu_percent:p95", "only a latency metric"),
            ("task_latency_ms:p42", "no percentile `p42`"),
            ("cpu_percent{AG-001", "ends with `}`"),
            ("cpu_percent{}", "the label is empty"),
        ];
        for (text, expected) in cases {
            let err = SeriesKey::parse(text).expect_err(text);
            assert!(err.contains(expected), "{text}: {err}");
        }
    }
}
