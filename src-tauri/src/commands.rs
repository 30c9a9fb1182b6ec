//! Tauri commands: adapters of one line each over the engine.

use sutazai_engine::catalog::CatalogSummary;
use sutazai_engine::error::ErrorBody;
use sutazai_engine::{ConfigReport, EngineStatus};
use tauri::State;

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
