//! Live metrics: one pipeline, always on. Once a second the collector
//! ([`collect`]) turns what the subsystems counted into samples; the
//! history thread ([`history`]) keeps them in three tiers in its own
//! SQLite file; queries reduce a range to a chart's pixel columns
//! ([`reduce`]) and charts are drawn by plotters ([`chart`]).
//!
//! The history lives on a thread of its own (SQLite is blocking) and is
//! reached through a channel: recording never waits for a query, and
//! nothing here touches the tasks' database.

pub mod block;
pub mod chart;
pub mod collect;
pub mod history;
pub mod host;
pub mod prometheus;
pub mod reduce;
pub mod series;
pub mod tier;

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use ts_rs::TS;

use crate::error::{Code, Coded};
use history::{History, HistoryError, Keeping};
use reduce::{Column, Gap, Window};
use series::{SeriesKey, Unit};
use tier::Tier;

/// How often the open blocks are written: what a crash can lose.
const FLUSH_EVERY: Duration = Duration::from_secs(60);
/// The series one query may ask for.
const MAX_SERIES: usize = 24;
/// The widest reduction (columns).
const MAX_WIDTH: u32 = 8_000;
/// Recorded every second while the app runs: where it has no sample, the
/// app was not running.
pub fn heartbeat() -> SeriesKey {
    SeriesKey::new("app_memory_bytes", None)
}

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    History(#[from] HistoryError),
    #[error("the metrics history has stopped")]
    Stopped,
    #[error("cannot draw the chart: {0}")]
    Chart(String),
}

impl Coded for MetricsError {
    fn code(&self) -> Code {
        match self {
            Self::Invalid(_) => Code::InvalidRequest,
            Self::History(_) | Self::Chart(_) => Code::Store,
            Self::Stopped => Code::EngineUnavailable,
        }
    }
}

/// A question to the history: some series over a time range, reduced to
/// `width` points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricsQuery {
    /// Series keys: `cpu_percent`, `cpu_percent{AG-001}`,
    /// `task_latency_ms:p95{AG-001}`.
    pub series: Vec<String>,
    #[ts(type = "number")]
    pub from_ms: i64,
    #[ts(type = "number")]
    pub to_ms: i64,
    /// Points at most (a chart's pixel width); default 800.
    #[serde(default)]
    #[ts(optional)]
    pub width: Option<u32>,
    /// Read this tier instead of the one the range picks.
    #[serde(default)]
    #[ts(optional)]
    pub tier: Option<Tier>,
}

/// What a query found.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricsReading {
    #[ts(type = "number")]
    pub from_ms: i64,
    #[ts(type = "number")]
    pub to_ms: i64,
    pub width: u32,
    pub tier: Tier,
    /// Where the app was not running.
    pub gaps: Vec<Gap>,
    pub series: Vec<SeriesReading>,
}

/// One series of a reading.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SeriesReading {
    pub key: String,
    pub metric: String,
    pub unit: Unit,
    pub columns: Vec<Column>,
}

/// A query checked: its keys parsed, its window sane.
#[derive(Debug, Clone)]
struct Checked {
    keys: Vec<SeriesKey>,
    window: Window,
    tier: Option<Tier>,
}

fn check(query: &MetricsQuery) -> Result<Checked, MetricsError> {
    if query.series.is_empty() || query.series.len() > MAX_SERIES {
        return Err(MetricsError::Invalid(format!(
            "series: ask for 1 to {MAX_SERIES} series, not {}",
            query.series.len()
        )));
    }
    if query.to_ms <= query.from_ms {
        return Err(MetricsError::Invalid(format!(
            "toMs ({}) must be after fromMs ({})",
            query.to_ms, query.from_ms
        )));
    }
    let width = query.width.unwrap_or(800);
    if width == 0 || width > MAX_WIDTH {
        return Err(MetricsError::Invalid(format!("width: 1 to {MAX_WIDTH}, not {width}")));
    }
    let keys = query
        .series
        .iter()
        .map(|s| SeriesKey::parse(s).map_err(MetricsError::Invalid))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Checked {
        keys,
        window: Window {
            from_ms: query.from_ms,
            to_ms: query.to_ms,
            width,
        },
        tier: query.tier,
    })
}

/// Reads a checked query from the history.
fn answer(history: &History, q: &Checked, now_ms: i64) -> Result<MetricsReading, MetricsError> {
    let mut series = Vec::with_capacity(q.keys.len());
    let mut tier = q.tier;
    for key in &q.keys {
        let reading = history.read(key, q.window, tier, now_ms)?;
        // Every series of one answer comes from one tier.
        tier = Some(reading.tier);
        let metric = key.metric();
        series.push(SeriesReading {
            key: key.to_string(),
            metric: metric.name.to_string(),
            unit: metric.unit,
            columns: reading.columns,
        });
    }
    let tier = tier.unwrap_or(Tier::Second);
    let gaps = history.gaps(&heartbeat(), q.window, tier, now_ms)?;
    Ok(MetricsReading {
        from_ms: q.window.from_ms,
        to_ms: q.window.to_ms,
        width: q.window.width,
        tier,
        gaps,
        series,
    })
}

enum Job {
    Record(collect::Samples),
    Totals(
        Vec<SeriesKey>,
        i64,
        i64,
        oneshot::Sender<Result<Vec<reduce::Total>, MetricsError>>,
    ),
    Query(Checked, i64, oneshot::Sender<Result<MetricsReading, MetricsError>>),
    Flush(i64, oneshot::Sender<Result<(), MetricsError>>),
}

/// The history's thread, reached through a channel. Dropping the last
/// handle ends the thread after a final flush.
#[derive(Clone)]
pub struct Metrics {
    jobs: mpsc::Sender<Job>,
}

impl Metrics {
    /// Opens the history at `path` and starts its thread; `now` stamps
    /// the flushes it makes on its own.
    pub fn open(
        path: &Path,
        keeping: Keeping,
        now: impl Fn() -> i64 + Send + 'static,
    ) -> Result<Metrics, MetricsError> {
        let mut history = History::open(path, keeping)?;
        let (jobs, inbox) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("metrics-history".into())
            .spawn(move || {
                let mut last_flush = std::time::Instant::now();
                loop {
                    let wait = FLUSH_EVERY.saturating_sub(last_flush.elapsed());
                    match inbox.recv_timeout(wait) {
                        Ok(Job::Record(samples)) => {
                            if let Err(err) = record(&mut history, &samples) {
                                tracing::warn!(cause = %err, "metrics samples not kept");
                            }
                        }
                        Ok(Job::Totals(keys, from_ms, to_ms, reply)) => {
                            let totals: Result<Vec<_>, _> =
                                keys.iter().map(|k| history.total(k, from_ms, to_ms)).collect();
                            let _ = reply.send(totals.map_err(MetricsError::from));
                        }
                        Ok(Job::Query(q, now_ms, reply)) => {
                            let _ = reply.send(answer(&history, &q, now_ms));
                        }
                        Ok(Job::Flush(now_ms, reply)) => {
                            let _ = reply.send(history.flush(now_ms).map_err(MetricsError::from));
                            last_flush = std::time::Instant::now();
                        }
                        Err(mpsc::RecvTimeoutError::Timeout) => {
                            if let Err(err) = history.flush(now()) {
                                tracing::warn!(cause = %err, "metrics history not written");
                            }
                            last_flush = std::time::Instant::now();
                        }
                        Err(mpsc::RecvTimeoutError::Disconnected) => {
                            if let Err(err) = history.flush(now()) {
                                tracing::warn!(cause = %err, "metrics history not written at the end");
                            }
                            return;
                        }
                    }
                }
            })
            .map_err(|err| MetricsError::Invalid(format!("cannot start the metrics thread: {err}")))?;
        Ok(Metrics { jobs })
    }

    /// Hands one second's samples to the history (never waits).
    pub fn record(&self, samples: collect::Samples) {
        let _ = self.jobs.send(Job::Record(samples));
    }

    /// Answers `query` as of `now_ms`.
    pub async fn query(&self, query: &MetricsQuery, now_ms: i64) -> Result<MetricsReading, MetricsError> {
        let checked = check(query)?;
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Query(checked, now_ms, reply))
            .map_err(|_| MetricsError::Stopped)?;
        answer.await.map_err(|_| MetricsError::Stopped)?
    }

    /// Each series' 1 s points between `from_ms` and `to_ms`, summed (in
    /// the order asked).
    pub async fn totals(
        &self,
        keys: Vec<SeriesKey>,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<reduce::Total>, MetricsError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Totals(keys, from_ms, to_ms, reply))
            .map_err(|_| MetricsError::Stopped)?;
        answer.await.map_err(|_| MetricsError::Stopped)?
    }

    /// Writes everything gathered so far.
    pub async fn flush(&self, now_ms: i64) -> Result<(), MetricsError> {
        let (reply, done) = oneshot::channel();
        self.jobs
            .send(Job::Flush(now_ms, reply))
            .map_err(|_| MetricsError::Stopped)?;
        done.await.map_err(|_| MetricsError::Stopped)?
    }
}

/// Keeps one second's samples.
pub fn record(history: &mut History, samples: &collect::Samples) -> Result<(), HistoryError> {
    let at = samples.at_ms.div_euclid(1000) * 1000;
    for (key, value) in &samples.values {
        let id = history.id(key)?;
        history.record(id, at, *value)?;
    }
    for (key, latencies) in &samples.latencies {
        let id = history.id(key)?;
        history.record_latencies(id, at, latencies)?;
    }
    Ok(())
}
