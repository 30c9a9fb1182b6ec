//! `message …` and `topics`: the message bus, read as the engine's
//! `Message`, `MessageDetail` and `MessagePage`.

use std::time::Duration;

use futures::StreamExt;
use reqwest::Method;
use serde_json::{json, Value};
use sutazai_engine::bus::model::{Message, MessageDetail, MessagePage, Topic};

use crate::cli::{MessageBody, MessageCommand};
use crate::client::{Client, Failure};
use crate::fleet::{event_error, segment};
use crate::output::{self, Cell, Table, Tone};
use crate::tasks::{read_json, seconds};

pub async fn run(client: &Client, command: &MessageCommand, json: bool) -> Result<(), Failure> {
    match command {
        MessageCommand::Send { recipient, body, wait } => send(client, recipient, body, *wait, json).await,
        MessageCommand::Broadcast(body) => {
            let sent = client
                .send_json(
                    Method::POST,
                    "/messages/broadcast",
                    &[],
                    Some(&seed_body(body)?),
                    Duration::ZERO,
                )
                .await?;
            one(&sent, json)
        }
        MessageCommand::Publish { topic, body } => {
            let mut seed = seed_body(body)?;
            seed["topic"] = json!(topic);
            let sent = client
                .send_json(Method::POST, "/messages/publish", &[], Some(&seed), Duration::ZERO)
                .await?;
            one(&sent, json)
        }
        MessageCommand::List {
            agent,
            message_type,
            status,
        } => {
            let query: Vec<(&str, String)> = [
                ("agent", agent.clone()),
                ("message_type", message_type.clone()),
                ("status", status.clone()),
            ]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v)))
            .collect();
            list(client, &query, json).await
        }
        MessageCommand::Show { id } => {
            let answer = client.get(&format!("/messages/{}", segment(id)), &[]).await?;
            detail(&answer, json)
        }
        MessageCommand::Requeue { id } => {
            let path = format!("/messages/{}/requeue", segment(id));
            let answer = client.send_json(Method::POST, &path, &[], None, Duration::ZERO).await?;
            detail(&answer, json)
        }
        MessageCommand::Follow => follow(client, json).await,
    }
}

/// Seed 001's body from the flags.
fn seed_body(body: &MessageBody) -> Result<Value, Failure> {
    let mut seed = json!({"message_type": body.message_type});
    if let Some(payload) = &body.payload {
        seed["payload"] = read_json(payload, "--payload")?;
    }
    if let Some(priority) = &body.priority {
        seed["priority"] = json!(priority);
    }
    if let Some(expires) = body.expires {
        seed["expires_in_s"] = json!(expires);
    }
    Ok(seed)
}

async fn send(
    client: &Client,
    recipient: &str,
    body: &MessageBody,
    wait: Option<f64>,
    json: bool,
) -> Result<(), Failure> {
    let mut seed = seed_body(body)?;
    seed["recipient_id"] = json!(recipient);
    let wait = seconds(wait, "--wait")?;
    let mut query = Vec::new();
    if let Some(wait) = wait {
        seed["pattern"] = json!("request_response");
        query.push(("wait", wait.as_millis().max(1).to_string()));
    }
    let answer = client
        .send_json(
            Method::POST,
            "/messages/send",
            &query,
            Some(&seed),
            wait.unwrap_or_default(),
        )
        .await?;
    if wait.is_none() {
        return one(&answer, json);
    }
    if json {
        output::json(&answer);
    } else {
        let reply: Message = output::typed(&answer, "a reply")?;
        crate::out!(
            "reply {} from {} to {}",
            reply.id,
            reply.sender_id,
            reply.correlation_id.unwrap_or_default()
        );
        crate::out!("{}", serde_json::to_string_pretty(&reply.payload).unwrap_or_default());
    }
    Ok(())
}

/// Prints a message just sent.
fn one(answer: &Value, json: bool) -> Result<(), Failure> {
    if json {
        output::json(answer);
        return Ok(());
    }
    let message: Message = output::typed(answer, "a message")?;
    crate::out!("sent {} to {}", message.id, destination(&message));
    Ok(())
}

fn destination(message: &Message) -> String {
    match (&message.recipient_id, &message.topic) {
        (Some(recipient), _) => recipient.clone(),
        (None, Some(topic)) => format!("topic {topic}"),
        (None, None) => "every deployed agent".to_string(),
    }
}

async fn list(client: &Client, query: &[(&str, String)], json: bool) -> Result<(), Failure> {
    let answer = client.get("/messages", query).await?;
    if json {
        output::json(&answer);
        return Ok(());
    }
    let page: MessagePage = output::typed(&answer, "a page of messages")?;
    let mut table = Table::new(vec!["ID", "FROM", "TO", "TYPE", "PRIORITY", "DELIVERIES"]);
    for summary in &page.messages {
        let m = &summary.message;
        let d = &summary.deliveries;
        let counts: Vec<String> = [
            ("pending", d.pending),
            ("delivered", d.delivered),
            ("replied", d.replied),
            ("dead", d.dead),
            ("expired", d.expired),
        ]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(state, n)| format!("{n} {state}"))
        .collect();
        table.row(vec![
            m.id.as_str().into(),
            m.sender_id.as_str().into(),
            destination(m).into(),
            serde_plain(&m.message_type).into(),
            serde_plain(&m.priority).into(),
            Cell::toned(counts.join(", "), if d.dead > 0 { Tone::Bad } else { Tone::Plain }),
        ]);
    }
    table.print("no message matches");
    if page.total as usize > page.messages.len() {
        eprintln!("{} of {} shown", page.messages.len(), page.total);
    }
    Ok(())
}

/// A unit enum as its wire word (`task_request`).
fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(word)) => word,
        _ => "?".to_string(),
    }
}

fn detail(answer: &Value, json: bool) -> Result<(), Failure> {
    if json {
        output::json(answer);
        return Ok(());
    }
    let detail: MessageDetail = output::typed(answer, "a message")?;
    let m = &detail.message;
    crate::out!(
        "{}  {} from {} to {}  ({})",
        m.id,
        serde_plain(&m.message_type),
        m.sender_id,
        destination(m),
        serde_plain(&m.priority)
    );
    let mut table = Table::new(vec!["RECIPIENT", "STATE", "TRIES", "LAST ERROR"]);
    for d in &detail.deliveries {
        table.row(vec![
            d.recipient.as_str().into(),
            Cell::status(d.status.as_str()),
            d.attempts.to_string().into(),
            output::or_dash(d.error.as_deref()).into(),
        ]);
    }
    table.print("no recipient");
    for reply in &detail.replies {
        crate::out!("reply {} from {}:", reply.id, reply.sender_id);
        crate::out!("{}", serde_json::to_string_pretty(&reply.payload).unwrap_or_default());
    }
    Ok(())
}

async fn follow(client: &Client, json: bool) -> Result<(), Failure> {
    let mut events = client.events(Method::GET, "/messages/stream", &[], None).await?;
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let Some(event) = event else { return Ok(()) };
        let (name, data) = event?;
        match name.as_str() {
            "message" if json => crate::out!("{data}"),
            "message" => {
                let change: Value = serde_json::from_str(&data).unwrap_or(Value::Null);
                let field = |key: &str| output::field(&change, key);
                crate::out!(
                    "{}  {}  {} from {}{}{}",
                    field("messageId"),
                    output::paint(&field("change"), output::tone_of(&field("change"))),
                    field("messageType"),
                    field("senderId"),
                    change["recipient"]
                        .as_str()
                        .map_or(String::new(), |r| format!(" to {r}")),
                    change["error"].as_str().map_or(String::new(), |e| format!(": {e}")),
                );
            }
            "lagged" => eprintln!("some changes were missed (the stream lagged)"),
            "error" => return Err(event_error(&data)),
            _ => {}
        }
    }
}

pub async fn topics(client: &Client, json: bool) -> Result<(), Failure> {
    let answer = client.get("/topics", &[]).await?;
    if json {
        output::json(&answer);
        return Ok(());
    }
    let topics: Vec<Topic> = output::typed(&answer, "the topics")?;
    let mut table = Table::new(vec!["TOPIC", "SUBSCRIBERS"]);
    for topic in &topics {
        table.row(vec![topic.name.as_str().into(), topic.subscribers.join(", ").into()]);
    }
    table.print("no topic has a subscriber");
    Ok(())
}
