//! `/v1/workflows` and `/v1/runs`: definitions (list, read, save,
//! validate, delete, versions) and their runs (start, list, read, cancel,
//! pause, resume, re-run from a step, approve or reject a step).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sutazai_engine::runs::model::{NewRun, Run, RunQuery, RunStatus};
use sutazai_engine::runs::preflight::Warning;
use sutazai_engine::runs::RunPage;
use sutazai_engine::workflow::model::Workflow;
use sutazai_engine::workflow::versions::{Change, Draft, VersionInfo};
use sutazai_engine::workflow::{Definition, SavedVersion, WorkflowProblem};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{body_or_default, JsonBody, Params};
use crate::tasks::wait_of;
use crate::Api;

pub async fn list(State(api): State<Api>) -> Json<Vec<Definition>> {
    Json(api.engine.workflows())
}

pub async fn get(State(api): State<Api>, Path(id): Path<String>) -> Result<Json<Definition>, ApiError> {
    Ok(Json(api.engine.workflow(&id)?))
}

/// `PUT /v1/workflows/{id}` parameters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveParams {
    /// The version the edit started from (leave out for a new workflow);
    /// a newer saved version makes the save a 409 conflict.
    pub base: Option<u32>,
}

/// Saves a definition as a new version (with its problems, if any).
pub async fn save(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
    params: Result<Params<SaveParams>, ApiError>,
    body: Result<JsonBody<Workflow>, ApiError>,
) -> Result<Json<SavedVersion>, ApiError> {
    let (Params(params), JsonBody(workflow)) = (params?, body?);
    if workflow.id != id {
        return Err(ApiError::invalid(format!(
            "id: the body is workflow `{}`, the path `{id}`",
            workflow.id
        )));
    }
    Ok(Json(api.engine.save_workflow(&workflow, params.base, &caller.0).await?))
}

/// What a deleted definition leaves: its versions.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Deleted {
    pub id: String,
    /// Still stored; `PUT` one back to restore it.
    pub versions: Vec<VersionInfo>,
}

pub async fn delete(State(api): State<Api>, caller: Caller, Path(id): Path<String>) -> Result<Json<Deleted>, ApiError> {
    api.engine.delete_workflow(&id, &caller.0).await?;
    let versions = api.engine.workflow_versions(&id).await?;
    Ok(Json(Deleted { id, versions }))
}

/// Every problem of a definition, without saving it (200 either way).
pub async fn validate(
    State(api): State<Api>,
    body: Result<JsonBody<Workflow>, ApiError>,
) -> Result<Json<Vec<WorkflowProblem>>, ApiError> {
    Ok(Json(api.engine.validate_workflow(&body?.0)))
}

pub async fn versions(State(api): State<Api>, Path(id): Path<String>) -> Result<Json<Vec<VersionInfo>>, ApiError> {
    Ok(Json(api.engine.workflow_versions(&id).await?))
}

pub async fn version(
    State(api): State<Api>,
    Path((id, version)): Path<(String, u32)>,
) -> Result<Json<Workflow>, ApiError> {
    Ok(Json(api.engine.workflow_version(&id, version).await?))
}

/// `GET /v1/workflows/{id}/diff` parameters.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiffParams {
    pub from: u32,
    pub to: u32,
}

pub async fn diff(
    State(api): State<Api>,
    Path(id): Path<String>,
    params: Result<Params<DiffParams>, ApiError>,
) -> Result<Json<Vec<Change>>, ApiError> {
    let Params(params) = params?;
    Ok(Json(api.engine.workflow_diff(&id, params.from, params.to).await?))
}

/// Saves an earlier version again, as the newest.
pub async fn restore(
    State(api): State<Api>,
    caller: Caller,
    Path((id, version)): Path<(String, u32)>,
) -> Result<Json<SavedVersion>, ApiError> {
    Ok(Json(api.engine.restore_workflow(&id, version, &caller.0).await?))
}

pub async fn preflight(State(api): State<Api>, Path(id): Path<String>) -> Result<Json<Vec<Warning>>, ApiError> {
    Ok(Json(api.engine.preflight_workflow(&id).await?))
}

/// `POST /v1/workflows/{id}/runs` parameters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartParams {
    /// Wait this many ms for the run to end before answering.
    pub wait: Option<u64>,
}

/// Starts a run; 202 with the run (200 once it ended within `wait`).
pub async fn start(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
    params: Result<Params<StartParams>, ApiError>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let Params(params) = params?;
    let wait = wait_of(params.wait)?;
    let new: NewRun = body_or_default(&body)?;
    let run = api.engine.start_run(&id, new, &caller.0).await?;
    let run = match wait {
        Some(wait) => api.engine.wait_run(&run.id, wait).await?,
        None => run,
    };
    Ok(started(run))
}

/// 200 for a run that has ended, else 202; `Location` names it either way.
pub fn started(run: Run) -> Response {
    let status = if run.status.is_final() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let location = format!("/v1/runs/{}", run.id);
    (status, [(header::LOCATION, location)], Json(run)).into_response()
}

/// `GET /v1/runs` parameters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunParams {
    pub workflow_id: Option<String>,
    /// Statuses, comma-separated (`running,waiting`); `active` is every
    /// status of a run under way.
    pub status: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

pub async fn runs(
    State(api): State<Api>,
    params: Result<Params<RunParams>, ApiError>,
) -> Result<Json<RunPage>, ApiError> {
    let Params(params) = params?;
    let status = match params.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(list) => {
            let mut statuses = Vec::new();
            for word in list.split(',').map(str::trim) {
                match word {
                    "active" => statuses.extend([RunStatus::Queued, RunStatus::Running, RunStatus::Waiting, RunStatus::Paused]),
                    word => statuses.push(RunStatus::parse(word).ok_or_else(|| {
                        ApiError::invalid(format!(
                            "status: unknown status `{word}`; expected active, queued, running, waiting, paused, succeeded, failed or cancelled"
                        ))
                    })?),
                }
            }
            Some(statuses)
        }
    };
    let query = RunQuery {
        workflow_id: params.workflow_id,
        status,
        limit: params.limit,
        offset: params.offset,
    };
    Ok(Json(api.engine.runs(query).await?))
}

pub async fn run(State(api): State<Api>, Path(id): Path<String>) -> Result<Json<Run>, ApiError> {
    Ok(Json(api.engine.run(&id).await?))
}

/// The definition version a run pinned.
pub async fn definition(State(api): State<Api>, Path(id): Path<String>) -> Result<Json<Workflow>, ApiError> {
    Ok(Json(api.engine.run_definition(&id).await?))
}

pub async fn cancel(State(api): State<Api>, caller: Caller, Path(id): Path<String>) -> Result<Json<Run>, ApiError> {
    Ok(Json(api.engine.cancel_run(&id, &caller.0).await?))
}

pub async fn pause(State(api): State<Api>, caller: Caller, Path(id): Path<String>) -> Result<Json<Run>, ApiError> {
    Ok(Json(api.engine.pause_run(&id, true, &caller.0).await?))
}

pub async fn resume(State(api): State<Api>, caller: Caller, Path(id): Path<String>) -> Result<Json<Run>, ApiError> {
    Ok(Json(api.engine.pause_run(&id, false, &caller.0).await?))
}

/// `POST /v1/runs/{id}/rerun` body.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rerun {
    /// The step to run again; everything upstream of it keeps its output.
    pub from_step: String,
}

pub async fn rerun(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<Rerun>, ApiError>,
) -> Result<Response, ApiError> {
    let JsonBody(body) = body?;
    Ok(started(api.engine.rerun(&id, &body.from_step, &caller.0).await?))
}

/// An approval's note.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Note {
    #[serde(default)]
    pub note: String,
}

async fn decide(
    api: Api,
    caller: Caller,
    (id, step): (String, String),
    approve: bool,
    body: axum::body::Bytes,
) -> Result<Json<Run>, ApiError> {
    let Note { note } = body_or_default(&body)?;
    Ok(Json(
        api.engine.decide_step(&id, &step, approve, note, &caller.0).await?,
    ))
}

pub async fn approve(
    State(api): State<Api>,
    caller: Caller,
    Path(ids): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Run>, ApiError> {
    decide(api, caller, ids, true, body).await
}

pub async fn reject(
    State(api): State<Api>,
    caller: Caller,
    Path(ids): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Result<Json<Run>, ApiError> {
    decide(api, caller, ids, false, body).await
}

/// The designer's edit of a workflow to keep.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DraftBody {
    pub workflow: Workflow,
    /// The version the edit started from (none for a new workflow).
    #[serde(default)]
    pub base: Option<u32>,
}

pub async fn draft(State(api): State<Api>, Path(id): Path<String>) -> Result<Json<Option<Draft>>, ApiError> {
    Ok(Json(api.engine.draft(&id).await?))
}

/// Keeps the edit as the workflow's draft; the path's id must be the body's.
pub async fn save_draft(
    State(api): State<Api>,
    Path(id): Path<String>,
    body: Result<JsonBody<DraftBody>, ApiError>,
) -> Result<Json<Option<Draft>>, ApiError> {
    let DraftBody { workflow, base } = body?.0;
    if workflow.id != id {
        return Err(ApiError::invalid(format!(
            "workflow.id: the path names `{id}`, the body `{}`",
            workflow.id
        )));
    }
    api.engine.save_draft(&workflow, base).await?;
    Ok(Json(api.engine.draft(&id).await?))
}

pub async fn discard_draft(State(api): State<Api>, Path(id): Path<String>) -> Result<Json<Option<Draft>>, ApiError> {
    api.engine.discard_draft(&id).await?;
    Ok(Json(None))
}
