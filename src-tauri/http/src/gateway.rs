//! The LLM gateway's Ollama API paths (`/api/generate`, `/api/chat`,
//! `/api/tags`): an agent's Ollama URL points at the hub, so the agent's
//! runtime calls these as it would call Ollama. The door (guard.rs) checks
//! the caller before the body is read; each handler hands (caller, path,
//! body) to the engine, which answers with a status, headers and a byte
//! stream.
//!
//! Errors here are in Ollama's shape, `{"error": "<sentence>"}`, not the
//! `/v1` envelope, so that an Ollama client reads them.

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::auth::Caller;
use crate::Api;

pub async fn generate(State(api): State<Api>, caller: Caller, body: Result<Bytes, BytesRejection>) -> Response {
    forward(api, caller, "/api/generate", body).await
}

pub async fn chat(State(api): State<Api>, caller: Caller, body: Result<Bytes, BytesRejection>) -> Response {
    forward(api, caller, "/api/chat", body).await
}

pub async fn tags(State(api): State<Api>, caller: Caller) -> Response {
    forward(api, caller, "/api/tags", Ok(Bytes::new())).await
}

/// Hands the call to the engine; the door has checked the caller and its
/// right to call the gateway before any of the body was read.
async fn forward(api: Api, caller: Caller, path: &str, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => return ollama_error(rejection.status(), &rejection.body_text()),
    };
    let reply = api.engine.gateway(&caller.0, path, body).await;
    let mut response = Response::new(Body::from_stream(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_GATEWAY);
    for (name, value) in reply.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(HeaderName::from_static(name), value);
        }
    }
    response
}

/// A body that could not be read, as Ollama words its errors.
fn ollama_error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}
