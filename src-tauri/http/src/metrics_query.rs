//! `GET /v1/metrics/query`: series of the metrics history over a range, as
//! Prometheus's `query_range` takes them (start, end, step); the catalog of
//! metrics; and `POST /v1/metrics/chart`, the Metrics view's chart as JSON
//! with its SVG or, `?format=png`, as the PNG the window exports.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;
use sutazai_engine::engine::{ChartRequest, MetricsCatalog};
use sutazai_engine::metrics::{MetricsError, MetricsQuery, MetricsReading};

use crate::error::ApiError;
use crate::extract::{JsonBody, Params};
use crate::Api;

/// `GET /v1/metrics/query` parameters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QueryParams {
    /// Series keys, comma-separated: `cpu_percent{AG-001},task_latency_ms:p95`.
    pub series: String,
    /// Start of the range, milliseconds since the Unix epoch.
    pub from: i64,
    /// End of the range, milliseconds since the Unix epoch.
    pub to: i64,
    /// Milliseconds between points (each point the min, max and mean of its
    /// step); default: the range over 800 points.
    pub step: Option<i64>,
}

pub async fn query(
    State(api): State<Api>,
    params: Result<Params<QueryParams>, ApiError>,
) -> Result<Json<MetricsReading>, ApiError> {
    let Params(params) = params?;
    let width = match params.step {
        None => None,
        Some(step) if step >= 1 => {
            let span = (params.to - params.from).max(0);
            let points = (span + step - 1) / step;
            Some(
                u32::try_from(points)
                    .map_err(|_| ApiError::invalid(format!("step: {step} ms makes too many points")))?,
            )
        }
        Some(step) => return Err(ApiError::invalid(format!("step: at least 1 ms, not {step}"))),
    };
    let query = MetricsQuery {
        series: params
            .series
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        from_ms: params.from,
        to_ms: params.to,
        width,
        tier: None,
    };
    Ok(Json(api.engine.metrics_query(&query).await?))
}

pub async fn catalog(State(api): State<Api>) -> Json<MetricsCatalog> {
    Json(api.engine.metrics_catalog())
}

/// `POST /v1/metrics/chart` parameters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChartParams {
    /// `json` (default): the SVG with its plot area, legend and figures;
    /// `png`: the picture alone (`image/png`), as the window exports it.
    pub format: Option<ChartFormat>,
}

/// What `POST /v1/metrics/chart` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChartFormat {
    Json,
    Png,
}

/// The chart the Metrics view draws: the SVG, where its plot sits, its
/// legend and the figures it was drawn from; or, `?format=png`, the PNG the
/// window's export writes (the engine draws it into a file of a temporary
/// directory, read back and removed here).
pub async fn chart(
    State(api): State<Api>,
    params: Result<Params<ChartParams>, ApiError>,
    body: Result<JsonBody<ChartRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let Params(params) = params?;
    let request = body?.0;
    if params.format != Some(ChartFormat::Png) {
        return Ok(Json(api.engine.metrics_chart(&request).await?).into_response());
    }
    let dir =
        tempfile::tempdir().map_err(|err| MetricsError::Chart(format!("no temporary directory for the PNG: {err}")))?;
    let path = dir.path().join("chart.png");
    api.engine.export_metrics_chart(&request, &path).await?;
    let png = tokio::fs::read(&path)
        .await
        .map_err(|err| MetricsError::Chart(format!("cannot read the PNG back from {}: {err}", path.display())))?;
    Ok(([(header::CONTENT_TYPE, "image/png")], png).into_response())
}
