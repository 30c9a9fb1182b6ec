//! The LLM gateway's Ollama API paths (`/api/generate`, `/api/chat`,
//! `/api/tags`): an agent's Ollama URL points at the hub, so the agent's
//! runtime calls these as it would call Ollama. Each handler checks the
//! caller and hands (caller, path, body) to the engine, which answers with
//! a status, headers and a byte stream.
//!
//! Errors here are in Ollama's shape, `{"error": "<sentence>"}`, not the
//! `/v1` envelope, so that an Ollama client reads them.

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sutazai_engine::security::Action;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::Api;

pub async fn generate(
    State(api): State<Api>,
    caller: Result<Caller, ApiError>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    forward(api, caller, "/api/generate", body).await
}

pub async fn chat(
    State(api): State<Api>,
    caller: Result<Caller, ApiError>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    forward(api, caller, "/api/chat", body).await
}

pub async fn tags(State(api): State<Api>, caller: Result<Caller, ApiError>) -> Response {
    forward(api, caller, "/api/tags", Ok(Bytes::new())).await
}

async fn forward(
    api: Api,
    caller: Result<Caller, ApiError>,
    path: &str,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let caller = match caller.and_then(|caller| caller.require(Action::Gateway).map(|()| caller)) {
        Ok(caller) => caller,
        Err(err) => return ollama_error(err.status, &err.message),
    };
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

/// A refusal as Ollama words its errors; a 401 also names the scheme.
fn ollama_error(status: StatusCode, message: &str) -> Response {
    let mut response = (status, axum::Json(serde_json::json!({ "error": message }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}
