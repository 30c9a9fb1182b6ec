//! The fleet as the Agents and Deploy views drive it: seed 001's agent
//! control, logs (followed as server-sent events), history, auto-scaling,
//! live stats, strays, the phases and their deploys (progress as
//! server-sent events), and seed 001's `status` and `infrastructure`
//! summaries. Each handler calls the engine function the window's command
//! calls.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sutazai_engine::engine::{InfrastructureStatus, SystemStatus};
use sutazai_engine::error::Code;
use sutazai_engine::fleet::autoscale::AutoscalePolicy;
use sutazai_engine::fleet::model::{
    AgentAction, AgentRow, DeployReport, FailurePolicy, HistoryEntry, PhaseSummary, ScaleReport, Stray,
};
use sutazai_engine::fleet::stats::ContainerStats;
use sutazai_engine::security::{Action, Principal};
use sutazai_engine::Engine;

use crate::agents::{agent_row, known_agent};
use crate::auth::Caller;
use crate::endpoint::{doc, endpoint, query, schema, Answer, Doc, Endpoint, Verb};
use crate::error::{ApiCode, ApiError};
use crate::extract::{body_or_default, JsonBody, Params};
use crate::progress::{answer, error_body};
use crate::Api;

/// The most log lines one request reads.
pub const MAX_TAIL: u32 = 10_000;
/// The most instances an agent runs (as the window allows).
pub const MAX_INSTANCES: u32 = 10;

/// What seed 001's agent control does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ControlAction {
    Start,
    Stop,
    Restart,
    Remove,
    Scale,
}

/// Seed 001's agent control body.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub action: ControlAction,
    /// For `scale`: run exactly this many containers (1 to 10). With
    /// `start` or `restart`: scale to this many afterwards.
    #[serde(default)]
    pub instances: Option<u32>,
}

/// What a control did: the scale report when instances changed, else the
/// agent's row after the action.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Controlled {
    Scaled(ScaleReport),
    Agent(Box<AgentRow>),
}

/// `?tail=&follow=` of the logs.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogParams {
    /// The last this many lines (default 200, at most 10000).
    pub tail: Option<u32>,
    /// Keep the answer open as server-sent events (`log`), one per new chunk.
    pub follow: Option<bool>,
}

/// One chunk of a followed log.
#[derive(Debug, Serialize, JsonSchema)]
pub struct LogChunk {
    /// The lines, as Docker wrote them (newlines kept).
    pub text: String,
}

/// `?limit=` of the history.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryParams {
    /// The newest this many entries (default 200, at most 1000).
    pub limit: Option<usize>,
}

/// How a deploy treats a failure.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeployOptions {
    /// `roll_back` (the default: remove the phase's containers) or
    /// `keep_healthy`.
    #[serde(default)]
    pub on_failure: Option<FailurePolicy>,
}

/// What an undeploy removed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Undeployed {
    /// Containers removed.
    pub removed: u32,
}

/// What deploying every phase did, phase by phase, up to the first one that
/// failed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DeployedAll {
    pub phases: Vec<DeployReport>,
}

pub async fn control(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<Control>, ApiError>,
) -> Result<Json<Controlled>, ApiError> {
    let Control { action, instances } = body?.0;
    known_agent(&api.engine, &id)?;
    Ok(Json(
        control_agent(&api.engine, &id, action, instances, &caller.0).await?,
    ))
}

/// One agent's control, as seed 001's agent and service control share it.
pub async fn control_agent(
    engine: &Engine,
    id: &str,
    action: ControlAction,
    instances: Option<u32>,
    by: &Principal,
) -> Result<Controlled, ApiError> {
    if let Some(n) = instances {
        if !(1..=MAX_INSTANCES).contains(&n) {
            return Err(ApiError::invalid(format!(
                "instances: must be 1 to {MAX_INSTANCES}, found {n}"
            )));
        }
    }
    let lifecycle = match action {
        ControlAction::Start => Some(AgentAction::Start),
        ControlAction::Stop => Some(AgentAction::Stop),
        ControlAction::Restart => Some(AgentAction::Restart),
        ControlAction::Remove => Some(AgentAction::Remove),
        ControlAction::Scale => None,
    };
    match (lifecycle, instances) {
        (None, None) => Err(ApiError::invalid("instances: `scale` needs the number of instances")),
        (Some(AgentAction::Stop | AgentAction::Remove), Some(_)) => Err(ApiError::invalid(
            "instances: only `scale`, `start` and `restart` take instances",
        )),
        (Some(action), None) => {
            engine.agent_action(id, action, by).await?;
            Ok(Controlled::Agent(Box::new(agent_row(engine, id).await?)))
        }
        (lifecycle, Some(n)) => {
            if let Some(action) = lifecycle {
                engine.agent_action(id, action, by).await?;
            }
            Ok(Controlled::Scaled(engine.scale_agent(id, n, by).await?))
        }
    }
}

pub async fn logs(
    State(api): State<Api>,
    Path(id): Path<String>,
    params: Result<Params<LogParams>, ApiError>,
) -> Result<Response, ApiError> {
    let Params(LogParams { tail, follow }) = params?;
    known_agent(&api.engine, &id)?;
    let tail = tail.unwrap_or(200);
    if tail > MAX_TAIL {
        return Err(ApiError::invalid(format!("tail: at most {MAX_TAIL}, found {tail}")));
    }
    if !follow.unwrap_or(false) {
        let text = api.engine.agent_logs(&id, tail).await?;
        return Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response());
    }
    let chunks = api.engine.follow_logs(&id, tail).await?;
    let events = chunks
        .map(|chunk| {
            let event = match chunk {
                Ok(text) => Event::default().event("log").json_data(LogChunk { text }),
                Err(err) => Event::default()
                    .event("error")
                    .json_data(error_body(&ApiError::from(err))),
            };
            Ok::<_, Infallible>(event.unwrap_or_default())
        })
        .take_until(api.stop.clone().cancelled_owned());
    Ok(Sse::new(events).keep_alive(KeepAlive::default()).into_response())
}

pub async fn history(
    State(api): State<Api>,
    Path(id): Path<String>,
    params: Result<Params<HistoryParams>, ApiError>,
) -> Result<Json<Vec<HistoryEntry>>, ApiError> {
    let limit = params?.0.limit.unwrap_or(200).min(1000);
    known_agent(&api.engine, &id)?;
    Ok(Json(api.engine.agent_history(&id, limit).await?))
}

pub async fn autoscale(
    State(api): State<Api>,
    Path(id): Path<String>,
) -> Result<Json<Option<AutoscalePolicy>>, ApiError> {
    known_agent(&api.engine, &id)?;
    Ok(Json(api.engine.autoscale_policy(&id).await?))
}

/// Sets the policy; an empty body or `null` turns auto-scaling off.
pub async fn set_autoscale(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Option<AutoscalePolicy>>, ApiError> {
    let policy: Option<AutoscalePolicy> = body_or_default(&body)?;
    known_agent(&api.engine, &id)?;
    api.engine.set_autoscale_policy(&id, policy.clone(), &caller.0).await?;
    Ok(Json(policy))
}

pub async fn stats(State(api): State<Api>) -> Result<Json<Vec<ContainerStats>>, ApiError> {
    Ok(Json(api.engine.fleet_stats().await?))
}

pub async fn strays(State(api): State<Api>) -> Result<Json<Vec<Stray>>, ApiError> {
    Ok(Json(api.engine.strays().await?))
}

pub async fn phases(State(api): State<Api>) -> Json<Vec<PhaseSummary>> {
    Json(api.engine.phases().await)
}

pub async fn system_status(State(api): State<Api>) -> Result<Json<SystemStatus>, ApiError> {
    api.engine.system_status().await.map(Json).map_err(ApiError::from_body)
}

pub async fn infrastructure_status(State(api): State<Api>) -> Json<InfrastructureStatus> {
    Json(api.engine.infrastructure_status().await)
}

pub async fn undeploy(
    State(api): State<Api>,
    caller: Caller,
    Path(phase): Path<String>,
) -> Result<Json<Undeployed>, ApiError> {
    let phase = known_phase(&api.engine, &phase)?;
    let removed = api.engine.undeploy_phase(phase, &caller.0).await?;
    Ok(Json(Undeployed { removed }))
}

/// Deploys one phase: progress as server-sent events when the client asks
/// for `text/event-stream`, else the report once it is done. The deploy
/// runs on its own task: a client that goes away does not stop it half way.
pub async fn deploy(
    State(api): State<Api>,
    caller: Caller,
    headers: HeaderMap,
    Path(phase): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let options: DeployOptions = body_or_default(&body)?;
    let phase = known_phase(&api.engine, &phase)?;
    let policy = options.on_failure.unwrap_or(FailurePolicy::RollBack);
    let engine = Arc::clone(&api.engine);
    let by = caller.0;
    answer(&api, &headers, move |progress| async move {
        engine
            .deploy_phase(phase, policy, &by, progress)
            .await
            .map_err(ApiError::from)
    })
    .await
}

/// Seed 001's deploy-all: phases 1, 2 and 3 in order, stopping after the
/// first one that does not end all healthy.
pub async fn deploy_all(
    State(api): State<Api>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let options: DeployOptions = body_or_default(&body)?;
    let policy = options.on_failure.unwrap_or(FailurePolicy::RollBack);
    let engine = Arc::clone(&api.engine);
    let by = caller.0;
    answer(&api, &headers, move |progress| async move {
        let mut phases = Vec::new();
        let mut numbers: Vec<u8> = engine.phases().await.iter().map(|p| p.phase).collect();
        numbers.sort_unstable();
        for phase in numbers {
            let report = engine.deploy_phase(phase, policy, &by, &progress).await?;
            let failed = !report.failed.is_empty();
            phases.push(report);
            if failed {
                break;
            }
        }
        Ok(DeployedAll { phases })
    })
    .await
}

/// The phase named in the path, if the catalog has agents in it.
fn known_phase(engine: &Engine, text: &str) -> Result<u8, ApiError> {
    let catalog = engine.catalog();
    let phase = text.parse::<u8>().ok().filter(|p| !catalog.phase(*p).is_empty());
    phase.ok_or_else(|| {
        let mut phases: Vec<u8> = catalog.all().map(|e| e.manifest.phase).collect();
        phases.sort_unstable();
        phases.dedup();
        let known: Vec<String> = phases.iter().map(u8::to_string).collect();
        ApiError::new(
            StatusCode::NOT_FOUND,
            ApiCode::Engine(Code::NotFound),
            format!("phase: no phase `{text}` in the catalog (phases: {})", known.join(", ")),
        )
    })
}

/// The fleet's endpoints.
pub fn endpoints() -> Vec<Endpoint> {
    use Action as A;
    use Verb::{Get, Post, Put};
    vec![
        endpoint(
            Get,
            "/v1/status",
            system_status,
            doc(
                "Seed 001's system status: Docker, Ollama and the data dir; agents by status; tasks by status; \
                 active runs; open alerts",
                &[A::ReadAgents],
                Answer::Json(200, schema::<SystemStatus>),
            ),
        ),
        endpoint(
            Get,
            "/v1/infrastructure/status",
            infrastructure_status,
            doc(
                "Seed 001's infrastructure status: Docker, Ollama, the agents by status and what their \
                 containers use now (CPU, memory)",
                &[A::ReadAgents],
                Answer::Json(200, schema::<InfrastructureStatus>),
            ),
        ),
        endpoint(
            Post,
            "/v1/infrastructure/deploy-all",
            deploy_all,
            Doc {
                body: Some(schema::<DeployOptions>),
                ..doc(
                    "Seed 001's deploy-all: phases 1, 2 and 3 in order, stopping after a phase with a failure. \
                     With `Accept: text/event-stream`: `progress` events, then `done` (the reports) or `error`; \
                     else 200 with the reports once done",
                    &[A::ManageFleet],
                    Answer::Json(200, schema::<DeployedAll>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/phases",
            phases,
            doc(
                "Each phase: its agents, how many are deployed and healthy, the memory it needs",
                &[A::ReadAgents],
                Answer::Json(200, schema::<Vec<PhaseSummary>>),
            ),
        ),
        endpoint(
            Post,
            "/v1/phases/{phase}/deploy",
            deploy,
            Doc {
                body: Some(schema::<DeployOptions>),
                ..doc(
                    "Deploys a phase: dependencies first, each agent through its health gate. With \
                     `Accept: text/event-stream`: a `progress` event per step, then `done` (the report) or \
                     `error`; else 200 with the report once done. The deploy goes on if the client leaves",
                    &[A::ManageFleet],
                    Answer::Json(200, schema::<DeployReport>),
                )
            },
        ),
        endpoint(
            Post,
            "/v1/phases/{phase}/undeploy",
            undeploy,
            doc(
                "Removes every container of a phase",
                &[A::ManageFleet],
                Answer::Json(200, schema::<Undeployed>),
            ),
        ),
        endpoint(
            Post,
            "/v1/agents/{id}/control",
            control,
            Doc {
                body: Some(schema::<Control>),
                ..doc(
                    "Seed 001's agent control: start, stop, restart, remove, or scale to `instances` (1 to 10); \
                     the agent's row after it, or the scale report",
                    &[A::ManageFleet],
                    Answer::Json(200, schema::<Controlled>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/agents/{id}/logs",
            logs,
            Doc {
                query: Some(query::<LogParams>),
                ..doc(
                    "The agent's last `tail` log lines as text; with `follow=true` server-sent `log` events \
                     (`{text}`), the last lines and then each new chunk, until the client leaves",
                    &[A::ReadAgents],
                    Answer::Text("text/plain; charset=utf-8"),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/agents/{id}/history",
            history,
            Doc {
                query: Some(query::<HistoryParams>),
                ..doc(
                    "The agent's history, newest first: deploys, people's actions, self-healing, flapping, scaling",
                    &[A::ReadAgents],
                    Answer::Json(200, schema::<Vec<HistoryEntry>>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/agents/{id}/autoscale",
            autoscale,
            doc(
                "The agent's auto-scaling policy, or null",
                &[A::ReadAgents],
                Answer::Json(200, schema::<Option<AutoscalePolicy>>),
            ),
        ),
        endpoint(
            Put,
            "/v1/agents/{id}/autoscale",
            set_autoscale,
            Doc {
                body: Some(schema::<Option<AutoscalePolicy>>),
                ..doc(
                    "Sets the agent's auto-scaling policy; `null` (or no body) turns it off",
                    &[A::ManageFleet],
                    Answer::Json(200, schema::<Option<AutoscalePolicy>>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/fleet/stats",
            stats,
            doc(
                "CPU, memory and network of every running agent container, now",
                &[A::ReadAgents],
                Answer::Json(200, schema::<Vec<ContainerStats>>),
            ),
        ),
        endpoint(
            Get,
            "/v1/fleet/strays",
            strays,
            doc(
                "Containers with the app's label that no catalog agent accounts for",
                &[A::ReadAgents],
                Answer::Json(200, schema::<Vec<Stray>>),
            ),
        ),
    ]
}
