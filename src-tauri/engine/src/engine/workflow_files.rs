//! What a person does with whole workflows (`workflow::files`): the
//! shipped templates, new workflows and copies, renames, import from and
//! export to a file they chose. Each change is audited.

use std::path::Path;

use tracing::instrument;

use super::Engine;
use crate::runs::RunError;
use crate::security::Principal;
use crate::shipped;
use crate::workflow::files::{self, FileError, Naming, Template, WorkflowImport};
use crate::workflow::model::Workflow;
use crate::workflow::versions::{self, SaveError};
use crate::workflow::SavedVersion;

impl Engine {
    /// The templates shipped with the app (the gallery of a new workflow).
    pub fn workflow_templates(&self) -> Vec<Template> {
        files::templates(shipped::WORKFLOWS)
    }

    /// Saves a new workflow; refused when a workflow of its id exists.
    #[instrument(skip_all, err, fields(by = %by.label(), workflow = %workflow.id))]
    pub async fn create_workflow(&self, workflow: &Workflow, by: &Principal) -> Result<SavedVersion, SaveError> {
        let result = files::create(
            &self.store,
            &self.config.workflows_dir,
            workflow,
            &by.label(),
            self.clock.now_ms(),
        )
        .await
        .map(|version| self.saved(workflow, version));
        self.audit_saved(by, "workflow.create", &workflow.id, &result);
        result
    }

    /// A new workflow from the shipped template `template`, under `naming`.
    pub async fn create_from_template(
        &self,
        template: &str,
        naming: &Naming,
        by: &Principal,
    ) -> Result<SavedVersion, SaveError> {
        let source = files::template(shipped::WORKFLOWS, template)
            .ok_or_else(|| SaveError::Missing(format!("no template `{template}`")))?;
        self.create_workflow(&files::copy_of(&source, naming), by).await
    }

    /// A copy of the workflow `id` as it is saved now, under `naming`.
    pub async fn duplicate_workflow(
        &self,
        id: &str,
        naming: &Naming,
        by: &Principal,
    ) -> Result<SavedVersion, SaveError> {
        let definition = self.workflow(id).map_err(|err| match err {
            RunError::NotFound(message) => SaveError::Missing(message),
            other => SaveError::Invalid(other.to_string()),
        })?;
        let source = definition.workflow.ok_or_else(|| {
            SaveError::Invalid(format!("{} does not parse: fix it before copying it", definition.file))
        })?;
        self.create_workflow(&files::copy_of(&source, naming), by).await
    }

    /// Renames the workflow `id` (its name, and its id and file when
    /// `naming.id` differs; its versions and draft go along, and the old
    /// id keeps its versions for the runs that pinned them).
    #[instrument(skip_all, err, fields(by = %by.label(), workflow = id, to = %naming.id))]
    pub async fn rename_workflow(&self, id: &str, naming: &Naming, by: &Principal) -> Result<SavedVersion, SaveError> {
        let result = async {
            let version = files::rename(
                &self.store,
                &self.config.workflows_dir,
                id,
                naming,
                &by.label(),
                self.clock.now_ms(),
            )
            .await?;
            if naming.id != id {
                versions::move_draft(&self.store, id, &naming.id).await?;
            }
            let renamed = self
                .workflow_version(&naming.id, version)
                .await
                .map_err(|err| match err {
                    RunError::Store(err) => SaveError::Store(err),
                    other => SaveError::Invalid(other.to_string()),
                })?;
            Ok(self.saved(&renamed, version))
        }
        .await;
        self.audit_saved(by, "workflow.rename", &format!("{id} -> {}", naming.id), &result);
        result
    }

    /// Reads the file `path` for import (nothing is saved: the caller
    /// creates the workflow, as a copy when its id is taken).
    pub async fn read_workflow_import(&self, path: &Path) -> Result<WorkflowImport, FileError> {
        files::read_import(&self.store, &self.config.workflows_dir, &self.catalog(), path).await
    }

    /// Writes the workflow `id`, as its file holds it, to `path`.
    #[instrument(skip_all, err, fields(by = %by.label(), workflow = id))]
    pub async fn export_workflow(&self, id: &str, path: &Path, by: &Principal) -> Result<(), FileError> {
        let result = files::export(&self.config.workflows_dir, id, path);
        let outcome = match &result {
            Ok(()) => format!("ok: {}", path.display()),
            Err(err) => format!("refused: {err}"),
        };
        self.orchestrator.audit(by, "workflow.export", id, outcome);
        result
    }

    fn saved(&self, workflow: &Workflow, version: u32) -> SavedVersion {
        SavedVersion {
            version,
            problems: self.validate_workflow(workflow),
        }
    }

    fn audit_saved(
        &self,
        by: &Principal,
        action: &'static str,
        target: &str,
        result: &Result<SavedVersion, SaveError>,
    ) {
        let outcome = match result {
            Ok(saved) => format!("ok: version {}", saved.version),
            Err(err) => format!("refused: {err}"),
        };
        self.orchestrator.audit(by, action, target, outcome);
    }
}
