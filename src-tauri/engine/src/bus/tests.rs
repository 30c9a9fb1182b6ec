use std::time::Duration;

use serde_json::json;

use super::model::{DeliveryStatus, Message, MessageType, NewMessage, Pattern, Priority};
use super::*;

fn message(pattern: Pattern, sender: &str, recipient: Option<&str>) -> Message {
    Message {
        id: "m-1".to_string(),
        sender_id: sender.to_string(),
        recipient_id: recipient.map(str::to_string),
        message_type: MessageType::CoordinationMessage,
        pattern,
        priority: Priority::Normal,
        topic: None,
        payload: json!({}),
        metadata: json!({}),
        correlation_id: None,
        created_ms: 1_000,
        expires_ms: None,
    }
}

fn new(pattern: Pattern, recipient: Option<&str>, topic: Option<&str>) -> NewMessage {
    NewMessage {
        sender_id: None,
        recipient_id: recipient.map(str::to_string),
        message_type: MessageType::StatusUpdate,
        pattern,
        priority: Priority::High,
        topic: topic.map(str::to_string),
        payload: json!({"x": 1}),
        metadata: json!({}),
        correlation_id: None,
        expires_in_ms: None,
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn point_to_point_goes_to_its_one_recipient() {
    let m = message(Pattern::PointToPoint, "a", Some("b"));
    assert_eq!(recipients(&m, &names(&["a", "b", "c"]), &[]), names(&["b"]));
}

#[test]
fn broadcast_goes_to_every_deployed_agent_but_the_sender() {
    let m = message(Pattern::Broadcast, "a", None);
    assert_eq!(
        recipients(&m, &names(&["c", "a", "b", "c"]), &names(&["z"])),
        names(&["b", "c"])
    );
}

#[test]
fn publish_goes_to_the_topics_subscribers_only() {
    let m = message(Pattern::PublishSubscribe, "a", None);
    assert_eq!(
        recipients(&m, &names(&["a", "b", "c"]), &names(&["c", "a"])),
        names(&["c"])
    );
}

#[test]
fn the_hub_is_delivered_at_once_an_agent_is_pending() {
    let m = message(Pattern::PointToPoint, "a", Some(HUB));
    assert_eq!(first_delivery(&m, HUB).status, DeliveryStatus::Delivered);
    let to_agent = first_delivery(&m, "b");
    assert_eq!(to_agent.status, DeliveryStatus::Pending);
    assert_eq!(to_agent.next_attempt_ms, 1_000);
}

#[test]
fn patterns_need_their_fields() {
    assert!(check_new(&new(Pattern::PointToPoint, Some("b"), None)).is_ok());
    let err = check_new(&new(Pattern::PointToPoint, None, None)).unwrap_err();
    assert!(err.to_string().starts_with("recipient_id:"), "{err}");
    let err = check_new(&new(Pattern::RequestResponse, Some("  "), None)).unwrap_err();
    assert!(err.to_string().starts_with("recipient_id:"), "{err}");
    let err = check_new(&new(Pattern::PublishSubscribe, None, None)).unwrap_err();
    assert!(err.to_string().starts_with("topic:"), "{err}");
    let err = check_new(&new(Pattern::Broadcast, Some("b"), None)).unwrap_err();
    assert!(err.to_string().starts_with("recipient_id:"), "{err}");
    assert!(check_new(&new(Pattern::PublishSubscribe, None, Some("code-review"))).is_ok());
}

#[test]
fn topic_names_are_checked() {
    for good in ["all", "code-review", "a.b_c", "9lives", "task_decomposition"] {
        assert!(check_topic(good).is_ok(), "{good}");
    }
    let long = "a".repeat(MAX_TOPIC_LEN + 1);
    for bad in ["", "Upper", "-lead", "sp ace", "é", long.as_str()] {
        let err = check_topic(bad).unwrap_err();
        assert!(err.to_string().starts_with("topic:"), "{bad}: {err}");
    }
}

#[test]
fn due_deliveries_go_by_priority_then_age() {
    let due = |id: &str, priority, created_ms| Due {
        message_id: id.to_string(),
        recipient: "b".to_string(),
        priority,
        created_ms,
        attempts: 0,
        expires_ms: None,
    };
    let mut list = vec![
        due("old-low", Priority::Low, 1),
        due("new-critical", Priority::Critical, 9),
        due("new-normal", Priority::Normal, 8),
        due("old-normal", Priority::Normal, 2),
        due("old-critical", Priority::Critical, 3),
    ];
    order_due(&mut list);
    let order: Vec<&str> = list.iter().map(|d| d.message_id.as_str()).collect();
    assert_eq!(
        order,
        ["old-critical", "new-critical", "old-normal", "new-normal", "old-low"]
    );
}

#[test]
fn backoff_doubles_up_to_its_cap() {
    let policy = BusPolicy {
        first_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(500),
        ..BusPolicy::default()
    };
    let waits: Vec<u128> = (1..=5).map(|n| policy.backoff(n).as_millis()).collect();
    assert_eq!(waits, [100, 200, 400, 500, 500]);
    assert_eq!(policy.backoff(u32::MAX), Duration::from_millis(500));
}

#[test]
fn failures_retry_then_die() {
    let policy = BusPolicy {
        max_attempts: 3,
        first_backoff: Duration::from_millis(100),
        ..BusPolicy::default()
    };
    assert_eq!(
        after_failure(&policy, 0, None, 1_000),
        AfterFailure::Retry {
            attempts: 1,
            next_attempt_ms: 1_100
        }
    );
    assert_eq!(
        after_failure(&policy, 1, None, 2_000),
        AfterFailure::Retry {
            attempts: 2,
            next_attempt_ms: 2_200
        }
    );
    assert_eq!(
        after_failure(&policy, 2, None, 3_000),
        AfterFailure::Dead { attempts: 3 }
    );
}

#[test]
fn a_retry_past_the_expiry_expires_instead() {
    let policy = BusPolicy {
        first_backoff: Duration::from_millis(100),
        ..BusPolicy::default()
    };
    assert_eq!(
        after_failure(&policy, 0, Some(1_050), 1_000),
        AfterFailure::Expired { attempts: 1 }
    );
    assert!(matches!(
        after_failure(&policy, 0, Some(1_200), 1_000),
        AfterFailure::Retry { .. }
    ));
    assert!(expired(Some(5), 5));
    assert!(!expired(Some(5), 4));
    assert!(!expired(None, i64::MAX));
}

#[test]
fn a_reply_answers_its_request() {
    let mut request = message(Pattern::RequestResponse, "hub", Some("b"));
    request.message_type = MessageType::TaskRequest;
    assert_eq!(reply_in(&json!({})), None);
    assert_eq!(reply_in(&json!({"reply": null})), None);
    let payload = reply_in(&json!({"reply": {"status": "ok"}})).unwrap();
    let reply = reply_message(&request, "b", payload, "m-2".to_string(), 5);
    assert_eq!(reply.correlation_id.as_deref(), Some("m-1"));
    assert_eq!(reply.recipient_id.as_deref(), Some("hub"));
    assert_eq!(reply.sender_id, "b");
    assert_eq!(reply.message_type, MessageType::TaskResponse);
    assert_eq!(reply.payload, json!({"status": "ok"}));
}

#[test]
fn priorities_round_trip_through_their_rank() {
    for p in [Priority::Low, Priority::Normal, Priority::High, Priority::Critical] {
        assert_eq!(Priority::from_rank(p.rank()), p);
    }
}

#[test]
fn retention_keeps_what_is_younger_than_the_window() {
    let week = Duration::from_secs(168 * 3600);
    assert_eq!(retention_cutoff(700_000_000, week), 700_000_000 - 604_800_000);
    assert_eq!(retention_cutoff(5, week), 5 - 604_800_000);
    assert_eq!(retention_cutoff(i64::MIN, week), i64::MIN);
}

#[test]
fn statuses_round_trip_through_their_text() {
    for s in [
        DeliveryStatus::Pending,
        DeliveryStatus::Delivered,
        DeliveryStatus::Replied,
        DeliveryStatus::Dead,
        DeliveryStatus::Expired,
    ] {
        assert_eq!(DeliveryStatus::parse(s.as_str()), Some(s));
        assert_eq!(serde_json::to_value(s).unwrap(), json!(s.as_str()));
    }
    assert_eq!(DeliveryStatus::parse("lost"), None);
}

#[test]
fn a_message_type_outside_the_seeds_words_is_refused() {
    assert!(serde_json::from_value::<MessageType>(json!("health_check")).is_ok());
    assert!(serde_json::from_value::<MessageType>(json!("gossip")).is_err());
}
