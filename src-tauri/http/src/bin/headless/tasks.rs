//! `task …`: submit, list, show, cancel and re-queue, read as the engine's
//! `Task` and `TaskPage`.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use sutazai_engine::orchestrator::model::{Task, TaskPage, TaskStatus};

use crate::cli::{Submit, TaskCommand};
use crate::client::{Client, Failure};
use crate::fleet::{segment, show};
use crate::output::{self, or_dash, Cell, Table};

pub async fn run(client: &Client, command: &TaskCommand, json: bool) -> Result<(), Failure> {
    match command {
        TaskCommand::Submit(submit) => self::submit(client, submit, json).await,
        TaskCommand::List { status } => list(client, status.as_deref(), json).await,
        TaskCommand::Show { id } => {
            let task = client.get(&format!("/tasks/{}", segment(id)), &[]).await?;
            show(&task, json);
            Ok(())
        }
        TaskCommand::Cancel { id } => {
            let path = format!("/tasks/{}", segment(id));
            let task = client
                .send_json(Method::DELETE, &path, &[], None, Duration::ZERO)
                .await?;
            one(&task, json)
        }
        TaskCommand::Requeue { id } => {
            let path = format!("/tasks/{}/requeue", segment(id));
            let task = client.send_json(Method::POST, &path, &[], None, Duration::ZERO).await?;
            one(&task, json)
        }
    }
}

async fn submit(client: &Client, submit: &Submit, json: bool) -> Result<(), Failure> {
    let payload = match &submit.payload {
        Some(text) => read_json(text, "--payload")?,
        None => json!({}),
    };
    let mut body = json!({
        "capability": submit.capability,
        // Seed 001's shape: a task's type is its capability unless said.
        "taskType": submit.task_type.as_deref().unwrap_or(&submit.capability),
        "payload": payload,
    });
    if let Some(agent) = &submit.agent {
        body["agentId"] = json!(agent);
    }
    if let Some(priority) = submit.priority {
        body["priority"] = json!(priority);
    }
    let wait = seconds(submit.wait, "--wait")?;
    let query: Vec<(&str, String)> = wait.map(|w| ("wait", w.as_millis().to_string())).into_iter().collect();
    let answer = client
        .send_json(Method::POST, "/tasks", &query, Some(&body), wait.unwrap_or_default())
        .await?;
    // A held input or a seed-shaped multi-agent task is not a task.
    if answer.get("taskType").is_none() {
        show(&answer, json);
        return Ok(());
    }
    let task: Task = output::typed(&answer, "a task")?;
    if json {
        output::json(&answer);
    } else {
        line(&task);
        if let Some(result) = &task.result {
            crate::out!("{}", serde_json::to_string_pretty(result).unwrap_or_default());
        }
    }
    ended(&task)
}

/// Prints a task changed by cancel or requeue.
fn one(answer: &Value, json: bool) -> Result<(), Failure> {
    if json {
        output::json(answer);
    } else {
        line(&output::typed::<Task>(answer, "a task")?);
    }
    Ok(())
}

fn line(task: &Task) {
    let status = task.status.as_str();
    crate::out!(
        "{}  {}  {}  {}",
        task.id,
        output::paint(status, output::tone_of(status)),
        task.assigned_agent
            .as_deref()
            .or(task.agent_id.as_deref())
            .unwrap_or("-"),
        task.error
            .as_ref()
            .map_or(String::new(), |e| format!("{}: {}", e.code, e.message)),
    );
}

/// Exit 5 for a task that ended without succeeding.
fn ended(task: &Task) -> Result<(), Failure> {
    match task.status {
        TaskStatus::Failed | TaskStatus::Dead | TaskStatus::Cancelled => Err(Failure::Ended(format!(
            "task {} ended {}{}",
            task.id,
            task.status.as_str(),
            task.error
                .as_ref()
                .map_or(String::new(), |e| format!(": {}: {}", e.code, e.message))
        ))),
        _ => Ok(()),
    }
}

async fn list(client: &Client, status: Option<&str>, json: bool) -> Result<(), Failure> {
    let query: Vec<(&str, String)> = status.map(|s| ("status", s.to_string())).into_iter().collect();
    let answer = client.get("/tasks", &query).await?;
    if json {
        output::json(&answer);
        return Ok(());
    }
    let page: TaskPage = output::typed(&answer, "a page of tasks")?;
    let mut table = Table::new(vec!["ID", "STATUS", "CAPABILITY", "TYPE", "AGENT", "TRIES", "ERROR"]);
    for task in &page.tasks {
        table.row(vec![
            task.id.as_str().into(),
            Cell::status(task.status.as_str()),
            or_dash(task.capability.as_deref()).into(),
            task.task_type.as_str().into(),
            or_dash(task.assigned_agent.as_deref()).into(),
            task.attempts.to_string().into(),
            or_dash(task.error_code.as_deref()).into(),
        ]);
    }
    table.print("no task matches");
    if page.total as usize > page.tasks.len() {
        eprintln!("{} of {} shown", page.tasks.len(), page.total);
    }
    Ok(())
}

/// A JSON argument: the text, or the file after `@`.
pub fn read_json(text: &str, flag: &str) -> Result<Value, Failure> {
    let (text, origin) = match text.strip_prefix('@') {
        Some(path) => (
            std::fs::read_to_string(path)
                .map_err(|err| Failure::Local(format!("{flag}: cannot read {path}: {err}")))?,
            path.to_string(),
        ),
        None => (text.to_string(), "the argument".to_string()),
    };
    serde_json::from_str(&text).map_err(|err| Failure::Local(format!("{flag}: {origin} is not JSON: {err}")))
}

/// `--wait` seconds as a duration (at most the API's 300 s).
pub fn seconds(wait: Option<f64>, flag: &str) -> Result<Option<Duration>, Failure> {
    match wait {
        None => Ok(None),
        Some(s) if s.is_finite() && (0.0..=300.0).contains(&s) => Ok(Some(Duration::from_secs_f64(s))),
        Some(s) => Err(Failure::Local(format!("{flag}: 0 to 300 seconds, found {s}"))),
    }
}
