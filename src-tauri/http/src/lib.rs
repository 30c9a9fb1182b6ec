//! The local HTTP API over the engine: tasks, agents, health, events, API
//! keys and the audit log, with an OpenAPI document at `/v1/openapi.json`;
//! and the LLM gateway on Ollama's own paths (`/api/generate`, `/api/chat`,
//! `/api/tags`) for agents.
//!
//! Every request carries a bearer token (an API key or an agent's service
//! token); the engine says whose it is and its role table says what that
//! caller may do. Bodies are limited to 1 MiB and requests to 30 s (plus
//! what `?wait=` asks for). Errors are `{"error": {"code", "message"}}`.
//!
//! Architecture invariant: this crate is an adapter. A handler checks the
//! caller's role and calls one engine function; the engine knows nothing of
//! axum, and nothing here holds business rules (the engine validates tasks,
//! writes the audit log and enforces delegation).

mod agents;
mod auth;
mod error;
mod events;
mod extract;
mod gateway;
mod health;
mod keys;
mod listen;
pub mod openapi;
mod routes;
mod seed;
mod tasks;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{Method, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use sutazai_engine::Engine;

pub use error::{ApiCode, ApiError, HttpCode};
pub use listen::{bind, docker_gateway, Listeners, DRAIN};
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
}

/// The API as a router, for tests that call it without a socket.
pub fn app(engine: Arc<Engine>) -> Router {
    router(Api {
        engine,
        stop: CancellationToken::new(),
    })
}

/// Serves the API on `addr` (and Docker's gateway; see [`bind`]) until
/// `cancel`.
pub async fn serve(engine: Arc<Engine>, addr: SocketAddr, cancel: CancellationToken) -> io::Result<()> {
    bind(addr).await?.serve(engine, cancel).await
}

fn router(api: Api) -> Router {
    routes::endpoints()
        .into_iter()
        .chain(routes::gateway_endpoints())
        .fold(Router::new(), |router, endpoint| {
            router.route(endpoint.path, endpoint.handler)
        })
        .fallback(no_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(time_limit))
        .with_state(api)
}

async fn no_route(uri: Uri) -> ApiError {
    ApiError::http(
        StatusCode::NOT_FOUND,
        HttpCode::NoRoute,
        format!("no endpoint {}", uri.path()),
    )
}

async fn wrong_method(method: Method, uri: Uri) -> ApiError {
    ApiError::http(
        StatusCode::METHOD_NOT_ALLOWED,
        HttpCode::MethodNotAllowed,
        format!("{} does not take {method}", uri.path()),
    )
}

/// Answers 503 `timeout` when a request takes longer than
/// [`REQUEST_TIMEOUT`] plus its `wait` parameter. An event stream is not
/// cut: its answer starts at once. The LLM gateway (`/api/…`) keeps its own
/// deadline (`llm_timeout_ms`), as a model may take minutes.
async fn time_limit(request: Request, next: Next) -> Response {
    if request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let limit = REQUEST_TIMEOUT + requested_wait(request.uri());
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::http(
            StatusCode::SERVICE_UNAVAILABLE,
            HttpCode::Timeout,
            format!("the request took longer than {} s", limit.as_secs()),
        )
        .into_response(),
    }
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
