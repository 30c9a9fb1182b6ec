//! `/v1/agents`: the catalog's agents with their containers' live status.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use sutazai_engine::error::Code;
use sutazai_engine::fleet::model::AgentRow;

use crate::error::{ApiCode, ApiError};
use crate::Api;

pub async fn list(State(api): State<Api>) -> Result<Json<Vec<AgentRow>>, ApiError> {
    Ok(Json(api.engine.agents().await))
}

pub async fn get(State(api): State<Api>, Path(id): Path<String>) -> Result<Json<AgentRow>, ApiError> {
    let found = api.engine.agents().await.into_iter().find(|agent| agent.id == id);
    found.map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            ApiCode::Engine(Code::UnknownAgent),
            format!("no agent {id} in the catalog"),
        )
    })
}
