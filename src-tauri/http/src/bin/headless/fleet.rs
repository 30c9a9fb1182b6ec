//! The fleet commands: status, agents, control, logs, stats, phases and
//! deploys. The fleet's answer types are the engine's (`AgentRow`,
//! `DeployEvent`, `DeployReport`, …) but serialise only, so they are read
//! here as JSON values by their documented field names.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use reqwest::Method;
use serde_json::{json, Value};

use crate::cli::{AgentFilter, Deploy, Logs, PhaseChoice};
use crate::client::{error_of, Client, Failure};
use crate::output::{self, field, Cell, Table};

pub async fn status(client: &Client, json: bool) -> Result<(), Failure> {
    let status = client.get("/status", &[]).await?;
    show(&status, json);
    Ok(())
}

pub async fn agents(client: &Client, filter: &AgentFilter, json: bool) -> Result<(), Failure> {
    let mut query = Vec::new();
    if let Some(status) = &filter.status {
        query.push(("status", status.clone()));
    }
    if let Some(capability) = &filter.capability {
        query.push(("capability", capability.clone()));
    }
    if let Some(phase) = filter.phase {
        query.push(("phase", phase.to_string()));
    }
    let mut agents = client.get("/agents", &query).await?;
    // The engine filters; so does this, for an engine from before filters.
    if let Some(rows) = agents.as_array_mut() {
        rows.retain(|agent| matches(agent, filter));
    }
    if json {
        output::json(&agents);
        return Ok(());
    }
    let mut table = Table::new(vec!["ID", "NAME", "PHASE", "STATUS", "INST", "PORT", "CAPABILITIES"]);
    for agent in agents.as_array().into_iter().flatten() {
        table.row(vec![
            field(agent, "id").into(),
            field(agent, "name").into(),
            field(agent, "phase").into(),
            Cell::status(&field(agent, "status")),
            field(agent, "instances").into(),
            field(agent, "port").into(),
            list(agent.get("capabilities")).into(),
        ]);
    }
    table.print("no agent matches");
    Ok(())
}

/// Whether `agent` passes every filter given.
fn matches(agent: &Value, filter: &AgentFilter) -> bool {
    let status = field(agent, "status");
    let status_ok = filter
        .status
        .as_deref()
        .is_none_or(|wanted| wanted.split(',').any(|w| w.trim() == status));
    let capability_ok = filter.capability.as_deref().is_none_or(|wanted| {
        agent
            .get("capabilities")
            .and_then(Value::as_array)
            .is_some_and(|caps| caps.iter().any(|c| c.as_str() == Some(wanted)))
    });
    let phase_ok = filter
        .phase
        .is_none_or(|wanted| agent.get("phase").and_then(Value::as_u64) == Some(u64::from(wanted)));
    status_ok && capability_ok && phase_ok
}

fn list(value: Option<&Value>) -> String {
    let items: Vec<String> = value
        .and_then(Value::as_array)
        .map(|items| items.iter().map(output::scalar).collect())
        .unwrap_or_default();
    items.join(",")
}

pub async fn agent(client: &Client, id: &str, json: bool) -> Result<(), Failure> {
    let agent = client.get(&format!("/agents/{}", segment(id)), &[]).await?;
    show(&agent, json);
    Ok(())
}

/// `start`, `stop`, `restart`, `remove` or (with `instances`) `scale`.
pub async fn control(
    client: &Client,
    id: &str,
    action: &str,
    instances: Option<u32>,
    json: bool,
) -> Result<(), Failure> {
    let mut body = json!({"action": action});
    if let Some(n) = instances {
        body["instances"] = json!(n);
    }
    let path = format!("/agents/{}/control", segment(id));
    let answer = client
        .send_json(Method::POST, &path, &[], Some(&body), Duration::from_secs(120))
        .await?;
    show(&answer, json);
    let failed = answer
        .get("failed")
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty());
    if failed {
        return Err(Failure::Ended(format!("{action} {id}: some instances failed")));
    }
    Ok(())
}

pub async fn logs(client: &Client, args: &Logs, json: bool) -> Result<(), Failure> {
    let path = format!("/agents/{}/logs", segment(&args.id));
    let tail = ("tail", args.tail.to_string());
    if !args.follow {
        let text = client.get_text(&path, &[tail]).await?;
        if json {
            output::json(&json!({"text": text}));
        } else {
            crate::output::write(format_args!("{text}"));
        }
        return Ok(());
    }
    let mut events = client
        .events(Method::GET, &path, &[tail, ("follow", "true".into())], None)
        .await?;
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let Some(event) = event else { return Ok(()) };
        let (name, data) = event?;
        match name.as_str() {
            "log" => {
                let chunk: Value = serde_json::from_str(&data).unwrap_or(Value::String(data));
                if json {
                    // One JSON document per chunk: a stream has no end to wait for.
                    crate::out!("{chunk}");
                } else {
                    let text = chunk.get("text").and_then(Value::as_str).unwrap_or_default();
                    crate::output::write(format_args!("{text}"));
                }
            }
            "error" => return Err(event_error(&data)),
            _ => {}
        }
    }
}

pub async fn stats(client: &Client, json: bool) -> Result<(), Failure> {
    let stats = client.get("/fleet/stats", &[]).await?;
    if json {
        output::json(&stats);
        return Ok(());
    }
    let mut table = Table::new(vec!["AGENT", "INST", "CPU%", "MEMORY", "LIMIT", "NET RX/s", "NET TX/s"]);
    for row in stats.as_array().into_iter().flatten() {
        table.row(vec![
            field(row, "agentId").into(),
            field(row, "instance").into(),
            number(row, "cpuPercent", |v| format!("{v:.1}")).into(),
            number(row, "memoryBytes", mib).into(),
            number(row, "memoryLimitBytes", mib).into(),
            number(row, "netRxPerS", bytes_rate).into(),
            number(row, "netTxPerS", bytes_rate).into(),
        ]);
    }
    table.print("no agent container runs");
    Ok(())
}

fn number(row: &Value, key: &str, shown: impl Fn(f64) -> String) -> String {
    row.get(key).and_then(Value::as_f64).map_or_else(|| "-".into(), shown)
}

fn mib(bytes: f64) -> String {
    format!("{:.0} MiB", bytes / (1024.0 * 1024.0))
}

fn bytes_rate(bytes: f64) -> String {
    indicatif::HumanBytes(bytes as u64).to_string()
}

pub async fn phases(client: &Client, json: bool) -> Result<(), Failure> {
    let phases = client.get("/phases", &[]).await?;
    if json {
        output::json(&phases);
        return Ok(());
    }
    let mut table = Table::new(vec![
        "PHASE",
        "AGENTS",
        "DEPLOYED",
        "HEALTHY",
        "MEMORY NEEDED",
        "AVAILABLE",
    ]);
    for phase in phases.as_array().into_iter().flatten() {
        table.row(vec![
            field(phase, "phase").into(),
            field(phase, "agents").into(),
            field(phase, "deployed").into(),
            field(phase, "healthy").into(),
            format!("{} MB", field(phase, "memoryNeededMb")).into(),
            format!("{} MB", field(phase, "memoryAvailableMb")).into(),
        ]);
    }
    table.print("the catalog has no phase");
    Ok(())
}

pub async fn undeploy(client: &Client, phase: u8, json: bool) -> Result<(), Failure> {
    let answer = client
        .send_json(
            Method::POST,
            &format!("/phases/{phase}/undeploy"),
            &[],
            None,
            Duration::from_secs(120),
        )
        .await?;
    if json {
        output::json(&answer);
    } else {
        crate::out!("phase {phase}: removed {} containers", field(&answer, "removed"));
    }
    Ok(())
}

/// Deploys with a bar per phase counting its agents healthy (or
/// unchanged); `--json` prints only the summary. Exit 5 when an agent
/// failed.
pub async fn deploy(client: &Client, args: &Deploy, json: bool) -> Result<(), Failure> {
    let path = match args.phase {
        PhaseChoice::One(n) => format!("/phases/{n}/deploy"),
        PhaseChoice::All => "/infrastructure/deploy-all".to_string(),
    };
    let policy = if args.keep { "keep_healthy" } else { "roll_back" };
    let body = json!({"onFailure": policy});
    let mut events = client.events(Method::POST, &path, &[], Some(&body)).await?;
    let bars = MultiProgress::new();
    if json {
        bars.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut phases: BTreeMap<u64, ProgressBar> = BTreeMap::new();
    loop {
        let event = tokio::select! {
            event = events.next() => event,
            _ = tokio::signal::ctrl_c() => {
                return Err(Failure::Interrupted(
                    "stopped watching; the deploy goes on in the engine (`sutazai-headless phases` shows it)".into(),
                ))
            }
        };
        let Some(event) = event else {
            return Err(Failure::Local(
                "the deploy's event stream ended before its summary".into(),
            ));
        };
        let (name, data) = event?;
        let value: Value = serde_json::from_str(&data)
            .map_err(|err| Failure::Local(format!("a `{name}` event is not JSON: {err}")))?;
        match name.as_str() {
            "progress" => progress(&bars, &mut phases, &value),
            "done" => {
                for bar in phases.values() {
                    bar.finish();
                }
                return summary(&value, json);
            }
            "error" => return Err(event_error(&data)),
            _ => {}
        }
    }
}

/// One `DeployEvent`: `started` makes the phase's bar, `agent` moves it.
fn progress(bars: &MultiProgress, phases: &mut BTreeMap<u64, ProgressBar>, event: &Value) {
    let phase = event.get("phase").and_then(Value::as_u64).unwrap_or(0);
    match event.get("kind").and_then(Value::as_str) {
        Some("started") => {
            let agents = event.get("agents").and_then(Value::as_array).map_or(0, Vec::len);
            let bar = bars.add(ProgressBar::new(agents as u64));
            let style = ProgressStyle::with_template("phase {prefix} [{bar:30}] {pos}/{len} healthy  {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(phase.to_string());
            if let Some(warning) = event.get("warning").and_then(Value::as_str) {
                let _ = bars.println(format!("phase {phase}: {warning}"));
            }
            phases.insert(phase, bar);
        }
        Some("agent") => {
            let Some(bar) = phases.get(&phase) else { return };
            let agent = field(event, "agentId");
            let stage = field(event, "stage");
            match stage.as_str() {
                "healthy" | "unchanged" => bar.inc(1),
                "failed" => {
                    let reason = field(event, "reason");
                    let _ = bars.println(format!("{agent} failed: {reason}"));
                }
                _ => {}
            }
            bar.set_message(format!("{agent} {stage}"));
        }
        _ => {}
    }
}

/// The `done` event: one `DeployReport`, or `{"phases": [...]}` for all.
fn summary(done: &Value, json: bool) -> Result<(), Failure> {
    if json {
        output::json(done);
    }
    let reports: Vec<&Value> = match done.get("phases").and_then(Value::as_array) {
        Some(phases) => phases.iter().collect(),
        None => vec![done],
    };
    let mut failed = Vec::new();
    for report in reports {
        let phase = field(report, "phase");
        if !json {
            let elapsed = report.get("elapsedMs").and_then(Value::as_i64).unwrap_or(0);
            crate::out!(
                "phase {phase}: {} of {} healthy ({} unchanged){} in {}",
                field(report, "healthy"),
                field(report, "total"),
                field(report, "unchanged"),
                if report.get("rolledBack") == Some(&Value::Bool(true)) {
                    ", rolled back"
                } else {
                    ""
                },
                output::millis(elapsed)
            );
        }
        for agent in report.get("failed").and_then(Value::as_array).into_iter().flatten() {
            failed.push(format!("{}: {}", field(agent, "agentId"), field(agent, "reason")));
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Failure::Ended(format!("the deploy failed for {}", failed.join("; "))))
    }
}

/// An `error` event's `{"error": {"code", "message"}}` as a failure.
pub fn event_error(data: &str) -> Failure {
    let value: Value = serde_json::from_str(data).unwrap_or(Value::Null);
    match error_of(&value) {
        Some((code, message)) => Failure::Ended(format!("{code}: {message}")),
        None => Failure::Ended(format!("the engine said: {data}")),
    }
}

/// An object as `key: value` lines, or JSON.
pub fn show(value: &Value, json: bool) {
    if json {
        output::json(value);
    } else {
        output::fields(value);
    }
}

/// `text` safe as one path segment (ids are plain, names of models may
/// hold `/` or `:`).
pub fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::sse::{Event, Sse};
    use axum::routing::{get, post};
    use futures::stream;
    use std::convert::Infallible;

    /// A server that answers a deploy as the engine's API does: `progress`
    /// events (the engine's `DeployEvent`), then `done` with the report.
    async fn server(report: Value) -> Client {
        let events = move || {
            let report = report.clone();
            async move {
                let progress = [
                    json!({"kind": "started", "phase": 1, "agents": ["AG-001", "AG-002"],
                           "memoryNeededMb": 512, "memoryAvailableMb": 4096, "warning": null}),
                    json!({"kind": "agent", "phase": 1, "agentId": "AG-001", "stage": "healthy",
                           "reason": null, "elapsedMs": 5}),
                    json!({"kind": "agent", "phase": 1, "agentId": "AG-002", "stage": "failed",
                           "reason": "no image", "elapsedMs": 6}),
                ];
                let mut all: Vec<Event> = progress
                    .iter()
                    .map(|p| Event::default().event("progress").data(p.to_string()))
                    .collect();
                all.push(Event::default().event("done").data(report.to_string()));
                Sse::new(stream::iter(all.into_iter().map(Ok::<_, Infallible>)))
            }
        };
        let logs = || async {
            let chunks = ["line 1\n", "line 2\n"]
                .map(|text| Ok::<_, Infallible>(Event::default().event("log").data(json!({"text": text}).to_string())));
            Sse::new(stream::iter(chunks))
        };
        let app = axum::Router::new()
            .route("/v1/phases/1/deploy", post(events))
            .route("/v1/agents/AG-001/logs", get(logs));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Client::new(&format!("http://{addr}"), "the test".into(), "sk_test".into()).unwrap()
    }

    fn report(failed: Value) -> Value {
        json!({"phase": 1, "total": 2, "healthy": 1, "unchanged": 0, "failed": failed,
               "rolledBack": false, "elapsedMs": 1200})
    }

    #[tokio::test]
    async fn a_deploy_reads_its_events_and_ends_by_its_summary() {
        let args = Deploy {
            phase: PhaseChoice::One(1),
            keep: true,
        };
        let client = server(report(json!([]))).await;
        assert!(deploy(&client, &args, true).await.is_ok());

        let client = server(report(json!([{"agentId": "AG-002", "reason": "no image"}]))).await;
        match deploy(&client, &args, true).await {
            Err(Failure::Ended(message)) => assert!(message.contains("AG-002: no image"), "{message}"),
            other => panic!("expected the deploy to end failed, found {other:?}"),
        }
    }

    #[tokio::test]
    async fn followed_logs_end_with_their_stream() {
        let client = server(report(json!([]))).await;
        let args = Logs {
            id: "AG-001".into(),
            tail: 5,
            follow: true,
        };
        assert!(logs(&client, &args, false).await.is_ok());
    }
}
