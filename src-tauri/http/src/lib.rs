//! The local HTTP API over the engine: tasks, agents, health, events, API
//! keys and the audit log, with an OpenAPI document at `/v1/openapi.json`;
//! and the LLM gateway on Ollama's own paths (`/api/generate`, `/api/chat`,
//! `/api/tags`) for agents.
//!
//! Every request carries a bearer token (an API key or an agent's service
//! token); the door (guard.rs) asks the engine whose it is and checks the
//! endpoint's actions against that caller's role before any body is read.
//! Bodies are limited to 1 MiB and requests to 30 s (plus what `?wait=`
//! asks for; the gateway's paths get the LLM timeout). Errors are
//! `{"error": {"code", "message"}}`. Docker's bridge address serves only
//! the agents' surface (see [`Surface`]); listen.rs bounds connections.
//!
//! Architecture invariant: this crate is an adapter. A handler checks the
//! caller's role and calls one engine function; the engine knows nothing of
//! axum, and nothing here holds business rules (the engine validates tasks,
//! writes the audit log and enforces delegation).

mod agents;
mod alerts;
mod auth;
mod endpoint;
mod error;
mod events;
mod extract;
mod fleet;
mod gateway;
mod guard;
mod health;
mod keys;
mod listen;
mod messages;
mod metrics;
mod metrics_query;
mod models;
pub mod openapi;
mod progress;
mod routes;
mod seed;
mod system;
mod tasks;
mod threats;
mod workflow_files;
mod workflows;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use sutazai_engine::Engine;

pub use error::{ApiCode, ApiError, HttpCode};
pub use guard::{Surface, FAILED_AUTH_PER_MINUTE};
pub use listen::{bind, bind_surfaces, docker_gateway, Limits, Listeners, DRAIN};
pub use routes::{gateway_routes, routes, Route};
pub use tasks::MAX_WAIT;
pub use tokio_util::sync::CancellationToken;

/// The largest request body accepted.
pub const BODY_LIMIT: usize = 1 << 20;
/// How long a request may take (a waiting submit gets its wait on top).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What every handler reaches.
#[derive(Clone)]
pub struct Api {
    engine: Arc<Engine>,
    /// Ends the event streams when the server stops.
    stop: CancellationToken,
    /// Failed authentications per address, shared by every listener.
    failed_auth: Arc<guard::FailedAuth>,
}

impl Api {
    fn new(engine: Arc<Engine>, stop: CancellationToken) -> Api {
        Api {
            engine,
            stop,
            failed_auth: Arc::default(),
        }
    }
}

/// The whole API as a router, for tests that call it without a socket.
pub fn app(engine: Arc<Engine>) -> Router {
    router(Api::new(engine, CancellationToken::new()), Surface::Full)
}

/// Serves the API on `addr` (and the agents' surface on Docker's gateway;
/// see [`bind`]) until `cancel`.
pub async fn serve(engine: Arc<Engine>, addr: SocketAddr, cancel: CancellationToken) -> io::Result<()> {
    bind(addr).await?.serve(engine, cancel).await
}

/// The endpoints of `surface`, each behind its door.
fn router(api: Api, surface: Surface) -> Router {
    let llm_timeout = api.engine.config().llm_timeout;
    let router = routes::endpoints()
        .into_iter()
        .chain(routes::gateway_endpoints())
        .filter(|endpoint| surface == Surface::Full || endpoint.for_agents)
        .fold(Router::new(), |router, endpoint| {
            let door = guard::Door {
                api: api.clone(),
                surface,
                actions: endpoint.doc.actions,
            };
            let handler = endpoint
                .handler
                .route_layer(middleware::from_fn_with_state(door, guard::check));
            router.route(endpoint.path, handler)
        })
        .fallback(no_route);
    // The agents' surface says no more than "not here" to anything else.
    let router = match surface {
        Surface::Full => router.method_not_allowed_fallback(wrong_method),
        Surface::Agents => router.method_not_allowed_fallback(no_route),
    };
    router
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(llm_timeout, time_limit))
        .with_state(api)
}

async fn no_route(uri: Uri) -> ApiError {
    not_found(uri.path())
}

/// No endpoint at `path` (on this surface).
fn not_found(path: &str) -> ApiError {
    ApiError::http(StatusCode::NOT_FOUND, HttpCode::NoRoute, format!("no endpoint {path}"))
}

async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::http(
        StatusCode::METHOD_NOT_ALLOWED,
        HttpCode::MethodNotAllowed,
        format!("{} does not take {method}", uri.path()),
    )
}

/// Answers 503 `timeout` when a request takes longer than
/// [`REQUEST_TIMEOUT`] plus its `wait` parameter (a deploy or a pull gets an
/// hour: [`LONG_RUNNING`]). An event stream is not
/// cut: its answer starts at once. The LLM gateway (`/api/…`), where a
/// model may take minutes, gets `llm_timeout` on top instead (reading the
/// body included; the engine limits the streamed answer itself).
async fn time_limit(State(llm_timeout): State<Duration>, request: Request, next: Next) -> Response {
    let gateway = guard::is_gateway(request.uri());
    let extra = if gateway {
        llm_timeout
    } else if long_running(request.uri()) {
        LONG_RUNNING
    } else {
        requested_wait(request.uri())
    };
    let limit = REQUEST_TIMEOUT + extra;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => guard::in_shape(
            ApiError::http(
                StatusCode::SERVICE_UNAVAILABLE,
                HttpCode::Timeout,
                format!("the request took longer than {} s", limit.as_secs()),
            ),
            gateway,
        ),
    }
}

/// How long a deploy or a model pull answered as JSON may take (it answers
/// once done; a fresh machine builds the agent image first, a model may be
/// gigabytes).
const LONG_RUNNING: Duration = Duration::from_secs(3600);

/// Whether the request is a deploy or a pull, which answer once done.
fn long_running(uri: &Uri) -> bool {
    let path = uri.path();
    path == "/v1/infrastructure/deploy-all"
        || path == "/v1/models/pull"
        || (path.starts_with("/v1/phases/") && path.ends_with("/deploy"))
}

/// The `wait=<ms>` query parameter, capped at [`MAX_WAIT`]; zero when absent.
fn requested_wait(uri: &Uri) -> Duration {
    uri.query()
        .into_iter()
        .flat_map(|query| query.split('&'))
        .find_map(|pair| pair.strip_prefix("wait=")?.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or_default()
        .min(MAX_WAIT)
}
