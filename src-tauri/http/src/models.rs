//! The Models view through the API: Ollama's models with the agents using
//! them, a pull (progress as server-sent events) and its cancel, a delete,
//! the LLM gateway's statistics, "Start Ollama", and seed 001's service
//! control (`ollama`, and every agent as a service).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use sutazai_engine::error::Code;
use sutazai_engine::llm::model::PullProgress;
use sutazai_engine::llm::models::ModelsOverview;
use sutazai_engine::llm::serve::OllamaStarted;
use sutazai_engine::llm::usage::GatewayStats;
use sutazai_engine::security::Action;

use crate::auth::Caller;
use crate::endpoint::{doc, endpoint, schema, Answer, Doc, Endpoint, Verb};
use crate::error::{ApiCode, ApiError};
use crate::extract::JsonBody;
use crate::fleet::{control_agent, Control, ControlAction, Controlled};
use crate::progress::answer;
use crate::Api;

/// A model to pull.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PullBody {
    /// Ollama's name of the model: `llama3.2:1b`.
    pub name: String,
}

/// A pull that ended well: the model's name and Ollama's last line.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Pulled {
    pub name: String,
    pub status: String,
}

/// What a cancel or delete did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Done {
    pub name: String,
}

/// What a service control did.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ServiceControlled {
    Ollama(OllamaStarted),
    Agent(Controlled),
}

pub async fn list(State(api): State<Api>) -> Json<ModelsOverview> {
    Json(api.engine.models().await)
}

/// Pulls a model: `progress` events (Ollama's lines) then `done`, or JSON
/// once done. The pull goes on if the client leaves; `DELETE
/// /v1/models/pull/{name}` cancels it.
pub async fn pull(
    State(api): State<Api>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<JsonBody<PullBody>, ApiError>,
) -> Result<Response, ApiError> {
    let PullBody { name } = body?.0;
    let engine = Arc::clone(&api.engine);
    let by = caller.0;
    answer(&api, &headers, move |progress| async move {
        let last = std::sync::Mutex::new(String::new());
        engine
            .pull_model(&name, &by, |line: PullProgress| {
                if let Ok(mut last) = last.lock() {
                    last.clone_from(&line.status);
                }
                progress(line);
            })
            .await?;
        let status = last.into_inner().unwrap_or_default();
        Ok(Pulled { name, status })
    })
    .await
}

pub async fn cancel_pull(State(api): State<Api>, Path(name): Path<String>) -> Result<Json<Done>, ApiError> {
    if api.engine.cancel_pull(&name) {
        Ok(Json(Done { name }))
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ApiCode::Engine(Code::NotFound),
            format!("name: no pull of `{name}` runs"),
        ))
    }
}

pub async fn delete(State(api): State<Api>, caller: Caller, Path(name): Path<String>) -> Result<Json<Done>, ApiError> {
    api.engine.delete_model(&name, &caller.0).await?;
    Ok(Json(Done { name }))
}

pub async fn gateway_stats(State(api): State<Api>) -> Json<GatewayStats> {
    Json(api.engine.gateway_stats())
}

pub async fn start_ollama(State(api): State<Api>, caller: Caller) -> Result<Json<OllamaStarted>, ApiError> {
    Ok(Json(api.engine.start_ollama(&caller.0).await?))
}

/// Seed 001's service control: `ollama` starts; an agent id is controlled
/// as `POST /v1/agents/{id}/control` does.
pub async fn control_service(
    State(api): State<Api>,
    caller: Caller,
    Path(service): Path<String>,
    body: Result<JsonBody<Control>, ApiError>,
) -> Result<Json<ServiceControlled>, ApiError> {
    let Control { action, instances } = body?.0;
    if service == "ollama" {
        if action != ControlAction::Start || instances.is_some() {
            return Err(ApiError::invalid("action: the `ollama` service takes `start` only"));
        }
        if !caller.0.allows(Action::ManageModels) {
            return Err(ApiError::forbidden(format!(
                "the {} role may not start Ollama",
                caller.0.role().as_str()
            )));
        }
        return Ok(Json(ServiceControlled::Ollama(
            api.engine.start_ollama(&caller.0).await?,
        )));
    }
    if api.engine.catalog().get(&service).is_none() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            ApiCode::Engine(Code::NotFound),
            format!("service: no service `{service}`; the services are `ollama` and every agent (`AG-001`…)"),
        ));
    }
    if !caller.0.allows(Action::ManageFleet) {
        return Err(ApiError::forbidden(format!(
            "the {} role may not control agents",
            caller.0.role().as_str()
        )));
    }
    let controlled = control_agent(&api.engine, &service, action, instances, &caller.0).await?;
    Ok(Json(ServiceControlled::Agent(controlled)))
}

/// The models' endpoints.
pub fn endpoints() -> Vec<Endpoint> {
    use Action as A;
    use Verb::{Delete, Get, Post};
    vec![
        endpoint(
            Get,
            "/v1/models",
            list,
            doc(
                "Ollama's version and models (size, family, quantisation, loaded), the agents preferring or \
                 falling back to each, and the agents with neither of their models",
                &[A::ReadAgents],
                Answer::Json(200, schema::<ModelsOverview>),
            ),
        ),
        endpoint(
            Post,
            "/v1/models/pull",
            pull,
            Doc {
                body: Some(schema::<PullBody>),
                ..doc(
                    "Pulls a model. With `Accept: text/event-stream`: a `progress` event per line of Ollama's \
                     (status, total and completed bytes), then `done` or `error`; else 200 once pulled",
                    &[A::ManageModels],
                    Answer::Json(200, schema::<Pulled>),
                )
            },
        ),
        endpoint(
            Delete,
            "/v1/models/pull/{name}",
            cancel_pull,
            doc(
                "Cancels the pull of a model (its name URL-encoded); 404 when none runs",
                &[A::ManageModels],
                Answer::Json(200, schema::<Done>),
            ),
        ),
        endpoint(
            Delete,
            "/v1/models/{name}",
            delete,
            doc(
                "Deletes an installed model from Ollama (its name URL-encoded)",
                &[A::ManageModels],
                Answer::Json(200, schema::<Done>),
            ),
        ),
        endpoint(
            Get,
            "/v1/gateway/stats",
            gateway_stats,
            doc(
                "The LLM gateway's counters per caller and model: calls, cache hits, errors, fallbacks, \
                 tokens, latency",
                &[A::ReadAgents],
                Answer::Json(200, schema::<GatewayStats>),
            ),
        ),
        endpoint(
            Post,
            "/v1/ollama/start",
            start_ollama,
            doc(
                "Starts the installed `ollama serve` at the configured URL (this machine only)",
                &[A::ManageModels],
                Answer::Json(200, schema::<OllamaStarted>),
            ),
        ),
        endpoint(
            Post,
            "/v1/infrastructure/services/{service}/control",
            control_service,
            Doc {
                body: Some(schema::<Control>),
                ..doc(
                    "Seed 001's service control: `ollama` takes `start`; every agent (`AG-017`) is a service \
                     too, controlled as `POST /v1/agents/{id}/control` does",
                    &[A::ManageFleet, A::ManageModels],
                    Answer::Json(200, schema::<ServiceControlled>),
                )
            },
        ),
    ]
}
