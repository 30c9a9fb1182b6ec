//! What the store keeps of the message bus: messages, one delivery per
//! recipient and the agents' topic subscriptions (the tables are migration
//! 18 in `store/schema.rs`). The rules (who receives what, retries) are
//! `bus/`; the loop that delivers is `engine/bus.rs`.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::bus::model::{
    Delivery, DeliveryCounts, DeliveryStatus, Message, MessagePage, MessageQuery, MessageSummary, Priority, Topic,
};
use crate::bus::Due;
use crate::store::{Store, StoreError};

/// The most messages one list holds.
pub const MAX_MESSAGES: u32 = 1000;

const MESSAGE_COLUMNS: &str = "m.id, m.sender_id, m.recipient_id, m.message_type, m.pattern, m.priority, m.topic, \
     m.payload, m.metadata, m.correlation_id, m.created_ms, m.expires_ms";

const DELIVERY_COLUMNS: &str = "message_id, recipient, status, attempts, next_attempt_ms, error, finished_ms";

/// An enum as its wire name (`task_request`).
fn text_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn parse<T: DeserializeOwned>(index: usize, text: String) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(text))
        .map_err(|err| rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, Box::new(err)))
}

fn message_of(row: &Row<'_>) -> rusqlite::Result<Message> {
    let payload: String = row.get(7)?;
    let metadata: String = row.get(8)?;
    Ok(Message {
        id: row.get(0)?,
        sender_id: row.get(1)?,
        recipient_id: row.get(2)?,
        message_type: parse(3, row.get(3)?)?,
        pattern: parse(4, row.get(4)?)?,
        priority: Priority::from_rank(row.get(5)?),
        topic: row.get(6)?,
        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
        metadata: serde_json::from_str(&metadata).unwrap_or(serde_json::Value::Null),
        correlation_id: row.get(9)?,
        created_ms: row.get(10)?,
        expires_ms: row.get(11)?,
    })
}

fn delivery_of(row: &Row<'_>) -> rusqlite::Result<Delivery> {
    let status: String = row.get(2)?;
    Ok(Delivery {
        message_id: row.get(0)?,
        recipient: row.get(1)?,
        status: DeliveryStatus::parse(&status).unwrap_or(DeliveryStatus::Dead),
        attempts: row.get(3)?,
        next_attempt_ms: row.get(4)?,
        error: row.get(5)?,
        finished_ms: row.get(6)?,
    })
}

fn insert(conn: &Connection, message: &Message, deliveries: &[Delivery]) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO messages (id, sender_id, recipient_id, message_type, pattern, priority, topic, payload,
             metadata, correlation_id, created_ms, expires_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        rusqlite::params![
            message.id,
            message.sender_id,
            message.recipient_id,
            text_of(&message.message_type),
            text_of(&message.pattern),
            message.priority.rank(),
            message.topic,
            message.payload.to_string(),
            message.metadata.to_string(),
            message.correlation_id,
            message.created_ms,
            message.expires_ms,
        ],
    )?;
    let mut stmt = conn.prepare_cached(
        "INSERT INTO deliveries (message_id, recipient, status, attempts, next_attempt_ms, error, finished_ms,
             priority, created_ms, expires_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for d in deliveries {
        stmt.execute(rusqlite::params![
            d.message_id,
            d.recipient,
            d.status.as_str(),
            d.attempts,
            d.next_attempt_ms,
            d.error,
            d.finished_ms,
            message.priority.rank(),
            message.created_ms,
            message.expires_ms,
        ])?;
    }
    Ok(())
}

impl Store {
    /// Stores a message with its deliveries, all or nothing.
    pub async fn insert_message(&self, message: Message, deliveries: Vec<Delivery>) -> Result<(), StoreError> {
        self.call(move |conn| {
            let tx = conn.transaction()?;
            insert(&tx, &message, &deliveries)?;
            tx.commit()
        })
        .await
    }

    pub async fn message(&self, id: &str) -> Result<Option<Message>, StoreError> {
        let id = id.to_string();
        self.read(move |conn| {
            conn.query_row(
                &format!("SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id = ?1"),
                [id],
                message_of,
            )
            .optional()
        })
        .await
    }

    /// A message's deliveries, by recipient.
    pub async fn deliveries(&self, message_id: &str) -> Result<Vec<Delivery>, StoreError> {
        let id = message_id.to_string();
        self.read(move |conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE message_id = ?1 ORDER BY recipient"
            ))?;
            let rows = stmt.query_map([id], delivery_of)?;
            rows.collect()
        })
        .await
    }

    /// The replies to a message, oldest first.
    pub async fn replies(&self, message_id: &str) -> Result<Vec<Message>, StoreError> {
        let id = message_id.to_string();
        self.read(move |conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.correlation_id = ?1 ORDER BY m.seq"
            ))?;
            let rows = stmt.query_map([id], message_of)?;
            rows.collect()
        })
        .await
    }

    /// One page of the messages that pass the query's filters, newest
    /// first, with how their deliveries stand.
    pub async fn messages(&self, query: MessageQuery) -> Result<MessagePage, StoreError> {
        self.read(move |conn| {
            let mut filters = Vec::new();
            let mut values: Vec<Value> = Vec::new();
            if let Some(agent) = query.agent {
                values.push(Value::Text(agent));
                let n = values.len();
                filters.push(format!(
                    "(m.sender_id = ?{n} OR m.recipient_id = ?{n} OR EXISTS (SELECT 1 FROM deliveries x \
                     WHERE x.message_id = m.id AND x.recipient = ?{n}))"
                ));
            }
            if let Some(topic) = query.topic {
                values.push(Value::Text(topic));
                filters.push(format!("m.topic = ?{}", values.len()));
            }
            if let Some(message_type) = query.message_type {
                values.push(Value::Text(text_of(&message_type)));
                filters.push(format!("m.message_type = ?{}", values.len()));
            }
            if let Some(status) = query.status {
                values.push(Value::Text(status.as_str().to_string()));
                filters.push(format!(
                    "EXISTS (SELECT 1 FROM deliveries x WHERE x.message_id = m.id AND x.status = ?{})",
                    values.len()
                ));
            }
            let filter = if filters.is_empty() {
                String::new()
            } else {
                format!("WHERE {}", filters.join(" AND "))
            };
            let total: u32 = conn.query_row(
                &format!("SELECT COUNT(*) FROM messages m {filter}"),
                rusqlite::params_from_iter(values.iter()),
                |row| row.get(0),
            )?;
            let limit = query.limit.unwrap_or(100).clamp(1, MAX_MESSAGES);
            values.push(Value::Integer(i64::from(limit)));
            values.push(Value::Integer(i64::from(query.offset.unwrap_or(0))));
            let sql = format!(
                "SELECT {MESSAGE_COLUMNS},
                    (SELECT COUNT(*) FROM deliveries d WHERE d.message_id = m.id AND d.status = 'pending'),
                    (SELECT COUNT(*) FROM deliveries d WHERE d.message_id = m.id AND d.status = 'delivered'),
                    (SELECT COUNT(*) FROM deliveries d WHERE d.message_id = m.id AND d.status = 'replied'),
                    (SELECT COUNT(*) FROM deliveries d WHERE d.message_id = m.id AND d.status = 'dead'),
                    (SELECT COUNT(*) FROM deliveries d WHERE d.message_id = m.id AND d.status = 'expired')
                 FROM messages m {filter} ORDER BY m.seq DESC LIMIT ?{} OFFSET ?{}",
                values.len() - 1,
                values.len()
            );
            let mut stmt = conn.prepare(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(values), |row| {
                Ok(MessageSummary {
                    message: message_of(row)?,
                    deliveries: DeliveryCounts {
                        pending: row.get(12)?,
                        delivered: row.get(13)?,
                        replied: row.get(14)?,
                        dead: row.get(15)?,
                        expired: row.get(16)?,
                    },
                })
            })?;
            Ok(MessagePage {
                messages: rows.collect::<rusqlite::Result<_>>()?,
                total,
            })
        })
        .await
    }

    /// The pending deliveries due at `now_ms`, higher priority first, then
    /// older first; at most `limit`.
    pub async fn due_deliveries(&self, now_ms: i64, limit: u32) -> Result<Vec<Due>, StoreError> {
        self.read(move |conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT message_id, recipient, priority, created_ms, attempts, expires_ms FROM deliveries
                 WHERE status = 'pending' AND next_attempt_ms <= ?1
                 ORDER BY priority DESC, created_ms, message_id LIMIT ?2",
            )?;
            let rows = stmt.query_map((now_ms, limit), |row| {
                Ok(Due {
                    message_id: row.get(0)?,
                    recipient: row.get(1)?,
                    priority: Priority::from_rank(row.get(2)?),
                    created_ms: row.get(3)?,
                    attempts: row.get(4)?,
                    expires_ms: row.get(5)?,
                })
            })?;
            rows.collect()
        })
        .await
    }

    /// When the next pending delivery is due.
    pub async fn next_due_ms(&self) -> Result<Option<i64>, StoreError> {
        self.read(|conn| {
            conn.query_row(
                "SELECT MIN(next_attempt_ms) FROM deliveries WHERE status = 'pending'",
                [],
                |row| row.get(0),
            )
        })
        .await
    }

    /// Sets where one delivery stands.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_delivery(
        &self,
        message_id: &str,
        recipient: &str,
        status: DeliveryStatus,
        attempts: u32,
        next_attempt_ms: i64,
        error: Option<String>,
        finished_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        let (id, recipient) = (message_id.to_string(), recipient.to_string());
        self.call(move |conn| {
            conn.execute(
                "UPDATE deliveries SET status = ?3, attempts = ?4, next_attempt_ms = ?5, error = ?6, finished_ms = ?7
                 WHERE message_id = ?1 AND recipient = ?2",
                rusqlite::params![
                    id,
                    recipient,
                    status.as_str(),
                    attempts,
                    next_attempt_ms,
                    error,
                    finished_ms
                ],
            )?;
            Ok(())
        })
        .await
    }

    /// Marks every dead (and expired) delivery of a message pending again,
    /// due at `now_ms` with no attempts, and clears its expiry; how many.
    pub async fn requeue_message(&self, message_id: &str, now_ms: i64) -> Result<usize, StoreError> {
        let id = message_id.to_string();
        self.call(move |conn| {
            let tx = conn.transaction()?;
            let n = tx.execute(
                "UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_ms = ?2, error = NULL,
                     finished_ms = NULL, expires_ms = NULL
                 WHERE message_id = ?1 AND status IN ('dead', 'expired')",
                (&id, now_ms),
            )?;
            if n > 0 {
                tx.execute("UPDATE messages SET expires_ms = NULL WHERE id = ?1", [&id])?;
            }
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    /// Removes the messages created before `before_ms` that have no
    /// pending delivery, with their deliveries; how many.
    pub async fn prune_messages(&self, before_ms: i64) -> Result<usize, StoreError> {
        self.call(move |conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "CREATE TEMP TABLE IF NOT EXISTS pruned_messages (id TEXT PRIMARY KEY) WITHOUT ROWID",
                [],
            )?;
            tx.execute("DELETE FROM temp.pruned_messages", [])?;
            let n = tx.execute(
                "INSERT INTO temp.pruned_messages (id)
                 SELECT m.id FROM messages m WHERE m.created_ms < ?1 AND NOT EXISTS
                     (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.status = 'pending')",
                [before_ms],
            )?;
            if n > 0 {
                tx.execute(
                    "DELETE FROM deliveries WHERE message_id IN (SELECT id FROM temp.pruned_messages)",
                    [],
                )?;
                tx.execute(
                    "DELETE FROM messages WHERE id IN (SELECT id FROM temp.pruned_messages)",
                    [],
                )?;
            }
            tx.execute("DELETE FROM temp.pruned_messages", [])?;
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    /// Adds `agent` to each topic (already there: kept).
    pub async fn subscribe(&self, agent: &str, topics: Vec<String>, now_ms: i64) -> Result<(), StoreError> {
        let agent = agent.to_string();
        self.call(move |conn| {
            let tx = conn.transaction()?;
            for topic in &topics {
                tx.execute(
                    "INSERT OR IGNORE INTO subscriptions (agent_id, topic, created_ms) VALUES (?1, ?2, ?3)",
                    (&agent, topic, now_ms),
                )?;
            }
            tx.commit()
        })
        .await
    }

    /// Takes `agent` off each topic; how many subscriptions ended.
    pub async fn unsubscribe(&self, agent: &str, topics: Vec<String>) -> Result<usize, StoreError> {
        let agent = agent.to_string();
        self.call(move |conn| {
            let tx = conn.transaction()?;
            let mut n = 0;
            for topic in &topics {
                n += tx.execute(
                    "DELETE FROM subscriptions WHERE agent_id = ?1 AND topic = ?2",
                    (&agent, topic),
                )?;
            }
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    /// The agents subscribed to `topic`, sorted.
    pub async fn subscribers(&self, topic: &str) -> Result<Vec<String>, StoreError> {
        let topic = topic.to_string();
        self.read(move |conn| {
            let mut stmt =
                conn.prepare_cached("SELECT agent_id FROM subscriptions WHERE topic = ?1 ORDER BY agent_id")?;
            let rows = stmt.query_map([topic], |row| row.get(0))?;
            rows.collect()
        })
        .await
    }

    /// Every topic with its subscribers, by name.
    pub async fn topics(&self) -> Result<Vec<Topic>, StoreError> {
        self.read(|conn| {
            let mut stmt = conn.prepare("SELECT topic, agent_id FROM subscriptions ORDER BY topic, agent_id")?;
            let rows = stmt.query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)))?;
            let mut topics: Vec<Topic> = Vec::new();
            for row in rows {
                let (name, agent) = row?;
                match topics.last_mut() {
                    Some(topic) if topic.name == name => topic.subscribers.push(agent),
                    _ => topics.push(Topic {
                        name,
                        subscribers: vec![agent],
                    }),
                }
            }
            Ok(topics)
        })
        .await
    }
}
