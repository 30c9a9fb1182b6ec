//! The message bus's running part: send (committed before it answers),
//! topics, lists, re-queueing dead letters, request-response, and the
//! delivery loop that hands each due delivery to its agent's container
//! (`POST /message`, with the hub's service token, as the dispatcher calls
//! `/task`), retrying with backoff until it is delivered, dead or expired.
//! The rules are `bus/`; the tables `store/messages.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::Full;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::Request;
use tokio::sync::{broadcast, oneshot, Notify};
use tracing::{debug, instrument, warn};

use super::{outcome_of, Engine};
use crate::bus::model::{
    Delivery, DeliveryStatus, Message, MessageChange, MessageDetail, MessageEvent, MessagePage, MessageQuery,
    NewMessage, Pattern, Topic,
};
use crate::bus::{self, AfterFailure, BusError, BusPolicy, Due, HUB};
use crate::error::error_chain;
use crate::fleet::model::Endpoint;
use crate::orchestrator::dispatch::{self, AgentClient};
use crate::security::Principal;

/// The most deliveries one round of the loop takes.
const ROUND: u32 = 64;
/// The most deliveries in flight at once.
const IN_FLIGHT: usize = 16;
/// The longest the loop sleeps with nothing due (a recipient deployed
/// meanwhile is found by then at the latest).
const IDLE: Duration = Duration::from_secs(5);
/// How often messages past their retention are removed.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// The most topics one subscribe names.
const MAX_TOPICS: usize = 64;

/// The bus's state in memory: what is not in the store.
pub(super) struct Bus {
    pub(super) policy: BusPolicy,
    /// Every change of every message, for live streams.
    events: broadcast::Sender<MessageEvent>,
    /// Wakes the delivery loop when a delivery became due.
    wake: Notify,
    /// The requests waiting for their reply, by request id.
    waiters: Mutex<HashMap<String, Vec<oneshot::Sender<Message>>>>,
    /// Kept-alive connections to the agents.
    http: AgentClient,
}

impl Bus {
    pub(super) fn new(policy: BusPolicy) -> Bus {
        Bus {
            policy,
            events: broadcast::channel(1024).0,
            wake: Notify::new(),
            waiters: Mutex::default(),
            http: dispatch::client(),
        }
    }

    fn emit(&self, message: &Message, change: MessageChange, delivery: Option<&Delivery>) {
        if self.events.receiver_count() == 0 {
            return;
        }
        let _ = self.events.send(MessageEvent {
            message_id: message.id.clone(),
            change,
            sender_id: message.sender_id.clone(),
            message_type: message.message_type,
            priority: message.priority,
            recipient: delivery.map(|d| d.recipient.clone()),
            attempts: delivery.map_or(0, |d| d.attempts),
            error: delivery.and_then(|d| d.error.clone()),
        });
    }

    /// Hands `reply` to whoever waits for the request it answers.
    fn answer(&self, reply: &Message) {
        let Some(request) = &reply.correlation_id else { return };
        let waiting = self
            .waiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(request);
        for waiter in waiting.into_iter().flatten() {
            let _ = waiter.send(reply.clone());
        }
    }
}

impl Engine {
    /// Sends a message for `by`; stored with one delivery per recipient
    /// before this returns. An agent caller is the sender whatever the
    /// message says. Audited (`message.send`), as a task's submit is.
    #[instrument(skip_all, err, fields(by = %by.label()))]
    pub async fn send_message(&self, message: NewMessage, by: &Principal) -> Result<Message, BusError> {
        let id = crate::orchestrator::new_id("m", self.clock.now_ms());
        self.send_with_id(message, by, id).await
    }

    /// Sends a request to one agent for `by` and waits (at most `timeout`)
    /// for its reply.
    #[instrument(skip_all, err, fields(by = %by.label()))]
    pub async fn request(
        &self,
        mut message: NewMessage,
        by: &Principal,
        timeout: Duration,
    ) -> Result<Message, BusError> {
        message.pattern = Pattern::RequestResponse;
        let id = crate::orchestrator::new_id("m", self.clock.now_ms());
        let (tx, rx) = oneshot::channel();
        self.bus
            .waiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(id.clone())
            .or_default()
            .push(tx);
        let sent = match self.send_with_id(message, by, id.clone()).await {
            Ok(sent) => sent,
            Err(err) => {
                self.forget_waiter(&id);
                return Err(err);
            }
        };
        if let Ok(Ok(reply)) = tokio::time::timeout(timeout, rx).await {
            return Ok(reply);
        }
        self.forget_waiter(&id);
        // A reply stored just as the wait ended still counts.
        if let Some(reply) = self.store.replies(&id).await?.into_iter().next() {
            return Ok(reply);
        }
        Err(BusError::Timeout {
            message_id: id,
            recipient: sent.recipient_id.unwrap_or_default(),
            waited_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        })
    }

    fn forget_waiter(&self, id: &str) {
        self.bus
            .waiters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id);
    }

    async fn send_with_id(&self, new: NewMessage, by: &Principal, id: String) -> Result<Message, BusError> {
        let result = self.store_new(new, by, id).await;
        let (target, outcome) = match &result {
            Ok(message) => (message.id.as_str(), "ok".to_string()),
            Err(err) => ("", format!("refused: {err}")),
        };
        self.orchestrator.audit(by, "message.send", target, outcome);
        result
    }

    async fn store_new(&self, new: NewMessage, by: &Principal, id: String) -> Result<Message, BusError> {
        bus::check_new(&new)?;
        let sender_id = match by {
            Principal::Agent { agent_id, .. } => agent_id.clone(),
            _ => new
                .sender_id
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or(HUB)
                .to_string(),
        };
        if sender_id.len() > 128 {
            return Err(BusError::Invalid("sender_id: at most 128 characters".to_string()));
        }
        let recipient_id = match new.recipient_id.as_deref().map(str::trim) {
            Some(recipient) if !recipient.is_empty() => Some(self.recipient_id(recipient)?),
            _ => None,
        };
        let now = self.clock.now_ms();
        let expires_ms = match new.expires_in_ms {
            Some(0) => return Err(BusError::Invalid("expires_in_s: must be more than 0".to_string())),
            Some(ms) => Some(now.saturating_add(i64::try_from(ms).unwrap_or(i64::MAX))),
            None => None,
        };
        let message = Message {
            id,
            sender_id,
            recipient_id,
            message_type: new.message_type,
            pattern: new.pattern,
            priority: new.priority,
            topic: new.topic,
            payload: new.payload,
            metadata: if new.metadata.is_null() {
                serde_json::json!({})
            } else {
                new.metadata
            },
            correlation_id: new.correlation_id,
            created_ms: now,
            expires_ms,
        };
        let deployed = self.deployed_agents();
        let subscribers = match (&message.pattern, &message.topic) {
            (Pattern::PublishSubscribe, Some(topic)) => self.store.subscribers(topic).await?,
            _ => Vec::new(),
        };
        let deliveries: Vec<Delivery> = bus::recipients(&message, &deployed, &subscribers)
            .iter()
            .map(|recipient| bus::first_delivery(&message, recipient))
            .collect();
        self.store.insert_message(message.clone(), deliveries.clone()).await?;
        self.bus.emit(&message, MessageChange::Sent, None);
        for delivered in deliveries.iter().filter(|d| d.status == DeliveryStatus::Delivered) {
            self.bus.emit(&message, MessageChange::Delivered, Some(delivered));
        }
        self.bus.answer(&message);
        self.bus.wake.notify_one();
        Ok(message)
    }

    /// The catalog id of a recipient named by id or by name (`hub` is itself).
    fn recipient_id(&self, named: &str) -> Result<String, BusError> {
        if named == HUB {
            return Ok(HUB.to_string());
        }
        let catalog = self.catalog();
        let found = match catalog.get(named) {
            Some(entry) => Some(entry.manifest.id.clone()),
            None => catalog
                .all()
                .find(|entry| entry.manifest.name == named)
                .map(|entry| entry.manifest.id.clone()),
        };
        found.ok_or_else(|| BusError::UnknownAgent(format!("recipient_id: no agent {named} in the catalog")))
    }

    /// The agents with at least one container, sorted.
    fn deployed_agents(&self) -> Vec<String> {
        let endpoints = self.fleet.endpoints().borrow().clone();
        let mut agents: Vec<String> = endpoints.iter().map(|e| e.agent_id.clone()).collect();
        agents.sort();
        agents.dedup();
        agents
    }

    /// One message with its deliveries and replies.
    pub async fn message(&self, id: &str) -> Result<MessageDetail, BusError> {
        let message = self
            .store
            .message(id)
            .await?
            .ok_or_else(|| BusError::NotFound(format!("no message {id}")))?;
        Ok(MessageDetail {
            deliveries: self.store.deliveries(id).await?,
            replies: self.store.replies(id).await?,
            message,
        })
    }

    /// One page of the messages that pass the query's filters, newest first.
    pub async fn messages(&self, query: MessageQuery) -> Result<MessagePage, BusError> {
        if let Some(topic) = &query.topic {
            bus::check_topic(topic)?;
        }
        Ok(self.store.messages(query).await?)
    }

    /// Puts a message's dead (and expired) deliveries back in the queue,
    /// due now with a fresh budget of attempts; audited.
    #[instrument(skip_all, err, fields(by = %by.label(), message = id))]
    pub async fn requeue_message(&self, id: &str, by: &Principal) -> Result<MessageDetail, BusError> {
        let result = self.requeue_dead(id).await;
        self.orchestrator.audit(by, "message.requeue", id, outcome_of(&result));
        result
    }

    async fn requeue_dead(&self, id: &str) -> Result<MessageDetail, BusError> {
        let detail = self.message(id).await?;
        let requeued = self.store.requeue_message(id, self.clock.now_ms()).await?;
        if requeued == 0 {
            return Err(BusError::Conflict(format!(
                "message {id} has no dead or expired delivery to re-queue"
            )));
        }
        self.bus.emit(&detail.message, MessageChange::Requeued, None);
        self.bus.wake.notify_one();
        self.message(id).await
    }

    /// Subscribes `agent` to `topics`; an agent caller only itself. Every
    /// topic with its subscribers afterwards.
    #[instrument(skip_all, err, fields(by = %by.label(), agent))]
    pub async fn subscribe_topics(
        &self,
        agent: &str,
        topics: Vec<String>,
        by: &Principal,
    ) -> Result<Vec<Topic>, BusError> {
        self.change_subscription(agent, topics, by, true).await
    }

    /// Takes `agent` off `topics`; an agent caller only itself.
    #[instrument(skip_all, err, fields(by = %by.label(), agent))]
    pub async fn unsubscribe_topics(
        &self,
        agent: &str,
        topics: Vec<String>,
        by: &Principal,
    ) -> Result<Vec<Topic>, BusError> {
        self.change_subscription(agent, topics, by, false).await
    }

    /// Subscribes or unsubscribes, audited (`topic.subscribe`,
    /// `topic.unsubscribe`), refusals too.
    async fn change_subscription(
        &self,
        agent: &str,
        topics: Vec<String>,
        by: &Principal,
        subscribe: bool,
    ) -> Result<Vec<Topic>, BusError> {
        let changed: Result<String, BusError> = match self.subscriber(agent, &topics, by) {
            Ok(agent) if subscribe => self
                .store
                .subscribe(&agent, topics, self.clock.now_ms())
                .await
                .map(|()| agent)
                .map_err(BusError::from),
            Ok(agent) => self
                .store
                .unsubscribe(&agent, topics)
                .await
                .map(|_| agent)
                .map_err(BusError::from),
            Err(err) => Err(err),
        };
        let (target, outcome) = match &changed {
            Ok(agent) => (agent.as_str(), "ok".to_string()),
            Err(err) => ("", format!("refused: {err}")),
        };
        let action = if subscribe {
            "topic.subscribe"
        } else {
            "topic.unsubscribe"
        };
        self.orchestrator.audit(by, action, target, outcome);
        changed?;
        self.topics().await
    }

    /// Checks a subscription change: the agent exists, an agent changes only
    /// its own, the topics are valid names.
    fn subscriber(&self, agent: &str, topics: &[String], by: &Principal) -> Result<String, BusError> {
        let agent = match by {
            Principal::Agent { agent_id, .. } if agent.is_empty() || agent == agent_id => agent_id.clone(),
            Principal::Agent { agent_id, .. } => {
                return Err(BusError::Forbidden(format!(
                    "agent {agent_id} may change only its own subscriptions, not {agent}'s"
                )))
            }
            _ if agent.is_empty() => return Err(BusError::Invalid("agent_id: name the agent".to_string())),
            _ => self.recipient_id(agent).and_then(|id| {
                if id == HUB {
                    Err(BusError::Invalid("agent_id: the hub subscribes to nothing".to_string()))
                } else {
                    Ok(id)
                }
            })?,
        };
        if topics.is_empty() || topics.len() > MAX_TOPICS {
            return Err(BusError::Invalid(format!("topics: name 1 to {MAX_TOPICS} topics")));
        }
        for topic in topics {
            bus::check_topic(topic)?;
        }
        Ok(agent)
    }

    /// Every topic with its subscribers.
    pub async fn topics(&self) -> Result<Vec<Topic>, BusError> {
        Ok(self.store.topics().await?)
    }

    /// Every change of every message.
    pub fn subscribe_messages(&self) -> broadcast::Receiver<MessageEvent> {
        self.bus.events.subscribe()
    }

    /// Tries one due delivery once and records what came of it.
    async fn deliver(&self, due: Due) {
        let message = match self.store.message(&due.message_id).await {
            Ok(Some(message)) => message,
            Ok(None) => return,
            Err(err) => {
                warn!(message = %due.message_id, cause = %err, "cannot read a message to deliver");
                return;
            }
        };
        let now = self.clock.now_ms();
        if bus::expired(due.expires_ms, now) {
            self.settle(&message, &due, DeliveryStatus::Expired, due.attempts, now, None)
                .await;
            return;
        }
        match self.hand_over(&message, &due.recipient).await {
            Ok(answer) => {
                let now = self.clock.now_ms();
                let reply = bus::reply_in(&answer);
                let status = if reply.is_some() {
                    DeliveryStatus::Replied
                } else {
                    DeliveryStatus::Delivered
                };
                self.settle(&message, &due, status, due.attempts + 1, now, None).await;
                if let Some(payload) = reply {
                    self.store_reply(&message, &due.recipient, payload).await;
                }
            }
            Err(error) => {
                let now = self.clock.now_ms();
                debug!(message = %message.id, recipient = %due.recipient, %error, "delivery failed");
                match bus::after_failure(&self.bus.policy, due.attempts, due.expires_ms, now) {
                    AfterFailure::Retry {
                        attempts,
                        next_attempt_ms,
                    } => {
                        let delivery = Delivery {
                            message_id: message.id.clone(),
                            recipient: due.recipient.clone(),
                            status: DeliveryStatus::Pending,
                            attempts,
                            next_attempt_ms,
                            error: Some(error),
                            finished_ms: None,
                        };
                        self.record(&message, delivery, MessageChange::Retrying).await;
                    }
                    AfterFailure::Dead { attempts } => {
                        warn!(message = %message.id, recipient = %due.recipient, attempts, %error, "message dead");
                        self.settle(&message, &due, DeliveryStatus::Dead, attempts, now, Some(error))
                            .await;
                    }
                    AfterFailure::Expired { attempts } => {
                        self.settle(&message, &due, DeliveryStatus::Expired, attempts, now, Some(error))
                            .await;
                    }
                }
            }
        }
    }

    async fn settle(
        &self,
        message: &Message,
        due: &Due,
        status: DeliveryStatus,
        attempts: u32,
        now: i64,
        error: Option<String>,
    ) {
        let delivery = Delivery {
            message_id: message.id.clone(),
            recipient: due.recipient.clone(),
            status,
            attempts,
            next_attempt_ms: now,
            error,
            finished_ms: Some(now),
        };
        let change = match status {
            DeliveryStatus::Delivered => MessageChange::Delivered,
            DeliveryStatus::Replied => MessageChange::Replied,
            DeliveryStatus::Dead => MessageChange::Dead,
            DeliveryStatus::Expired => MessageChange::Expired,
            DeliveryStatus::Pending => MessageChange::Retrying,
        };
        self.record(message, delivery, change).await;
    }

    async fn record(&self, message: &Message, delivery: Delivery, change: MessageChange) {
        let written = self
            .store
            .set_delivery(
                &delivery.message_id,
                &delivery.recipient,
                delivery.status,
                delivery.attempts,
                delivery.next_attempt_ms,
                delivery.error.clone(),
                delivery.finished_ms,
            )
            .await;
        match written {
            Ok(()) => self.bus.emit(message, change, Some(&delivery)),
            Err(err) => warn!(message = %message.id, cause = %err, "cannot record a delivery"),
        }
    }

    /// Stores an agent's reply to `request` and hands it to whoever waits
    /// for it. A reply to an agent is delivered to it like any message; a
    /// reply to the hub or a person is delivered at once (they read it from
    /// the hub, or wait for it).
    async fn store_reply(&self, request: &Message, from: &str, payload: serde_json::Value) {
        let now = self.clock.now_ms();
        let reply = bus::reply_message(request, from, payload, crate::orchestrator::new_id("m", now), now);
        let to_agent = self.catalog().get(&request.sender_id).is_some();
        let mut delivery = bus::first_delivery(&reply, if to_agent { &request.sender_id } else { HUB });
        delivery.recipient = request.sender_id.clone();
        match self.store.insert_message(reply.clone(), vec![delivery.clone()]).await {
            Ok(()) => {
                self.bus.emit(&reply, MessageChange::Sent, None);
                if to_agent {
                    self.bus.wake.notify_one();
                } else {
                    self.bus.emit(&reply, MessageChange::Delivered, Some(&delivery));
                }
                self.bus.answer(&reply);
            }
            Err(err) => warn!(request = %request.id, cause = %err, "cannot store a reply"),
        }
    }

    /// `POST /message` to one of the recipient's containers (a healthy one
    /// first); its JSON answer, or why it failed.
    async fn hand_over(&self, message: &Message, recipient: &str) -> Result<serde_json::Value, String> {
        let endpoints = self.fleet.endpoints().borrow().clone();
        let mut candidates: Vec<&Endpoint> = endpoints.iter().filter(|e| e.agent_id == recipient).collect();
        candidates.sort_by_key(|e| !e.healthy);
        let endpoint = candidates
            .first()
            .ok_or_else(|| format!("agent {recipient} is not deployed"))?;
        let token = self
            .credentials
            .secret
            .hub_token(&endpoint.container, &endpoint.token_epoch);
        let url = format!("http://127.0.0.1:{}/message", endpoint.port);
        let authorization = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|err| format!("{url}: {err}"))?;
        let body = serde_json::to_vec(message).map_err(|err| format!("cannot encode message {}: {err}", message.id))?;
        let sent = Request::post(url.as_str())
            .header(AUTHORIZATION, authorization)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(Full::new(Bytes::from(body)))
            .map_err(|err| format!("{url}: {err}"))?;
        let exchange = async {
            let response = self
                .bus
                .http
                .request(sent)
                .await
                .map_err(|err| format!("{url}: {}", error_chain(&err)))?;
            let status = response.status();
            let body = crate::capped::read(response.into_body(), crate::capped::AGENT_REPLY)
                .await
                .map_err(|err| err.about(&format!("agent {recipient}'s answer at {url}")))?;
            Ok::<_, String>((status, body))
        };
        let timeout = self.bus.policy.attempt_timeout;
        let (status, body) = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| format!("{url}: no answer within {} ms", timeout.as_millis()))??;
        if !status.is_success() {
            return Err(format!(
                "{url} answered {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(200)])
            ));
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(&body)
            .map_err(|err| format!("{url} answered {status} with a body that is not JSON: {err}"))
    }
}

/// The delivery loop: each round takes the due deliveries (higher priority
/// first, then older), tries them, and sleeps until the next is due, a new
/// message wakes it or [`IDLE`] has passed. Pending deliveries are in the
/// store, so a restart resumes them.
pub(super) async fn deliver_messages(engine: Arc<Engine>) {
    let life = engine.life.token();
    let mut pruned_at = tokio::time::Instant::now();
    engine.prune_messages().await;
    loop {
        if pruned_at.elapsed() >= PRUNE_EVERY {
            pruned_at = tokio::time::Instant::now();
            engine.prune_messages().await;
        }
        let now = engine.clock.now_ms();
        match engine.store.due_deliveries(now, ROUND).await {
            Ok(due) => {
                futures::stream::iter(due)
                    .for_each_concurrent(IN_FLIGHT, |due| engine.deliver(due))
                    .await;
            }
            Err(err) => warn!(cause = %err, "cannot read the due deliveries"),
        }
        let now = engine.clock.now_ms();
        let idle = i64::try_from(IDLE.as_millis()).unwrap_or(i64::MAX);
        let wait = match engine.store.next_due_ms().await {
            Ok(Some(at)) => (at - now).clamp(20, idle),
            _ => idle,
        };
        tokio::select! {
            () = life.cancelled() => return,
            () = engine.bus.wake.notified() => {}
            () = tokio::time::sleep(Duration::from_millis(wait.unsigned_abs())) => {}
        }
    }
}

impl Engine {
    /// Removes the messages older than `message_retention_hours` whose
    /// deliveries are all finished.
    async fn prune_messages(&self) {
        let cutoff = bus::retention_cutoff(self.clock.now_ms(), self.config.message_retention);
        match self.store.prune_messages(cutoff).await {
            Ok(0) => {}
            Ok(n) => debug!(removed = n, "removed messages past their retention"),
            Err(err) => warn!(cause = %err, "cannot remove messages past their retention"),
        }
    }
}

impl super::security::AuditOutcome for BusError {
    fn is_refusal(&self) -> bool {
        // Every error of a re-queue is the engine's answer to the request.
        true
    }
}
