//! Saving a workflow definition so that no edit is ever lost: every save
//! is a numbered version in SQLite, the file is replaced atomically (temp
//! file + rename), and a save that started from an older version than the
//! newest is a conflict, never a silent overwrite. A file edited on disk
//! outside the app is kept as a version of its own before anything
//! replaces it.

use std::path::Path;

use rusqlite::OptionalExtension;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::model::Workflow;
use crate::error::{Code, Coded};
use crate::store::{Store, StoreError};

/// One saved version, without its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ts_rs::TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct VersionInfo {
    pub version: u32,
    #[ts(type = "number")]
    pub saved_ms: i64,
    /// `desktop`, `key:<name>`, or `disk` for an edit found on disk.
    pub saved_by: String,
    /// SHA-256 of the body, hex.
    pub hash: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The definition cannot be saved at all (its id cannot name a file).
    #[error("{0}")]
    Invalid(String),
    /// The save started from `base`, but `newest` is saved since.
    #[error("workflow `{id}` is at version {newest}; this save started from {}: reload it and save again", base.map_or("nothing".to_string(), |b| format!("version {b}")))]
    Conflict { id: String, base: Option<u32>, newest: u32 },
    /// The id is another workflow's (or keeps a deleted one's versions).
    #[error("{0}")]
    Taken(String),
    /// No workflow of that id.
    #[error("{0}")]
    Missing(String),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for SaveError {
    fn code(&self) -> Code {
        match self {
            SaveError::Invalid(_) => Code::InvalidRequest,
            SaveError::Conflict { .. } | SaveError::Taken(_) => Code::Conflict,
            SaveError::Missing(_) => Code::NotFound,
            SaveError::Write { .. } => Code::DataDir,
            SaveError::Store(_) => Code::Store,
        }
    }
}

/// One difference between two versions of a definition: an RFC 6902 JSON
/// Patch operation, with the value before beside it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ts_rs::TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Change {
    /// `add`, `remove` or `replace`.
    pub op: String,
    /// A JSON Pointer into the definition, e.g. `/steps/1/input/text`.
    pub path: String,
    #[ts(type = "unknown")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub before: Option<serde_json::Value>,
    #[ts(type = "unknown")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub after: Option<serde_json::Value>,
}

/// What changed from `old` to `new` (json-patch's diff).
pub fn diff(old: &Workflow, new: &Workflow) -> Vec<Change> {
    let (old, new) = (
        serde_json::to_value(old).unwrap_or_default(),
        serde_json::to_value(new).unwrap_or_default(),
    );
    json_patch::diff(&old, &new)
        .0
        .iter()
        .filter_map(|op| {
            let op = serde_json::to_value(op).ok()?;
            let path = op.get("path")?.as_str()?.to_string();
            Some(Change {
                op: op.get("op")?.as_str()?.to_string(),
                before: old.pointer(&path).cloned(),
                after: op.get("value").cloned(),
                path,
            })
        })
        .collect()
}

/// The text a definition is saved as: pretty JSON with a final newline.
pub fn text_of(workflow: &Workflow) -> String {
    let mut text = serde_json::to_string_pretty(workflow).unwrap_or_default();
    text.push('\n');
    text
}

/// SHA-256 of a version's body, hex.
pub fn hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The newest version of `id` (number and hash), if any.
async fn newest(store: &Store, id: &str) -> Result<Option<(u32, String)>, StoreError> {
    let id = id.to_string();
    store
        .call(move |conn| {
            conn.query_row(
                "SELECT version, hash FROM workflow_versions WHERE workflow_id = ?1 ORDER BY version DESC LIMIT 1",
                [&id],
                |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()
        })
        .await
}

async fn record(store: &Store, id: &str, version: u32, by: &str, now_ms: i64, text: &str) -> Result<(), StoreError> {
    let (id, by, body, digest) = (id.to_string(), by.to_string(), text.to_string(), hash(text));
    store
        .call(move |conn| {
            conn.execute(
                "INSERT INTO workflow_versions (workflow_id, version, saved_ms, saved_by, hash, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                rusqlite::params![id, version, now_ms, by, digest, body],
            )
            .map(drop)
        })
        .await
}

/// Saves `workflow` into `dir` as `<id>.json`, as the version after
/// `base` (the version the editor started from; `None` for a new one).
/// Returns the new version's number.
pub async fn save(
    store: &Store,
    dir: &Path,
    workflow: &Workflow,
    base: Option<u32>,
    by: &str,
    now_ms: i64,
) -> Result<u32, SaveError> {
    let path = dir.join(format!("{}.json", workflow.id));
    // An edit made on disk since the last save is kept as a version first.
    let newest_version = match std::fs::read_to_string(&path) {
        Ok(on_disk) => Some(pin(store, &workflow.id, &on_disk, now_ms).await?),
        Err(_) => newest(store, &workflow.id).await?.map(|(v, _)| v),
    };
    if let Some(newest) = newest_version.filter(|n| base != Some(*n)) {
        return Err(SaveError::Conflict {
            id: workflow.id.clone(),
            base,
            newest,
        });
    }
    let text = text_of(workflow);
    let version = newest_version.map_or(1, |v| v + 1);
    let write_err = |source| SaveError::Write {
        path: path.display().to_string(),
        source,
    };
    let staging = dir.join(format!(".{}.json.saving", workflow.id));
    std::fs::write(&staging, &text).map_err(write_err)?;
    // Recorded before the file is replaced: a crash in between leaves the
    // old file and a version the next save sees as newest, never a file
    // without its version.
    record(store, &workflow.id, version, by, now_ms, &text).await?;
    std::fs::rename(&staging, &path).map_err(write_err)?;
    Ok(version)
}

/// The version whose text is `text`: the newest one when it is the same
/// text, else a new version saved by `disk` (an edit made outside the
/// app). A run pins the version it starts with this way.
pub async fn pin(store: &Store, id: &str, text: &str, now_ms: i64) -> Result<u32, StoreError> {
    let (id, body, digest) = (id.to_string(), text.to_string(), hash(text));
    // One call on the writer thread: the newest version is read and the
    // next one recorded with nothing in between, so two runs started at
    // once pin the same version instead of both recording it.
    store
        .call(move |conn| {
            let latest = conn
                .query_row(
                    "SELECT version, hash FROM workflow_versions WHERE workflow_id = ?1 ORDER BY version DESC LIMIT 1",
                    [&id],
                    |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?)),
                )
                .optional()?;
            match latest {
                Some((version, known)) if known == digest => Ok(version),
                latest => {
                    let version = latest.map_or(1, |(v, _)| v + 1);
                    conn.execute(
                        "INSERT INTO workflow_versions (workflow_id, version, saved_ms, saved_by, hash, body) VALUES (?1, ?2, ?3, 'disk', ?4, ?5)",
                        rusqlite::params![id, version, now_ms, digest, body],
                    )?;
                    Ok(version)
                }
            }
        })
        .await
}

/// The designer's unsaved edit of a workflow: what it holds now and the
/// version it started from.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, ts_rs::TS, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    pub workflow: Workflow,
    /// The version the edit started from; none for a new workflow.
    pub base: Option<u32>,
    #[ts(type = "number")]
    pub saved_ms: i64,
}

/// Keeps the designer's edit of `workflow` (one draft per workflow id,
/// replaced at each change, committed before this returns).
pub async fn save_draft(store: &Store, workflow: &Workflow, base: Option<u32>, now_ms: i64) -> Result<(), StoreError> {
    let (id, body) = (workflow.id.clone(), text_of(workflow));
    store
        .call(move |conn| {
            conn.execute(
                "INSERT INTO workflow_drafts (workflow_id, base, saved_ms, body) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (workflow_id) DO UPDATE SET base = excluded.base, saved_ms = excluded.saved_ms, body = excluded.body",
                rusqlite::params![id, base, now_ms, body],
            )
            .map(drop)
        })
        .await
}

/// The draft of `id`, if the designer left one.
pub async fn draft(store: &Store, id: &str) -> Result<Option<Draft>, StoreError> {
    let id = id.to_string();
    let row: Option<(Option<u32>, i64, String)> = store
        .read(move |conn| {
            conn.query_row(
                "SELECT base, saved_ms, body FROM workflow_drafts WHERE workflow_id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })
        .await?;
    Ok(row.and_then(|(base, saved_ms, body)| {
        let workflow = serde_json::from_str(&body).ok()?;
        Some(Draft {
            workflow,
            base,
            saved_ms,
        })
    }))
}

/// Forgets the draft of `id` (saved as a version, or thrown away).
pub async fn discard_draft(store: &Store, id: &str) -> Result<(), StoreError> {
    let id = id.to_string();
    store
        .call(move |conn| {
            conn.execute("DELETE FROM workflow_drafts WHERE workflow_id = ?1", [id])
                .map(drop)
        })
        .await
}

/// Moves the draft of `from`, if any, to `to` (the workflow was renamed):
/// the edit keeps going under its new id.
pub async fn move_draft(store: &Store, from: &str, to: &str) -> Result<(), StoreError> {
    if let Some(draft) = draft(store, from).await? {
        let workflow = Workflow {
            id: to.to_string(),
            ..draft.workflow
        };
        save_draft(store, &workflow, draft.base, draft.saved_ms).await?;
        discard_draft(store, from).await?;
    }
    Ok(())
}

/// Every saved version of `id`, newest first.
pub async fn versions(store: &Store, id: &str) -> Result<Vec<VersionInfo>, StoreError> {
    let id = id.to_string();
    store
        .read(move |conn| {
            conn.prepare(
                "SELECT version, saved_ms, saved_by, hash FROM workflow_versions WHERE workflow_id = ?1 ORDER BY version DESC",
            )?
            .query_map([&id], |r| {
                Ok(VersionInfo {
                    version: r.get(0)?,
                    saved_ms: r.get(1)?,
                    saved_by: r.get(2)?,
                    hash: r.get(3)?,
                })
            })?
            .collect()
        })
        .await
}

/// The text of one saved version.
pub async fn body(store: &Store, id: &str, version: u32) -> Result<Option<String>, StoreError> {
    let id = id.to_string();
    store
        .read(move |conn| {
            conn.query_row(
                "SELECT body FROM workflow_versions WHERE workflow_id = ?1 AND version = ?2",
                rusqlite::params![id, version],
                |r| r.get(0),
            )
            .optional()
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workflow(name: &str) -> Workflow {
        serde_json::from_value(serde_json::json!({
            "id": "demo", "name": name,
            "steps": [{"id": "a", "agent": "AG-001", "taskType": "echo"}]
        }))
        .unwrap()
    }

    #[tokio::test]
    async fn runs_started_at_once_pin_one_version() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let pins = (0..8).map(|_| pin(&store, "demo", "{}", 1));
        let pinned = futures::future::join_all(pins).await;
        assert!(pinned.iter().all(|p| matches!(p, Ok(1))), "{pinned:?}");
    }

    #[tokio::test]
    async fn every_save_is_a_version_and_a_stale_save_is_a_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.db")).unwrap();
        let folder = dir.path().join("workflows");
        std::fs::create_dir(&folder).unwrap();
        let file = folder.join("demo.json");

        assert_eq!(
            save(&store, &folder, &workflow("One"), None, "desktop", 1)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            save(&store, &folder, &workflow("Two"), Some(1), "desktop", 2)
                .await
                .unwrap(),
            2
        );
        assert!(std::fs::read_to_string(&file).unwrap().contains("\"Two\""));

        // Two editors started from version 1: the second one is refused,
        // and the file keeps the first one's save.
        let err = save(&store, &folder, &workflow("Stale"), Some(1), "key:bot", 3)
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Conflict);
        assert_eq!(
            err.to_string(),
            "workflow `demo` is at version 2; this save started from version 1: reload it and save again"
        );
        assert!(std::fs::read_to_string(&file).unwrap().contains("\"Two\""));

        // An edit on disk is kept as a version before a save replaces it;
        // a save from before that edit is a conflict too.
        std::fs::write(&file, text_of(&workflow("Edited by hand"))).unwrap();
        assert!(matches!(
            save(&store, &folder, &workflow("Three"), Some(2), "desktop", 4).await,
            Err(SaveError::Conflict { newest: 3, .. })
        ));
        assert_eq!(
            save(&store, &folder, &workflow("Three"), Some(3), "desktop", 5)
                .await
                .unwrap(),
            4
        );

        let listed: Vec<(u32, String)> = versions(&store, "demo")
            .await
            .unwrap()
            .into_iter()
            .map(|v| (v.version, v.saved_by))
            .collect();
        assert_eq!(
            listed,
            [
                (4, "desktop".into()),
                (3, "disk".into()),
                (2, "desktop".into()),
                (1, "desktop".into())
            ]
        );
        let hand = body(&store, "demo", 3).await.unwrap().unwrap();
        assert!(hand.contains("Edited by hand"));
        assert_eq!(body(&store, "demo", 9).await.unwrap(), None);
        assert!(!folder.join(".demo.json.saving").exists(), "no staging file is left");
    }
}
