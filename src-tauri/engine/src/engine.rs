//! The running system: one [`Engine`] built from a validated [`Config`],
//! started and stopped explicitly. Its Ollama side (gateway, Models view,
//! "Start Ollama") is in `engine/llm.rs`, and API keys and the audit log in
//! `engine/security.rs`: further `impl Engine` blocks.

mod llm;
mod security;
pub use llm::{gateway_settings, ollama_url_for_containers};

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, instrument, warn};

use crate::catalog::{self, Catalog, CatalogEvent, CatalogWatch};
use crate::clock::Clock;
use crate::config::{Config, ConfigReport};
use crate::error::EngineError;
use crate::fleet::model::{
    AgentAction, AgentRow, DeployEvent, DeployReport, FailurePolicy, FleetEvent, FleetEventRecord, HistoryEntry,
    PhaseSummary, ScaleReport, Stray,
};
use crate::fleet::stats::{ContainerStats, StatsPreference};
use crate::fleet::{Fleet, FleetConfig, FleetError};
use crate::llm::gateway::Gateway;
use crate::llm::models::Pulls;
use crate::logging::log_dir;
use crate::orchestrator::model::{NewTask, Task, TaskEvent, TaskPage, TaskQuery};
use crate::orchestrator::{Orchestrator, OrchestratorConfig, OrchestratorError};
use crate::security::keys;
use crate::security::tokens::{Credentials, Epochs, HubSecret};
use crate::security::Principal;
use crate::status::{probe_docker, probe_ollama, DataFacts, EngineStatus, Probe};
use crate::store::Store;

/// The app's version, recorded with every run.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The running engine. Cheap to share behind an `Arc`.
pub struct Engine {
    /// The effective configuration.
    config: Arc<Config>,
    /// How the configuration was resolved, for Settings.
    report: ConfigReport,
    /// The one SQLite writer.
    store: Store,
    /// The agent manifests, reloaded live when the folder changes.
    catalog: CatalogWatch,
    /// The agents' containers.
    fleet: Fleet,
    /// Durable tasks, routing, retries, breakers.
    orchestrator: Arc<Orchestrator>,
    /// Derives and checks the agents' service tokens.
    credentials: Credentials,
    /// Checks API keys, remembering live ones for a moment.
    keyring: keys::Keyring,
    /// Bounds the audit log's entries for refused API calls per address.
    refusals: security::RefusalAudit,
    /// Injected time.
    clock: Arc<dyn Clock>,
    /// This run's row in `engine_runs`.
    run_id: i64,
    /// The latest status; the background checker and `refresh_status` publish here.
    status: watch::Sender<EngineStatus>,
    /// The reused HTTP client for Ollama.
    http: reqwest::Client,
    /// Forwards agents' Ollama calls: cache, per-model limits, accounting.
    gateway: Gateway,
    /// The model pulls in flight (Models view), each cancellable.
    pulls: Pulls,
    /// Cancels every background task on shutdown.
    cancel: CancellationToken,
    /// Tracks background tasks so shutdown can wait for them.
    tracker: TaskTracker,
}

impl Engine {
    /// Creates the data dir (owner only), opens the store and starts the background status
    /// checker. The first check starts at once; until it ends, Docker and
    /// Ollama are reported as `checking`.
    #[instrument(skip_all, err, fields(data_dir = %config.data_dir.display()))]
    pub async fn start(
        config: Config,
        report: ConfigReport,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Engine>, EngineError> {
        crate::data_dir::make_private(&config.data_dir).map_err(|source| EngineError::DataDir {
            path: config.data_dir.display().to_string(),
            source,
        })?;
        let store = Store::open(&config.data_dir.join("sutazai.db"))?;
        let catalog_err = |reason: String| EngineError::Catalog {
            path: config.catalog_dir.display().to_string(),
            reason,
        };
        if catalog::shipped::seed(&config.catalog_dir).map_err(|err| catalog_err(err.to_string()))? {
            info!(dir = %config.catalog_dir.display(), "seeded the agent catalog from the shipped one");
        }
        let catalog = CatalogWatch::start(&config.catalog_dir, Duration::from_millis(300)).map_err(catalog_err)?;
        let loaded = catalog.current();
        for problem in loaded.problems() {
            warn!(file = %problem.file, errors = ?problem.errors, "agent manifest not loaded");
        }
        info!(
            agents = loaded.len(),
            problems = loaded.problems().len(),
            "agent catalog loaded"
        );
        let run_id = store.record_start(VERSION, clock.now_ms()).await?;
        let unclean = store.unclean_runs_before(run_id).await?;
        if unclean > 0 {
            warn!(unclean, "earlier runs ended without a clean stop");
        }

        let data = DataFacts {
            data_dir: config.data_dir.display().to_string(),
            database: store.path().display().to_string(),
            schema_version: u32::try_from(store.schema_version()).unwrap_or(0),
            log_dir: log_dir(&config.data_dir).display().to_string(),
            unclean_previous_runs: u32::try_from(unclean).unwrap_or(u32::MAX),
        };
        let initial = EngineStatus {
            docker_endpoint: config.docker_endpoint.to_string(),
            docker: Probe::Checking,
            ollama_url: config.ollama_url.to_string(),
            ollama: Probe::Checking,
            data,
            checked_at_ms: 0,
        };
        let http = reqwest::Client::builder()
            .connect_timeout(config.probe_timeout)
            .build()
            .unwrap_or_default();
        let secret = HubSecret::load_or_create(&config.data_dir).map_err(|source| EngineError::DataDir {
            path: config.data_dir.join("hub.secret").display().to_string(),
            source,
        })?;
        let credentials = Credentials {
            secret: secret.clone(),
            epochs: Epochs::load(store.clone()).await?,
        };
        let fleet = Fleet::new(fleet_config(&config, StatsPreference::Cheapest, credentials.clone()));
        let catalog_now = catalog.receiver();
        let orchestrator = Orchestrator::new(
            orchestrator_config(&config),
            store.clone(),
            Arc::clone(&clock),
            Arc::new(move || catalog_now.borrow().clone()),
            fleet.endpoints(),
            secret.clone(),
        );
        let keyring = keys::Keyring::new(store.clone());
        let gateway = Gateway::new(gateway_settings(&config), store.clone(), Arc::clone(&clock));
        let engine = Arc::new(Engine {
            config: Arc::new(config),
            report,
            store,
            catalog,
            fleet,
            orchestrator,
            credentials,
            keyring,
            refusals: security::RefusalAudit::new(),
            clock,
            run_id,
            status: watch::channel(initial).0,
            http,
            gateway,
            pulls: Pulls::default(),
            cancel: CancellationToken::new(),
            tracker: TaskTracker::new(),
        });
        engine.tracker.spawn(status_loop(Arc::clone(&engine)));
        // Subscribed before the fleet task runs, so its first events are kept.
        let fleet_events = engine.fleet.subscribe();
        engine
            .tracker
            .spawn(record_fleet_events(Arc::clone(&engine), fleet_events));
        engine.tracker.spawn(keep_fleet(Arc::clone(&engine)));
        engine.orchestrator.recover().await?;
        engine
            .tracker
            .spawn(Arc::clone(&engine.orchestrator).run(engine.cancel.clone()));
        info!(run_id, version = VERSION, "engine started");
        Ok(engine)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The effective configuration, where each value came from, and issues.
    pub fn config_report(&self) -> ConfigReport {
        self.report.clone()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The agent catalog as loaded now.
    pub fn catalog(&self) -> Arc<Catalog> {
        self.catalog.current()
    }

    /// Every change of the catalog, one event per agent.
    pub fn subscribe_catalog(&self) -> tokio::sync::broadcast::Receiver<CatalogEvent> {
        self.catalog.subscribe()
    }

    /// Every catalog agent with its container's live status (`unknown`
    /// while Docker is not reachable).
    pub async fn agents(&self) -> Vec<AgentRow> {
        self.fleet.agents(&self.catalog()).await
    }

    /// Per phase: agents, deployed, healthy, memory needed vs available.
    pub async fn phases(&self) -> Vec<PhaseSummary> {
        self.fleet.phases(&self.catalog()).await
    }

    /// Runs an agent as exactly `instances` containers.
    #[instrument(skip_all, err, fields(by = %by.label(), agent_id, instances))]
    pub async fn scale_agent(&self, agent_id: &str, instances: u32, by: &Principal) -> Result<ScaleReport, FleetError> {
        let result = self.fleet.scale(&self.catalog(), agent_id, instances).await;
        let detail = match &result {
            Ok(report) => format!(
                "{} instances, {} healthy, {} failed",
                report.instances,
                report.healthy,
                report.failed.len()
            ),
            Err(_) => format!("{instances} instances"),
        };
        self.audit_action(by, "fleet.scale", agent_id, &outcome_of(&result), &detail)
            .await;
        result
    }

    /// CPU, memory and network of every running agent container, now.
    pub async fn fleet_stats(&self) -> Result<Vec<ContainerStats>, FleetError> {
        self.fleet.stats().await
    }

    /// The recent samples of one container (the last few minutes).
    pub fn stats_history(&self, container: &str) -> Vec<ContainerStats> {
        self.fleet.stats_history(container)
    }

    /// Containers with the app's label that no catalog agent accounts for.
    pub async fn strays(&self) -> Result<Vec<Stray>, FleetError> {
        self.fleet.strays(&self.catalog()).await
    }

    /// An agent's history, newest first (at most `limit` entries).
    pub async fn agent_history(&self, agent_id: &str, limit: usize) -> Result<Vec<HistoryEntry>, EngineError> {
        let rows = self.store.agent_events(agent_id).await?;
        Ok(rows
            .into_iter()
            .rev()
            .take(limit)
            .map(|(at_ms, kind, detail)| HistoryEntry {
                at_ms,
                event: FleetEventRecord {
                    kind,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::String(detail)),
                },
            })
            .collect())
    }

    /// Deploys a whole phase for `by`; `progress` sees every step.
    #[instrument(skip_all, err, fields(by = %by.label(), phase))]
    pub async fn deploy_phase(
        &self,
        phase: u8,
        policy: FailurePolicy,
        by: &Principal,
        progress: impl Fn(DeployEvent) + Send + Sync,
    ) -> Result<DeployReport, FleetError> {
        let result = self.fleet.deploy_phase(&self.catalog(), phase, policy, progress).await;
        let detail = match &result {
            Ok(report) => format!(
                "{}/{} healthy, {} unchanged, {} failed{} in {} ms",
                report.healthy,
                report.total,
                report.unchanged,
                report.failed.len(),
                if report.rolled_back { ", rolled back" } else { "" },
                report.elapsed_ms
            ),
            Err(_) => format!("policy {policy:?}"),
        };
        self.audit_action(
            by,
            "fleet.deploy",
            &format!("phase {phase}"),
            &outcome_of(&result),
            &detail,
        )
        .await;
        result
    }

    /// Removes every container of a phase for `by`; how many there were.
    #[instrument(skip_all, err, fields(by = %by.label(), phase))]
    pub async fn undeploy_phase(&self, phase: u8, by: &Principal) -> Result<u32, FleetError> {
        let result = self.fleet.undeploy_phase(&self.catalog(), phase).await;
        let detail = result
            .as_ref()
            .map(|n| format!("{n} containers removed"))
            .unwrap_or_default();
        self.audit_action(
            by,
            "fleet.undeploy",
            &format!("phase {phase}"),
            &outcome_of(&result),
            &detail,
        )
        .await;
        result
    }

    /// Start, stop, restart or remove one agent, for `by`.
    #[instrument(skip_all, err, fields(by = %by.label(), agent_id, ?action))]
    pub async fn agent_action(&self, agent_id: &str, action: AgentAction, by: &Principal) -> Result<(), FleetError> {
        let result = self.fleet.act(&self.catalog(), agent_id, action).await;
        let name = match action {
            AgentAction::Start => "agent.start",
            AgentAction::Stop => "agent.stop",
            AgentAction::Restart => "agent.restart",
            AgentAction::Remove => "agent.remove",
        };
        self.audit_action(by, name, agent_id, &outcome_of(&result), "").await;
        result
    }

    /// What self-healing does, as it happens.
    pub fn subscribe_fleet(&self) -> tokio::sync::broadcast::Receiver<FleetEvent> {
        self.fleet.subscribe()
    }

    /// The last lines of an agent's log.
    pub async fn agent_logs(&self, agent_id: &str, tail: u32) -> Result<String, FleetError> {
        self.fleet.logs(agent_id, tail).await
    }

    /// The last `tail` lines of an agent's log, then every new one until the
    /// container goes or the engine stops.
    pub async fn follow_logs(
        &self,
        agent_id: &str,
        tail: u32,
    ) -> Result<futures::stream::BoxStream<'static, Result<String, FleetError>>, FleetError> {
        let stream = self.fleet.follow_logs(agent_id, tail, true).await?;
        let cancel = self.cancel.clone();
        Ok(futures::StreamExt::boxed(futures::StreamExt::take_until(
            stream,
            cancel.cancelled_owned(),
        )))
    }

    /// Submits a task for `by`; committed before this returns.
    #[instrument(skip_all, err, fields(by = %by.label()))]
    pub async fn submit_task(&self, task: NewTask, by: &Principal) -> Result<Task, OrchestratorError> {
        self.orchestrator.submit(task, by).await
    }

    /// Submits a task for `by` and waits (at most `timeout`) until it has
    /// ended; the task as it is then.
    #[instrument(skip_all, err, fields(by = %by.label()))]
    pub async fn submit_and_wait(
        &self,
        task: NewTask,
        by: &Principal,
        timeout: Duration,
    ) -> Result<Task, OrchestratorError> {
        self.orchestrator.submit_and_wait(task, by, timeout).await
    }

    pub async fn task(&self, id: &str) -> Result<Task, OrchestratorError> {
        self.orchestrator.get(id).await
    }

    pub async fn tasks(&self, query: TaskQuery) -> Result<TaskPage, OrchestratorError> {
        self.orchestrator.list(query).await
    }

    /// Waits (at most `timeout`) until a task has ended.
    pub async fn wait_task(&self, id: &str, timeout: Duration) -> Result<Task, OrchestratorError> {
        self.orchestrator.wait(id, timeout).await
    }

    #[instrument(skip_all, err, fields(by = %by.label(), task = id))]
    pub async fn cancel_task(&self, id: &str, by: &Principal) -> Result<Task, OrchestratorError> {
        let result = self.orchestrator.cancel(id).await;
        self.orchestrator.audit(by, "task.cancel", id, outcome_of(&result));
        result
    }

    #[instrument(skip_all, err, fields(by = %by.label(), task = id))]
    pub async fn requeue_task(&self, id: &str, by: &Principal) -> Result<Task, OrchestratorError> {
        let result = self.orchestrator.requeue(id).await;
        self.orchestrator.audit(by, "task.requeue", id, outcome_of(&result));
        result
    }

    /// Every change of every task.
    pub fn subscribe_tasks(&self) -> tokio::sync::broadcast::Receiver<TaskEvent> {
        self.orchestrator.subscribe()
    }

    /// The orchestrator itself (breakers, load), for the API's health.
    pub fn orchestrator(&self) -> &Orchestrator {
        &self.orchestrator
    }

    /// The latest known status (never waits).
    pub fn status(&self) -> EngineStatus {
        self.status.borrow().clone()
    }

    /// A receiver that sees every new status.
    pub fn subscribe_status(&self) -> watch::Receiver<EngineStatus> {
        self.status.subscribe()
    }

    /// Checks Docker and Ollama now (each within the probe timeout),
    /// publishes and returns the result.
    #[instrument(skip_all)]
    pub async fn refresh_status(&self) -> EngineStatus {
        let status = self.check().await;
        self.status.send_replace(status.clone());
        status
    }

    async fn check(&self) -> EngineStatus {
        let timeout = self.config.probe_timeout;
        let (docker, ollama) = tokio::join!(
            probe_docker(&self.config.docker_endpoint, timeout),
            probe_ollama(&self.http, &self.config.ollama_url, timeout),
        );
        EngineStatus {
            docker,
            ollama,
            checked_at_ms: self.clock.now_ms(),
            ..self.status()
        }
    }

    /// Stops background work, waiting at most `grace`, and records a clean stop.
    #[instrument(skip_all)]
    pub async fn shutdown(&self, grace: Duration) {
        self.cancel.cancel();
        self.tracker.close();
        if tokio::time::timeout(grace, self.tracker.wait()).await.is_err() {
            warn!(grace_ms = grace.as_millis(), "background tasks did not stop in time");
        }
        if let Err(err) = self.store.record_stop(self.run_id, self.clock.now_ms()).await {
            warn!(cause = %err, "cannot record the clean stop");
        }
        info!(run_id = self.run_id, "engine stopped");
    }
}

/// Reconciles the fleet with the catalog once Docker answers (retrying
/// every two seconds until it does), then watches it until shutdown.
async fn keep_fleet(engine: Arc<Engine>) {
    loop {
        match engine.fleet.reconcile(&engine.catalog()).await {
            Ok(_) => break,
            Err(err) => tracing::debug!(cause = %err, "cannot reconcile the fleet yet"),
        }
        tokio::select! {
            _ = engine.cancel.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
    engine.fleet.watch(engine.cancel.clone()).await;
}

/// Persists every fleet event in its agent's history.
async fn record_fleet_events(engine: Arc<Engine>, mut events: tokio::sync::broadcast::Receiver<FleetEvent>) {
    loop {
        let event = tokio::select! {
            _ = engine.cancel.cancelled() => break,
            event = events.recv() => event,
        };
        let event = match event {
            Ok(event) => event,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
        };
        let detail = serde_json::to_string(&event).unwrap_or_default();
        if let Err(err) = engine
            .store
            .record_agent_event(event.agent_id(), engine.clock.now_ms(), event.kind(), &detail)
            .await
        {
            warn!(cause = %err, "cannot record an agent event");
        }
    }
}

/// Re-checks the outside world every `status_interval` until shutdown.
async fn status_loop(engine: Arc<Engine>) {
    loop {
        tokio::select! {
            _ = engine.cancel.cancelled() => break,
            _ = engine.refresh_status() => {}
        }
        tokio::select! {
            _ = engine.cancel.cancelled() => break,
            _ = tokio::time::sleep(engine.config.status_interval) => {}
        }
    }
}

/// What the orchestrator takes from the app's configuration.
pub fn orchestrator_config(config: &Config) -> OrchestratorConfig {
    OrchestratorConfig {
        breaker: crate::orchestrator::breaker::BreakerSettings {
            failures_to_open: config.breaker_failures,
            recovery: config.breaker_recovery,
        },
        retry: crate::orchestrator::retry::RetryPolicy {
            max_attempts: config.task_attempts,
            ..Default::default()
        },
        default_timeout: config.task_timeout,
        weights: crate::orchestrator::router::Weights::default(),
        max_delegation_depth: 5,
    }
}

/// What the fleet takes from the app's configuration.
pub fn fleet_config(config: &Config, stats: StatsPreference, credentials: Credentials) -> FleetConfig {
    FleetConfig {
        endpoint: config.docker_endpoint.clone(),
        docker_timeout: config.probe_timeout.max(Duration::from_secs(10)),
        agent_binary: config.agent_runtime.clone(),
        runtime_version: VERSION.to_string(),
        // Agents call Ollama through the hub's gateway, with their token.
        agent_ollama_url: agent_hub_url(config),
        agent_hub_url: agent_hub_url(config),
        health_timeout: config.health_timeout,
        concurrency: 20,
        stats,
        credentials,
    }
}

/// The hub's API as containers see it (through Docker's host gateway).
pub fn agent_hub_url(config: &Config) -> String {
    format!("http://host.docker.internal:{}", config.api_listen.port())
}

/// How an audited action ended: `ok`, or `refused: <why>` for a request
/// the engine turned down, `failed: <why>` for one that went wrong.
fn outcome_of<T, E: AuditOutcome>(result: &Result<T, E>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(err) if err.is_refusal() => format!("refused: {err}"),
        Err(err) => format!("failed: {err}"),
    }
}

/// Whether an error means the request was turned down (bad input, not
/// allowed, conflict) rather than failed on the way.
trait AuditOutcome: std::fmt::Display {
    fn is_refusal(&self) -> bool;
}

impl AuditOutcome for OrchestratorError {
    fn is_refusal(&self) -> bool {
        // Every error of the task and key actions is the engine's answer
        // to the request, as before: `refused`.
        true
    }
}

impl AuditOutcome for FleetError {
    fn is_refusal(&self) -> bool {
        matches!(
            crate::error::ErrorBody::from(self).code,
            crate::error::Code::UnknownAgent | crate::error::Code::InvalidRequest | crate::error::Code::Conflict
        )
    }
}

impl AuditOutcome for crate::llm::models::ModelsError {
    fn is_refusal(&self) -> bool {
        false
    }
}
