//! What a person does with whole workflows: start one from a shipped
//! template, create, duplicate, rename (name and id), import from and
//! export to a file they chose. Every change goes through
//! [`versions::save`], so each is a version and nothing is overwritten
//! silently: a new workflow never takes an id whose file exists, and an
//! import whose id is taken is offered as a copy under a free id.
//!
//! Versions are kept per id and never deleted: a deleted workflow's
//! versions stay (its runs are drawn with them), a workflow created again
//! under that id continues its numbering, and a renamed workflow takes a
//! copy of its history to the new id while the old id keeps the original
//! for its runs.

use std::path::Path;

use rusqlite::OptionalExtension;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::model::Workflow;
use super::versions::{self, SaveError};
use super::{is_file_id, validate, WorkflowProblem};
use crate::catalog::Catalog;
use crate::error::{Code, Coded};
use crate::store::{Store, StoreError};

/// A file larger than this is not a workflow definition (the shipped ones
/// are a few KiB; the designer's 500-step workflows stay under 1 MiB).
pub const IMPORT_MAX_BYTES: u64 = 4 * 1024 * 1024;

/// One template shipped with the app, as the gallery shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    /// The template's own id (its file name in `agents/workflows/`).
    pub id: String,
    pub name: String,
    pub description: String,
    pub steps: u32,
    /// The names of the inputs a run asks for.
    pub inputs: Vec<String>,
}

/// The id and name a workflow gets (a new one, a copy, a rename).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Naming {
    pub id: String,
    pub name: String,
}

/// A file read for import: the workflow it holds, and whether a workflow
/// of its id exists here already (then it may only come in as a copy, by
/// default under `free_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowImport {
    /// The path of the file read.
    pub file: String,
    pub workflow: Workflow,
    pub taken: bool,
    /// An id no workflow has used here: the id itself when it is free.
    pub free_id: String,
}

/// Why a file could not be imported or exported. Each message names the
/// file and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path} is not a workflow definition: {reason}")]
    NotAWorkflow { path: String, reason: String },
    #[error("{path}: workflow `{id}` has {} problem{}: {}", problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Problems {
        path: String,
        id: String,
        problems: Vec<WorkflowProblem>,
    },
    #[error("no workflow `{0}`")]
    NotFound(String),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Coded for FileError {
    fn code(&self) -> Code {
        match self {
            Self::Read { .. } | Self::NotAWorkflow { .. } | Self::Write { .. } => Code::InvalidRequest,
            Self::Problems { .. } => Code::InvalidWorkflow,
            Self::NotFound(_) => Code::NotFound,
            Self::Store(_) => Code::Store,
        }
    }
}

/// The shipped templates, from `(file name, JSON text)` pairs (the schema
/// and anything that does not parse left out), in file order.
pub fn templates(shipped: &[(&str, &str)]) -> Vec<Template> {
    shipped
        .iter()
        .filter_map(|(file, text)| template_in(file, text))
        .map(|workflow| Template {
            id: workflow.id.clone(),
            name: workflow.name.clone(),
            description: workflow.description.clone(),
            steps: u32::try_from(workflow.steps.len()).unwrap_or(u32::MAX),
            inputs: workflow.inputs.iter().map(|i| i.name.clone()).collect(),
        })
        .collect()
}

/// The workflow of the shipped template `id`.
pub fn template(shipped: &[(&str, &str)], id: &str) -> Option<Workflow> {
    shipped
        .iter()
        .filter_map(|(file, text)| template_in(file, text))
        .find(|w| w.id == id)
}

fn template_in(file: &str, text: &str) -> Option<Workflow> {
    if !file.ends_with(".json") || file.ends_with(".schema.json") {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// `source` under a new id and name; everything else as it is.
pub fn copy_of(source: &Workflow, naming: &Naming) -> Workflow {
    Workflow {
        id: naming.id.clone(),
        name: naming.name.trim().to_string(),
        ..source.clone()
    }
}

/// Checks a naming before anything is written.
fn check_naming(naming: &Naming) -> Result<(), SaveError> {
    if !is_file_id(&naming.id) {
        return Err(SaveError::Invalid(format!(
            "id: expected 1–64 lowercase letters, digits, `-` or `_`, found `{}`",
            naming.id
        )));
    }
    if naming.name.trim().is_empty() {
        return Err(SaveError::Invalid("name: expected a name".into()));
    }
    Ok(())
}

fn file_of(dir: &Path, id: &str) -> std::path::PathBuf {
    dir.join(format!("{id}.json"))
}

/// Saves `workflow` as a new workflow in `dir`: refused when a file of its
/// id exists; its version follows any versions the id has (those of a
/// deleted workflow are kept). Returns the version.
pub async fn create(store: &Store, dir: &Path, workflow: &Workflow, by: &str, now_ms: i64) -> Result<u32, SaveError> {
    check_naming(&Naming {
        id: workflow.id.clone(),
        name: workflow.name.clone(),
    })?;
    if file_of(dir, &workflow.id).exists() {
        return Err(SaveError::Taken(format!(
            "a workflow `{}` exists already: choose another id",
            workflow.id
        )));
    }
    let base = newest_version(store, &workflow.id).await?;
    versions::save(store, dir, workflow, base, by, now_ms).await
}

/// Gives the workflow `id` a new name, and a new id when `naming.id`
/// differs: its file is then `<new id>.json`, its versions are copied to
/// the new id (each body carrying the new id) and the old file goes; the
/// old id keeps its versions, so its runs are still drawn with them.
/// Returns the version the renamed definition was saved as.
pub async fn rename(
    store: &Store,
    dir: &Path,
    id: &str,
    naming: &Naming,
    by: &str,
    now_ms: i64,
) -> Result<u32, SaveError> {
    check_naming(naming)?;
    if !is_file_id(id) {
        return Err(SaveError::Missing(format!("no workflow `{id}`")));
    }
    let old_file = file_of(dir, id);
    let text = std::fs::read_to_string(&old_file).map_err(|_| SaveError::Missing(format!("no workflow `{id}`")))?;
    let current: Workflow = serde_json::from_str(&text).map_err(|err| {
        SaveError::Invalid(format!(
            "{} does not parse (line {}, column {}): fix it before renaming it",
            old_file.display(),
            err.line(),
            err.column()
        ))
    })?;
    // The file as it is now is a version before anything changes.
    let base = versions::pin(store, id, &text, now_ms).await?;
    let renamed = copy_of(&current, naming);
    if naming.id == id {
        return versions::save(store, dir, &renamed, Some(base), by, now_ms).await;
    }
    if file_of(dir, &naming.id).exists() {
        return Err(SaveError::Taken(format!(
            "a workflow `{}` exists already: choose another id",
            naming.id
        )));
    }
    if newest_version(store, &naming.id).await?.is_some() {
        return Err(SaveError::Taken(format!(
            "id `{}` keeps the versions of a deleted workflow: choose another id",
            naming.id
        )));
    }
    copy_versions(store, id, &naming.id).await?;
    let version = versions::save(store, dir, &renamed, Some(base), by, now_ms).await?;
    std::fs::remove_file(&old_file).map_err(|source| SaveError::Write {
        path: old_file.display().to_string(),
        source,
    })?;
    Ok(version)
}

/// The newest version number `id` has, if any.
async fn newest_version(store: &Store, id: &str) -> Result<Option<u32>, StoreError> {
    Ok(versions::versions(store, id).await?.first().map(|v| v.version))
}

/// Copies every version of `from` to `to` (same numbers, times and
/// authors), in one transaction. Each body is the definition with the id
/// `to` (a body that is not a definition, an unparsable edit found on
/// disk, is copied as it is).
async fn copy_versions(store: &Store, from: &str, to: &str) -> Result<(), StoreError> {
    let (from, to) = (from.to_string(), to.to_string());
    store
        .call(move |conn| {
            let tx = conn.transaction()?;
            let rows: Vec<(u32, i64, String, String)> = tx
                .prepare("SELECT version, saved_ms, saved_by, body FROM workflow_versions WHERE workflow_id = ?1")?
                .query_map([&from], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (version, saved_ms, saved_by, body) in rows {
                let body = match serde_json::from_str::<Workflow>(&body) {
                    Ok(workflow) => versions::text_of(&Workflow {
                        id: to.clone(),
                        ..workflow
                    }),
                    Err(_) => body,
                };
                tx.execute(
                    "INSERT INTO workflow_versions (workflow_id, version, saved_ms, saved_by, hash, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    rusqlite::params![to, version, saved_ms, saved_by, versions::hash(&body), body],
                )?;
            }
            tx.commit()
        })
        .await
}

/// Whether `id` is free: no file of it in `dir` and no versions kept.
async fn is_free(store: &Store, dir: &Path, id: &str) -> Result<bool, StoreError> {
    if file_of(dir, id).exists() {
        return Ok(false);
    }
    let id = id.to_string();
    let used: Option<u32> = store
        .read(move |conn| {
            conn.query_row(
                "SELECT version FROM workflow_versions WHERE workflow_id = ?1 LIMIT 1",
                [id],
                |r| r.get(0),
            )
            .optional()
        })
        .await?;
    Ok(used.is_none())
}

/// `id` when it is free, else the first of `id_2`, `id_3`, ... that is
/// (cut so it stays a valid id).
pub async fn free_id(store: &Store, dir: &Path, id: &str) -> Result<String, StoreError> {
    if is_free(store, dir, id).await? {
        return Ok(id.to_string());
    }
    for n in 2u32.. {
        let suffix = format!("_{n}");
        let stem: String = id.chars().take(64 - suffix.len()).collect();
        let candidate = format!("{stem}{suffix}");
        if is_free(store, dir, &candidate).await? {
            return Ok(candidate);
        }
    }
    unreachable!("some suffix is free")
}

/// Reads the file `path` for import: it must parse as a definition and
/// pass every check against `catalog`. Nothing is saved here.
pub async fn read_import(
    store: &Store,
    dir: &Path,
    catalog: &Catalog,
    path: &Path,
) -> Result<WorkflowImport, FileError> {
    let label = path.display().to_string();
    let read_err = |reason: String| FileError::Read {
        path: label.clone(),
        reason,
    };
    let size = std::fs::metadata(path).map_err(|err| read_err(err.to_string()))?.len();
    if size > IMPORT_MAX_BYTES {
        return Err(FileError::NotAWorkflow {
            path: label,
            reason: format!("it is {size} bytes, more than the {IMPORT_MAX_BYTES} a definition may have"),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|err| read_err(err.to_string()))?;
    let workflow: Workflow = serde_json::from_str(&text).map_err(|err| FileError::NotAWorkflow {
        path: label.clone(),
        reason: err.to_string(),
    })?;
    let problems = validate(&workflow, catalog);
    if !problems.is_empty() {
        return Err(FileError::Problems {
            path: label,
            id: workflow.id,
            problems,
        });
    }
    let taken = file_of(dir, &workflow.id).exists();
    let free_id = free_id(store, dir, &workflow.id).await?;
    Ok(WorkflowImport {
        file: label,
        workflow,
        taken,
        free_id,
    })
}

/// Writes the definition `id` of `dir`, as its file holds it, to `path`.
pub fn export(dir: &Path, id: &str, path: &Path) -> Result<(), FileError> {
    if !is_file_id(id) {
        return Err(FileError::NotFound(id.to_string()));
    }
    let text = std::fs::read_to_string(file_of(dir, id)).map_err(|_| FileError::NotFound(id.to_string()))?;
    std::fs::write(path, text).map_err(|source| FileError::Write {
        path: path.display().to_string(),
        source,
    })
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
