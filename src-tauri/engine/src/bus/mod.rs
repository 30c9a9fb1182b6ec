//! The message bus's rules, without I/O: who receives a message, which
//! due deliveries go first, when a failed delivery is tried again, when it
//! is dead and when it has expired. The running part (the store, the
//! delivery loop, request-response) is `engine/bus.rs`; the tables are in
//! `store/messages.rs`.

pub mod model;

use std::time::Duration;

use model::{Delivery, DeliveryStatus, Message, NewMessage, Pattern};

use crate::error::{Code, Coded};
use crate::store::StoreError;

/// The recipient that is the hub itself: stored and delivered at once.
pub const HUB: &str = "hub";
/// The topic every agent subscribes to.
pub const TOPIC_ALL: &str = "all";
/// The longest topic name.
pub const MAX_TOPIC_LEN: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The message or request is malformed; the text names the field.
    #[error("{0}")]
    Invalid(String),
    /// No such agent in the catalog.
    #[error("{0}")]
    UnknownAgent(String),
    #[error("{0}")]
    NotFound(String),
    /// The message is not in a state the request fits (re-queueing a
    /// message with no dead delivery).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    /// A request got no reply in time.
    #[error("no reply from {recipient} within {waited_ms} ms to request {message_id}")]
    Timeout {
        message_id: String,
        recipient: String,
        waited_ms: u64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for BusError {
    fn code(&self) -> Code {
        match self {
            Self::Invalid(_) => Code::InvalidRequest,
            Self::UnknownAgent(_) => Code::UnknownAgent,
            Self::NotFound(_) => Code::NotFound,
            // A request that timed out is still stored; its reply may come.
            Self::Conflict(_) | Self::Timeout { .. } => Code::Conflict,
            Self::Forbidden(_) => Code::Forbidden,
            Self::Store(_) => Code::Store,
        }
    }
}

/// How deliveries are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusPolicy {
    /// A delivery is dead after this many failed attempts.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles after each next one.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// How long one attempt may take.
    pub attempt_timeout: Duration,
}

impl Default for BusPolicy {
    fn default() -> Self {
        BusPolicy {
            max_attempts: 5,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            attempt_timeout: Duration::from_secs(10),
        }
    }
}

impl BusPolicy {
    /// The wait after `failures` failed attempts (1 or more).
    pub fn backoff(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(20);
        self.first_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff)
    }
}

/// Checks a topic name: 1 to 64 of `a-z 0-9 - _ .`, starting with a letter
/// or digit.
pub fn check_topic(name: &str) -> Result<(), BusError> {
    let valid = !name.is_empty()
        && name.len() <= MAX_TOPIC_LEN
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if valid {
        Ok(())
    } else {
        Err(BusError::Invalid(format!(
            "topic: {name:?} is not a topic name (1 to {MAX_TOPIC_LEN} of a-z 0-9 - _ ., starting with a letter or digit)"
        )))
    }
}

/// Checks what a message's pattern needs: a recipient for point-to-point
/// and request-response, a valid topic for publish-subscribe, none of them
/// for broadcast.
pub fn check_new(message: &NewMessage) -> Result<(), BusError> {
    let recipient = message.recipient_id.as_deref().map(str::trim).unwrap_or("");
    match message.pattern {
        Pattern::PointToPoint | Pattern::RequestResponse if recipient.is_empty() => Err(BusError::Invalid(format!(
            "recipient_id: a {} message needs a recipient",
            pattern_name(message.pattern)
        ))),
        Pattern::PublishSubscribe => match message.topic.as_deref() {
            None => Err(BusError::Invalid(
                "topic: a publish_subscribe message needs a topic".to_string(),
            )),
            Some(topic) => check_topic(topic),
        },
        Pattern::Broadcast if !recipient.is_empty() => Err(BusError::Invalid(
            "recipient_id: a broadcast goes to every deployed agent; leave the recipient out".to_string(),
        )),
        _ => Ok(()),
    }
    .and_then(|()| match &message.topic {
        Some(topic) => check_topic(topic),
        None => Ok(()),
    })
}

pub fn pattern_name(pattern: Pattern) -> &'static str {
    match pattern {
        Pattern::PointToPoint => "point_to_point",
        Pattern::Broadcast => "broadcast",
        Pattern::PublishSubscribe => "publish_subscribe",
        Pattern::RequestResponse => "request_response",
    }
}

/// Who receives `message`: its recipient (point-to-point, request-response),
/// every deployed agent (broadcast) or the topic's subscribers (publish),
/// the sender never, each once, sorted.
pub fn recipients(message: &Message, deployed: &[String], subscribers: &[String]) -> Vec<String> {
    let mut out: Vec<String> = match message.pattern {
        Pattern::PointToPoint | Pattern::RequestResponse => message.recipient_id.iter().cloned().collect(),
        Pattern::Broadcast => deployed
            .iter()
            .filter(|agent| **agent != message.sender_id)
            .cloned()
            .collect(),
        Pattern::PublishSubscribe => subscribers
            .iter()
            .filter(|agent| **agent != message.sender_id)
            .cloned()
            .collect(),
    };
    out.sort();
    out.dedup();
    out
}

/// The first delivery of `message` to `recipient`: due at once; to the hub,
/// delivered at once.
pub fn first_delivery(message: &Message, recipient: &str) -> Delivery {
    let hub = recipient == HUB;
    Delivery {
        message_id: message.id.clone(),
        recipient: recipient.to_string(),
        status: if hub {
            DeliveryStatus::Delivered
        } else {
            DeliveryStatus::Pending
        },
        attempts: 0,
        next_attempt_ms: message.created_ms,
        error: None,
        finished_ms: hub.then_some(message.created_ms),
    }
}

/// A due delivery as the loop sees it, for ordering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub message_id: String,
    pub recipient: String,
    pub priority: model::Priority,
    pub created_ms: i64,
    pub attempts: u32,
    pub expires_ms: Option<i64>,
}

/// Orders due deliveries: higher priority first, then older first.
pub fn order_due(due: &mut [Due]) {
    due.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then(a.created_ms.cmp(&b.created_ms))
            .then(a.message_id.cmp(&b.message_id))
    });
}

/// The oldest creation time a finished message may have at `now_ms` when
/// messages are kept for `retention`: older ones with no pending delivery
/// are removed.
pub fn retention_cutoff(now_ms: i64, retention: Duration) -> i64 {
    now_ms.saturating_sub(i64::try_from(retention.as_millis()).unwrap_or(i64::MAX))
}

/// Whether a message with this expiry has expired at `now_ms`.
pub fn expired(expires_ms: Option<i64>, now_ms: i64) -> bool {
    expires_ms.is_some_and(|at| at <= now_ms)
}

/// What one failed attempt makes of a delivery: tried again after the
/// backoff, or dead once `max_attempts` have failed, or expired when the
/// next try would come after the message's expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterFailure {
    Retry { attempts: u32, next_attempt_ms: i64 },
    Dead { attempts: u32 },
    Expired { attempts: u32 },
}

pub fn after_failure(policy: &BusPolicy, attempts_before: u32, expires_ms: Option<i64>, now_ms: i64) -> AfterFailure {
    let attempts = attempts_before.saturating_add(1);
    if attempts >= policy.max_attempts {
        return AfterFailure::Dead { attempts };
    }
    let wait = i64::try_from(policy.backoff(attempts).as_millis()).unwrap_or(i64::MAX);
    let next_attempt_ms = now_ms.saturating_add(wait);
    if expired(expires_ms, next_attempt_ms) {
        return AfterFailure::Expired { attempts };
    }
    AfterFailure::Retry {
        attempts,
        next_attempt_ms,
    }
}

/// The reply an agent's answer carries (`{"reply": {...}}`), if any.
pub fn reply_in(answer: &serde_json::Value) -> Option<serde_json::Value> {
    answer.get("reply").filter(|reply| !reply.is_null()).cloned()
}

/// The reply message to `request` from `from` with `payload`: to the
/// request's sender, delivered there at once (the sender reads it from the
/// hub, or waits for it).
pub fn reply_message(request: &Message, from: &str, payload: serde_json::Value, id: String, now_ms: i64) -> Message {
    Message {
        id,
        sender_id: from.to_string(),
        recipient_id: Some(request.sender_id.clone()),
        message_type: match request.message_type {
            model::MessageType::TaskRequest => model::MessageType::TaskResponse,
            other => other,
        },
        pattern: Pattern::RequestResponse,
        priority: request.priority,
        topic: None,
        payload,
        metadata: serde_json::json!({}),
        correlation_id: Some(request.id.clone()),
        created_ms: now_ms,
        expires_ms: None,
    }
}

#[cfg(test)]
mod tests;
