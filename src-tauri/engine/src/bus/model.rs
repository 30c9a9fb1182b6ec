//! A message on the bus and its deliveries, as they are kept and shown.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// What a message is about, in seed 001's words (its six types, plus
/// `system_announcement` for a broadcast to everyone). The list is closed:
/// an agent acts on the type, so a word outside it is refused (400 naming
/// `message_type`) rather than delivered as something no agent knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageType {
    TaskRequest,
    TaskResponse,
    StatusUpdate,
    HealthCheck,
    CoordinationMessage,
    SystemCommand,
    SystemAnnouncement,
}

/// How a message finds its recipients.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// To one agent (or `hub`).
    PointToPoint,
    /// To every deployed agent but the sender.
    Broadcast,
    /// To the agents subscribed to the message's topic.
    PublishSubscribe,
    /// To one agent, whose answer comes back as a reply.
    RequestResponse,
}

/// Which due deliveries go first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Critical,
}

impl Priority {
    /// The rank kept in the store: higher goes first.
    pub fn rank(self) -> i64 {
        match self {
            Self::Low => 0,
            Self::Normal => 1,
            Self::High => 2,
            Self::Critical => 3,
        }
    }

    pub fn from_rank(rank: i64) -> Priority {
        match rank {
            i64::MIN..=0 => Self::Low,
            1 => Self::Normal,
            2 => Self::High,
            _ => Self::Critical,
        }
    }
}

/// One message as it was sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// `m-<ms in base 36>-<random hex>`.
    pub id: String,
    /// The agent (or `hub`, or the name a person's caller gave) that sent it.
    pub sender_id: String,
    /// The one recipient of a point-to-point or request-response message.
    pub recipient_id: Option<String>,
    pub message_type: MessageType,
    pub pattern: Pattern,
    pub priority: Priority,
    /// The topic of a published message.
    pub topic: Option<String>,
    #[ts(type = "unknown")]
    pub payload: serde_json::Value,
    /// What the sender adds about the message (a trace id, a reason): kept
    /// and delivered, never read by the hub.
    #[ts(type = "unknown")]
    pub metadata: serde_json::Value,
    /// For a reply: the request it answers.
    pub correlation_id: Option<String>,
    #[ts(type = "number")]
    pub created_ms: i64,
    /// After this, a delivery not made yet is given up as `expired`.
    #[ts(type = "number | null")]
    pub expires_ms: Option<i64>,
}

/// Where one recipient's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not handed over yet: due at `nextAttemptMs`.
    Pending,
    /// The recipient took it.
    Delivered,
    /// The recipient took it and answered with a reply.
    Replied,
    /// Every attempt failed (a dead letter); a person may re-queue it.
    Dead,
    /// The message expired before it could be handed over.
    Expired,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Replied => "replied",
            Self::Dead => "dead",
            Self::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        match text {
            "pending" => Some(Self::Pending),
            "delivered" => Some(Self::Delivered),
            "replied" => Some(Self::Replied),
            "dead" => Some(Self::Dead),
            "expired" => Some(Self::Expired),
            _ => None,
        }
    }
}

/// One recipient's copy of a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    pub message_id: String,
    /// An agent id, or `hub`.
    pub recipient: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When a pending delivery is tried next.
    #[ts(type = "number")]
    pub next_attempt_ms: i64,
    /// Why the last attempt failed.
    pub error: Option<String>,
    /// When it was delivered, dead or expired.
    #[ts(type = "number | null")]
    pub finished_ms: Option<i64>,
}

/// A message to send, as a caller asks for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewMessage {
    /// Who sends it; an agent caller is the sender whatever this says;
    /// `hub` when neither says.
    #[serde(default)]
    pub sender_id: Option<String>,
    #[serde(default)]
    pub recipient_id: Option<String>,
    pub message_type: MessageType,
    pub pattern: Pattern,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    #[ts(type = "unknown")]
    pub payload: serde_json::Value,
    #[serde(default)]
    #[ts(type = "unknown")]
    pub metadata: serde_json::Value,
    /// For a reply: the request it answers.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// Give up deliveries not made within this many milliseconds.
    #[serde(default)]
    #[ts(type = "number | null")]
    pub expires_in_ms: Option<u64>,
}

/// How many of a message's deliveries stand where.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryCounts {
    pub pending: u32,
    pub delivered: u32,
    pub replied: u32,
    pub dead: u32,
    pub expired: u32,
}

/// A message in a list: the message and how its deliveries stand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageSummary {
    pub message: Message,
    pub deliveries: DeliveryCounts,
}

/// One message with every delivery and every reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageDetail {
    pub message: Message,
    pub deliveries: Vec<Delivery>,
    /// The messages whose `correlationId` is this one, oldest first.
    pub replies: Vec<Message>,
}

/// Which messages a list holds; every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageQuery {
    /// Sent by or to this agent.
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub message_type: Option<MessageType>,
    /// With at least one delivery in this state.
    #[serde(default)]
    pub status: Option<DeliveryStatus>,
    /// At most this many (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Skip this many of the newest (paging).
    #[serde(default)]
    pub offset: Option<u32>,
}

/// One page of a message list, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    pub messages: Vec<MessageSummary>,
    /// How many messages pass the filters in all.
    pub total: u32,
}

/// What happened to a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageChange {
    Sent,
    Delivered,
    /// Delivered, and the recipient answered with a reply.
    Replied,
    /// An attempt failed; another follows.
    Retrying,
    Dead,
    Expired,
    Requeued,
}

/// One change of a message, as live streams are told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageEvent {
    pub message_id: String,
    pub change: MessageChange,
    pub sender_id: String,
    pub message_type: MessageType,
    pub priority: Priority,
    /// The delivery the change is about (none for `sent`, `requeued`).
    pub recipient: Option<String>,
    pub attempts: u32,
    pub error: Option<String>,
}

/// The agents subscribed to one topic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Topic {
    pub name: String,
    pub subscribers: Vec<String>,
}
