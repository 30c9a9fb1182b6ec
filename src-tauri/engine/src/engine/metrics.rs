//! The metrics' side of the engine: the collection loop (once a second,
//! always on), queries and charts of the history, and the Prometheus text.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;
use tracing::{instrument, warn};
use ts_rs::TS;

use super::Engine;
use crate::config::Config;
use crate::fleet::model::FleetEvent;
use crate::metrics::chart::{self, ChartSpec, LegendEntry, PlotArea};
use crate::metrics::collect::{Collector, RunWatch, Sources};
use crate::metrics::host::Proc;
use crate::metrics::prometheus::Exposition;
use crate::metrics::series::{Metric, METRICS};
use crate::metrics::{Metrics, MetricsError, MetricsQuery, MetricsReading};

/// The history's file in the data dir.
pub const METRICS_FILE: &str = "metrics.db";

/// Opens the metrics history of `config`.
pub fn open_metrics(config: &Config, clock: Arc<dyn crate::Clock>) -> Result<Metrics, MetricsError> {
    Metrics::open(&config.data_dir.join(METRICS_FILE), config.metrics, move || {
        clock.now_ms()
    })
}

/// The Prometheus exposition, fed by the collection loop.
pub struct Exported(Mutex<Exposition>);

impl Default for Exported {
    fn default() -> Exported {
        Exported(Mutex::new(Exposition::new()))
    }
}

/// A chart drawn from the history: the SVG, where its plot sits (for the
/// pointer's crosshair) and the figures it was drawn from.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Chart {
    pub svg: String,
    pub plot: PlotArea,
    /// Each series' words and colour, as the SVG draws them.
    pub legend: Vec<LegendEntry>,
    pub reading: MetricsReading,
}

/// A chart to draw: what to read and how to draw it.
#[derive(Debug, Clone, PartialEq, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChartRequest {
    pub query: MetricsQuery,
    pub spec: ChartSpec,
}

/// What can be charted: every metric, and the labels seen so far.
#[derive(Debug, Clone, PartialEq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricsCatalog {
    pub metrics: Vec<Metric>,
    /// Agents in the catalog, by id.
    pub agents: Vec<String>,
    /// Models the gateway has served.
    pub models: Vec<String>,
}

impl Engine {
    /// Reads the history.
    #[instrument(skip_all, err)]
    pub async fn metrics_query(&self, query: &MetricsQuery) -> Result<MetricsReading, MetricsError> {
        self.metrics.query(query, self.clock.now_ms()).await
    }

    /// Reads the history and draws it (SVG).
    #[instrument(skip_all, err)]
    pub async fn metrics_chart(&self, request: &ChartRequest) -> Result<Chart, MetricsError> {
        let reading = self.metrics_query(&request.query).await?;
        let spec = request.spec.clone();
        let drawn = reading.clone();
        let (svg, plot) = tokio::task::spawn_blocking(move || chart::svg(&drawn, &spec))
            .await
            .map_err(|err| MetricsError::Chart(err.to_string()))??;
        Ok(Chart {
            svg,
            plot,
            legend: chart::legend(&reading),
            reading,
        })
    }

    /// Draws a chart as a PNG file at `path` (the shell's save dialog
    /// chose it).
    #[instrument(skip_all, err, fields(path = %path.display()))]
    pub async fn export_metrics_chart(&self, request: &ChartRequest, path: &Path) -> Result<(), MetricsError> {
        let reading = self.metrics_query(&request.query).await?;
        let spec = request.spec.clone();
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || chart::png(&reading, &spec, &path))
            .await
            .map_err(|err| MetricsError::Chart(err.to_string()))??;
        Ok(())
    }

    /// Every metric and the labels to pick from.
    pub fn metrics_catalog(&self) -> MetricsCatalog {
        let mut models: Vec<String> = self.gateway.stats().by_model.into_iter().map(|m| m.name).collect();
        models.sort();
        MetricsCatalog {
            metrics: METRICS.to_vec(),
            agents: self.catalog().all().map(|e| e.manifest.id.clone()).collect(),
            models,
        }
    }

    /// Every metric in Prometheus's text format, as of the last second.
    pub fn prometheus_text(&self) -> String {
        self.exported.0.lock().unwrap_or_else(PoisonError::into_inner).render()
    }

    /// Writes what the history gathered so far (tests, and before a stop).
    pub async fn flush_metrics(&self) -> Result<(), MetricsError> {
        self.metrics.flush(self.clock.now_ms()).await
    }
}

/// Once a second, on the second: gathers what every subsystem counted,
/// turns it into samples and hands them to the history and the exposition.
pub(super) async fn collect_metrics(engine: Arc<Engine>) {
    let mut collector = Collector::default();
    let mut runs = RunWatch::default();
    let mut run_news = engine.runs.subscribe();
    let mut fleet_news = engine.fleet.subscribe();
    let mut restarts: BTreeMap<String, u32> = BTreeMap::new();
    let proc = Proc::default();
    let cancel = engine.life.token();
    loop {
        let now = engine.clock.now_ms();
        let wait = Duration::from_millis(u64::try_from(1000 - now.rem_euclid(1000)).unwrap_or(1000));
        let tick = tokio::time::sleep(wait);
        tokio::pin!(tick);
        // Hear the news until the second is up.
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = &mut tick => break,
                news = run_news.recv() => match news {
                    Ok(news) => runs.hear(&news),
                    Err(RecvError::Lagged(n)) => warn!(missed = n, "metrics missed run news"),
                    Err(RecvError::Closed) => {}
                },
                news = fleet_news.recv() => match news {
                    Ok(FleetEvent::Restarted { agent_id, .. }) => *restarts.entry(agent_id).or_default() += 1,
                    Ok(_) => {}
                    Err(RecvError::Lagged(n)) => warn!(missed = n, "metrics missed fleet news"),
                    Err(RecvError::Closed) => {}
                },
            }
        }
        let at_ms = engine.clock.now_ms().div_euclid(1000) * 1000;
        let containers = tokio::time::timeout(Duration::from_millis(800), engine.fleet.stats())
            .await
            .ok()
            .and_then(Result::ok);
        let (orchestrator, waiting) = engine.orchestrator.figures();
        let sources = Sources {
            at_ms,
            containers,
            endpoints: engine.fleet.endpoints().borrow().as_ref().clone(),
            orchestrator,
            waiting,
            usage: engine.gateway.take_figures(),
            runs: runs.take(),
            restarts: std::mem::take(&mut restarts),
            host: proc.read(),
        };
        let samples = collector.tick(sources, runs.active());
        {
            let mut exposition = engine.exported.0.lock().unwrap_or_else(PoisonError::into_inner);
            exposition.observe(&samples);
        }
        engine.metrics.record(samples);
    }
}
