//! What the gateway did, per caller and model: calls, cache hits, errors,
//! fallbacks, tokens and latency. Kept in memory for the Models view; a
//! restart starts from zero.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;
use schemars::JsonSchema;
use serde::Serialize;
use ts_rs::TS;

/// Where calls for a model Ollama does not have are counted.
pub const NOT_INSTALLED: &str = "(not installed)";
/// Where calls are counted that failed before Ollama ever answered for
/// their model (Ollama down, the model busy or slow), when no agent's
/// manifest names it: a name is counted as itself only once it is known to
/// exist, so made-up names keep no counters of their own.
pub const UNCONFIRMED: &str = "(unconfirmed model)";

/// Everything the gateway counted since the engine started.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayStats {
    /// One row per caller and model, ordered by caller then model.
    pub usage: Vec<ModelUsage>,
    /// One row per model (every caller), ordered by model. Its latencies
    /// come from the callers' histograms merged, not from their p95s.
    pub by_model: Vec<UsageTotal>,
    /// One row per caller (every model), ordered by caller.
    pub by_caller: Vec<UsageTotal>,
}

/// The calls of one model, or of one caller, summed.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageTotal {
    /// The model, or the caller (an agent id, `key:NAME`, `desktop`).
    pub name: String,
    #[ts(type = "number")]
    pub calls: u64,
    #[ts(type = "number")]
    pub cache_hits: u64,
    #[ts(type = "number")]
    pub errors: u64,
    #[ts(type = "number")]
    pub fallbacks: u64,
    #[ts(type = "number")]
    pub tokens_in: u64,
    #[ts(type = "number")]
    pub tokens_out: u64,
    /// Cache hits per call, 0 to 1 (0 without calls).
    pub cache_hit_rate: f64,
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
    pub latency_max_ms: f64,
}

/// One caller's use of one model.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelUsage {
    /// The agent (`AG-001`), or how a key or the desktop is labelled
    /// (`key:ci-bot`, `desktop`).
    pub caller: String,
    /// The model that answered (the fallback when it was used).
    pub model: String,
    /// Every generate or chat call, cache hits and errors included.
    #[ts(type = "number")]
    pub calls: u64,
    /// Calls answered from the cache, without Ollama.
    #[ts(type = "number")]
    pub cache_hits: u64,
    /// Calls that did not end in a complete answer (an error status, a
    /// timeout, a refusal for a busy model, a broken or error stream).
    #[ts(type = "number")]
    pub errors: u64,
    /// Calls answered by the agent's fallback model.
    #[ts(type = "number")]
    pub fallbacks: u64,
    /// `prompt_eval_count` summed over the final `done` lines.
    #[ts(type = "number")]
    pub tokens_in: u64,
    /// `eval_count` summed over the final `done` lines.
    #[ts(type = "number")]
    pub tokens_out: u64,
    /// Latency of the calls that reached Ollama, to the answer's last
    /// byte (milliseconds).
    pub latency_p50_ms: f64,
    pub latency_p95_ms: f64,
    pub latency_max_ms: f64,
}

/// How one call ended, for [`Usage::record`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub cache_hit: bool,
    pub error: bool,
    pub fallback: bool,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// `None` for a call that did not reach Ollama.
    pub latency: Option<Duration>,
}

#[derive(Debug)]
struct Row {
    calls: u64,
    cache_hits: u64,
    errors: u64,
    fallbacks: u64,
    tokens_in: u64,
    tokens_out: u64,
    latency_ms: Histogram<u64>,
    /// Latencies (µs) since the metrics last took them.
    recent_us: Option<Histogram<u64>>,
}

/// One caller's use of one model, for the metrics: totals since the engine
/// started and the latencies since the previous [`Usage::take_figures`].
#[derive(Debug, Clone)]
pub struct UsageFigures {
    pub caller: String,
    pub model: String,
    pub calls: u64,
    pub cache_hits: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    /// Microseconds to the answer's last byte.
    pub latencies: Option<Histogram<u64>>,
}

impl Row {
    fn new() -> Row {
        Row {
            calls: 0,
            cache_hits: 0,
            errors: 0,
            fallbacks: 0,
            tokens_in: 0,
            tokens_out: 0,
            // Auto-resizing, 3 significant digits: exact enough for p95.
            latency_ms: Histogram::new(3).unwrap_or_else(|_| unreachable!("3 significant figures are valid")),
            recent_us: None,
        }
    }

    /// Adds `other`'s counts, and its latencies to the histogram (so a
    /// quantile of the sum is exact, where merging quantiles is not).
    fn add(&mut self, other: &Row) {
        self.calls += other.calls;
        self.cache_hits += other.cache_hits;
        self.errors += other.errors;
        self.fallbacks += other.fallbacks;
        self.tokens_in += other.tokens_in;
        self.tokens_out += other.tokens_out;
        // Auto-resizing histograms of equal precision: adding cannot fail.
        let _ = self.latency_ms.add(&other.latency_ms);
    }

    /// The latency at quantile `q` in milliseconds; 0 without latencies.
    fn latency_at(&self, q: f64) -> f64 {
        if self.latency_ms.is_empty() {
            0.0
        } else {
            self.latency_ms.value_at_quantile(q) as f64
        }
    }

    fn total(&self, name: &str) -> UsageTotal {
        UsageTotal {
            name: name.to_string(),
            calls: self.calls,
            cache_hits: self.cache_hits,
            errors: self.errors,
            fallbacks: self.fallbacks,
            tokens_in: self.tokens_in,
            tokens_out: self.tokens_out,
            cache_hit_rate: if self.calls == 0 {
                0.0
            } else {
                self.cache_hits as f64 / self.calls as f64
            },
            latency_p50_ms: self.latency_at(0.5),
            latency_p95_ms: self.latency_at(0.95),
            latency_max_ms: self.latency_at(1.0),
        }
    }
}

/// Sums `rows` into one row per `key` (sorted by key).
fn totals<'a>(rows: impl Iterator<Item = (&'a str, &'a Row)>) -> Vec<UsageTotal> {
    let mut sums: BTreeMap<&str, Row> = BTreeMap::new();
    for (key, row) in rows {
        sums.entry(key).or_insert_with(Row::new).add(row);
    }
    sums.iter().map(|(key, row)| row.total(key)).collect()
}

/// The counters, per (caller, model).
#[derive(Debug, Default)]
pub struct Usage {
    rows: Mutex<BTreeMap<(String, String), Row>>,
}

impl Usage {
    pub fn record(&self, caller: &str, model: &str, outcome: &Outcome) {
        let mut rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        let row = rows
            .entry((caller.to_string(), model.to_string()))
            .or_insert_with(Row::new);
        row.calls += 1;
        row.cache_hits += u64::from(outcome.cache_hit);
        row.errors += u64::from(outcome.error);
        row.fallbacks += u64::from(outcome.fallback);
        row.tokens_in += outcome.tokens_in;
        row.tokens_out += outcome.tokens_out;
        if let Some(latency) = outcome.latency {
            let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX).max(1);
            row.latency_ms.saturating_record(ms);
            let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX).max(1);
            row.recent_us
                .get_or_insert_with(crate::latency::latency_histogram)
                .saturating_record(micros);
        }
    }

    /// Every (caller, model)'s counters, handing over the latencies
    /// gathered since the last call.
    pub fn take_figures(&self) -> Vec<UsageFigures> {
        let mut rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        rows.iter_mut()
            .map(|((caller, model), row)| UsageFigures {
                caller: caller.clone(),
                model: model.clone(),
                calls: row.calls,
                cache_hits: row.cache_hits,
                tokens_in: row.tokens_in,
                tokens_out: row.tokens_out,
                latencies: row.recent_us.take(),
            })
            .collect()
    }

    /// Whether any caller's calls are counted under `model`.
    pub fn has_model(&self, model: &str) -> bool {
        let rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        rows.keys().any(|(_, m)| m == model)
    }

    pub fn stats(&self) -> GatewayStats {
        let rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        let usage = rows
            .iter()
            .map(|((caller, model), row)| {
                let at = |q: f64| row.latency_at(q);
                ModelUsage {
                    caller: caller.clone(),
                    model: model.clone(),
                    calls: row.calls,
                    cache_hits: row.cache_hits,
                    errors: row.errors,
                    fallbacks: row.fallbacks,
                    tokens_in: row.tokens_in,
                    tokens_out: row.tokens_out,
                    latency_p50_ms: at(0.5),
                    latency_p95_ms: at(0.95),
                    latency_max_ms: at(1.0),
                }
            })
            .collect();
        let by_model = totals(rows.iter().map(|((_, model), row)| (model.as_str(), row)));
        let by_caller = totals(rows.iter().map(|((caller, _), row)| (caller.as_str(), row)));
        GatewayStats {
            usage,
            by_model,
            by_caller,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_caller_and_model() {
        let usage = Usage::default();
        for ms in 1..=100 {
            let outcome = Outcome {
                tokens_in: 2,
                tokens_out: 3,
                latency: Some(Duration::from_millis(ms)),
                ..Outcome::default()
            };
            usage.record("AG-001", "m", &outcome);
        }
        let hit = Outcome {
            cache_hit: true,
            ..Outcome::default()
        };
        usage.record("AG-001", "m", &hit);
        usage.record("AG-002", "m", &hit);
        let stats = usage.stats();
        assert_eq!(stats.usage.len(), 2);
        let row = &stats.usage[0];
        assert_eq!(
            (row.calls, row.cache_hits, row.tokens_in, row.tokens_out),
            (101, 1, 200, 300)
        );
        assert!((95.0..=96.0).contains(&row.latency_p95_ms), "{}", row.latency_p95_ms);
        assert_eq!(row.latency_max_ms, 100.0);
        assert_eq!(stats.usage[1].latency_p95_ms, 0.0);
    }

    #[test]
    fn totals_per_model_and_caller_come_from_merged_histograms() {
        let usage = Usage::default();
        let call = |ms: u64| Outcome {
            tokens_in: 1,
            tokens_out: 2,
            latency: Some(Duration::from_millis(ms)),
            ..Outcome::default()
        };
        // AG-001 on m: 90 fast calls; AG-002 on m: 10 slow ones and a hit.
        for _ in 0..90 {
            usage.record("AG-001", "m", &call(10));
        }
        for _ in 0..10 {
            usage.record("AG-002", "m", &call(1000));
        }
        usage.record(
            "AG-002",
            "m",
            &Outcome {
                cache_hit: true,
                ..Outcome::default()
            },
        );
        // AG-002 on n: one failed, one fallback call.
        usage.record(
            "AG-002",
            "n",
            &Outcome {
                error: true,
                ..call(50)
            },
        );
        usage.record(
            "AG-002",
            "n",
            &Outcome {
                fallback: true,
                ..call(50)
            },
        );
        let stats = usage.stats();

        let names = |rows: &[UsageTotal]| rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&stats.by_model), ["m", "n"]);
        assert_eq!(names(&stats.by_caller), ["AG-001", "AG-002"]);

        let m = &stats.by_model[0];
        assert_eq!((m.calls, m.cache_hits, m.tokens_in, m.tokens_out), (101, 1, 100, 200));
        assert!((m.cache_hit_rate - 1.0 / 101.0).abs() < 1e-9);
        // 100 latencies, 90 at 10 ms and 10 at 1000 ms: p50 10 ms and p95
        // 1000 ms (the mean of the callers' p95s, 505 ms, would be wrong).
        assert_eq!(m.latency_p50_ms, 10.0);
        assert!((999.0..=1001.0).contains(&m.latency_p95_ms), "{}", m.latency_p95_ms);
        let n = &stats.by_model[1];
        assert_eq!((n.calls, n.errors, n.fallbacks), (2, 1, 1));

        let ag2 = &stats.by_caller[1];
        assert_eq!((ag2.calls, ag2.cache_hits, ag2.errors, ag2.fallbacks), (13, 1, 1, 1));
        // AG-002's latencies, 10 at 1000 ms and 2 at 50 ms: p50 1000 ms
        // (the mean of its per-model p50s would be 525 ms).
        assert!((999.0..=1001.0).contains(&ag2.latency_p50_ms), "{}", ag2.latency_p50_ms);
        assert_eq!(stats.by_caller[0].latency_p95_ms, 10.0);
        assert_eq!(stats.by_caller[0].cache_hit_rate, 0.0);
    }
}
