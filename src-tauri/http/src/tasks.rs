//! `/v1/tasks`: submit (either body shape), list, read, cancel, re-queue.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use schemars::JsonSchema;
use serde::Deserialize;
use sutazai_engine::orchestrator::model::{Task, TaskPage, TaskQuery, TaskStatus};

use sutazai_engine::security::Action;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::extract::{JsonBody, Params};
use crate::seed::{self, Submission};
use crate::Api;

/// The longest `POST /v1/tasks?wait=` may wait.
pub const MAX_WAIT: Duration = Duration::from_secs(300);

/// `POST /v1/tasks` parameters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitParams {
    /// Wait this many ms for the task to end before answering.
    pub wait: Option<u64>,
}

/// `GET /v1/tasks` parameters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListParams {
    /// Statuses, comma-separated (`queued,running`); `active` is every
    /// status of a task not ended.
    pub status: Option<String>,
    pub capability: Option<String>,
    /// The agent named by the submitter or holding the task.
    pub agent_id: Option<String>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Skip this many, for paging.
    pub offset: Option<u32>,
}

/// Submits a task; with `?wait=<ms>` answers when it ends (200) or when the
/// wait is over (202, the task as it is then).
pub async fn submit(
    State(api): State<Api>,
    caller: Caller,
    params: Result<Params<SubmitParams>, ApiError>,
    body: Result<JsonBody<serde_json::Value>, ApiError>,
) -> Result<Response, ApiError> {
    let (Params(params), JsonBody(body)) = (params?, body?);
    let wait = wait_of(params.wait)?;
    let new = match seed::submission(body)? {
        Submission::Task(new) => new,
        Submission::Run(task) => return seed::start_run(&api, &caller, &task, wait).await,
    };
    caller.require(if new.parent_task_id.is_some() {
        Action::Delegate
    } else {
        Action::SubmitTasks
    })?;
    let task = match wait {
        Some(wait) => api.engine.submit_and_wait(new, &caller.0, wait).await?,
        None => api.engine.submit_task(new, &caller.0).await?,
    };
    Ok(submitted(task))
}

pub async fn list(
    State(api): State<Api>,
    params: Result<Params<ListParams>, ApiError>,
) -> Result<Json<TaskPage>, ApiError> {
    Ok(Json(api.engine.tasks(params?.0.query()?).await?))
}

pub async fn get(State(api): State<Api>, Path(id): Path<String>) -> Result<Json<Task>, ApiError> {
    Ok(Json(api.engine.task(&id).await?))
}

/// Cancels a queued or running task.
pub async fn cancel(State(api): State<Api>, caller: Caller, Path(id): Path<String>) -> Result<Json<Task>, ApiError> {
    Ok(Json(api.engine.cancel_task(&id, &caller.0).await?))
}

/// Queues a dead, failed or cancelled task again.
pub async fn requeue(State(api): State<Api>, caller: Caller, Path(id): Path<String>) -> Result<Json<Task>, ApiError> {
    Ok(Json(api.engine.requeue_task(&id, &caller.0).await?))
}

/// 200 for a task that has ended, else 202; `Location` names it either way.
/// The answer leaves out the routing decision (every candidate with its
/// figures: 4 KB with 20 agents, most of the answer and of its cost at
/// thousands of submissions a second); `GET` at `Location` has it.
fn submitted(mut task: Task) -> Response {
    task.route = None;
    let status = if task.status.is_final() {
        StatusCode::OK
    } else {
        StatusCode::ACCEPTED
    };
    let location = format!("/v1/tasks/{}", task.id);
    // Written into one buffer sized for a task: axum's `Json` writes into a
    // `BytesMut` that starts at 128 bytes, token by token, which was a
    // fifth of this handler's time at thousands of submissions a second.
    let mut body = Vec::with_capacity(2048);
    match serde_json::to_writer(&mut body, &task) {
        Ok(()) => {
            let headers = [
                (header::LOCATION, location),
                (header::CONTENT_TYPE, "application/json".to_string()),
            ];
            (status, headers, body).into_response()
        }
        // Not for a task's JSON; should it happen, axum says so its own way.
        Err(_) => (status, [(header::LOCATION, location)], Json(task)).into_response(),
    }
}

/// A `?wait=<ms>` parameter, at most [`MAX_WAIT`].
pub fn wait_of(wait: Option<u64>) -> Result<Option<Duration>, ApiError> {
    match wait.map(Duration::from_millis) {
        Some(wait) if wait > MAX_WAIT => Err(ApiError::invalid(format!(
            "wait: at most {} ms, found {}",
            MAX_WAIT.as_millis(),
            wait.as_millis()
        ))),
        wait => Ok(wait),
    }
}

impl ListParams {
    fn query(self) -> Result<TaskQuery, ApiError> {
        let status = match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(list) => {
                let mut statuses = Vec::new();
                for word in list.split(',').map(str::trim) {
                    match word {
                        // Seed 001's `status=active`: every task not ended.
                        "active" => statuses.extend([TaskStatus::Queued, TaskStatus::Dispatched, TaskStatus::Running]),
                        word => statuses.push(TaskStatus::parse(word).ok_or_else(|| {
                            ApiError::invalid(format!(
                                "status: unknown status `{word}`; expected active, queued, dispatched, running, succeeded, failed, dead or cancelled"
                            ))
                        })?),
                    }
                }
                Some(statuses)
            }
        };
        Ok(TaskQuery {
            status,
            capability: self.capability,
            agent_id: self.agent_id,
            limit: self.limit,
            offset: self.offset,
        })
    }
}
