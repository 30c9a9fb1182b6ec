//! `GET /metrics`: every metric in Prometheus's text format, for a
//! Prometheus scrape (with an analyst key as its bearer token).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::Api;

/// Prometheus's text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

pub async fn scrape(State(api): State<Api>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], api.engine.prometheus_text())
}
