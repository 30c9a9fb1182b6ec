//! Tauri commands: adapters of one line each over the engine.

use sutazai_engine::catalog::CatalogSummary;
use sutazai_engine::error::ErrorBody;
use sutazai_engine::fleet::model::{AgentAction, AgentRow, DeployReport, FailurePolicy, PhaseSummary};
use sutazai_engine::{ConfigReport, EngineStatus};
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
    shell.engine()?.agents().await.map_err(|e| (&e).into())
}

/// One card per phase for the Deploy view.
#[tauri::command]
pub async fn phase_summaries(shell: State<'_, Shell>) -> Result<Vec<PhaseSummary>, ErrorBody> {
    shell.engine()?.phases().await.map_err(|e| (&e).into())
}

/// Deploys a whole phase; progress arrives as `deploy-progress` events.
#[tauri::command]
pub async fn deploy_phase<R: Runtime>(
    app: AppHandle<R>,
    shell: State<'_, Shell>,
    phase: u8,
    policy: FailurePolicy,
) -> Result<DeployReport, ErrorBody> {
    let progress = move |event| crate::events::emit(&app, crate::events::DEPLOY_PROGRESS, event);
    shell
        .engine()?
        .deploy_phase(phase, policy, progress)
        .await
        .map_err(|e| (&e).into())
}

/// Removes every container of a phase.
#[tauri::command]
pub async fn undeploy_phase(shell: State<'_, Shell>, phase: u8) -> Result<u32, ErrorBody> {
    shell.engine()?.undeploy_phase(phase).await.map_err(|e| (&e).into())
}

/// Start, stop, restart or remove one agent.
#[tauri::command]
pub async fn agent_action(shell: State<'_, Shell>, agent_id: String, action: AgentAction) -> Result<(), ErrorBody> {
    shell
        .engine()?
        .agent_action(&agent_id, action)
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
