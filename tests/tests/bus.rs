//! The message bus on a real Docker engine: a message delivered to a
//! deployed agent's `/message`, a health check answered with the agent's
//! reply, a broadcast to every deployed agent, a published message reaching
//! only the topic's subscribers (subscribed by the runtime at start), a
//! message to a stopped agent retried, dead-lettered and re-queued, expiry,
//! pending deliveries resumed after an engine restart; and seed 001's HTTP
//! shapes (its body, a 400 naming a bad field, roles).

#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use sutazai_engine::bus::model::{
    DeliveryStatus, MessageDetail, MessageQuery, MessageType, NewMessage, Pattern, Priority, Topic,
};
use sutazai_engine::bus::BusError;
use sutazai_engine::fleet::model::AgentAction;
use sutazai_engine::security::{Principal, Role};
use sutazai_engine::{Engine, SystemClock};
use sutazai_tests::caller::Caller;
use sutazai_tests::docker::PhaseGuard;
use sutazai_tests::engine::{api_key, config, deploy_one, start_with_api};
use sutazai_tests::fake_ollama::{FakeModel, FakeOllama};
use sutazai_tests::until;

/// Subscribed to `orchestration` (one of its capabilities) and `all`.
const COORDINATOR: &str = "AG-001";
/// Subscribed to `reasoning` and `all`, not to `orchestration`.
const MANAGER: &str = "AG-005";

fn to(recipient: &str, message_type: MessageType, pattern: Pattern) -> NewMessage {
    NewMessage {
        sender_id: None,
        recipient_id: Some(recipient.to_string()),
        message_type,
        pattern,
        priority: Priority::Normal,
        topic: None,
        payload: json!({"note": "from the bus test"}),
        metadata: json!({"trace": "t-1"}),
        correlation_id: None,
        expires_in_ms: None,
    }
}

/// Waits (at most `limit`) until every delivery of `id` is `status`.
async fn settled(engine: &Engine, id: &str, status: DeliveryStatus, limit: Duration) -> MessageDetail {
    until(&format!("message {id} is {}", status.as_str()), limit, async || {
        let detail = engine.message(id).await.unwrap();
        !detail.deliveries.is_empty() && detail.deliveries.iter().all(|d| d.status == status)
    })
    .await;
    engine.message(id).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_reach_agents_replies_come_back_and_dead_letters_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let ollama = FakeOllama::start_for_agents(vec![FakeModel::new("llama3.2:1b")])
        .await
        .unwrap();
    let env = [
        ("SUTAZAI_OLLAMA_URL", ollama.url().to_string()),
        ("SUTAZAI_HEALTH_TIMEOUT_MS", "20000".to_string()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (engine, listen, stop) = start_with_api(dir.path(), &env).await;
    let _fleet = PhaseGuard(1);
    engine.undeploy_phase(1, &Principal::Desktop).await.unwrap();
    deploy_one(&engine, COORDINATOR).await;
    deploy_one(&engine, MANAGER).await;

    // The runtime subscribes to its topics at start.
    until("both agents subscribed", Duration::from_secs(30), async || {
        let topics = engine.topics().await.unwrap();
        let of = |name: &str| {
            topics
                .iter()
                .find(|t| t.name == name)
                .map(|t| t.subscribers.clone())
                .unwrap_or_default()
        };
        of("all") == [COORDINATOR, MANAGER] && of("orchestration") == [COORDINATOR]
    })
    .await;

    // Point-to-point: delivered to the agent's /message.
    let sent = engine
        .send_message(
            to(MANAGER, MessageType::CoordinationMessage, Pattern::PointToPoint),
            &Principal::Desktop,
        )
        .await
        .unwrap();
    assert_eq!(sent.sender_id, "hub");
    let detail = settled(&engine, &sent.id, DeliveryStatus::Delivered, Duration::from_secs(10)).await;
    assert_eq!(detail.deliveries.len(), 1);
    assert_eq!(detail.deliveries[0].recipient, MANAGER);
    assert_eq!(detail.deliveries[0].attempts, 1);
    assert_eq!(detail.message.metadata, json!({"trace": "t-1"}));

    // Request-response: the agent's health reply completes the request.
    let reply = engine
        .request(
            to(COORDINATOR, MessageType::HealthCheck, Pattern::RequestResponse),
            &Principal::Desktop,
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(reply.sender_id, COORDINATOR);
    assert_eq!(reply.payload["status"], "ok", "{reply:?}");
    assert_eq!(reply.payload["agentId"], COORDINATOR, "{reply:?}");
    let request = engine.message(reply.correlation_id.as_deref().unwrap()).await.unwrap();
    assert_eq!(request.deliveries[0].status, DeliveryStatus::Replied);
    assert_eq!(request.replies, std::slice::from_ref(&reply));

    // Broadcast: every deployed agent.
    let mut broadcast = to(MANAGER, MessageType::SystemAnnouncement, Pattern::Broadcast);
    broadcast.recipient_id = None;
    let sent = engine.send_message(broadcast, &Principal::Desktop).await.unwrap();
    let detail = settled(&engine, &sent.id, DeliveryStatus::Delivered, Duration::from_secs(10)).await;
    let recipients: Vec<&str> = detail.deliveries.iter().map(|d| d.recipient.as_str()).collect();
    assert_eq!(recipients, [COORDINATOR, MANAGER]);

    // Publish: only the topic's subscribers.
    let mut publish = to(MANAGER, MessageType::StatusUpdate, Pattern::PublishSubscribe);
    publish.recipient_id = None;
    publish.topic = Some("orchestration".to_string());
    let sent = engine.send_message(publish, &Principal::Desktop).await.unwrap();
    let detail = settled(&engine, &sent.id, DeliveryStatus::Delivered, Duration::from_secs(10)).await;
    let recipients: Vec<&str> = detail.deliveries.iter().map(|d| d.recipient.as_str()).collect();
    assert_eq!(recipients, [COORDINATOR]);

    // A stopped agent: retried, then dead; re-queued once it runs again.
    engine
        .agent_action(MANAGER, AgentAction::Stop, &Principal::Desktop)
        .await
        .unwrap();
    until(
        "the manager is no longer an endpoint",
        Duration::from_secs(20),
        async || {
            let probe = engine
                .send_message(
                    to(MANAGER, MessageType::StatusUpdate, Pattern::PointToPoint),
                    &Principal::Desktop,
                )
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let detail = engine.message(&probe.id).await.unwrap();
            detail.deliveries[0].status == DeliveryStatus::Pending
        },
    )
    .await;
    let sent = engine
        .send_message(
            to(MANAGER, MessageType::TaskRequest, Pattern::PointToPoint),
            &Principal::Desktop,
        )
        .await
        .unwrap();
    let mut expiring = to(MANAGER, MessageType::StatusUpdate, Pattern::PointToPoint);
    expiring.expires_in_ms = Some(1_000);
    let expiring = engine.send_message(expiring, &Principal::Desktop).await.unwrap();
    let dead = settled(&engine, &sent.id, DeliveryStatus::Dead, Duration::from_secs(30)).await;
    assert_eq!(dead.deliveries[0].attempts, 5, "{dead:?}");
    assert!(
        dead.deliveries[0].error.as_deref().unwrap().contains("not deployed"),
        "{dead:?}"
    );
    let expired = settled(&engine, &expiring.id, DeliveryStatus::Expired, Duration::from_secs(10)).await;
    assert!(expired.deliveries[0].attempts >= 1, "{expired:?}");
    let dead_letters = engine
        .messages(MessageQuery {
            status: Some(DeliveryStatus::Dead),
            ..MessageQuery::default()
        })
        .await
        .unwrap();
    assert!(dead_letters.messages.iter().any(|m| m.message.id == sent.id));
    let requeued = engine.requeue_message(&expiring.id, &Principal::Desktop).await.unwrap();
    assert_eq!(requeued.deliveries[0].status, DeliveryStatus::Pending);
    engine
        .agent_action(MANAGER, AgentAction::Start, &Principal::Desktop)
        .await
        .unwrap();
    let requeued = engine.requeue_message(&sent.id, &Principal::Desktop).await.unwrap();
    assert_eq!(requeued.deliveries[0].attempts, 0);
    settled(&engine, &sent.id, DeliveryStatus::Delivered, Duration::from_secs(20)).await;
    let again = engine.requeue_message(&sent.id, &Principal::Desktop).await.unwrap_err();
    assert!(matches!(again, BusError::Conflict(_)), "{again}");

    // A request nobody answers in time names the recipient and the wait.
    let mut silent = to(COORDINATOR, MessageType::StatusUpdate, Pattern::RequestResponse);
    silent.payload = json!({});
    let err = engine
        .request(silent, &Principal::Desktop, Duration::from_millis(1500))
        .await
        .unwrap_err();
    assert!(matches!(err, BusError::Timeout { .. }), "{err}");
    assert!(err.to_string().contains(COORDINATOR), "{err}");
    assert!(err.to_string().contains("1500 ms"), "{err}");

    // Seed 001's HTTP shapes.
    let base = format!("http://{listen}");
    let operator = Caller::new(base.clone(), api_key(&engine, Role::Operator).await);
    let analyst = Caller::new(base, api_key(&engine, Role::Analyst).await);
    let body = json!({
        "recipient_id": COORDINATOR,
        "message_type": "health_check",
        "pattern": "request_response",
        "priority": "high",
        "payload": {"probe": true},
    });
    let (status, reply) = operator
        .call(
            Method::POST,
            "/v1/messages/send?sender_id=ops&wait=10000",
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["payload"]["status"], "ok", "{reply}");
    assert_eq!(reply["senderId"], COORDINATOR, "{reply}");
    let (status, sent) = operator
        .call(Method::POST, "/v1/messages/send?sender_id=ops", Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent["senderId"], "ops", "{sent}");
    assert_eq!(sent["priority"], "high", "{sent}");
    let (status, bad) = operator
        .call(
            Method::POST,
            "/v1/messages/send",
            Some(json!({"recipient_id": COORDINATOR, "message_type": "gossip"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert!(
        bad["error"]["message"].as_str().unwrap().contains("message_type"),
        "{bad}"
    );
    let (status, bad) = operator
        .call(
            Method::POST,
            "/v1/messages/publish",
            Some(json!({"message_type": "status_update", "topic": "Bad Topic"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert!(bad["error"]["message"].as_str().unwrap().starts_with("topic:"), "{bad}");
    let (status, broadcast) = operator
        .call(
            Method::POST,
            "/v1/messages/broadcast?sender_id=ops",
            Some(json!({"message_type": "system_announcement", "payload": {"text": "hello"}})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{broadcast}");
    let (status, page) = analyst.call(Method::GET, "/v1/messages?agent=ops&limit=1", None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["messages"].as_array().unwrap().len(), 1, "{page}");
    assert!(page["total"].as_u64().unwrap() >= 3, "{page}");
    let (status, denied) = analyst.call(Method::POST, "/v1/messages/send", Some(body)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{denied}");

    // A pending delivery survives a restart of the engine.
    engine
        .agent_action(COORDINATOR, AgentAction::Stop, &Principal::Desktop)
        .await
        .unwrap();
    // The same API address, so the agents' hub URL (and so their
    // containers) stay as they are.
    let address = listen.to_string();
    let mut again_env = vec![("SUTAZAI_API_LISTEN", address.as_str())];
    again_env.extend_from_slice(&env);
    let (engine_config, report) = config(dir.path(), &again_env);
    let pending = engine
        .send_message(
            to(COORDINATOR, MessageType::CoordinationMessage, Pattern::PointToPoint),
            &Principal::Desktop,
        )
        .await
        .unwrap();
    stop.cancel();
    engine.shutdown(Duration::from_secs(5)).await;
    drop(engine);
    let engine = Engine::start(engine_config, report, Arc::new(SystemClock))
        .await
        .unwrap();
    assert_eq!(
        engine.message(&pending.id).await.unwrap().deliveries[0].status,
        DeliveryStatus::Pending
    );
    engine
        .agent_action(COORDINATOR, AgentAction::Start, &Principal::Desktop)
        .await
        .unwrap();
    settled(&engine, &pending.id, DeliveryStatus::Delivered, Duration::from_secs(20)).await;
    engine.shutdown(Duration::from_secs(5)).await;
}

/// Without Docker (the engine is pointed at a socket nobody serves): seed
/// 001's bodies, the 400s naming the field, roles, a message to the hub,
/// a delivery to an agent that is not deployed expiring, a request timing
/// out, topics; and the runtime's `POST /message` as a local process.
#[tokio::test(flavor = "multi_thread")]
async fn seed_bodies_roles_the_hub_and_the_runtime_without_docker() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = format!("unix://{}", dir.path().join("no-docker.sock").display());
    let (engine, listen, _stop) = start_with_api(dir.path(), &[("SUTAZAI_DOCKER_HOST", nowhere.as_str())]).await;
    let base = format!("http://{listen}");
    let operator = Caller::new(base.clone(), api_key(&engine, Role::Operator).await);
    let analyst = Caller::new(base, api_key(&engine, Role::Analyst).await);

    // The live stream: a message's changes as server-sent `message` events.
    let watcher = Caller::new(format!("http://{listen}"), analyst.key.clone());
    let mut seen = 0;
    let stream = tokio::spawn(async move {
        watcher
            .events(Method::GET, "/v1/messages/stream", None, move |event| {
                seen += usize::from(event == "message");
                seen == 2
            })
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    // To the hub: stored and delivered at once.
    let (status, sent) = operator
        .call(
            Method::POST,
            "/v1/messages/send?sender_id=ops",
            Some(json!({
                "recipient_id": "hub",
                "message_type": "status_update",
                "priority": "critical",
                "payload": {"cpu": 0.5},
                "metadata": {"trace": "t-9"},
            })),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let id = sent["id"].as_str().unwrap();
    let (status, detail) = analyst.call(Method::GET, &format!("/v1/messages/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["deliveries"][0]["recipient"], "hub", "{detail}");
    assert_eq!(detail["deliveries"][0]["status"], "delivered", "{detail}");
    let streamed = tokio::time::timeout(Duration::from_secs(10), stream)
        .await
        .expect("the stream told both changes")
        .unwrap();
    let changes: Vec<(&str, &str)> = streamed
        .iter()
        .map(|(_, data)| (data["messageId"].as_str().unwrap(), data["change"].as_str().unwrap()))
        .collect();
    assert_eq!(changes, [(id, "sent"), (id, "delivered")], "{streamed:?}");
    assert_eq!(streamed[1].1["recipient"], "hub", "{streamed:?}");
    assert_eq!(detail["message"]["metadata"]["trace"], "t-9", "{detail}");

    // To an agent that is not deployed: retried, then expired.
    let (status, sent) = operator
        .call(
            Method::POST,
            "/v1/messages/send",
            Some(json!({"recipient_id": COORDINATOR, "message_type": "task_request", "expires_in_s": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let detail = settled(
        &engine,
        sent["id"].as_str().unwrap(),
        DeliveryStatus::Expired,
        Duration::from_secs(10),
    )
    .await;
    assert!(
        detail.deliveries[0].error.as_deref().unwrap().contains("not deployed"),
        "{detail:?}"
    );
    let (status, page) = analyst
        .call(
            Method::GET,
            "/v1/messages?status=expired&message_type=task_request",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 1, "{page}");

    // A request nobody answers: 504 naming the recipient and the wait.
    let (status, timeout) = operator
        .call(
            Method::POST,
            "/v1/messages/send?wait=300",
            Some(json!({"recipient_id": COORDINATOR, "message_type": "health_check"})),
        )
        .await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{timeout}");
    let text = timeout["error"]["message"].as_str().unwrap();
    assert!(text.contains(COORDINATOR) && text.contains("300 ms"), "{timeout}");

    // 400 naming the field, 422 naming an unknown agent, 403 for a reader.
    for (body, field) in [
        (
            json!({"recipient_id": COORDINATOR, "message_type": "gossip"}),
            "message_type",
        ),
        (json!({"message_type": "status_update"}), "recipient_id"),
        (
            json!({"recipient_id": COORDINATOR, "message_type": "status_update", "expires_in_s": 0}),
            "expires_in_s",
        ),
        (
            json!({"recipient_id": COORDINATOR, "message_type": "status_update", "colour": 1}),
            "colour",
        ),
    ] {
        let (status, bad) = operator.call(Method::POST, "/v1/messages/send", Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(
            bad["error"]["message"].as_str().unwrap().contains(field),
            "{field}: {bad}"
        );
    }
    let (status, unknown) = operator
        .call(
            Method::POST,
            "/v1/messages/send",
            Some(json!({"recipient_id": "AG-999", "message_type": "status_update"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{unknown}");
    assert!(
        unknown["error"]["message"].as_str().unwrap().contains("AG-999"),
        "{unknown}"
    );
    let (status, _) = analyst
        .call(
            Method::POST,
            "/v1/messages/broadcast",
            Some(json!({"message_type": "system_announcement"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Topics: a person subscribes an agent; a publish reaches it alone.
    let (status, topics) = operator
        .call(
            Method::POST,
            "/v1/topics/subscribe",
            Some(json!({"agent_id": COORDINATOR, "topics": ["code-review"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{topics}");
    assert_eq!(topics, json!([{"name": "code-review", "subscribers": [COORDINATOR]}]));
    let (status, published) = operator
        .call(
            Method::POST,
            "/v1/messages/publish",
            Some(json!({"topic": "code-review", "message_type": "coordination_message"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{published}");
    let detail = engine.message(published["id"].as_str().unwrap()).await.unwrap();
    let recipients: Vec<&str> = detail.deliveries.iter().map(|d| d.recipient.as_str()).collect();
    assert_eq!(recipients, [COORDINATOR]);
    let (status, topics) = operator
        .call(
            Method::POST,
            "/v1/topics/unsubscribe",
            Some(json!({"agent_id": COORDINATOR, "topics": ["code-review"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{topics}");
    assert_eq!(topics, json!([]));

    // An agent sends as itself whatever the message says, to another agent
    // or to a topic, and changes only its own subscriptions.
    let as_agent = Principal::Agent {
        agent_id: MANAGER.to_string(),
        container: "sutazai-ag-005".to_string(),
        from: None,
    };
    let mut forged = to(COORDINATOR, MessageType::CoordinationMessage, Pattern::PointToPoint);
    forged.sender_id = Some("hub".to_string());
    let sent = engine.send_message(forged, &as_agent).await.unwrap();
    assert_eq!(sent.sender_id, MANAGER);
    assert_eq!(
        engine.message(&sent.id).await.unwrap().deliveries[0].recipient,
        COORDINATOR
    );
    let own = engine
        .subscribe_topics("", vec!["planning".to_string()], &as_agent)
        .await
        .unwrap();
    assert_eq!(
        own,
        [Topic {
            name: "planning".to_string(),
            subscribers: vec![MANAGER.to_string()]
        }]
    );
    let other = engine
        .subscribe_topics(COORDINATOR, vec!["planning".to_string()], &as_agent)
        .await
        .unwrap_err();
    assert!(matches!(other, BusError::Forbidden(_)), "{other}");
    engine
        .unsubscribe_topics(MANAGER, vec!["planning".to_string()], &as_agent)
        .await
        .unwrap();

    // Sends and subscription changes are in the audit log, refusals too.
    let admin = Caller::new(format!("http://{listen}"), api_key(&engine, Role::Admin).await);
    let (_, audit) = admin.call(Method::GET, "/v1/audit?limit=200", None).await;
    let entries: Vec<(&str, &str)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["action"].as_str().unwrap(), a["outcome"].as_str().unwrap()))
        .collect();
    for action in ["message.send", "topic.subscribe", "topic.unsubscribe"] {
        assert!(entries.contains(&(action, "ok")), "{action} not audited: {entries:?}");
    }
    assert!(
        entries
            .iter()
            .any(|(action, outcome)| *action == "message.send" && outcome.starts_with("refused: ")),
        "a refused send is audited: {entries:?}"
    );

    // The runtime answers a health check with a reply, anything else {}.
    let manifest = sutazai_tests::agent::shipped_manifest(MANAGER);
    let agent =
        sutazai_tests::agent::AgentProcess::start(&manifest, "http://127.0.0.1:9", &[("SUTAZAI_HUB_TOKEN", "s3cret")]);
    let http = reqwest::Client::new();
    let message = |message_type: &str| json!({"id": "m-1", "senderId": "hub", "messageType": message_type, "pattern": "request_response"});
    let answer: serde_json::Value = http
        .post(format!("{}/message", agent.url))
        .bearer_auth("s3cret")
        .json(&message("health_check"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer, json!({"reply": {"status": "ok", "agentId": MANAGER}}));
    let answer: serde_json::Value = http
        .post(format!("{}/message", agent.url))
        .bearer_auth("s3cret")
        .json(&message("system_announcement"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer, json!({}));
    let refused = http
        .post(format!("{}/message", agent.url))
        .json(&message("health_check"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    engine.shutdown(Duration::from_secs(5)).await;
}
