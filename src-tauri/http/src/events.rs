//! `/v1/events`: a server-sent event stream of every task change
//! (`event: task`, data: `{"task": TaskSummary}`), every fleet change
//! (`event: agent`, data: a fleet event with its `kind`), every run change
//! (`event: run`, data: `{"run": RunSummary}`) and every step change
//! (`event: step`, data: `{"runId", "step": RunStep}`) and every change of
//! the workflows folder (`event: workflow`, data: `{"files": [...]}`). A client too slow
//! to keep up gets `event: lagged` with how many it missed, and should
//! re-read what it shows. The stream ends when the server stops.

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::{Stream, StreamExt};
use serde::Serialize;
use sutazai_engine::runs::RunNews;
use tokio::sync::broadcast::{self, error::RecvError};

use crate::error::ApiError;
use crate::Api;

pub async fn stream(State(api): State<Api>) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let tasks = named("task", api.engine.subscribe_tasks());
    let fleet = named("agent", api.engine.subscribe_fleet());
    let runs = runs(api.engine.subscribe_runs());
    let workflows = named("workflow", api.engine.subscribe_workflows());
    let events = futures::stream::select(
        futures::stream::select(tasks, fleet),
        futures::stream::select(runs, workflows),
    )
    .take_until(api.stop.clone().cancelled_owned());
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// Every run change as `run`, every step change as `step`.
fn runs(receiver: broadcast::Receiver<RunNews>) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(receiver, |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(RunNews::Run(run)) => Event::default().event("run").json_data(&run).ok(),
            Ok(RunNews::Step(step)) => Event::default().event("step").json_data(&step).ok(),
            Err(RecvError::Lagged(missed)) => Event::default()
                .event("lagged")
                .json_data(serde_json::json!({"stream": "run", "missed": missed}))
                .ok(),
            Err(RecvError::Closed) => return None,
        };
        Some((event, receiver))
    })
    .filter_map(|event| std::future::ready(event.map(Ok)))
}

/// Every message of `receiver` as an event called `name`.
fn named<T: Serialize + Clone + Send + 'static>(
    name: &'static str,
    receiver: broadcast::Receiver<T>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(receiver, move |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(message) => Event::default().event(name).json_data(&message).ok(),
            Err(RecvError::Lagged(missed)) => Event::default()
                .event("lagged")
                .json_data(serde_json::json!({"stream": name, "missed": missed}))
                .ok(),
            Err(RecvError::Closed) => return None,
        };
        Some((event, receiver))
    })
    .filter_map(|event| std::future::ready(event.map(Ok)))
}
