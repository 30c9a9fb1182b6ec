//! The agent's HTTP API: `GET /health`, `POST /task`, `POST /message` (the
//! hub's message bus), `GET /metrics`; the concurrency limit; draining on
//! SIGTERM.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sutazai_protocol::wire::{BusMessage, ErrorReply, HealthReport, HealthStatus, TaskError, TaskOutcome, TaskRequest};
use sutazai_protocol::{ErrorCode, PROTOCOL_VERSION};
use tokio::sync::Semaphore;

use crate::config::Settings;
use crate::llm::Llm;
use crate::metrics::{Metrics, StatusLabel};
use crate::task::Executor;

/// Shared by every request.
pub struct Agent {
    settings: Settings,
    executor: Executor,
    metrics: Metrics,
    /// One permit per task that may run at once.
    slots: Arc<Semaphore>,
    /// Set on SIGTERM: no new tasks, `/health` says `draining`.
    draining: AtomicBool,
    started: Instant,
    succeeded: AtomicU64,
    failed: AtomicU64,
}

impl Agent {
    pub fn new(settings: Settings) -> Arc<Agent> {
        let llm = Llm::new(&settings.ollama_url, settings.token.clone(), settings.llm_timeout);
        Arc::new(Agent {
            executor: Executor {
                manifest: settings.manifest.clone(),
                llm,
            },
            metrics: Metrics::new(&settings.manifest.id),
            slots: Arc::new(Semaphore::new(settings.max_concurrency)),
            draining: AtomicBool::new(false),
            started: Instant::now(),
            succeeded: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            settings,
        })
    }

    fn active(&self) -> u32 {
        (self.settings.max_concurrency - self.slots.available_permits()) as u32
    }
}

/// The routes, without a socket (tests call it directly).
pub fn app(agent: Arc<Agent>) -> Router {
    let limit = agent.settings.max_body_bytes;
    Router::new()
        .route("/health", get(health))
        .route("/task", post(task))
        .route("/message", post(message))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(agent)
}

/// Serves until SIGTERM/SIGINT, then drains in-flight tasks (bounded by the
/// drain setting) and returns.
pub async fn run(settings: Settings) -> Result<(), String> {
    let listen = settings.listen;
    let drain = settings.drain;
    let agent = Agent::new(settings);
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|err| format!("cannot listen on {listen}: {err}"))?;
    tracing::info!(agent = %agent.settings.manifest.id, %listen, "agent serving");
    tokio::spawn(crate::bus::subscribe(agent.settings.clone()));
    let stop = Arc::new(tokio::sync::Notify::new());
    let signal = {
        let agent = Arc::clone(&agent);
        let stop = Arc::clone(&stop);
        async move {
            wait_for_signal().await;
            agent.draining.store(true, Ordering::SeqCst);
            tracing::info!(in_flight = agent.active(), "draining: finishing in-flight tasks");
            stop.notify_one();
        }
    };
    let server = axum::serve(listener, app(Arc::clone(&agent))).with_graceful_shutdown(signal);
    let deadline = async {
        stop.notified().await;
        tokio::time::sleep(drain).await;
    };
    tokio::select! {
        served = server => served.map_err(|err| format!("server error: {err}"))?,
        () = deadline => tracing::warn!(in_flight = agent.active(), "drain time is up; exiting with tasks in flight"),
    }
    tracing::info!("agent stopped");
    Ok(())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

async fn health(State(agent): State<Arc<Agent>>) -> Json<HealthReport> {
    let m = &agent.settings.manifest;
    let draining = agent.draining.load(Ordering::SeqCst);
    Json(HealthReport {
        protocol: PROTOCOL_VERSION,
        agent_id: m.id.clone(),
        name: m.name.clone(),
        runtime_version: crate::VERSION.to_string(),
        status: if draining {
            HealthStatus::Draining
        } else {
            HealthStatus::Ok
        },
        active_tasks: agent.active(),
        max_concurrency: agent.settings.max_concurrency as u32,
        uptime_ms: agent.started.elapsed().as_millis() as u64,
        tasks_succeeded: agent.succeeded.load(Ordering::Relaxed),
        tasks_failed: agent.failed.load(Ordering::Relaxed),
    })
}

async fn metrics(State(agent): State<Arc<Agent>>) -> Response {
    let body = agent.metrics.render();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        body,
    )
        .into_response()
}

/// `POST /message`: a message of the hub's bus; a health check is answered
/// with a reply, anything else acknowledged with `{}`.
async fn message(State(agent): State<Arc<Agent>>, http: Request) -> Response {
    if let Some(refusal) = unauthorized(&agent, http.headers()) {
        return refusal;
    }
    let body: Result<Json<BusMessage>, JsonRejection> = Json::from_request(http, &()).await;
    let Json(message) = match body {
        Ok(body) => body,
        Err(rejection) => return refuse(rejection.status(), ErrorCode::BadRequest, rejection.body_text()),
    };
    Json(crate::bus::answer(&agent.settings, &message)).into_response()
}

fn refuse(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Response {
    let reply = ErrorReply {
        error: TaskError {
            code,
            message: message.into(),
        },
        known_task_types: None,
    };
    (status, Json(reply)).into_response()
}

/// The refusal of a caller without the hub's token, when the agent expects one.
fn unauthorized(agent: &Agent, headers: &HeaderMap) -> Option<Response> {
    let token = agent.settings.accept_token.as_ref()?;
    (!presents(headers, token)).then(|| {
        refuse(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "a valid bearer token is required",
        )
    })
}

/// Whether `headers` carry `Authorization: Bearer <token>`, compared in
/// constant time.
fn presents(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|presented| sutazai_protocol::constant_time_eq(presented.as_bytes(), token.as_bytes()))
}

async fn task(State(agent): State<Arc<Agent>>, http: Request) -> Response {
    let received = Instant::now();
    // The caller is checked before its body is read: an unknown caller
    // costs no body buffer and no JSON parse.
    if let Some(refusal) = unauthorized(&agent, http.headers()) {
        return refusal;
    }
    let body: Result<Json<TaskRequest>, JsonRejection> = Json::from_request(http, &()).await;
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            let limit = agent.settings.max_body_bytes;
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::TooLarge,
                format!("the body is larger than {limit} bytes"),
            );
        }
        Err(rejection) => return refuse(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, rejection.body_text()),
    };
    if request.protocol != PROTOCOL_VERSION {
        let message = format!(
            "protocol {} is not spoken here; this agent speaks {PROTOCOL_VERSION}",
            request.protocol
        );
        return refuse(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message);
    }
    if agent.draining.load(Ordering::SeqCst) {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Draining,
            "the agent is shutting down",
        );
    }
    let manifest = &agent.settings.manifest;
    let Some(task_type) = manifest.task_type(&request.task_type) else {
        let reply = ErrorReply {
            error: TaskError {
                code: ErrorCode::UnknownTaskType,
                message: format!("{} has no task type `{}`", manifest.id, request.task_type),
            },
            known_task_types: Some(manifest.task_type_names()),
        };
        return (StatusCode::NOT_FOUND, Json(reply)).into_response();
    };
    let task_type = task_type.as_ref();
    let prepared = match agent.executor.prepare(&request, task_type) {
        Ok(prepared) => prepared,
        Err(problem) => return refuse(StatusCode::BAD_REQUEST, ErrorCode::PayloadInvalid, problem),
    };
    let Ok(_slot) = Arc::clone(&agent.slots).try_acquire_owned() else {
        let max = agent.settings.max_concurrency;
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Busy,
            format!("all {max} task slots are busy"),
        );
    };
    agent.metrics.active.inc();
    let result = agent.executor.run(&request, task_type, prepared, received).await;
    agent.metrics.active.dec();
    let status = match &result.outcome {
        TaskOutcome::Succeeded { .. } => {
            agent.succeeded.fetch_add(1, Ordering::Relaxed);
            "succeeded"
        }
        TaskOutcome::Failed { .. } => {
            agent.failed.fetch_add(1, Ordering::Relaxed);
            "failed"
        }
    };
    agent.metrics.tasks.get_or_create(&StatusLabel { status }).inc();
    agent.metrics.duration.observe(received.elapsed().as_secs_f64());
    // A success is a debug line: /metrics counts them and the hub journals
    // every task, while a line per task at thousands a second costs Docker's
    // log pipe (dockerd and the shim) a tenth of two cores. A failure is
    // worth reading in `docker logs`.
    match &result.outcome {
        TaskOutcome::Succeeded { .. } => {
            tracing::debug!(task_id = %result.task_id, task_type = %request.task_type, total_ms = result.timings.total_ms, "task succeeded")
        }
        TaskOutcome::Failed { error } => {
            tracing::warn!(task_id = %result.task_id, task_type = %request.task_type, code = ?error.code, message = %error.message, total_ms = result.timings.total_ms, "task failed")
        }
    }
    Json(result).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_bearer_token_passes() {
        let token = "szh2.sutazai-ag-001.0011.89ab";
        let cases = [
            (Some("Bearer szh2.sutazai-ag-001.0011.89ab"), true),
            (Some("Bearer szh2.sutazai-ag-001.0011.89ac"), false),
            (Some("Bearer szh2.sutazai-ag-001.0011.89a"), false),
            (Some("Bearer szh2.sutazai-ag-001.0011.89abc"), false),
            (Some("Bearer "), false),
            (Some("bearer szh2.sutazai-ag-001.0011.89ab"), false),
            (Some("szh2.sutazai-ag-001.0011.89ab"), false),
            (None, false),
        ];
        for (authorization, passes) in cases {
            let mut headers = HeaderMap::new();
            if let Some(value) = authorization {
                headers.insert(header::AUTHORIZATION, value.parse().expect("header value"));
            }
            assert_eq!(presents(&headers, token), passes, "{authorization:?}");
        }
    }
}
