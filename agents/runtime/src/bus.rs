//! The agent's side of the hub's message bus: what `POST /message` (served
//! in `server.rs`) answers, a reply to a health check and a log line for
//! every other message; and at start the subscription to its topics
//! (`SUTAZAI_TOPICS`) on the hub.

use std::time::Duration;

use sutazai_protocol::wire::{BusMessage, MessageAnswer};

use crate::config::Settings;

/// How often the start-up subscription is tried before the agent gives up
/// (the hub may still be starting).
const SUBSCRIBE_TRIES: u32 = 10;

/// What the agent answers a message: a health check gets a reply, every
/// other message a log line.
pub fn answer(settings: &Settings, message: &BusMessage) -> MessageAnswer {
    if message.message_type == "health_check" {
        return MessageAnswer {
            reply: Some(serde_json::json!({"status": "ok", "agentId": settings.manifest.id})),
        };
    }
    tracing::info!(
        message_id = %message.id,
        sender = %message.sender_id,
        message_type = %message.message_type,
        pattern = %message.pattern,
        topic = message.topic.as_deref().unwrap_or(""),
        "bus message received"
    );
    MessageAnswer::default()
}

/// Subscribes the agent to its topics on the hub (`POST
/// /v1/topics/subscribe` with its service token), retrying while the hub
/// does not answer.
pub async fn subscribe(settings: Settings) {
    let (Some(hub), Some(token)) = (&settings.hub_url, &settings.token) else {
        return;
    };
    if settings.topics.is_empty() {
        return;
    }
    let client = reqwest::Client::new();
    let url = format!("{hub}/v1/topics/subscribe");
    let body = serde_json::json!({"topics": settings.topics});
    for attempt in 1..=SUBSCRIBE_TRIES {
        let sent = client
            .post(&url)
            .bearer_auth(token)
            .json(&body)
            .timeout(Duration::from_secs(10))
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                tracing::info!(topics = ?settings.topics, "subscribed to bus topics");
                return;
            }
            Ok(response) => {
                let status = response.status();
                tracing::warn!(%url, %status, attempt, "the hub refused the topic subscription");
                if status.is_client_error() && status.as_u16() != 429 {
                    return;
                }
            }
            Err(err) => tracing::warn!(%url, cause = %err, attempt, "cannot reach the hub to subscribe to topics"),
        }
        tokio::time::sleep(Duration::from_secs(u64::from(attempt).min(5))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        let manifest = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../catalog/phase-1/AG-001-agentzero-coordinator.toml"
        ))
        .expect("manifest");
        let env = |name: &str| match name {
            crate::config::ENV_MANIFEST => Some(manifest.clone()),
            "SUTAZAI_TOPICS" => Some(" orchestration, all ,".to_string()),
            _ => None,
        };
        Settings::from_env(env).expect("settings")
    }

    fn message(message_type: &str) -> BusMessage {
        BusMessage {
            id: "m-1".into(),
            sender_id: "hub".into(),
            recipient_id: Some("AG-001".into()),
            message_type: message_type.into(),
            pattern: "request_response".into(),
            priority: None,
            topic: None,
            payload: serde_json::json!({}),
            correlation_id: None,
            created_ms: 0,
        }
    }

    #[test]
    fn topics_come_from_the_comma_list() {
        assert_eq!(settings().topics, ["orchestration", "all"]);
    }

    #[test]
    fn a_health_check_is_answered_and_other_messages_are_not() {
        let settings = settings();
        let reply = answer(&settings, &message("health_check")).reply.expect("a reply");
        assert_eq!(reply, serde_json::json!({"status": "ok", "agentId": "AG-001"}));
        assert_eq!(
            answer(&settings, &message("system_announcement")),
            MessageAnswer::default()
        );
    }
}
