//! Seed 001's message bus: send (optionally waiting for the reply),
//! broadcast, publish to a topic, list and read messages with their
//! deliveries and replies, re-queue dead letters, follow every change as
//! server-sent events, and the agents' topic subscriptions. Each handler
//! calls one engine function.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures::{Stream, StreamExt};
use schemars::JsonSchema;
use serde::Deserialize;
use sutazai_engine::bus::model::{
    DeliveryStatus, Message, MessageDetail, MessagePage, MessageQuery, MessageType, NewMessage, Pattern, Priority,
    Topic,
};
use sutazai_engine::bus::BusError;
use sutazai_engine::security::Action;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::Caller;
use crate::endpoint::{doc, endpoint, query, schema, Answer, Doc, Endpoint, Verb};
use crate::error::{ApiError, HttpCode};
use crate::extract::{JsonBody, Params};
use crate::Api;

/// The longest `?wait=` a send may wait for its reply.
pub const MAX_WAIT: Duration = Duration::from_secs(300);

/// Seed 001's message body (snake_case).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeedMessage {
    /// The agent (`AG-001` or its name), or `hub`; for send only.
    #[serde(default)]
    pub recipient_id: Option<String>,
    pub message_type: MessageType,
    /// For send: `point_to_point` (the default) or `request_response`.
    #[serde(default)]
    pub pattern: Option<Pattern>,
    /// `low`, `normal` (the default), `high` or `critical`.
    #[serde(default)]
    pub priority: Option<Priority>,
    #[serde(default)]
    pub payload: serde_json::Value,
    /// What the sender adds about the message; kept and delivered as is.
    #[serde(default)]
    pub metadata: serde_json::Value,
    /// For publish: the topic whose subscribers receive it.
    #[serde(default)]
    pub topic: Option<String>,
    /// Give up deliveries not made within this many seconds.
    #[serde(default)]
    pub expires_in_s: Option<u64>,
    /// For a reply: the message it answers.
    #[serde(default)]
    pub correlation_id: Option<String>,
}

/// `?sender_id=&wait=` of a send.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendParams {
    /// Who sends it (an agent caller is the sender whatever this says);
    /// `hub` when left out.
    pub sender_id: Option<String>,
    /// Send as a request and wait this many ms for the reply (200 with it).
    pub wait: Option<u64>,
}

/// `?sender_id=` of a broadcast or publish.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SenderParams {
    pub sender_id: Option<String>,
}

/// `GET /v1/messages` filters.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Sent by or to this agent.
    pub agent: Option<String>,
    pub topic: Option<String>,
    pub message_type: Option<MessageType>,
    /// With at least one delivery in this state.
    pub status: Option<DeliveryStatus>,
    /// At most this many (default 100, at most 1000).
    pub limit: Option<u32>,
    /// Skip this many of the newest (paging).
    pub offset: Option<u32>,
}

/// A subscription change.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    /// The agent; an agent caller leaves it out (it changes only its own).
    #[serde(default)]
    pub agent_id: Option<String>,
    pub topics: Vec<String>,
}

fn new_message(body: SeedMessage, sender_id: Option<String>, pattern: Pattern) -> Result<NewMessage, ApiError> {
    let expires_in_ms = match body.expires_in_s {
        Some(0) => return Err(ApiError::invalid("expires_in_s: must be more than 0")),
        Some(s) => Some(s.saturating_mul(1000)),
        None => None,
    };
    Ok(NewMessage {
        sender_id,
        recipient_id: body.recipient_id,
        message_type: body.message_type,
        pattern,
        priority: body.priority.unwrap_or_default(),
        topic: body.topic,
        payload: body.payload,
        metadata: body.metadata,
        correlation_id: body.correlation_id,
        expires_in_ms,
    })
}

/// A send; with `?wait=` a request answered with its reply.
pub async fn send(
    State(api): State<Api>,
    caller: Caller,
    params: Result<Params<SendParams>, ApiError>,
    body: Result<JsonBody<SeedMessage>, ApiError>,
) -> Result<Response, ApiError> {
    let (Params(params), JsonBody(body)) = (params?, body?);
    let pattern = match body.pattern {
        None | Some(Pattern::PointToPoint) => Pattern::PointToPoint,
        Some(Pattern::RequestResponse) => Pattern::RequestResponse,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "pattern: {} is sent through /v1/messages/{}",
                sutazai_engine::bus::pattern_name(other),
                if other == Pattern::Broadcast {
                    "broadcast"
                } else {
                    "publish"
                }
            )))
        }
    };
    let new = new_message(body, params.sender_id, pattern)?;
    let Some(wait) = params.wait else {
        let sent = api.engine.send_message(new, &caller.0).await?;
        return Ok((StatusCode::ACCEPTED, Json(sent)).into_response());
    };
    let wait = Duration::from_millis(wait);
    if wait.is_zero() || wait > MAX_WAIT {
        return Err(ApiError::invalid(format!(
            "wait: must be 1 to {} ms",
            MAX_WAIT.as_millis()
        )));
    }
    match api.engine.request(new, &caller.0, wait).await {
        Ok(reply) => Ok(Json(reply).into_response()),
        Err(err @ BusError::Timeout { .. }) => Err(ApiError::http(
            StatusCode::GATEWAY_TIMEOUT,
            HttpCode::Timeout,
            err.to_string(),
        )),
        Err(err) => Err(err.into()),
    }
}

pub async fn broadcast(
    State(api): State<Api>,
    caller: Caller,
    params: Result<Params<SenderParams>, ApiError>,
    body: Result<JsonBody<SeedMessage>, ApiError>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let (Params(params), JsonBody(body)) = (params?, body?);
    if body.pattern.is_some_and(|p| p != Pattern::Broadcast) {
        return Err(ApiError::invalid("pattern: a broadcast's pattern is broadcast"));
    }
    let new = new_message(body, params.sender_id, Pattern::Broadcast)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(api.engine.send_message(new, &caller.0).await?),
    ))
}

pub async fn publish(
    State(api): State<Api>,
    caller: Caller,
    params: Result<Params<SenderParams>, ApiError>,
    body: Result<JsonBody<SeedMessage>, ApiError>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let (Params(params), JsonBody(body)) = (params?, body?);
    if body.pattern.is_some_and(|p| p != Pattern::PublishSubscribe) {
        return Err(ApiError::invalid(
            "pattern: a published message's pattern is publish_subscribe",
        ));
    }
    let new = new_message(body, params.sender_id, Pattern::PublishSubscribe)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(api.engine.send_message(new, &caller.0).await?),
    ))
}

pub async fn list(
    State(api): State<Api>,
    params: Result<Params<ListParams>, ApiError>,
) -> Result<Json<MessagePage>, ApiError> {
    let Params(params) = params?;
    let query = MessageQuery {
        agent: params.agent,
        topic: params.topic,
        message_type: params.message_type,
        status: params.status,
        limit: params.limit,
        offset: params.offset,
    };
    Ok(Json(api.engine.messages(query).await?))
}

pub async fn get(State(api): State<Api>, Path(id): Path<String>) -> Result<Json<MessageDetail>, ApiError> {
    Ok(Json(api.engine.message(&id).await?))
}

pub async fn requeue(
    State(api): State<Api>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<MessageDetail>, ApiError> {
    Ok(Json(api.engine.requeue_message(&id, &caller.0).await?))
}

pub async fn topics(State(api): State<Api>) -> Result<Json<Vec<Topic>>, ApiError> {
    Ok(Json(api.engine.topics().await?))
}

pub async fn subscribe(
    State(api): State<Api>,
    caller: Caller,
    body: Result<JsonBody<Subscription>, ApiError>,
) -> Result<Json<Vec<Topic>>, ApiError> {
    let JsonBody(body) = body?;
    let agent = body.agent_id.unwrap_or_default();
    Ok(Json(api.engine.subscribe_topics(&agent, body.topics, &caller.0).await?))
}

pub async fn unsubscribe(
    State(api): State<Api>,
    caller: Caller,
    body: Result<JsonBody<Subscription>, ApiError>,
) -> Result<Json<Vec<Topic>>, ApiError> {
    let JsonBody(body) = body?;
    let agent = body.agent_id.unwrap_or_default();
    Ok(Json(
        api.engine.unsubscribe_topics(&agent, body.topics, &caller.0).await?,
    ))
}

/// Every change of every message as `message`; `lagged` with how many a
/// slow client missed.
pub async fn stream(State(api): State<Api>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = futures::stream::unfold(api.engine.subscribe_messages(), |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(change) => Event::default().event("message").json_data(&change).ok(),
            Err(RecvError::Lagged(missed)) => Event::default()
                .event("lagged")
                .json_data(serde_json::json!({"stream": "message", "missed": missed}))
                .ok(),
            Err(RecvError::Closed) => return None,
        };
        Some((event, receiver))
    })
    .filter_map(|event| std::future::ready(event.map(Ok)))
    .take_until(api.stop.clone().cancelled_owned());
    Sse::new(events).keep_alive(KeepAlive::default())
}

pub fn endpoints() -> Vec<Endpoint> {
    use Action as A;
    use Verb::{Get, Post};
    vec![
        endpoint(
            Post,
            "/v1/messages/send",
            send,
            Doc {
                query: Some(query::<SendParams>),
                body: Some(schema::<SeedMessage>),
                ..doc(
                    "Seed 001's send: a message to one agent (or `hub`), stored before the answer (202) and \
                     delivered to the agent's `/message` with retries; dead after 5 failed attempts. With \
                     `?wait=<ms>`: a request, answered with the agent's reply (200) or 504 when none came",
                    &[A::SendMessages],
                    Answer::Json(202, schema::<Message>),
                )
            },
        )
        .for_agents(),
        endpoint(
            Post,
            "/v1/messages/broadcast",
            broadcast,
            Doc {
                query: Some(query::<SenderParams>),
                body: Some(schema::<SeedMessage>),
                ..doc(
                    "Seed 001's broadcast: a message to every deployed agent but the sender",
                    &[A::SendMessages],
                    Answer::Json(202, schema::<Message>),
                )
            },
        )
        .for_agents(),
        endpoint(
            Post,
            "/v1/messages/publish",
            publish,
            Doc {
                query: Some(query::<SenderParams>),
                body: Some(schema::<SeedMessage>),
                ..doc(
                    "Publishes a message to a topic: delivered to the topic's subscribers",
                    &[A::SendMessages],
                    Answer::Json(202, schema::<Message>),
                )
            },
        )
        .for_agents(),
        endpoint(
            Get,
            "/v1/messages",
            list,
            Doc {
                query: Some(query::<ListParams>),
                ..doc(
                    "One page of messages, newest first, with how their deliveries stand and the total",
                    &[A::ReadMessages],
                    Answer::Json(200, schema::<MessagePage>),
                )
            },
        ),
        endpoint(
            Get,
            "/v1/messages/stream",
            stream,
            doc(
                "Server-sent events: `message` (a message was sent, delivered, retried, dead, expired or \
                 re-queued), `lagged`",
                &[A::ReadMessages],
                Answer::EventStream,
            ),
        ),
        endpoint(
            Get,
            "/v1/messages/{id}",
            get,
            doc(
                "One message with every delivery and every reply",
                &[A::ReadMessages],
                Answer::Json(200, schema::<MessageDetail>),
            ),
        ),
        endpoint(
            Post,
            "/v1/messages/{id}/requeue",
            requeue,
            doc(
                "Puts a message's dead (and expired) deliveries back in the queue with fresh attempts",
                &[A::SendMessages],
                Answer::Json(200, schema::<MessageDetail>),
            ),
        ),
        endpoint(
            Get,
            "/v1/topics",
            topics,
            doc(
                "Every topic with its subscribers",
                &[A::ReadMessages],
                Answer::Json(200, schema::<Vec<Topic>>),
            ),
        ),
        endpoint(
            Post,
            "/v1/topics/subscribe",
            subscribe,
            Doc {
                body: Some(schema::<Subscription>),
                ..doc(
                    "Subscribes an agent to topics (an agent: itself); every topic afterwards",
                    &[A::SendMessages],
                    Answer::Json(200, schema::<Vec<Topic>>),
                )
            },
        )
        .for_agents(),
        endpoint(
            Post,
            "/v1/topics/unsubscribe",
            unsubscribe,
            Doc {
                body: Some(schema::<Subscription>),
                ..doc(
                    "Takes an agent off topics (an agent: itself); every topic afterwards",
                    &[A::SendMessages],
                    Answer::Json(200, schema::<Vec<Topic>>),
                )
            },
        )
        .for_agents(),
    ]
}
