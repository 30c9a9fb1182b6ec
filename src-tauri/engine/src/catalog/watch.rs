//! Live reload: the catalog folder is watched (notify, debounced); after a
//! change the whole folder is reloaded (cross-file checks need all of it —
//! 69 files load in milliseconds) and one event per agent added, changed or
//! removed is broadcast.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_full::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_full::{new_debouncer, DebounceEventResult, Debouncer, RecommendedCache};
use serde::Serialize;
use tokio::sync::{broadcast, watch};
use ts_rs::TS;

use super::{Catalog, Problem};

/// What changed in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "change", rename_all = "camelCase")]
pub enum CatalogEvent {
    Added {
        id: String,
    },
    Changed {
        id: String,
    },
    Removed {
        id: String,
    },
    /// The set of files that cannot be loaded changed.
    Problems {
        problems: Vec<Problem>,
    },
}

/// The events that turn `old` into `new`.
pub fn diff(old: &Catalog, new: &Catalog) -> Vec<CatalogEvent> {
    let mut events = Vec::new();
    for entry in new.all() {
        let id = entry.manifest.id.clone();
        match old.get(&id) {
            None => events.push(CatalogEvent::Added { id }),
            Some(before) if before.hash != entry.hash => events.push(CatalogEvent::Changed { id }),
            Some(_) => {}
        }
    }
    for entry in old.all() {
        if new.get(&entry.manifest.id).is_none() {
            events.push(CatalogEvent::Removed {
                id: entry.manifest.id.clone(),
            });
        }
    }
    if old.problems() != new.problems() {
        events.push(CatalogEvent::Problems {
            problems: new.problems().to_vec(),
        });
    }
    events
}

/// A watched catalog: the current one, and a stream of changes. Watching
/// stops when this is dropped.
pub struct CatalogWatch {
    current: watch::Receiver<Arc<Catalog>>,
    events: broadcast::Sender<CatalogEvent>,
    _debouncer: Debouncer<RecommendedWatcher, RecommendedCache>,
}

impl CatalogWatch {
    /// A receiver that always holds the current catalog.
    pub fn receiver(&self) -> watch::Receiver<Arc<Catalog>> {
        self.current.clone()
    }

    /// Loads `dir` and starts watching it.
    pub fn start(dir: &Path, debounce: Duration) -> Result<CatalogWatch, String> {
        let (current_tx, current) = watch::channel(Arc::new(Catalog::load(dir)));
        let (events, _) = broadcast::channel(1024);
        let sender = events.clone();
        let folder = dir.to_path_buf();
        let mut debouncer = new_debouncer(debounce, None, move |result: DebounceEventResult| {
            let changed = match &result {
                // Reading the files is an event too (open, access, close):
                // reloading on those would reload forever.
                Ok(events) => events.iter().any(|e| !e.kind.is_access()),
                Err(errors) => {
                    tracing::warn!(?errors, "catalog watch error");
                    true
                }
            };
            if !changed {
                return;
            }
            let new = Arc::new(Catalog::load(&folder));
            let old = current_tx.send_replace(Arc::clone(&new));
            for event in diff(&old, &new) {
                tracing::info!(?event, "catalog changed");
                let _ = sender.send(event);
            }
        })
        .map_err(|err| format!("cannot watch {}: {err}", dir.display()))?;
        debouncer
            .watch(dir, RecursiveMode::Recursive)
            .map_err(|err| format!("cannot watch {}: {err}", dir.display()))?;
        Ok(CatalogWatch {
            current,
            events,
            _debouncer: debouncer,
        })
    }

    /// The catalog as loaded now.
    pub fn current(&self) -> Arc<Catalog> {
        Arc::clone(&self.current.borrow())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<CatalogEvent> {
        self.events.subscribe()
    }
}
