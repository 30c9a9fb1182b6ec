//! Where the event rules' occurrences come from: the fleet's, the tasks'
//! and the runs' news as they happen, and each round what is still wrong
//! now (an agent not healthy again, Ollama down, a breaker open, a run
//! waiting for approval, the data dir's disk nearly full, a container
//! with a critical CIS finding, a deployed agent whose models Ollama has
//! neither of).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::Instant;

use super::Engine;
use crate::alerts::events::{EventKind, Occurrence};
use crate::alerts::rules::{Rule, Signal};
use crate::fleet::model::{AgentAction, DeployStage, FleetEvent};
use crate::orchestrator::breaker::BreakerState;
use crate::orchestrator::model::{TaskEvent, TaskStatus};
use crate::runs::model::RunStatus;
use crate::runs::RunNews;
use crate::security::container_audit::{ContainerAudit, FindingSeverity, Verdict};
use crate::security::rate::RateRefusal;
use crate::status::Probe;

/// How often the data dir's free space is read.
const DISK_EVERY: Duration = Duration::from_secs(30);

/// How often every container is audited (CIS §5) for critical findings.
const AUDIT_EVERY: Duration = Duration::from_secs(300);

/// How often Ollama's models are compared with what deployed agents need.
const MODELS_EVERY: Duration = Duration::from_secs(60);

/// Less free space than this where the data lives is low…
const DISK_LOW_BYTES: u64 = 1 << 30;
/// …or less than this share of the disk.
const DISK_LOW_SHARE: f64 = 0.05;

/// One piece of news from a subsystem.
pub(super) enum News {
    Fleet(Result<FleetEvent, RecvError>),
    Task(Result<TaskEvent, RecvError>),
    Run(Result<RunNews, RecvError>),
    Rate(Result<RateRefusal, RecvError>),
}

/// The subscriptions and what the rounds remember between them.
pub(super) struct Sources {
    fleet: broadcast::Receiver<FleetEvent>,
    tasks: broadcast::Receiver<TaskEvent>,
    runs: broadcast::Receiver<RunNews>,
    rates: broadcast::Receiver<RateRefusal>,
    /// Which subscriptions have ended (the engine is stopping).
    closed: [bool; 4],
    /// What happened since the last round.
    pending: Vec<Occurrence>,
    /// Runs waiting for approval: id → workflow name.
    waiting: BTreeMap<String, String>,
    /// Agents a person stopped or removed: not "unhealthy" while down.
    stopped: BTreeSet<String>,
    /// When the disk was last read, and what was wrong then.
    disk: Option<(Instant, Option<String>)>,
    /// When the containers were last audited, and each one's critical
    /// findings then (container → what).
    audit: Option<(Instant, Vec<(String, String)>)>,
    /// When the models were last compared, and the deployed agents with
    /// neither of their models then (agent → what it needs).
    models: Option<(Instant, Vec<(String, String)>)>,
}

/// The containers with critical findings, and which.
fn critical_findings(audits: &[ContainerAudit]) -> Vec<(String, String)> {
    audits
        .iter()
        .filter(|a| a.critical > 0)
        .map(|a| {
            let what: Vec<String> = a
                .checks
                .iter()
                .filter(|c| c.verdict == Verdict::Warn && c.severity == Some(FindingSeverity::Critical))
                .map(|c| format!("{} {}", c.id, c.title))
                .collect();
            (a.container.clone(), what.join("; "))
        })
        .collect()
}

/// What an agent's event means for its rules.
pub(super) fn occurrences_of(event: &FleetEvent) -> Vec<Occurrence> {
    let agent = Some(event.agent_id());
    match event {
        FleetEvent::Died {
            container, exit_code, ..
        } => {
            let how = exit_code.map_or_else(|| "exited".to_string(), |c| format!("exit code {c}"));
            vec![Occurrence::new(
                EventKind::AgentDied,
                agent,
                format!("{container}: {how}"),
            )]
        }
        FleetEvent::OutOfMemory { container, .. } => vec![Occurrence::new(
            EventKind::AgentOutOfMemory,
            agent,
            format!("{container}: killed by the kernel for memory"),
        )],
        FleetEvent::Restarted {
            container,
            attempt,
            reason,
            ..
        } => {
            let detail = format!("{container}: restart {attempt} ({reason})");
            let mut out = vec![Occurrence::new(EventKind::AgentRestarted, agent, detail.clone())];
            if reason.starts_with("unhealthy") {
                out.push(Occurrence::new(EventKind::AgentUnhealthy, agent, detail));
            }
            out
        }
        FleetEvent::Flapping {
            container, restarts, ..
        } => vec![Occurrence::new(
            EventKind::AgentFlapping,
            agent,
            format!("{container}: restarted {restarts} times in a short while; left stopped"),
        )],
        _ => Vec::new(),
    }
}

/// Free space in the file system that holds `dir`, as a problem when low.
fn disk_problem(dir: &Path) -> Option<String> {
    let stat = rustix::fs::statvfs(dir).ok()?;
    let free = stat.f_bavail.saturating_mul(stat.f_frsize);
    let total = stat.f_blocks.saturating_mul(stat.f_frsize);
    #[allow(clippy::cast_precision_loss)] // a share of the disk
    let share = if total == 0 { 1.0 } else { free as f64 / total as f64 };
    (free < DISK_LOW_BYTES || share < DISK_LOW_SHARE).then(|| {
        format!(
            "{}: {} MiB free ({:.1} % of the disk)",
            dir.display(),
            free >> 20,
            share * 100.0
        )
    })
}

impl Sources {
    /// Subscribes before the first round, so no news is missed.
    pub(super) fn new(engine: &Engine) -> Sources {
        Sources {
            fleet: engine.fleet.subscribe(),
            tasks: engine.orchestrator.subscribe(),
            runs: engine.runs.subscribe(),
            rates: engine.subscribe_rate_refusals(),
            closed: [false; 4],
            pending: Vec::new(),
            waiting: BTreeMap::new(),
            stopped: BTreeSet::new(),
            disk: None,
            audit: None,
            models: None,
        }
    }

    /// The next piece of news; never, once every subscription has ended.
    pub(super) async fn next(&mut self) -> News {
        let [fleet_closed, tasks_closed, runs_closed, rates_closed] = self.closed;
        tokio::select! {
            e = self.fleet.recv(), if !fleet_closed => News::Fleet(e),
            e = self.tasks.recv(), if !tasks_closed => News::Task(e),
            e = self.runs.recv(), if !runs_closed => News::Run(e),
            e = self.rates.recv(), if !rates_closed => News::Rate(e),
            else => std::future::pending().await,
        }
    }

    /// Takes in one piece of news; whether it is something to raise now.
    pub(super) fn take(&mut self, news: News) -> bool {
        let before = self.pending.len();
        match news {
            News::Fleet(Ok(event)) => {
                self.track_person(&event);
                self.pending.extend(occurrences_of(&event));
            }
            News::Task(Ok(TaskEvent { task })) if task.status == TaskStatus::Dead => {
                let detail = format!(
                    "{} ({}) after {} attempts: {}",
                    task.id,
                    task.name.as_deref().unwrap_or(&task.task_type),
                    task.attempts,
                    task.error_code.as_deref().unwrap_or("failed")
                );
                let subject = task.capability.clone().or(task.assigned_agent.clone());
                self.pending
                    .push(Occurrence::new(EventKind::TaskDeadLettered, subject.as_deref(), detail));
            }
            News::Run(Ok(RunNews::Run(event))) => {
                let run = event.run;
                if run.status == RunStatus::Waiting {
                    self.waiting.insert(run.id.clone(), run.workflow_name.clone());
                } else {
                    self.waiting.remove(&run.id);
                }
                if run.status == RunStatus::Failed {
                    self.pending.push(Occurrence::new(
                        EventKind::RunFailed,
                        Some(&run.id),
                        format!("{} v{}, started by {}", run.workflow_name, run.version, run.started_by),
                    ));
                }
            }
            News::Rate(Ok(refusal)) => self.pending.push(Occurrence::new(
                EventKind::RateLimited,
                Some(&refusal.client),
                "went over its requests a minute; refused with 429 and Retry-After",
            )),
            News::Fleet(Err(RecvError::Closed)) => self.closed[0] = true,
            News::Task(Err(RecvError::Closed)) => self.closed[1] = true,
            News::Run(Err(RecvError::Closed)) => self.closed[2] = true,
            News::Rate(Err(RecvError::Closed)) => self.closed[3] = true,
            _ => {}
        }
        self.pending.len() > before
    }

    /// A person stopping or removing an agent is not trouble.
    fn track_person(&mut self, event: &FleetEvent) {
        match event {
            FleetEvent::Acted {
                agent_id,
                action: AgentAction::Stop | AgentAction::Remove,
            } => {
                self.stopped.insert(agent_id.clone());
            }
            FleetEvent::Acted { agent_id, .. }
            | FleetEvent::Deployed {
                agent_id,
                stage: DeployStage::Healthy | DeployStage::Unchanged,
                ..
            } => {
                self.stopped.remove(agent_id);
            }
            _ => {}
        }
    }

    /// What happened since the last round.
    pub(super) fn drain(&mut self) -> Vec<Occurrence> {
        std::mem::take(&mut self.pending)
    }

    /// The agents with a running container, each once.
    pub(super) fn deployed_agents(&self, engine: &Engine) -> Vec<String> {
        let mut agents: Vec<String> = engine
            .fleet
            .endpoints()
            .borrow()
            .iter()
            .map(|e| e.agent_id.clone())
            .collect();
        agents.sort();
        agents.dedup();
        agents
    }

    /// What is wrong now: the firing agents' alerts while the agent is not
    /// healthy again, and the conditions that are events while they last.
    pub(super) async fn still_wrong(
        &mut self,
        engine: &Engine,
        firing: &[(&str, Option<&str>)],
        rules: &[Rule],
    ) -> Vec<Occurrence> {
        let mut out = Vec::new();
        let healthy: BTreeSet<String> = engine
            .fleet
            .endpoints()
            .borrow()
            .iter()
            .filter(|e| e.healthy)
            .map(|e| e.agent_id.clone())
            .collect();
        for (rule, subject) in firing {
            let Some(agent) = subject else { continue };
            let event = rules.iter().find(|r| r.id == *rule).and_then(|r| match r.signal {
                Signal::Event { event } if event.about_agents() => Some(event),
                _ => None,
            });
            if let Some(event) = event {
                if !healthy.contains(*agent) && !self.stopped.contains(*agent) {
                    out.push(Occurrence::new(event, Some(agent), "not healthy again yet"));
                }
            }
        }
        let ollama = engine.status.borrow().ollama.clone();
        if let Probe::Unreachable(error) = ollama {
            out.push(Occurrence::new(
                EventKind::OllamaDown,
                None,
                format!("{}: {}", engine.config.ollama_url, error.message),
            ));
        }
        for (container, state, _) in engine.orchestrator.breakers() {
            if state == BreakerState::Open {
                out.push(Occurrence::new(
                    EventKind::BreakerOpened,
                    Some(&container),
                    "calls to it are refused until it recovers",
                ));
            }
        }
        for (run, workflow) in &self.waiting {
            out.push(Occurrence::new(
                EventKind::RunWaiting,
                Some(run),
                format!("{workflow}: a step waits for a person's approval"),
            ));
        }
        let due = self.disk.as_ref().is_none_or(|(at, _)| at.elapsed() >= DISK_EVERY);
        if due {
            let dir = engine.config.data_dir.clone();
            let problem = tokio::task::spawn_blocking(move || disk_problem(&dir))
                .await
                .unwrap_or_default();
            self.disk = Some((Instant::now(), problem));
        }
        if let Some((_, Some(problem))) = &self.disk {
            out.push(Occurrence::new(EventKind::DiskLow, None, problem.clone()));
        }
        let due = self.audit.as_ref().is_none_or(|(at, _)| at.elapsed() >= AUDIT_EVERY);
        if due {
            // Docker down: nothing to audit (the status says so already).
            let found = engine.audit_containers().await.map(|a| critical_findings(&a));
            self.audit = Some((Instant::now(), found.unwrap_or_default()));
        }
        let due = self.models.as_ref().is_none_or(|(at, _)| at.elapsed() >= MODELS_EVERY);
        if due {
            // Ollama down: nothing is known (its own alert says so).
            let deployed = self.deployed_agents(engine);
            let missing = engine
                .models()
                .await
                .unserved_agents
                .into_iter()
                .filter(|u| deployed.contains(&u.agent.id))
                .map(|u| {
                    let what = format!("needs {} (or {}); Ollama has neither", u.preferred, u.fallback);
                    (u.agent.id, what)
                })
                .collect();
            self.models = Some((Instant::now(), missing));
        }
        if let Some((_, missing)) = &self.models {
            for (agent, what) in missing {
                out.push(Occurrence::new(EventKind::ModelMissing, Some(agent), what.clone()));
            }
        }
        if let Some((_, findings)) = &self.audit {
            for (container, what) in findings {
                out.push(Occurrence::new(
                    EventKind::ContainerAudit,
                    Some(container),
                    what.clone(),
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agents_events_become_occurrences_that_name_what_happened() {
        let died = FleetEvent::Died {
            agent_id: "AG-001".into(),
            container: "sutazai-ag-001".into(),
            exit_code: Some(137),
        };
        let got = occurrences_of(&died);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].event, EventKind::AgentDied);
        assert_eq!(got[0].subject.as_deref(), Some("AG-001"));
        assert_eq!(got[0].detail, "sutazai-ag-001: exit code 137");
        let unhealthy = FleetEvent::Restarted {
            agent_id: "AG-002".into(),
            container: "sutazai-ag-002".into(),
            attempt: 1,
            reason: "unhealthy: /health failed 3 times in a row over 10 s".into(),
        };
        let kinds: Vec<EventKind> = occurrences_of(&unhealthy).iter().map(|o| o.event).collect();
        assert_eq!(kinds, vec![EventKind::AgentRestarted, EventKind::AgentUnhealthy]);
        let scaled = FleetEvent::Scaled {
            agent_id: "AG-003".into(),
            instances: 2,
        };
        assert!(occurrences_of(&scaled).is_empty());
    }

    #[test]
    fn the_disk_check_reads_the_file_system() {
        let dir = tempfile::tempdir().expect("a temp dir");
        // Whatever it says, it reads without failing and names the dir when low.
        if let Some(problem) = disk_problem(dir.path()) {
            assert!(problem.contains("MiB free"), "{problem}");
        }
        assert_eq!(disk_problem(Path::new("/no/such/dir")), None);
    }
}
