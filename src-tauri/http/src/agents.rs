//! `/v1/agents`: the catalog's agents with their containers' live status,
//! filtered as seed 001 does (`?status=healthy&capability=code_generation`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;
use sutazai_engine::error::Code;
use sutazai_engine::fleet::model::{AgentRow, AgentStatus};
use sutazai_engine::Engine;

use crate::error::{ApiCode, ApiError};
use crate::extract::Params;
use crate::Api;

/// Seed 001's filters of the agent list.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentFilter {
    /// Statuses, comma-separated: `healthy,unhealthy` (`unknown`,
    /// `not_deployed`, `starting`, `healthy`, `unhealthy`, `stopped`,
    /// `flapping`).
    pub status: Option<String>,
    /// Agents with this capability.
    pub capability: Option<String>,
    /// Agents of this phase.
    pub phase: Option<u8>,
}

impl AgentFilter {
    /// The statuses asked for; an unknown word is refused, named.
    fn statuses(&self) -> Result<Option<Vec<AgentStatus>>, ApiError> {
        let Some(list) = &self.status else { return Ok(None) };
        list.split(',')
            .map(str::trim)
            .filter(|word| !word.is_empty())
            .map(|word| {
                serde_json::from_value(serde_json::Value::String(word.to_string())).map_err(|_| {
                    ApiError::invalid(format!(
                        "status: unknown status `{word}` (unknown, not_deployed, starting, healthy, unhealthy, \
                         stopped, flapping)"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }
}

pub async fn list(
    State(api): State<Api>,
    params: Result<Params<AgentFilter>, ApiError>,
) -> Result<Json<Vec<AgentRow>>, ApiError> {
    let Params(filter) = params?;
    let statuses = filter.statuses()?;
    let rows = api.engine.agents().await.into_iter().filter(|row| {
        statuses.as_ref().is_none_or(|s| s.contains(&row.status))
            && filter
                .capability
                .as_ref()
                .is_none_or(|c| row.capabilities.iter().any(|have| have == c))
            && filter.phase.is_none_or(|p| row.phase == p)
    });
    Ok(Json(rows.collect()))
}

pub async fn get(State(api): State<Api>, Path(id): Path<String>) -> Result<Json<AgentRow>, ApiError> {
    agent_row(&api.engine, &id).await.map(Json)
}

/// The row of agent `id`, or 404.
pub async fn agent_row(engine: &Engine, id: &str) -> Result<AgentRow, ApiError> {
    let found = engine.agents().await.into_iter().find(|agent| agent.id == id);
    found.ok_or_else(|| unknown_agent(id))
}

/// 404 unless the catalog has agent `id`.
pub fn known_agent(engine: &Engine, id: &str) -> Result<(), ApiError> {
    engine.catalog().get(id).map(|_| ()).ok_or_else(|| unknown_agent(id))
}

fn unknown_agent(id: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ApiCode::Engine(Code::UnknownAgent),
        format!("no agent {id} in the catalog"),
    )
}
