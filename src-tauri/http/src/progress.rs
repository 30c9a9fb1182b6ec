//! Long operations (a deploy, a model pull) answered two ways: as
//! server-sent events for a client that accepts `text/event-stream` — a
//! `progress` event per step, then one `done` (the result) or `error` (the
//! error body) — or as JSON once done. The work runs on its own task, so a
//! client that leaves does not stop it half way.

use std::convert::Infallible;

use axum::http::{header, HeaderMap};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::StreamExt;
use serde::Serialize;
use sutazai_engine::error::{Code, ErrorBody};
use tokio::sync::mpsc;

use crate::error::ApiError;
use crate::Api;

/// A long operation's answer: `progress` events then one `done` or `error` event
/// for a client that accepts `text/event-stream`, else the result as JSON
/// (200) once it is done.
pub async fn answer<E, T, F, Fut>(api: &Api, headers: &HeaderMap, work: F) -> Result<Response, ApiError>
where
    E: Serialize + Send + 'static,
    T: Serialize + Send + 'static,
    F: FnOnce(Box<dyn Fn(E) + Send + Sync>) -> Fut,
    Fut: std::future::Future<Output = Result<T, ApiError>> + Send + 'static,
{
    let (events, received) = mpsc::unbounded_channel::<Event>();
    let progress_events = events.clone();
    let progress: Box<dyn Fn(E) + Send + Sync> = Box::new(move |event| {
        if let Ok(event) = Event::default().event("progress").json_data(event) {
            // The client may have gone; the work goes on.
            drop(progress_events.send(event));
        }
    });
    let done = tokio::spawn(work(progress));
    if !accepts_event_stream(headers) {
        drop(events);
        drop(received);
        return match done.await {
            Ok(result) => result.map(|value| Json(value).into_response()),
            Err(err) => Err(ApiError::from_body(ErrorBody {
                code: Code::EngineUnavailable,
                message: format!("the work stopped: {err}"),
            })),
        };
    }
    tokio::spawn(async move {
        let last = match done.await {
            Ok(Ok(value)) => Event::default().event("done").json_data(value),
            Ok(Err(err)) => Event::default().event("error").json_data(error_body(&err)),
            Err(err) => Event::default().event("error").json_data(serde_json::json!({
                "error": {"code": "engine_unavailable", "message": format!("the work stopped: {err}")}
            })),
        };
        if let Ok(last) = last {
            drop(events.send(last));
        }
    });
    let stream = futures::stream::unfold(received, |mut received| async move {
        received.recv().await.map(|event| (event, received))
    })
    .map(Ok::<_, Infallible>)
    .take_until(api.stop.clone().cancelled_owned());
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response())
}

/// Whether the client asked for server-sent events.
pub fn accepts_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("text/event-stream"))
}

/// An error as the JSON of an `error` event: the API's error body.
pub fn error_body(err: &ApiError) -> serde_json::Value {
    serde_json::json!({"error": {"code": err.code, "message": err.message}})
}
