//! `/v1/threats`: the inputs the threat gate refused or held, and a
//! person's decision on a held one.

use axum::extract::{Path, State};
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;
use sutazai_engine::security::threats::Threat;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::Params;
use crate::Api;

/// `GET /v1/threats` parameters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ThreatParams {
    /// The newest this many (default 100, at most 1000).
    pub limit: Option<u32>,
}

pub async fn list(
    State(api): State<Api>,
    params: Result<Params<ThreatParams>, ApiError>,
) -> Result<Json<Vec<Threat>>, ApiError> {
    let limit = params?.0.limit.unwrap_or(100);
    Ok(Json(api.engine.threats(limit).await?))
}

/// Submits a held input as its submitter would have.
pub async fn approve(State(api): State<Api>, caller: Caller, Path(id): Path<String>) -> Result<Json<Threat>, ApiError> {
    Ok(Json(api.engine.approve_threat(threat_id(&id)?, &caller.0).await?))
}

/// Drops a held input.
pub async fn reject(State(api): State<Api>, caller: Caller, Path(id): Path<String>) -> Result<Json<Threat>, ApiError> {
    Ok(Json(api.engine.reject_threat(threat_id(&id)?, &caller.0).await?))
}

fn threat_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::invalid(format!("id: expected a threat id (a number), found `{id}`")))
}
