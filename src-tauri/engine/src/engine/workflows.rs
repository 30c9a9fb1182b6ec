//! The workflows' side of the engine: the definitions in the workflows
//! folder (each checked against the catalog as loaded now), their saved
//! versions, and their runs.

use std::time::Duration;

use tracing::instrument;

use super::Engine;
use crate::llm::models::OllamaState;
use crate::runs::adhoc::AdhocTask;
use crate::runs::model::{NewRun, Run, RunQuery};
use crate::runs::preflight::{self, Warning};
use crate::runs::{RunError, RunNews, RunPage};
use crate::security::Principal;
use crate::workflow::model::Workflow;
use crate::workflow::versions::{self, Change, Draft, SaveError, VersionInfo};
use crate::workflow::watch::WorkflowsChanged;
use crate::workflow::{self, Definition, SavedVersion, WorkflowProblem};

impl Engine {
    /// Every definition in the workflows folder, valid or not (with its
    /// problems), sorted by file name.
    pub fn workflows(&self) -> Vec<Definition> {
        workflow::load_dir(&self.config.workflows_dir, &self.catalog())
    }

    /// One definition, valid or not.
    pub fn workflow(&self, id: &str) -> Result<Definition, RunError> {
        let path = self.workflow_path(id)?;
        if !path.exists() {
            return Err(RunError::NotFound(format!("no workflow `{id}`")));
        }
        Ok(workflow::read(&path, &self.catalog()))
    }

    fn workflow_path(&self, id: &str) -> Result<std::path::PathBuf, RunError> {
        if !workflow::is_file_id(id) {
            return Err(RunError::NotFound(format!("no workflow `{id}`")));
        }
        Ok(self.config.workflows_dir.join(format!("{id}.json")))
    }

    /// Every problem of a definition, without saving it.
    pub fn validate_workflow(&self, workflow: &Workflow) -> Vec<WorkflowProblem> {
        workflow::validate(workflow, &self.catalog())
    }

    /// Saves a definition as the version after `base` (the version the
    /// editor started from; none for a new workflow). A definition with
    /// problems is saved too (no edit is lost); it cannot run until they
    /// are fixed.
    #[instrument(skip_all, err, fields(by = %by.label(), workflow = %workflow.id))]
    pub async fn save_workflow(
        &self,
        workflow: &Workflow,
        base: Option<u32>,
        by: &Principal,
    ) -> Result<SavedVersion, SaveError> {
        let result = async {
            if !workflow::is_file_id(&workflow.id) {
                return Err(SaveError::Invalid(format!(
                    "id: expected 1–64 lowercase letters, digits, `-` or `_`, found `{}`",
                    workflow.id
                )));
            }
            let version = versions::save(
                &self.store,
                &self.config.workflows_dir,
                workflow,
                base,
                &by.label(),
                self.clock.now_ms(),
            )
            .await?;
            // The edit is a version now: its draft has done its job.
            versions::discard_draft(&self.store, &workflow.id).await?;
            Ok(SavedVersion {
                version,
                problems: self.validate_workflow(workflow),
            })
        }
        .await;
        let outcome = match &result {
            Ok(saved) => format!("ok: version {}", saved.version),
            Err(err) => format!("refused: {err}"),
        };
        self.orchestrator.audit(by, "workflow.save", &workflow.id, outcome);
        result
    }

    /// Keeps the designer's current edit of a workflow (at every change).
    pub async fn save_draft(&self, workflow: &Workflow, base: Option<u32>) -> Result<(), RunError> {
        if !workflow::is_file_id(&workflow.id) {
            return Err(RunError::Invalid(format!(
                "id: expected 1–64 lowercase letters, digits, `-` or `_`, found `{}`",
                workflow.id
            )));
        }
        Ok(versions::save_draft(&self.store, workflow, base, self.clock.now_ms()).await?)
    }

    /// The designer's unsaved edit of a workflow, if any.
    pub async fn draft(&self, id: &str) -> Result<Option<Draft>, RunError> {
        Ok(versions::draft(&self.store, id).await?)
    }

    pub async fn discard_draft(&self, id: &str) -> Result<(), RunError> {
        Ok(versions::discard_draft(&self.store, id).await?)
    }

    /// Removes a definition's file and the designer's unsaved draft of it;
    /// its versions stay, so its runs are still drawn with the version they
    /// ran and it can be restored. Refused while it has runs under way.
    #[instrument(skip_all, err, fields(by = %by.label(), workflow = id))]
    pub async fn delete_workflow(&self, id: &str, by: &Principal) -> Result<(), RunError> {
        let result = async {
            let path = self.workflow_path(id)?;
            if !path.exists() {
                return Err(RunError::NotFound(format!("no workflow `{id}`")));
            }
            if self.runs.has_unfinished(id).await? {
                return Err(RunError::Conflict(format!(
                    "workflow `{id}` has runs under way; cancel them first"
                )));
            }
            // Whatever is on disk is kept as a version before it goes.
            if let Ok(text) = std::fs::read_to_string(&path) {
                versions::pin(&self.store, id, &text, self.clock.now_ms()).await?;
            }
            std::fs::remove_file(&path)
                .map_err(|err| RunError::Conflict(format!("cannot remove {}: {err}", path.display())))?;
            Ok(versions::discard_draft(&self.store, id).await?)
        }
        .await;
        let outcome = match &result {
            Ok(()) => "ok".to_string(),
            Err(err) => format!("refused: {err}"),
        };
        self.orchestrator.audit(by, "workflow.delete", id, outcome);
        result
    }

    /// Every saved version of a workflow, newest first. The file as it is
    /// now is one of them (an edit made on disk, or a shipped template never
    /// saved here, is kept as a version first), so an editor always starts
    /// from a version.
    pub async fn workflow_versions(&self, id: &str) -> Result<Vec<VersionInfo>, RunError> {
        if let Ok(text) = std::fs::read_to_string(self.workflow_path(id)?) {
            versions::pin(&self.store, id, &text, self.clock.now_ms()).await?;
        }
        Ok(versions::versions(&self.store, id).await?)
    }

    /// One saved version of a workflow (to compare or restore).
    pub async fn workflow_version(&self, id: &str, version: u32) -> Result<Workflow, RunError> {
        let text = versions::body(&self.store, id, version)
            .await?
            .ok_or_else(|| RunError::NotFound(format!("workflow `{id}` has no version {version}")))?;
        serde_json::from_str(&text)
            .map_err(|err| RunError::Invalid(format!("version {version} of `{id}` is not a definition: {err}")))
    }

    /// What changed from version `from` to version `to` of a definition.
    pub async fn workflow_diff(&self, id: &str, from: u32, to: u32) -> Result<Vec<Change>, RunError> {
        let (old, new) = (
            self.workflow_version(id, from).await?,
            self.workflow_version(id, to).await?,
        );
        Ok(versions::diff(&old, &new))
    }

    /// Saves an earlier version again, as the newest one.
    #[instrument(skip_all, err, fields(by = %by.label(), workflow = id, version))]
    pub async fn restore_workflow(&self, id: &str, version: u32, by: &Principal) -> Result<SavedVersion, SaveError> {
        let workflow = self.workflow_version(id, version).await.map_err(|err| match err {
            RunError::Store(err) => SaveError::Store(err),
            other => SaveError::Invalid(other.to_string()),
        })?;
        let newest = versions::versions(&self.store, id).await?.first().map(|v| v.version);
        self.save_workflow(&workflow, newest, by).await
    }

    /// What would make the definition's steps fail or wait right now
    /// (no healthy agent, models not pulled, Ollama down): warnings that do
    /// not block a run.
    pub async fn preflight_workflow(&self, id: &str) -> Result<Vec<Warning>, RunError> {
        let definition = self.workflow(id)?;
        let Some(workflow) = definition.workflow else {
            return Ok(Vec::new());
        };
        let healthy = self
            .fleet
            .endpoints()
            .borrow()
            .iter()
            .filter(|e| e.healthy)
            .map(|e| e.agent_id.clone())
            .collect();
        let overview = self.models().await;
        let models = matches!(overview.ollama, OllamaState::Up { .. })
            .then(|| overview.models.into_iter().map(|m| m.model.name).collect());
        let facts = preflight::Facts { healthy, models };
        Ok(preflight::check(&workflow, &self.catalog(), &facts))
    }

    /// Starts a run of a definition; committed before this returns. Its
    /// inputs pass the threat gate first (engine/threats.rs): refused
    /// ([`RunError::ThreatBlocked`]) or held for a person's approval
    /// ([`RunError::InputHeld`]), no run starts.
    #[instrument(skip_all, err, fields(by = %by.label(), workflow = id))]
    pub async fn start_run(&self, id: &str, new: NewRun, by: &Principal) -> Result<Run, RunError> {
        self.screen_run(id, &new, by).await?;
        self.runs.start(id, new, by).await
    }

    /// Starts an ad-hoc run of seed 001's multi-agent task (pipeline,
    /// collaborative, hierarchical or swarm over its capabilities), past
    /// the threat gate as [`Engine::start_run`].
    #[instrument(skip_all, err, fields(by = %by.label(), pattern = %task.pattern))]
    pub async fn start_task_run(&self, task: &AdhocTask, by: &Principal) -> Result<Run, RunError> {
        self.screen_task_run(task, by).await?;
        self.runs.start_task(task, by).await
    }

    pub async fn run(&self, id: &str) -> Result<Run, RunError> {
        self.runs.get(id).await
    }

    pub async fn runs(&self, query: RunQuery) -> Result<RunPage, RunError> {
        self.runs.list(query).await
    }

    /// The definition version a run pinned (it is always drawn with it).
    pub async fn run_definition(&self, id: &str) -> Result<Workflow, RunError> {
        let run = self.runs.get(id).await?;
        self.runs.definition(&run).await
    }

    /// Waits (at most `timeout`) until a run has ended.
    pub async fn wait_run(&self, id: &str, timeout: Duration) -> Result<Run, RunError> {
        self.runs.wait(id, timeout).await
    }

    #[instrument(skip_all, err, fields(by = %by.label(), run = id))]
    pub async fn cancel_run(&self, id: &str, by: &Principal) -> Result<Run, RunError> {
        self.runs.cancel(id, by).await
    }

    #[instrument(skip_all, err, fields(by = %by.label(), run = id))]
    pub async fn pause_run(&self, id: &str, pause: bool, by: &Principal) -> Result<Run, RunError> {
        self.runs.pause(id, pause, by).await
    }

    #[instrument(skip_all, err, fields(by = %by.label(), run = id, step))]
    pub async fn decide_step(
        &self,
        id: &str,
        step: &str,
        approve: bool,
        note: String,
        by: &Principal,
    ) -> Result<Run, RunError> {
        self.runs.decide(id, step, approve, note, by).await
    }

    #[instrument(skip_all, err, fields(by = %by.label(), run = id, from_step))]
    pub async fn rerun(&self, id: &str, from_step: &str, by: &Principal) -> Result<Run, RunError> {
        self.runs.rerun(id, from_step, by).await
    }

    /// Definition files changed on disk (saved here or elsewhere).
    pub fn subscribe_workflows(&self) -> tokio::sync::broadcast::Receiver<WorkflowsChanged> {
        self.workflows_watch.subscribe()
    }

    /// Every change of every run and step.
    pub fn subscribe_runs(&self) -> tokio::sync::broadcast::Receiver<RunNews> {
        self.runs.subscribe()
    }
}
