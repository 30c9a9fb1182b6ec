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

/// Everything the gateway counted since the engine started.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GatewayStats {
    /// One row per caller and model, ordered by caller then model.
    pub usage: Vec<ModelUsage>,
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
        }
    }
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
        }
    }

    pub fn stats(&self) -> GatewayStats {
        let rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        let usage = rows
            .iter()
            .map(|((caller, model), row)| {
                let at = |q: f64| {
                    if row.latency_ms.is_empty() {
                        0.0
                    } else {
                        row.latency_ms.value_at_quantile(q) as f64
                    }
                };
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
        GatewayStats { usage }
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
}
