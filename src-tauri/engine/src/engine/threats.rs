//! Threat blocking at the engine's door: every task submitted through
//! `Engine::submit_*` (by a person, an API client or an agent delegating)
//! and every run started is scanned before anything is queued. An input at
//! the scanner's block threshold is refused; one in its challenge band is
//! held, with its request, until a person approves (it is submitted then,
//! as its submitter would have) or rejects it in the Security view. Both
//! are recorded (`security/threats.rs`), audited and reported to the alert
//! rules.
//!
//! Material to analyse is let through, recorded as `forwarded` and not
//! alerted: a task for a security agent (one named, or a capability only
//! security agents have), whose job is to read hostile text, and a
//! workflow input declared `untrusted` (code to scan, an order to screen),
//! which a step of that workflow screens.
//!
//! Architecture invariant: the tasks a run's driver submits for its steps
//! go to the orchestrator directly, not through this gate: the run's inputs
//! were scanned when it started, and a step's input is an agent's output.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tracing::{instrument, warn};

use super::Engine;
use crate::alerts::events::{EventKind, Occurrence};
use crate::catalog::Entry;
use crate::error::EngineError;
use crate::orchestrator::model::NewTask;
use crate::orchestrator::OrchestratorError;
use crate::runs::adhoc::AdhocTask;
use crate::runs::model::NewRun;
use crate::runs::RunError;
use crate::security::threats::{self, Decision, NewThreat, Threat, ThreatAction, ThreatSource, MAX_PAGE};
use crate::security::{Principal, Role};
use crate::store::StoreError;
use sutazai_protocol::manifest::Kind;

/// Who submitted a held request, kept with it so an approval submits it as
/// they would have. Their address is not kept: that call is over.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Submitter {
    Desktop,
    Key { id: i64, name: String, role: Role },
    Agent { agent_id: String, container: String },
    Run { run_id: String },
}

impl Submitter {
    fn of(principal: &Principal) -> Submitter {
        match principal {
            Principal::Desktop => Self::Desktop,
            Principal::Key { id, name, role, .. } => Self::Key {
                id: *id,
                name: name.clone(),
                role: *role,
            },
            Principal::Agent {
                agent_id, container, ..
            } => Self::Agent {
                agent_id: agent_id.clone(),
                container: container.clone(),
            },
            Principal::Run { run_id } => Self::Run { run_id: run_id.clone() },
        }
    }

    fn principal(self) -> Principal {
        match self {
            Self::Desktop => Principal::Desktop,
            Self::Key { id, name, role } => Principal::Key {
                id,
                name,
                role,
                from: None,
            },
            Self::Agent { agent_id, container } => Principal::Agent {
                agent_id,
                container,
                from: None,
            },
            Self::Run { run_id } => Principal::Run { run_id },
        }
    }
}

/// A held request as the `threats` table keeps it (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Request {
    /// `Engine::submit_task` or `submit_and_wait`.
    Task { by: Submitter, task: NewTask },
    /// `Engine::start_run`.
    Run {
        by: Submitter,
        workflow: String,
        run: NewRun,
    },
    /// `Engine::start_task_run`.
    TaskRun { by: Submitter, task: AdhocTask },
}

/// Why the gate did not let an input through.
#[derive(Debug)]
pub(super) enum Stopped {
    Blocked {
        score: f64,
        patterns: Vec<String>,
    },
    Held {
        threat_id: i64,
    },
    /// A held input could not be recorded, so it is not held either.
    Store(StoreError),
}

impl From<Stopped> for OrchestratorError {
    fn from(stopped: Stopped) -> Self {
        match stopped {
            Stopped::Blocked { score, patterns } => Self::ThreatBlocked { score, patterns },
            Stopped::Held { threat_id } => Self::InputHeld { threat_id },
            Stopped::Store(err) => Self::Store(err),
        }
    }
}

impl From<Stopped> for RunError {
    fn from(stopped: Stopped) -> Self {
        match stopped {
            Stopped::Blocked { score, patterns } => Self::ThreatBlocked { score, patterns },
            Stopped::Held { threat_id } => Self::InputHeld { threat_id },
            Stopped::Store(err) => Self::Store(err),
        }
    }
}

/// A run's error as the threat decisions answer it.
fn run_error(err: RunError) -> OrchestratorError {
    match err {
        RunError::NotFound(m) => OrchestratorError::NotFound(m),
        RunError::Conflict(m) => OrchestratorError::Conflict(m),
        RunError::Store(err) => OrchestratorError::Store(err),
        other => OrchestratorError::Invalid(other.to_string()),
    }
}

impl Engine {
    /// Whether a task goes to security agents only: the agent it names is
    /// one, or every agent with its capability is.
    fn for_security_agents(&self, task: &NewTask) -> bool {
        let catalog = self.catalog();
        let security = |e: &&Arc<Entry>| e.manifest.kind == Kind::Security;
        if let Some(agent) = &task.agent_id {
            return catalog.get(agent).is_some_and(|e| security(&e));
        }
        task.capability.as_deref().is_some_and(|capability| {
            let providers = catalog.with_capability(capability);
            !providers.is_empty() && providers.iter().all(security)
        })
    }

    /// The gate for a task's submission: its payload as JSON text.
    pub(super) async fn screen_task(&self, task: &NewTask, by: &Principal) -> Result<(), Stopped> {
        let input = task.payload.to_string();
        let material = self.for_security_agents(task);
        self.screen(ThreatSource::Task, input, material, by, || Request::Task {
            by: Submitter::of(by),
            task: task.clone(),
        })
        .await
    }

    /// The gate for a run's start: its inputs as JSON text, those the
    /// workflow declares `untrusted` apart (recorded, let through).
    pub(super) async fn screen_run(&self, workflow: &str, run: &NewRun, by: &Principal) -> Result<(), Stopped> {
        let untrusted: Vec<String> = self
            .workflow(workflow)
            .ok()
            .and_then(|d| d.workflow)
            .map(|w| w.inputs.into_iter().filter(|i| i.untrusted).map(|i| i.name).collect())
            .unwrap_or_default();
        let (material, gated): (Map<String, Value>, Map<String, Value>) = run
            .inputs
            .clone()
            .into_iter()
            .partition(|(name, _)| untrusted.contains(name));
        let request = || Request::Run {
            by: Submitter::of(by),
            workflow: workflow.to_string(),
            run: run.clone(),
        };
        self.screen(ThreatSource::Run, Value::Object(gated).to_string(), false, by, request)
            .await?;
        if material.is_empty() {
            return Ok(());
        }
        self.screen(
            ThreatSource::Run,
            Value::Object(material).to_string(),
            true,
            by,
            request,
        )
        .await
    }

    /// The gate for an ad-hoc run's start: the whole multi-agent task
    /// (its description and payload among it) as JSON text.
    pub(super) async fn screen_task_run(&self, task: &AdhocTask, by: &Principal) -> Result<(), Stopped> {
        let input = serde_json::to_string(task).unwrap_or_default();
        self.screen(ThreatSource::Run, input, false, by, || Request::TaskRun {
            by: Submitter::of(by),
            task: task.clone(),
        })
        .await
    }

    /// Scans `input`; passes it, or records, audits and reports it as
    /// refused or held (with `request()`, to submit on approval). What
    /// would be stopped in `material` to analyse is recorded and let
    /// through.
    async fn screen(
        &self,
        source: ThreatSource,
        input: String,
        material: bool,
        by: &Principal,
        request: impl FnOnce() -> Request,
    ) -> Result<(), Stopped> {
        // Bounded by the cap on what is scanned: milliseconds, on the
        // caller's task.
        let screening = threats::screen(&input);
        let action = match screening.decision {
            Decision::Pass => return Ok(()),
            _ if material => ThreatAction::Forwarded,
            Decision::Hold => ThreatAction::Held,
            Decision::Refuse => ThreatAction::Blocked,
        };
        let label = by.label();
        let kept = match action {
            ThreatAction::Held => serde_json::to_string(&request()).ok(),
            _ => None,
        };
        let recorded = threats::record(
            &self.store,
            NewThreat {
                at_ms: self.clock.now_ms(),
                source,
                by: label.clone(),
                excerpt: threats::excerpt(&input),
                score: screening.score,
                patterns: screening.patterns.clone(),
                action,
                request: kept,
            },
        )
        .await;
        let found = format!("score {}, patterns {}", screening.score, screening.patterns.join(", "));
        let what = match source {
            ThreatSource::Task => "task input",
            ThreatSource::Run => "run input",
        };
        if action == ThreatAction::Forwarded {
            let target = recorded.map_or_else(|_| what.to_string(), |id| format!("threat:{id}"));
            self.audit_action(by, "threat.forward", &target, "ok: material to analyse", &found)
                .await;
            return Ok(());
        }
        self.report(Occurrence::new(
            EventKind::ThreatFound,
            Some(&label),
            format!("{} {what}: {found}", action.as_str()),
        ));
        let target = match &recorded {
            Ok(id) => format!("threat:{id}"),
            Err(_) => what.to_string(),
        };
        match action {
            ThreatAction::Held => {
                let outcome = match &recorded {
                    Ok(_) => "held".to_string(),
                    Err(err) => format!("failed: {err}"),
                };
                self.audit_action(by, "threat.hold", &target, &outcome, &found).await;
                let threat_id = recorded.map_err(Stopped::Store)?;
                Err(Stopped::Held { threat_id })
            }
            _ => {
                if let Err(err) = &recorded {
                    warn!(cause = %err, by = %label, "cannot record a refused threat");
                }
                let refused = OrchestratorError::ThreatBlocked {
                    score: screening.score,
                    patterns: screening.patterns.clone(),
                };
                let outcome = format!("refused: {refused}");
                self.audit_action(by, "threat.block", &target, &outcome, &found).await;
                Err(Stopped::Blocked {
                    score: screening.score,
                    patterns: screening.patterns,
                })
            }
        }
    }

    /// The newest `limit` inputs the gate stopped (at most
    /// [`threats::MAX_PAGE`]), newest first.
    pub async fn threats(&self, limit: u32) -> Result<Vec<Threat>, EngineError> {
        Ok(threats::list(&self.store, limit.min(MAX_PAGE)).await?)
    }

    /// Submits a held input as its submitter would have, past the gate,
    /// and records the task or run it became. Only a held one; should the
    /// submission fail, it stays held.
    #[instrument(skip_all, err, fields(by = %by.label(), threat = id))]
    pub async fn approve_threat(&self, id: i64, by: &Principal) -> Result<Threat, OrchestratorError> {
        let result = self.approve_unaudited(id, by).await;
        let outcome = match &result {
            Ok(threat) => format!("ok: {}", threat.result_id.as_deref().unwrap_or_default()),
            Err(err) => format!("refused: {err}"),
        };
        self.audit_action(by, "threat.approve", &format!("threat:{id}"), &outcome, "")
            .await;
        result
    }

    async fn approve_unaudited(&self, id: i64, by: &Principal) -> Result<Threat, OrchestratorError> {
        let kept = self.held(id, "approved").await?;
        if !threats::decide(
            &self.store,
            id,
            ThreatAction::Approved,
            &by.label(),
            self.clock.now_ms(),
        )
        .await?
        {
            return Err(decided_meanwhile(id));
        }
        let submitted = match serde_json::from_str::<Request>(&kept) {
            Ok(request) => self.submit_held(request).await,
            Err(err) => Err(OrchestratorError::Conflict(format!(
                "threat {id}: its kept request cannot be read: {err}"
            ))),
        };
        match submitted {
            Ok(result_id) => threats::settle(&self.store, id, Some(result_id)).await?,
            Err(err) => {
                threats::hold_again(&self.store, id).await?;
                return Err(err);
            }
        }
        self.threat(id).await
    }

    /// Submits a held request past the gate; the task's or run's id.
    async fn submit_held(&self, request: Request) -> Result<String, OrchestratorError> {
        match request {
            Request::Task { by, task } => Ok(self.orchestrator.submit(task, &by.principal()).await?.id),
            Request::Run { by, workflow, run } => Ok(self
                .runs
                .start(&workflow, run, &by.principal())
                .await
                .map_err(run_error)?
                .id),
            Request::TaskRun { by, task } => Ok(self
                .runs
                .start_task(&task, &by.principal())
                .await
                .map_err(run_error)?
                .id),
        }
    }

    /// Drops a held input: nothing is submitted. Only a held one.
    #[instrument(skip_all, err, fields(by = %by.label(), threat = id))]
    pub async fn reject_threat(&self, id: i64, by: &Principal) -> Result<Threat, OrchestratorError> {
        let result = async {
            self.held(id, "rejected").await?;
            if !threats::decide(
                &self.store,
                id,
                ThreatAction::Rejected,
                &by.label(),
                self.clock.now_ms(),
            )
            .await?
            {
                return Err(decided_meanwhile(id));
            }
            threats::settle(&self.store, id, None).await?;
            self.threat(id).await
        }
        .await;
        self.audit_action(
            by,
            "threat.reject",
            &format!("threat:{id}"),
            &super::outcome_of(&result),
            "",
        )
        .await;
        result
    }

    async fn threat(&self, id: i64) -> Result<Threat, OrchestratorError> {
        threats::get(&self.store, id)
            .await?
            .map(|(threat, _)| threat)
            .ok_or_else(|| OrchestratorError::NotFound(format!("no threat {id}")))
    }

    /// The kept request of held threat `id`; refused for one that is not
    /// held (to be `decision`).
    async fn held(&self, id: i64, decision: &str) -> Result<String, OrchestratorError> {
        let (threat, request) = threats::get(&self.store, id)
            .await?
            .ok_or_else(|| OrchestratorError::NotFound(format!("no threat {id}")))?;
        match (threat.action, request) {
            (ThreatAction::Held, Some(request)) => Ok(request),
            (action, _) => Err(OrchestratorError::Conflict(format!(
                "threat {id} is {}; only a held one can be {decision}",
                action.as_str()
            ))),
        }
    }
}

fn decided_meanwhile(id: i64) -> OrchestratorError {
    OrchestratorError::Conflict(format!("threat {id} was decided meanwhile"))
}
