//! Events the shell emits to the UI. Names are built here and nowhere else
//! (`ipc.rs` exports them to TypeScript).

use sutazai_engine::EngineStatus;
use tauri::{AppHandle, Emitter};
use tokio::sync::watch;

/// Emitted with an `EngineStatus` whenever a check finishes.
pub const STATUS_CHANGED: &str = "status-changed";

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
