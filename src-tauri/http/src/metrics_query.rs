//! `GET /v1/metrics/query`: series of the metrics history over a range, as
//! Prometheus's `query_range` takes them (start, end, step).

use axum::extract::State;
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;
use sutazai_engine::engine::{Chart, ChartRequest, MetricsCatalog};
use sutazai_engine::metrics::{MetricsQuery, MetricsReading};

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

/// The chart the Metrics view draws: the SVG, where its plot sits, its
/// legend and the figures it was drawn from.
pub async fn chart(
    State(api): State<Api>,
    body: Result<JsonBody<ChartRequest>, ApiError>,
) -> Result<Json<Chart>, ApiError> {
    Ok(Json(api.engine.metrics_chart(&body?.0).await?))
}
