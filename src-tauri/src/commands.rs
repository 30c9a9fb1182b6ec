//! Tauri commands: adapters of one line each over the engine.

use sutazai_engine::alerts::model::{Alert, AlertNotice, AlertQuery, AlertRules, Silence};
use sutazai_engine::alerts::rules::Rule;
use sutazai_engine::bus::model::{Message, MessageDetail, MessagePage, MessageQuery, NewMessage, Topic};
use sutazai_engine::catalog::{CapabilityInfo, CatalogSummary};
use sutazai_engine::engine::{Chart, ChartRequest, MetricsCatalog};
use sutazai_engine::error::ErrorBody;
use sutazai_engine::fleet::autoscale::AutoscalePolicy;
use sutazai_engine::fleet::model::{
    AgentAction, AgentRow, DeployReport, FailurePolicy, HistoryEntry, PhaseSummary, ScaleReport, Stray,
};
use sutazai_engine::fleet::stats::ContainerStats;
use sutazai_engine::llm::model::PullProgress;
use sutazai_engine::llm::models::ModelsOverview;
use sutazai_engine::llm::serve::OllamaStarted;
use sutazai_engine::llm::usage::GatewayStats;
use sutazai_engine::metrics::{MetricsQuery, MetricsReading};
use sutazai_engine::orchestrator::model::{NewTask, Task, TaskPage, TaskQuery};
use sutazai_engine::runs::model::{NewRun, Run, RunQuery};
use sutazai_engine::runs::preflight::Warning;
use sutazai_engine::runs::RunPage;
use sutazai_engine::security::audit::AuditEntry;
use sutazai_engine::security::container_audit::ContainerAudit;
use sutazai_engine::security::keys::{ApiKeyInfo, CreatedKey};
use sutazai_engine::security::rate::ClientRate;
use sutazai_engine::security::threats::Threat;
use sutazai_engine::security::{Principal, Role};
use sutazai_engine::workflow::files::{Naming, Template, WorkflowImport};
use sutazai_engine::workflow::model::Workflow;
use sutazai_engine::workflow::versions::{Change, Draft, VersionInfo};
use sutazai_engine::workflow::{Definition, SavedVersion, WorkflowProblem};
use sutazai_engine::{ConfigReport, EngineStatus};
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};

use crate::state::Shell;

/// The latest known status of Docker, Ollama and the data dir.
#[tauri::command]
pub fn engine_status(shell: State<'_, Shell>) -> Result<EngineStatus, ErrorBody> {
    Ok(shell.engine()?.status())
}

/// Checks Docker and Ollama now and returns the result.
#[tauri::command]
pub async fn refresh_status(shell: State<'_, Shell>) -> Result<EngineStatus, ErrorBody> {
    Ok(shell.engine()?.refresh_status().await)
}

/// The effective configuration, where each value came from, and any problems.
#[tauri::command]
pub fn config_report(shell: State<'_, Shell>) -> ConfigReport {
    shell.report.clone()
}

/// How many agents the catalog holds, by phase, and which files it refused.
#[tauri::command]
pub fn catalog_summary(shell: State<'_, Shell>) -> Result<CatalogSummary, ErrorBody> {
    Ok(shell.engine()?.catalog().summary())
}

/// Every catalog agent with its container's live status.
#[tauri::command]
pub async fn list_agents(shell: State<'_, Shell>) -> Result<Vec<AgentRow>, ErrorBody> {
    Ok(shell.engine()?.agents().await)
}

/// One card per phase for the Deploy view.
#[tauri::command]
pub async fn phase_summaries(shell: State<'_, Shell>) -> Result<Vec<PhaseSummary>, ErrorBody> {
    Ok(shell.engine()?.phases().await)
}

/// Deploys a whole phase; progress arrives as `deploy-progress` events.
#[tauri::command]
pub async fn deploy_phase<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    phase: u8,
    policy: FailurePolicy,
) -> Result<DeployReport, ErrorBody> {
    let progress = move |event| crate::events::DEPLOY_PROGRESS.emit(&app, event);
    shell
        .engine()?
        .deploy_phase(phase, policy, &Principal::Desktop, progress)
        .await
        .map_err(|e| (&e).into())
}

/// Removes every container of a phase.
#[tauri::command]
pub async fn undeploy_phase(shell: State<'_, Shell>, phase: u8) -> Result<u32, ErrorBody> {
    shell
        .engine()?
        .undeploy_phase(phase, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Start, stop, restart or remove one agent.
#[tauri::command]
pub async fn agent_action(shell: State<'_, Shell>, agent_id: String, action: AgentAction) -> Result<(), ErrorBody> {
    shell
        .engine()?
        .agent_action(&agent_id, action, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// The last `tail` lines of an agent's log.
#[tauri::command]
pub async fn agent_logs(shell: State<'_, Shell>, agent_id: String, tail: u32) -> Result<String, ErrorBody> {
    shell
        .engine()?
        .agent_logs(&agent_id, tail)
        .await
        .map_err(|e| (&e).into())
}

/// Runs an agent as exactly `instances` containers.
#[tauri::command]
pub async fn scale_agent(shell: State<'_, Shell>, agent_id: String, instances: u32) -> Result<ScaleReport, ErrorBody> {
    shell
        .engine()?
        .scale_agent(&agent_id, instances, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// The agent's auto-scaling policy, if one is set.
#[tauri::command]
pub async fn autoscale_policy(shell: State<'_, Shell>, agent_id: String) -> Result<Option<AutoscalePolicy>, ErrorBody> {
    shell
        .engine()?
        .autoscale_policy(&agent_id)
        .await
        .map_err(|e| (&e).into())
}

/// Sets the agent's auto-scaling policy, or turns it off (`null`).
#[tauri::command]
pub async fn set_autoscale_policy(
    shell: State<'_, Shell>,
    agent_id: String,
    policy: Option<AutoscalePolicy>,
) -> Result<(), ErrorBody> {
    shell
        .engine()?
        .set_autoscale_policy(&agent_id, policy, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// CPU, memory and network of every running agent container, now.
#[tauri::command]
pub async fn fleet_stats(shell: State<'_, Shell>) -> Result<Vec<ContainerStats>, ErrorBody> {
    shell.engine()?.fleet_stats().await.map_err(|e| (&e).into())
}

/// Containers with the app's label that no catalog agent accounts for.
#[tauri::command]
pub async fn fleet_strays(shell: State<'_, Shell>) -> Result<Vec<Stray>, ErrorBody> {
    shell.engine()?.strays().await.map_err(|e| (&e).into())
}

/// An agent's history, newest first.
#[tauri::command]
pub async fn agent_history(shell: State<'_, Shell>, agent_id: String) -> Result<Vec<HistoryEntry>, ErrorBody> {
    shell
        .engine()?
        .agent_history(&agent_id, 200)
        .await
        .map_err(|e| (&e).into())
}

/// Streams an agent's log to `on_chunk` (the last `tail` lines, then every
/// new one) until `stop_logs` with the returned id.
#[tauri::command]
pub async fn follow_logs(
    shell: State<'_, Shell>,
    agent_id: String,
    tail: u32,
    on_chunk: Channel<String>,
) -> Result<u32, ErrorBody> {
    let stream = shell
        .engine()?
        .follow_logs(&agent_id, tail)
        .await
        .map_err(|e| ErrorBody::from(&e))?;
    Ok(shell.follows.start(stream, move |chunk| on_chunk.send(chunk).is_ok()))
}

/// Ends a `follow_logs` stream.
#[tauri::command]
pub fn stop_logs(shell: State<'_, Shell>, follow_id: u32) {
    shell.follows.stop(follow_id);
}

/// Every capability with the agents that have it and the task types they know.
#[tauri::command]
pub fn list_capabilities(shell: State<'_, Shell>) -> Result<Vec<CapabilityInfo>, ErrorBody> {
    Ok(shell.engine()?.catalog().capabilities())
}

/// Submits a task as the person at the desktop; committed before it returns.
#[tauri::command]
pub async fn submit_task(shell: State<'_, Shell>, task: NewTask) -> Result<Task, ErrorBody> {
    shell
        .engine()?
        .submit_task(task, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// One page of tasks, newest first, with the counts per status.
#[tauri::command]
pub async fn list_tasks(shell: State<'_, Shell>, query: TaskQuery) -> Result<TaskPage, ErrorBody> {
    shell.engine()?.tasks(query).await.map_err(|e| (&e).into())
}

/// One task whole: payload, routing decision, attempts, result.
#[tauri::command]
pub async fn get_task(shell: State<'_, Shell>, task_id: String) -> Result<Task, ErrorBody> {
    shell.engine()?.task(&task_id).await.map_err(|e| (&e).into())
}

/// Cancels a task that has not ended.
#[tauri::command]
pub async fn cancel_task(shell: State<'_, Shell>, task_id: String) -> Result<Task, ErrorBody> {
    shell
        .engine()?
        .cancel_task(&task_id, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Queues a dead, failed or cancelled task again.
#[tauri::command]
pub async fn requeue_task(shell: State<'_, Shell>, task_id: String) -> Result<Task, ErrorBody> {
    shell
        .engine()?
        .requeue_task(&task_id, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Every API key, newest first, revoked ones too (never the keys themselves).
#[tauri::command]
pub async fn list_api_keys(shell: State<'_, Shell>) -> Result<Vec<ApiKeyInfo>, ErrorBody> {
    shell.engine()?.api_keys().await.map_err(|e| (&e).into())
}

/// Makes an API key; the answer holds the key, which is never shown again.
#[tauri::command]
pub async fn create_api_key(shell: State<'_, Shell>, name: String, role: Role) -> Result<CreatedKey, ErrorBody> {
    shell
        .engine()?
        .create_api_key(&name, role, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Revokes an API key; it stops working at once.
#[tauri::command]
pub async fn revoke_api_key(shell: State<'_, Shell>, key_id: i64) -> Result<ApiKeyInfo, ErrorBody> {
    shell
        .engine()?
        .revoke_api_key(key_id, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// The newest `limit` entries of the audit log (at most 1,000): who did
/// what, from where, when, and how it ended.
#[tauri::command]
pub async fn audit_log(shell: State<'_, Shell>, limit: u32) -> Result<Vec<AuditEntry>, ErrorBody> {
    shell.engine()?.audit_log(limit).await.map_err(|e| (&e).into())
}

/// Ollama's status and models, the agents using each, and unserved agents.
#[tauri::command]
pub async fn list_models(shell: State<'_, Shell>) -> Result<ModelsOverview, ErrorBody> {
    Ok(shell.engine()?.models().await)
}

/// Pulls a model, streaming Ollama's progress to `on_progress`; ends at
/// success, an error, or `cancel_pull`.
#[tauri::command]
pub async fn pull_model(
    shell: State<'_, Shell>,
    name: String,
    on_progress: Channel<PullProgress>,
) -> Result<(), ErrorBody> {
    shell
        .engine()?
        .pull_model(&name, &Principal::Desktop, |line| drop(on_progress.send(line)))
        .await
        .map_err(|e| (&e).into())
}

/// Cancels the pull of a model; false when none runs.
#[tauri::command]
pub fn cancel_pull(shell: State<'_, Shell>, name: String) -> Result<bool, ErrorBody> {
    Ok(shell.engine()?.cancel_pull(&name))
}

/// Deletes an installed model from Ollama.
#[tauri::command]
pub async fn delete_model(shell: State<'_, Shell>, name: String) -> Result<(), ErrorBody> {
    shell
        .engine()?
        .delete_model(&name, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Starts the installed `ollama serve` (the program on PATH, serving at the
/// configured URL). No parameters: nothing from the UI reaches the process.
#[tauri::command]
pub async fn start_ollama(shell: State<'_, Shell>) -> Result<OllamaStarted, ErrorBody> {
    shell
        .engine()?
        .start_ollama(&Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// What the LLM gateway counted: per caller and model, per model, per caller.
#[tauri::command]
pub fn gateway_stats(shell: State<'_, Shell>) -> Result<GatewayStats, ErrorBody> {
    Ok(shell.engine()?.gateway_stats())
}

/// Every definition in the workflows folder, valid or not, with its problems.
#[tauri::command]
pub fn list_workflows(shell: State<'_, Shell>) -> Result<Vec<Definition>, ErrorBody> {
    Ok(shell.engine()?.workflows())
}

/// One definition, valid or not.
#[tauri::command]
pub fn get_workflow(shell: State<'_, Shell>, workflow_id: String) -> Result<Definition, ErrorBody> {
    shell.engine()?.workflow(&workflow_id).map_err(|e| (&e).into())
}

/// The workflow templates shipped with the app (the new workflow gallery).
#[tauri::command]
pub fn workflow_templates(shell: State<'_, Shell>) -> Result<Vec<Template>, ErrorBody> {
    Ok(shell.engine()?.workflow_templates())
}

/// Saves a new workflow as its first version; refused when its id is taken.
#[tauri::command]
pub async fn create_workflow(shell: State<'_, Shell>, workflow: Workflow) -> Result<SavedVersion, ErrorBody> {
    shell
        .engine()?
        .create_workflow(&workflow, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// A new workflow from a shipped template, under the id and name given.
#[tauri::command]
pub async fn create_from_template(
    shell: State<'_, Shell>,
    template_id: String,
    naming: Naming,
) -> Result<SavedVersion, ErrorBody> {
    shell
        .engine()?
        .create_from_template(&template_id, &naming, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// A copy of a workflow under a new id and name.
#[tauri::command]
pub async fn duplicate_workflow(
    shell: State<'_, Shell>,
    workflow_id: String,
    naming: Naming,
) -> Result<SavedVersion, ErrorBody> {
    shell
        .engine()?
        .duplicate_workflow(&workflow_id, &naming, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Renames a workflow: its name, and its id (file) when that differs.
#[tauri::command]
pub async fn rename_workflow(
    shell: State<'_, Shell>,
    workflow_id: String,
    naming: Naming,
) -> Result<SavedVersion, ErrorBody> {
    shell
        .engine()?
        .rename_workflow(&workflow_id, &naming, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Shows the open dialog and reads the file chosen (nothing is saved:
/// the UI creates it, as a copy when its id is taken); none when cancelled.
#[tauri::command]
pub async fn import_workflow_file<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
) -> Result<Option<WorkflowImport>, ErrorBody> {
    let engine = shell.engine()?;
    let Some(path) = crate::dialog::choose_open(&app, &crate::dialog::WORKFLOW_IMPORT).await else {
        return Ok(None);
    };
    engine
        .read_workflow_import(&path)
        .await
        .map(Some)
        .map_err(|e| (&e).into())
}

/// Shows the save dialog and writes the workflow's file where the person
/// chose; the path written, or none when cancelled.
#[tauri::command]
pub async fn export_workflow_file<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    workflow_id: String,
) -> Result<Option<String>, ErrorBody> {
    let engine = shell.engine()?;
    let Some(path) =
        crate::dialog::choose_save(&app, &crate::dialog::WORKFLOW_EXPORT, &format!("{workflow_id}.json")).await
    else {
        return Ok(None);
    };
    engine
        .export_workflow(&workflow_id, &path, &Principal::Desktop)
        .await
        .map(|()| Some(path.display().to_string()))
        .map_err(|e| (&e).into())
}

/// Saves a definition as the version after `base` (none for a new one); a
/// conflict when a newer version was saved since.
#[tauri::command]
pub async fn save_workflow(
    shell: State<'_, Shell>,
    workflow: Workflow,
    base: Option<u32>,
) -> Result<SavedVersion, ErrorBody> {
    shell
        .engine()?
        .save_workflow(&workflow, base, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Removes a definition's file and its unsaved draft; its versions stay
/// (its runs are drawn with them).
#[tauri::command]
pub async fn delete_workflow(shell: State<'_, Shell>, workflow_id: String) -> Result<(), ErrorBody> {
    shell
        .engine()?
        .delete_workflow(&workflow_id, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Every problem of a definition, without saving it.
#[tauri::command]
pub fn validate_workflow(shell: State<'_, Shell>, workflow: Workflow) -> Result<Vec<WorkflowProblem>, ErrorBody> {
    Ok(shell.engine()?.validate_workflow(&workflow))
}

/// Every saved version of a definition, newest first.
#[tauri::command]
pub async fn workflow_versions(shell: State<'_, Shell>, workflow_id: String) -> Result<Vec<VersionInfo>, ErrorBody> {
    shell
        .engine()?
        .workflow_versions(&workflow_id)
        .await
        .map_err(|e| (&e).into())
}

/// One saved version of a definition.
#[tauri::command]
pub async fn workflow_version(
    shell: State<'_, Shell>,
    workflow_id: String,
    version: u32,
) -> Result<Workflow, ErrorBody> {
    shell
        .engine()?
        .workflow_version(&workflow_id, version)
        .await
        .map_err(|e| (&e).into())
}

/// Keeps the designer's current edit of a workflow (at every change).
#[tauri::command]
pub async fn save_draft(shell: State<'_, Shell>, workflow: Workflow, base: Option<u32>) -> Result<(), ErrorBody> {
    shell
        .engine()?
        .save_draft(&workflow, base)
        .await
        .map_err(|e| (&e).into())
}

/// The designer's unsaved edit of a workflow, if it left one.
#[tauri::command]
pub async fn get_draft(shell: State<'_, Shell>, workflow_id: String) -> Result<Option<Draft>, ErrorBody> {
    shell.engine()?.draft(&workflow_id).await.map_err(|e| (&e).into())
}

/// Throws the designer's unsaved edit of a workflow away.
#[tauri::command]
pub async fn discard_draft(shell: State<'_, Shell>, workflow_id: String) -> Result<(), ErrorBody> {
    shell
        .engine()?
        .discard_draft(&workflow_id)
        .await
        .map_err(|e| (&e).into())
}

/// What changed from version `from` to version `to` of a definition.
#[tauri::command]
pub async fn diff_workflow(
    shell: State<'_, Shell>,
    workflow_id: String,
    from: u32,
    to: u32,
) -> Result<Vec<Change>, ErrorBody> {
    shell
        .engine()?
        .workflow_diff(&workflow_id, from, to)
        .await
        .map_err(|e| (&e).into())
}

/// Saves an earlier version again, as the newest.
#[tauri::command]
pub async fn restore_workflow(
    shell: State<'_, Shell>,
    workflow_id: String,
    version: u32,
) -> Result<SavedVersion, ErrorBody> {
    shell
        .engine()?
        .restore_workflow(&workflow_id, version, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// What would make the definition's steps fail or wait right now.
#[tauri::command]
pub async fn preflight_workflow(shell: State<'_, Shell>, workflow_id: String) -> Result<Vec<Warning>, ErrorBody> {
    shell
        .engine()?
        .preflight_workflow(&workflow_id)
        .await
        .map_err(|e| (&e).into())
}

/// Starts a run of a definition; committed before it returns.
#[tauri::command]
pub async fn start_run(shell: State<'_, Shell>, workflow_id: String, run: NewRun) -> Result<Run, ErrorBody> {
    shell
        .engine()?
        .start_run(&workflow_id, run, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// One page of runs, newest first.
#[tauri::command]
pub async fn list_runs(shell: State<'_, Shell>, query: RunQuery) -> Result<RunPage, ErrorBody> {
    shell.engine()?.runs(query).await.map_err(|e| (&e).into())
}

/// One run whole, with its steps.
#[tauri::command]
pub async fn get_run(shell: State<'_, Shell>, run_id: String) -> Result<Run, ErrorBody> {
    shell.engine()?.run(&run_id).await.map_err(|e| (&e).into())
}

/// The definition version a run pinned.
#[tauri::command]
pub async fn run_definition(shell: State<'_, Shell>, run_id: String) -> Result<Workflow, ErrorBody> {
    shell.engine()?.run_definition(&run_id).await.map_err(|e| (&e).into())
}

/// Sends a message on the bus as the person at the desktop (sender `hub`
/// unless the message names another); stored before it returns.
#[tauri::command]
pub async fn send_message(shell: State<'_, Shell>, message: NewMessage) -> Result<Message, ErrorBody> {
    shell
        .engine()?
        .send_message(message, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Sends a request to one agent and waits at most `wait_ms` for its reply.
#[tauri::command]
pub async fn request_message(shell: State<'_, Shell>, message: NewMessage, wait_ms: u32) -> Result<Message, ErrorBody> {
    let wait = std::time::Duration::from_millis(u64::from(wait_ms));
    shell
        .engine()?
        .request(message, &Principal::Desktop, wait)
        .await
        .map_err(|e| (&e).into())
}

/// One page of bus messages, newest first, with how their deliveries stand.
#[tauri::command]
pub async fn list_messages(shell: State<'_, Shell>, query: MessageQuery) -> Result<MessagePage, ErrorBody> {
    shell.engine()?.messages(query).await.map_err(|e| (&e).into())
}

/// One message with every delivery and reply.
#[tauri::command]
pub async fn get_message(shell: State<'_, Shell>, message_id: String) -> Result<MessageDetail, ErrorBody> {
    shell.engine()?.message(&message_id).await.map_err(|e| (&e).into())
}

/// Puts a message's dead and expired deliveries back in the queue.
#[tauri::command]
pub async fn requeue_message(shell: State<'_, Shell>, message_id: String) -> Result<MessageDetail, ErrorBody> {
    shell
        .engine()?
        .requeue_message(&message_id, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Every bus topic with its subscribers.
#[tauri::command]
pub async fn list_topics(shell: State<'_, Shell>) -> Result<Vec<Topic>, ErrorBody> {
    shell.engine()?.topics().await.map_err(|e| (&e).into())
}

/// Cancels a run and its tasks.
#[tauri::command]
pub async fn cancel_run(shell: State<'_, Shell>, run_id: String) -> Result<Run, ErrorBody> {
    shell
        .engine()?
        .cancel_run(&run_id, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Pauses (`pause`) or resumes a run.
#[tauri::command]
pub async fn pause_run(shell: State<'_, Shell>, run_id: String, pause: bool) -> Result<Run, ErrorBody> {
    shell
        .engine()?
        .pause_run(&run_id, pause, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Starts a new run from `from_step`, reusing every output upstream of it.
#[tauri::command]
pub async fn rerun(shell: State<'_, Shell>, run_id: String, from_step: String) -> Result<Run, ErrorBody> {
    shell
        .engine()?
        .rerun(&run_id, &from_step, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Approves (`approve`) or rejects an approval step that waits.
#[tauri::command]
pub async fn decide_step(
    shell: State<'_, Shell>,
    run_id: String,
    step: String,
    approve: bool,
    note: String,
) -> Result<Run, ErrorBody> {
    shell
        .engine()?
        .decide_step(&run_id, &step, approve, note, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Every metric, and the agents and models to pick from.
#[tauri::command]
pub fn metrics_catalog(shell: State<'_, Shell>) -> Result<MetricsCatalog, ErrorBody> {
    Ok(shell.engine()?.metrics_catalog())
}

/// Series of the metrics history over a time range, reduced to a width.
#[tauri::command]
pub async fn query_metrics(shell: State<'_, Shell>, query: MetricsQuery) -> Result<MetricsReading, ErrorBody> {
    shell.engine()?.metrics_query(&query).await.map_err(|e| (&e).into())
}

/// A chart of the metrics history, drawn by plotters (SVG).
#[tauri::command]
pub async fn metrics_chart(shell: State<'_, Shell>, request: ChartRequest) -> Result<Chart, ErrorBody> {
    shell.engine()?.metrics_chart(&request).await.map_err(|e| (&e).into())
}

/// Shows the save dialog and writes the chart as a PNG where the person
/// chose; the path written, or none when cancelled.
#[tauri::command]
pub async fn export_metrics_chart<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    request: ChartRequest,
    file_name: String,
) -> Result<Option<String>, ErrorBody> {
    let engine = shell.engine()?;
    let Some(path) = crate::dialog::choose_save(&app, &crate::dialog::CHART_EXPORT, &file_name).await else {
        return Ok(None);
    };
    engine
        .export_metrics_chart(&request, &path)
        .await
        .map(|()| Some(path.display().to_string()))
        .map_err(|e| (&e).into())
}

/// The newest alerts first that match `query` (state, severity, subject, words).
#[tauri::command]
pub async fn list_alerts(shell: State<'_, Shell>, query: AlertQuery) -> Result<Vec<Alert>, ErrorBody> {
    shell.engine()?.alerts(query).await.map_err(|e| (&e).into())
}

/// Silences an alert (by fingerprint) for `minutes`: no notification until then.
#[tauri::command]
pub async fn silence_alert(shell: State<'_, Shell>, fingerprint: String, minutes: u32) -> Result<Silence, ErrorBody> {
    shell
        .engine()?
        .silence_alert(&fingerprint, minutes, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Ends a silence; whether there was one.
#[tauri::command]
pub async fn unsilence_alert(shell: State<'_, Shell>, fingerprint: String) -> Result<bool, ErrorBody> {
    shell
        .engine()?
        .unsilence_alert(&fingerprint, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// The silences in force.
#[tauri::command]
pub async fn alert_silences(shell: State<'_, Shell>) -> Result<Vec<Silence>, ErrorBody> {
    shell.engine()?.alert_silences().await.map_err(|e| (&e).into())
}

/// The newest desktop notifications sent first (at most 1,000).
#[tauri::command]
pub async fn alert_notices(shell: State<'_, Shell>, limit: u32) -> Result<Vec<AlertNotice>, ErrorBody> {
    shell.engine()?.alert_notices(limit).await.map_err(|e| (&e).into())
}

/// The alert rules in force, and as shipped (to show what was changed).
#[tauri::command]
pub async fn alert_rules(shell: State<'_, Shell>) -> Result<AlertRules, ErrorBody> {
    let engine = shell.engine()?;
    Ok(AlertRules {
        rules: engine.alert_rules().as_ref().clone(),
        defaults: engine.default_alert_rules(),
    })
}

/// Replaces a rule with an edited version, checked first.
#[tauri::command]
pub async fn set_alert_rule(shell: State<'_, Shell>, rule: Rule) -> Result<Rule, ErrorBody> {
    shell
        .engine()?
        .set_alert_rule(rule, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Puts a rule back to its default; the default.
#[tauri::command]
pub async fn reset_alert_rule(shell: State<'_, Shell>, id: String) -> Result<Rule, ErrorBody> {
    shell
        .engine()?
        .reset_alert_rule(&id, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Acknowledges an alert; the alert as it is then, none when there is no such alert.
#[tauri::command]
pub async fn ack_alert(shell: State<'_, Shell>, id: i64) -> Result<Option<Alert>, ErrorBody> {
    shell
        .engine()?
        .ack_alert(id, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// The CIS Docker Benchmark §5 on every container of the Docker engine, with what to fix.
#[tauri::command]
pub async fn container_audit(shell: State<'_, Shell>) -> Result<Vec<ContainerAudit>, ErrorBody> {
    shell.engine()?.audit_containers().await.map_err(|e| (&e).into())
}

/// The inputs the threat gate refused or held, newest first (at most 1,000).
#[tauri::command]
pub async fn list_threats(shell: State<'_, Shell>, limit: u32) -> Result<Vec<Threat>, ErrorBody> {
    shell.engine()?.threats(limit).await.map_err(|e| (&e).into())
}

/// Approves a held input: it is submitted as its submitter would have.
#[tauri::command]
pub async fn approve_threat(shell: State<'_, Shell>, id: i64) -> Result<Threat, ErrorBody> {
    shell
        .engine()?
        .approve_threat(id, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Rejects a held input: nothing is submitted.
#[tauri::command]
pub async fn reject_threat(shell: State<'_, Shell>, id: i64) -> Result<Threat, ErrorBody> {
    shell
        .engine()?
        .reject_threat(id, &Principal::Desktop)
        .await
        .map_err(|e| (&e).into())
}

/// Each API key's and agent's requests in the last minute against its limit.
#[tauri::command]
pub async fn rate_limits(shell: State<'_, Shell>) -> Result<Vec<ClientRate>, ErrorBody> {
    Ok(shell.engine()?.rate_limits())
}

/// What each command takes and answers, read from the functions above by
/// build.rs; `ipc.rs` writes it to TypeScript.
#[cfg(test)]
pub(crate) mod contract {
    use super::*;
    use crate::contract::{Command, Ts};

    include!(concat!(env!("OUT_DIR"), "/contract.rs"));
}
