//! `run …` and `workflows`: start, list, show and cancel runs, read as the
//! engine's `Run`, `RunPage` and `Definition`.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Map, Value};
use sutazai_engine::runs::model::{Run, RunStatus};
use sutazai_engine::runs::RunPage;
use sutazai_engine::workflow::Definition;

use crate::cli::{RunCommand, StartRun};
use crate::client::{Client, Failure};
use crate::fleet::segment;
use crate::output::{self, or_dash, Cell, Table};
use crate::tasks::{read_json, seconds};

pub async fn run(client: &Client, command: &RunCommand, json: bool) -> Result<(), Failure> {
    match command {
        RunCommand::Start(start) => self::start(client, start, json).await,
        RunCommand::List { workflow, status } => {
            let mut query = Vec::new();
            if let Some(workflow) = workflow {
                query.push(("workflowId", workflow.clone()));
            }
            if let Some(status) = status {
                query.push(("status", status.clone()));
            }
            list(client, &query, json).await
        }
        RunCommand::Show { id } => {
            let answer = client.get(&format!("/runs/{}", segment(id)), &[]).await?;
            shown(&answer, json)
        }
        RunCommand::Cancel { id } => {
            let path = format!("/runs/{}/cancel", segment(id));
            let answer = client.send_json(Method::POST, &path, &[], None, Duration::ZERO).await?;
            shown(&answer, json)
        }
    }
}

async fn start(client: &Client, start: &StartRun, json: bool) -> Result<(), Failure> {
    let inputs = match &start.inputs {
        Some(text) => match read_json(text, "--inputs")? {
            Value::Object(map) => map,
            other => {
                return Err(Failure::Local(format!(
                    "--inputs: expected a JSON object, found {other}"
                )))
            }
        },
        None => pairs(&start.input)?,
    };
    let wait = seconds(start.wait, "--wait")?;
    let query: Vec<(&str, String)> = wait.map(|w| ("wait", w.as_millis().to_string())).into_iter().collect();
    let path = format!("/workflows/{}/runs", segment(&start.workflow));
    let answer = client
        .send_json(
            Method::POST,
            &path,
            &query,
            Some(&json!({"inputs": inputs})),
            wait.unwrap_or_default(),
        )
        .await?;
    let run: Run = output::typed(&answer, "a run")?;
    if json {
        output::json(&answer);
    } else {
        steps(&run);
    }
    match run.status {
        RunStatus::Failed | RunStatus::Cancelled => Err(Failure::Ended(format!(
            "run {} ended {}{}",
            run.id,
            run.status.as_str(),
            run.error
                .as_ref()
                .map_or(String::new(), |e| format!(": {}: {}", e.code, e.message))
        ))),
        _ => Ok(()),
    }
}

/// `name=value` inputs: the value as JSON when it parses, else as text.
fn pairs(inputs: &[String]) -> Result<Map<String, Value>, Failure> {
    let mut map = Map::new();
    for input in inputs {
        let (name, value) = input
            .split_once('=')
            .ok_or_else(|| Failure::Local(format!("--input: expected name=value, found `{input}`")))?;
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
        map.insert(name.trim().to_string(), value);
    }
    Ok(map)
}

fn shown(answer: &Value, json: bool) -> Result<(), Failure> {
    if json {
        output::json(answer);
    } else {
        steps(&output::typed::<Run>(answer, "a run")?);
    }
    Ok(())
}

/// A run's line, then a line per step.
fn steps(run: &Run) {
    let status = run.status.as_str();
    crate::out!(
        "{}  {} v{}  {}{}",
        run.id,
        run.workflow_id,
        run.version,
        output::paint(status, output::tone_of(status)),
        run.error
            .as_ref()
            .map_or(String::new(), |e| format!("  {}: {}", e.code, e.message))
    );
    let mut table = Table::new(vec!["STEP", "KIND", "STATUS", "ERROR"]);
    for step in &run.steps {
        let status = serde_json::to_value(step.status).unwrap_or(Value::Null);
        table.row(vec![
            step.id.as_str().into(),
            step.kind.as_str().into(),
            Cell::status(&output::scalar(&status)),
            step.error
                .as_ref()
                .map_or_else(|| "-".to_string(), |e| e.code.clone())
                .into(),
        ]);
    }
    table.print("no step started yet");
    if let Some(outputs) = &run.outputs {
        crate::out!("outputs: {}", Value::Object(outputs.clone()));
    }
}

async fn list(client: &Client, query: &[(&str, String)], json: bool) -> Result<(), Failure> {
    let answer = client.get("/runs", query).await?;
    if json {
        output::json(&answer);
        return Ok(());
    }
    let page: RunPage = output::typed(&answer, "a page of runs")?;
    let mut table = Table::new(vec!["ID", "WORKFLOW", "STATUS", "STEPS", "BY", "ERROR"]);
    for run in &page.runs {
        table.row(vec![
            run.id.as_str().into(),
            format!("{} v{}", run.workflow_id, run.version).into(),
            Cell::status(run.status.as_str()),
            format!("{}/{}", run.steps_done, run.steps_total).into(),
            run.started_by.as_str().into(),
            or_dash(run.error_code.as_deref()).into(),
        ]);
    }
    table.print("no run matches");
    Ok(())
}

pub async fn workflows(client: &Client, json: bool) -> Result<(), Failure> {
    let answer = client.get("/workflows", &[]).await?;
    if json {
        output::json(&answer);
        return Ok(());
    }
    let definitions: Vec<Definition> = output::typed(&answer, "a list of workflow definitions")?;
    let mut table = Table::new(vec!["ID", "NAME", "STEPS", "PROBLEMS"]);
    for definition in &definitions {
        let (id, name, steps) = match &definition.workflow {
            Some(w) => (w.id.clone(), w.name.clone(), w.steps.len().to_string()),
            None => (definition.file.clone(), "-".into(), "-".into()),
        };
        let problems = match definition.problems.len() {
            0 => Cell::status("ok"),
            n => Cell::from(format!("{n}")),
        };
        table.row(vec![id.into(), name.into(), steps.into(), problems]);
    }
    table.print("no workflow defined");
    Ok(())
}
