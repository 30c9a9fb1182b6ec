//! Events the shell emits to the UI, each declared once in [`declare!`]
//! below with its payload type: `emit` takes that payload only, and
//! `ipc.rs` writes the names and payload types to TypeScript from the same
//! declaration.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::time::Duration;

use serde::Serialize;
use sutazai_engine::alerts::model::AlertEvent;
use sutazai_engine::alerts::notify::Notice;
use sutazai_engine::bus::model::MessageEvent;
use sutazai_engine::catalog::CatalogEvent;
use sutazai_engine::fleet::model::{DeployEvent, FleetEvent};
use sutazai_engine::orchestrator::model::{TaskEvent, TaskSummary};
use sutazai_engine::runs::model::{RunEvent, StepEvent};
use sutazai_engine::runs::RunNews;
use sutazai_engine::workflow::watch::WorkflowsChanged;
use sutazai_engine::EngineStatus;
use tauri::{AppHandle, Emitter, Runtime};
use tokio::sync::{broadcast, watch};
use ts_rs::TS;

/// An event name that carries payloads of type `T`.
pub struct Event<T> {
    pub name: &'static str,
    payload: PhantomData<fn(T)>,
}

impl<T: Serialize + Clone> Event<T> {
    const fn new(name: &'static str) -> Self {
        Self {
            name,
            payload: PhantomData,
        }
    }

    /// Emits one event, logging (not failing) when the window is gone.
    pub fn emit<R: Runtime>(&self, app: &AppHandle<R>, payload: T) {
        if let Err(err) = app.emit(self.name, payload) {
            tracing::warn!(event = self.name, cause = %err, "cannot emit to the UI");
        }
    }
}

/// Declares each event once: its constant, name and payload type; and the
/// list `ipc.rs` turns into TypeScript.
macro_rules! declare {
    ($($(#[$doc:meta])* $constant:ident: $payload:ty = $name:literal;)*) => {
        $($(#[$doc])* pub const $constant: Event<$payload> = Event::new($name);)*

        /// Every event: (constant, name, TypeScript payload type).
        #[cfg(test)]
        pub fn declared() -> Vec<(&'static str, &'static str, crate::contract::Ts)> {
            vec![$((stringify!($constant), $name, crate::contract::Ts::Named(<$payload as TS>::name()))),*]
        }

        /// Hands every payload type to `visitor`.
        #[cfg(test)]
        pub fn types(visitor: &mut impl ts_rs::TypeVisitor) {
            $(visitor.visit::<$payload>();)*
        }
    };
}

declare! {
    /// Whenever a check of Docker and Ollama finishes.
    STATUS_CHANGED: EngineStatus = "status-changed";
    /// For each agent added, changed or removed in the catalog.
    CATALOG_CHANGED: CatalogEvent = "catalog-changed";
    /// For every step of a phase deploy.
    DEPLOY_PROGRESS: DeployEvent = "deploy-progress";
    /// For every lifecycle change: deploys, user actions, scaling,
    /// replacements, self-healing restarts and verdicts.
    FLEET_EVENT: FleetEvent = "fleet-event";
    /// At most once per [`TASKS_WINDOW`] while tasks change.
    TASKS_CHANGED: TasksChanged = "tasks-changed";
    /// For every change of a bus message: sent, delivered, replied,
    /// retrying, dead, expired, re-queued.
    MESSAGE_CHANGED: MessageEvent = "message-changed";
    /// Whenever a run's status changes or one of its steps ends.
    RUN_CHANGED: RunEvent = "run-changed";
    /// Whenever a step of a run changes.
    STEP_CHANGED: StepEvent = "step-changed";
    /// Whenever definition files change in the workflows folder.
    WORKFLOWS_CHANGED: WorkflowsChanged = "workflows-changed";
    /// Whenever an alert fires or resolves.
    ALERT_CHANGED: AlertEvent = "alert-changed";
    /// For every desktop notification sent (the window shows it as a toast).
    ALERT_NOTICE: Notice = "alert-notice";
    /// The tray's menu asks the window to show a view (`security`).
    OPEN_VIEW: OpenView = "open-view";
}

/// A view the window should show, by its route (`security`), with the
/// alerts (fingerprints) to select there.
#[derive(Debug, Clone, Serialize, TS)]
pub struct OpenView {
    pub view: String,
    pub alerts: Vec<String>,
}

/// Forwards every item of a broadcast channel as `event` until it closes.
fn forward<R: Runtime, T: Serialize + Clone + Send + 'static>(
    app: AppHandle<R>,
    event: Event<T>,
    mut items: broadcast::Receiver<T>,
) {
    tauri::async_runtime::spawn(async move {
        loop {
            match items.recv().await {
                Ok(item) => event.emit(&app, item),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(event = event.name, missed, "events dropped")
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

/// Forwards every fleet event to the UI until the engine stops.
pub fn forward_fleet<R: Runtime>(app: AppHandle<R>, events: broadcast::Receiver<FleetEvent>) {
    forward(app, FLEET_EVENT, events);
}

/// Forwards every catalog change to the UI until the engine stops.
pub fn forward_catalog<R: Runtime>(app: AppHandle<R>, events: broadcast::Receiver<CatalogEvent>) {
    forward(app, CATALOG_CHANGED, events);
}

/// Forwards every change of a bus message to the UI until the engine stops.
pub fn forward_messages<R: Runtime>(app: AppHandle<R>, events: broadcast::Receiver<MessageEvent>) {
    forward(app, MESSAGE_CHANGED, events);
}

/// Forwards every change of the workflows folder to the UI until the engine stops.
pub fn forward_workflows<R: Runtime>(app: AppHandle<R>, events: broadcast::Receiver<WorkflowsChanged>) {
    forward(app, WORKFLOWS_CHANGED, events);
}

/// Forwards every run and step change to the UI until the engine stops.
pub fn forward_runs<R: Runtime>(app: AppHandle<R>, mut news: broadcast::Receiver<RunNews>) {
    tauri::async_runtime::spawn(async move {
        loop {
            match news.recv().await {
                Ok(RunNews::Run(run)) => RUN_CHANGED.emit(&app, run),
                Ok(RunNews::Step(step)) => STEP_CHANGED.emit(&app, step),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(event = RUN_CHANGED.name, missed, "events dropped")
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
}

/// Forwards every new engine status to the UI until the engine stops.
pub fn forward_status<R: Runtime>(app: AppHandle<R>, mut status: watch::Receiver<EngineStatus>) {
    tauri::async_runtime::spawn(async move {
        while status.changed().await.is_ok() {
            let current = status.borrow_and_update().clone();
            STATUS_CHANGED.emit(&app, current);
        }
    });
}

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
pub fn forward_tasks<R: Runtime>(app: AppHandle<R>, events: broadcast::Receiver<TaskEvent>) {
    tauri::async_runtime::spawn(gather_tasks(events, TASKS_WINDOW, move |changed| {
        TASKS_CHANGED.emit(&app, changed)
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

    #[tokio::test(start_paused = true)]
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

    #[tokio::test(start_paused = true)]
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
