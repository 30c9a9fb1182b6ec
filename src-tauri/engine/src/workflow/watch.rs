//! The workflows folder, watched (notify, debounced): a definition added,
//! edited (in the app or any editor), renamed or removed is announced, so
//! the views reload what they show. Definitions are read from disk when
//! listed or run, so nothing is cached that could go stale.

use std::path::Path;
use std::time::Duration;

use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use ts_rs::TS;

/// Definition files changed on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowsChanged {
    /// The files' names (`code_review.json`), sorted.
    pub files: Vec<String>,
}

/// Watching stops when this is dropped.
pub struct WorkflowsWatch {
    events: broadcast::Sender<WorkflowsChanged>,
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

impl WorkflowsWatch {
    pub fn start(dir: &Path, debounce: Duration) -> Result<WorkflowsWatch, String> {
        let (events, _) = broadcast::channel(64);
        let sender = events.clone();
        let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
            let Ok(events) = result else {
                tracing::warn!("workflows watch error");
                return;
            };
            let mut files: Vec<String> = events
                .iter()
                // Reading a definition is an event too; only changes count.
                .filter(|e| !e.kind.is_access())
                .flat_map(|e| e.paths.iter())
                .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
                .filter(|name| name.ends_with(".json") && !name.starts_with('.'))
                .collect();
            files.sort();
            files.dedup();
            if !files.is_empty() {
                tracing::debug!(?files, "workflow definitions changed");
                let _ = sender.send(WorkflowsChanged { files });
            }
        })
        .map_err(|err| format!("cannot watch {}: {err}", dir.display()))?;
        debouncer
            .watch(dir, RecursiveMode::NonRecursive)
            .map_err(|err| format!("cannot watch {}: {err}", dir.display()))?;
        Ok(WorkflowsWatch {
            events,
            _debouncer: debouncer,
        })
    }

    pub fn subscribe(&self) -> broadcast::Receiver<WorkflowsChanged> {
        self.events.subscribe()
    }
}
