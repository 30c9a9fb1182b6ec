//! Workflows: multi-agent graphs of steps, defined in JSON files and
//! checked against the live agent catalog.
//!
//! The definition model ([`model`]), its validation ([`validate`]: pure,
//! every problem naming the step and the field path), what a run does next
//! ([`schedule`]), templates ([`render`]), saved versions ([`versions`]),
//! the watched folder ([`watch`]) and reading it ([`load_dir`]), what a
//! person does with whole workflows ([`files`]: templates, copies, renames,
//! import and export), with the JSON Schema editors use. Runs of definitions are `crate::runs`.

pub mod files;
pub mod model;
pub mod render;
pub mod schedule;
pub mod validate;
pub mod versions;
pub mod watch;

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use model::Workflow;
pub use validate::{validate, WorkflowProblem};

use crate::catalog::Catalog;

/// One definition file as read: the workflow when it parsed, and every
/// problem found (a file that does not parse has one, naming where).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Definition {
    pub file: String,
    pub workflow: Option<Workflow>,
    pub problems: Vec<WorkflowProblem>,
    /// Per step (in order), the steps it waits for: its `dependsOn` and
    /// those its templates read (the graph's edges).
    pub needs: Vec<Vec<String>>,
}

impl Definition {
    /// A workflow that parsed and passed every check.
    pub fn is_valid(&self) -> bool {
        self.workflow.is_some() && self.problems.is_empty()
    }
}

/// A saved definition: its new version, and the problems it still has
/// (a definition with problems is saved, but cannot run).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SavedVersion {
    pub version: u32,
    pub problems: Vec<WorkflowProblem>,
}

/// Whether `id` is a workflow id a file may be named after: 1–64 lowercase
/// letters, digits, `-` and `_` (so no path can hide in it).
pub fn is_file_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Reads one definition and checks it against `catalog`.
pub fn read(file: &Path, catalog: &Catalog) -> Definition {
    match std::fs::read_to_string(file) {
        Ok(text) => parse(file, &text, catalog),
        Err(err) => Definition {
            file: file.display().to_string(),
            workflow: None,
            problems: vec![WorkflowProblem {
                step: None,
                path: String::new(),
                message: format!("cannot read the file: {err}"),
            }],
            needs: Vec::new(),
        },
    }
}

/// Parses the text of the definition file `file` and checks it against
/// `catalog`.
pub fn parse(file: &Path, text: &str, catalog: &Catalog) -> Definition {
    let label = file.display().to_string();
    let workflow: Workflow = match serde_json::from_str(text) {
        Ok(workflow) => workflow,
        Err(err) => {
            return Definition {
                file: label,
                workflow: None,
                problems: vec![WorkflowProblem {
                    step: None,
                    path: String::new(),
                    message: format!(
                        "not a workflow definition (line {}, column {}): {err}",
                        err.line(),
                        err.column()
                    ),
                }],
                needs: Vec::new(),
            }
        }
    };
    let mut problems = validate(&workflow, catalog);
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    if stem != workflow.id {
        problems.push(WorkflowProblem {
            step: None,
            path: "id".into(),
            message: format!(
                "the file of workflow `{}` must be named {}.json",
                workflow.id, workflow.id
            ),
        });
    }
    let needs = validate::dependencies(&workflow)
        .into_iter()
        .map(|own| own.into_iter().map(|i| workflow.steps[i].id.clone()).collect())
        .collect();
    Definition {
        file: label,
        workflow: Some(workflow),
        problems,
        needs,
    }
}

/// Every `*.json` definition in `dir` (not its schema), sorted by file name.
/// A bad file never stops the others from loading.
pub fn load_dir(dir: &Path, catalog: &Catalog) -> Vec<Definition> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .filter(|p| !p.to_string_lossy().ends_with(".schema.json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files.iter().map(|file| read(file, catalog)).collect()
}

/// The definitions' JSON Schema (for editors), generated from the types.
pub fn json_schema() -> String {
    sutazai_protocol::manifest::schema_text::<Workflow>()
}

#[cfg(test)]
mod tests;
