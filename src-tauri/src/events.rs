//! Events the shell emits to the UI. Names are built here and nowhere else
//! (`ipc.rs` exports them to TypeScript).

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;
use sutazai_engine::catalog::CatalogEvent;
use sutazai_engine::orchestrator::model::{TaskEvent, TaskSummary};
use sutazai_engine::EngineStatus;
use tauri::{AppHandle, Emitter};
use tokio::sync::{broadcast, watch};
use ts_rs::TS;

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

/// Emitted with a `TasksChanged` at most once per [`TASKS_WINDOW`] while
/// tasks change.
pub const TASKS_CHANGED: &str = "tasks-changed";

/// How long task changes are gathered into one `tasks-changed` event. Under
/// load the orchestrator reports thousands of changes a second; the UI
/// reloads what it shows at most this often instead.
pub const TASKS_WINDOW: Duration = Duration::from_millis(200);

/// The most summaries one `tasks-changed` event carries; past that it
/// carries none and says it is incomplete.
const TASKS_PER_EVENT: usize = 100;

/// The tasks that changed during one window, each as it was last seen.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TasksChanged {
    /// The changed tasks, in no particular order; empty when `complete` is false.
    pub tasks: Vec<TaskSummary>,
    /// False when more tasks changed than one event carries, or changes
    /// were missed: any task may have changed.
    pub complete: bool,
}

/// Forwards task changes to the UI, gathered per window, until the engine stops.
pub fn forward_tasks<R: tauri::Runtime>(app: AppHandle<R>, events: broadcast::Receiver<TaskEvent>) {
    tauri::async_runtime::spawn(gather_tasks(events, TASKS_WINDOW, move |changed| {
        emit(&app, TASKS_CHANGED, changed)
    }));
}

/// Waits for a task change, gathers every change of the next `window`, and
/// hands them to `send` as one [`TasksChanged`]; again until the channel closes.
async fn gather_tasks(mut events: broadcast::Receiver<TaskEvent>, window: Duration, send: impl Fn(TasksChanged)) {
    let mut gathered = Gathered::default();
    while gathered.take(events.recv().await) {
        let until = tokio::time::sleep(window);
        tokio::pin!(until);
        let open = loop {
            tokio::select! {
                _ = &mut until => break true,
                event = events.recv() => if !gathered.take(event) { break false },
            }
        };
        if let Some(changed) = gathered.drain() {
            send(changed);
        }
        if !open {
            break;
        }
    }
}

/// The changes of one window.
#[derive(Default)]
struct Gathered {
    /// Each changed task as last seen.
    latest: HashMap<String, TaskSummary>,
    /// Whether changes were missed (the receiver lagged).
    missed: bool,
}

impl Gathered {
    /// Takes one received event; false once the channel is closed.
    fn take(&mut self, event: Result<TaskEvent, broadcast::error::RecvError>) -> bool {
        match event {
            Ok(event) => {
                self.latest.insert(event.task.id.clone(), event.task);
            }
            Err(broadcast::error::RecvError::Lagged(_)) => self.missed = true,
            Err(broadcast::error::RecvError::Closed) => return false,
        }
        true
    }

    /// The event for what was gathered, if anything was; starts over.
    fn drain(&mut self) -> Option<TasksChanged> {
        let complete = !std::mem::take(&mut self.missed) && self.latest.len() <= TASKS_PER_EVENT;
        if complete && self.latest.is_empty() {
            return None;
        }
        let tasks = if complete {
            self.latest.drain().map(|(_, task)| task).collect()
        } else {
            self.latest.clear();
            Vec::new()
        };
        Some(TasksChanged { tasks, complete })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use sutazai_engine::orchestrator::model::TaskStatus;

    use super::*;

    fn event(id: &str, status: TaskStatus) -> TaskEvent {
        TaskEvent {
            task: TaskSummary {
                id: id.into(),
                status,
                priority: 5,
                capability: None,
                task_type: "echo".into(),
                name: None,
                assigned_agent: None,
                attempts: 0,
                created_ms: 0,
                updated_ms: 0,
                finished_ms: None,
                error_code: None,
            },
        }
    }

    /// What `gather_tasks` sent: per event, (sorted "id:status", complete).
    type Sent = Arc<Mutex<Vec<(Vec<String>, bool)>>>;

    fn start(capacity: usize, window: Duration) -> (broadcast::Sender<TaskEvent>, Sent, tokio::task::JoinHandle<()>) {
        let (tx, rx) = broadcast::channel(capacity);
        let sent: Sent = Arc::default();
        let sink = Arc::clone(&sent);
        let handle = tokio::spawn(gather_tasks(rx, window, move |changed| {
            let mut tasks: Vec<String> = changed
                .tasks
                .iter()
                .map(|t| format!("{}:{}", t.id, t.status.as_str()))
                .collect();
            tasks.sort();
            sink.lock().unwrap().push((tasks, changed.complete));
        }));
        (tx, sent, handle)
    }

    #[tokio::test]
    async fn a_burst_becomes_one_event_with_each_task_as_last_seen() {
        let (tx, sent, handle) = start(64, Duration::from_millis(100));
        for status in [TaskStatus::Queued, TaskStatus::Dispatched, TaskStatus::Running] {
            tx.send(event("a", status)).unwrap();
        }
        tx.send(event("b", TaskStatus::Queued)).unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        tx.send(event("a", TaskStatus::Succeeded)).unwrap();
        drop(tx);
        handle.await.unwrap();
        let sent = sent.lock().unwrap().clone();
        assert_eq!(
            sent,
            vec![
                (vec!["a:running".to_string(), "b:queued".to_string()], true),
                (vec!["a:succeeded".to_string()], true),
            ]
        );
    }

    #[tokio::test]
    async fn too_many_or_missed_changes_say_anything_may_have_changed() {
        let (tx, sent, handle) = start(1024, Duration::from_millis(100));
        for i in 0..=TASKS_PER_EVENT {
            tx.send(event(&format!("t{i}"), TaskStatus::Queued)).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(tx);
        handle.await.unwrap();
        assert_eq!(sent.lock().unwrap().clone(), vec![(Vec::new(), false)]);

        // A receiver that fell behind the channel's capacity lagged.
        let (tx, rx) = broadcast::channel(2);
        for i in 0..5 {
            tx.send(event(&format!("t{i}"), TaskStatus::Queued)).unwrap();
        }
        drop(tx);
        let sent: Sent = Arc::default();
        let sink = Arc::clone(&sent);
        gather_tasks(rx, Duration::from_millis(50), move |changed| {
            sink.lock().unwrap().push((Vec::new(), changed.complete));
        })
        .await;
        assert_eq!(sent.lock().unwrap().first(), Some(&(Vec::new(), false)));
    }
}
