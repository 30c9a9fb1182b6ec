//! `models`, `models pull`, `models rm`, and `alerts`. Pull progress is the
//! engine's `PullProgress` (Ollama's pull lines); the model list is read as
//! JSON by field name.

use std::time::Duration;

use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::Method;
use serde_json::{json, Value};
use sutazai_engine::alerts::model::Alert;
use sutazai_engine::llm::model::PullProgress;

use crate::cli::ModelCommand;
use crate::client::{Client, Failure};
use crate::fleet::{event_error, segment};
use crate::output::{self, field, or_dash, Cell, Table};

pub async fn run(client: &Client, command: Option<&ModelCommand>, json: bool) -> Result<(), Failure> {
    match command {
        None => list(client, json).await,
        Some(ModelCommand::Pull { name }) => pull(client, name, json).await,
        Some(ModelCommand::Rm { name }) => {
            let path = format!("/models/{}", segment(name));
            let answer = client
                .send_json(Method::DELETE, &path, &[], None, Duration::from_secs(60))
                .await?;
            if json {
                output::json(&answer);
            } else {
                crate::out!("removed {name}");
            }
            Ok(())
        }
    }
}

async fn list(client: &Client, json: bool) -> Result<(), Failure> {
    let answer = client.get("/models", &[]).await?;
    if json {
        output::json(&answer);
        return Ok(());
    }
    // A list of models, or an object that holds one under `models`.
    let models = answer.get("models").unwrap_or(&answer);
    let mut table = Table::new(vec!["NAME", "SIZE", "FAMILY", "PARAMS", "QUANT"]);
    for model in models.as_array().into_iter().flatten() {
        let size = model.get("size").and_then(Value::as_u64);
        table.row(vec![
            field(model, "name").into(),
            size.map_or_else(|| "-".into(), |s| indicatif::HumanBytes(s).to_string())
                .into(),
            field(model, "family").into(),
            field(model, "parameterSize").into(),
            field(model, "quantizationLevel").into(),
        ]);
    }
    table.print("no model installed: pull one with `sutazai-headless models pull <name>`");
    Ok(())
}

/// Pulls with a byte bar per layer; Ctrl-C cancels the pull in the engine.
async fn pull(client: &Client, name: &str, json: bool) -> Result<(), Failure> {
    let mut events = client
        .events(Method::POST, "/models/pull", &[], Some(&json!({"name": name})))
        .await?;
    let bar = if json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    let style = ProgressStyle::with_template("{msg:30} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    bar.set_style(style);
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            _ = tokio::signal::ctrl_c() => {
                bar.abandon();
                let path = format!("/models/pull/{}", segment(name));
                client.send_json(Method::DELETE, &path, &[], None, Duration::ZERO).await?;
                return Err(Failure::Interrupted(format!("cancelled the pull of {name}")));
            }
        };
        let Some(event) = event else {
            return Err(Failure::Local(
                "the pull's event stream ended before it was done".into(),
            ));
        };
        let (kind, data) = event?;
        match kind.as_str() {
            "progress" => {
                let progress: PullProgress = serde_json::from_str(&data)
                    .map_err(|err| Failure::Local(format!("a pull progress event is not Ollama's shape: {err}")))?;
                if let Some(total) = progress.total {
                    bar.set_length(total);
                }
                bar.set_position(progress.completed.unwrap_or(0));
                bar.set_message(progress.status);
            }
            "done" => {
                bar.finish_and_clear();
                let done: Value = serde_json::from_str(&data).unwrap_or(Value::String(data));
                if json {
                    output::json(&done);
                } else {
                    crate::out!("pulled {name}");
                }
                return Ok(());
            }
            "error" => {
                bar.abandon();
                return Err(event_error(&data));
            }
            _ => {}
        }
    }
}

pub async fn alerts(client: &Client, open: bool, json: bool) -> Result<(), Failure> {
    let query: Vec<(&str, String)> = if open {
        vec![("state", "open".into())]
    } else {
        Vec::new()
    };
    let answer = client.get("/alerts", &query).await?;
    if json {
        output::json(&answer);
        return Ok(());
    }
    let alerts: Vec<Alert> = output::typed(&answer, "a list of alerts")?;
    let mut table = Table::new(vec!["ID", "SEVERITY", "STATE", "NAME", "SUBJECT", "DETAIL"]);
    for alert in &alerts {
        let severity = serde_json::to_value(alert.severity).unwrap_or(Value::Null);
        let state = match (alert.resolved_ms, alert.acked_ms) {
            (Some(_), _) => "resolved",
            (None, Some(_)) => "acked",
            (None, None) => "firing",
        };
        table.row(vec![
            alert.id.to_string().into(),
            Cell::status(&output::scalar(&severity)),
            Cell::status(state),
            alert.name.as_str().into(),
            or_dash(alert.subject.as_deref()).into(),
            or_dash(alert.detail.as_deref()).into(),
        ]);
    }
    table.print(if open { "no open alert" } else { "no alert kept" });
    Ok(())
}
