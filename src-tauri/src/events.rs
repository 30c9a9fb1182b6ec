//! Events the shell emits to the UI. Names are built here and nowhere else
//! (`ipc.rs` exports them to TypeScript).

use sutazai_engine::catalog::CatalogEvent;
use sutazai_engine::EngineStatus;
use tauri::{AppHandle, Emitter};
use tokio::sync::{broadcast, watch};

/// Emitted with an `EngineStatus` whenever a check finishes.
pub const STATUS_CHANGED: &str = "status-changed";

/// Emitted with a `FleetEvent` for every lifecycle change: deploys, user
/// actions, scaling, replacements, self-healing restarts and verdicts.
pub const FLEET_EVENT: &str = "fleet-event";

/// Forwards every fleet event to the UI until the engine stops.
pub fn forward_fleet<R: tauri::Runtime>(
    app: AppHandle<R>,
    mut events: broadcast::Receiver<sutazai_engine::fleet::model::FleetEvent>,
) {
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => emit(&app, FLEET_EVENT, event),
                Err(broadcast::error::RecvError::Lagged(missed)) => tracing::warn!(missed, "fleet events dropped"),
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

/// Emitted with a `DeployEvent` for every step of a phase deploy.
pub const DEPLOY_PROGRESS: &str = "deploy-progress";

/// Emits one event, logging (not failing) when the window is gone.
pub fn emit<R: tauri::Runtime, T: serde::Serialize + Clone>(app: &AppHandle<R>, name: &str, payload: T) {
    if let Err(err) = app.emit(name, payload) {
        tracing::warn!(event = name, cause = %err, "cannot emit to the UI");
    }
}

/// Emitted with a `CatalogEvent` for each agent added, changed or removed.
pub const CATALOG_CHANGED: &str = "catalog-changed";

/// Forwards every catalog change to the UI until the engine stops.
pub fn forward_catalog(app: AppHandle, mut events: broadcast::Receiver<CatalogEvent>) {
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => {
                    if let Err(err) = app.emit(CATALOG_CHANGED, event) {
                        tracing::warn!(cause = %err, "cannot emit a catalog change to the UI");
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => tracing::warn!(missed, "catalog events dropped"),
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

/// Forwards every new engine status to the UI until the engine stops.
pub fn forward_status(app: AppHandle, mut status: watch::Receiver<EngineStatus>) {
    tauri::async_runtime::spawn(async move {
        while status.changed().await.is_ok() {
            let current = status.borrow_and_update().clone();
            if let Err(err) = app.emit(STATUS_CHANGED, current) {
                tracing::warn!(cause = %err, "cannot emit the status to the UI");
            }
        }
    });
}
