//! The running system: one [`Engine`] built from a validated [`Config`],
//! started and stopped explicitly. This file is the composition root: it
//! builds each subsystem from the config, starts its background work on
//! the engine's [`Lifetime`] and ends them all. Each subsystem's methods
//! on `Engine` live beside it: the fleet in `engine/fleet.rs`, tasks in
//! `engine/tasks.rs`, the message bus in `engine/bus.rs`, the status of the outside world in
//! `engine/status.rs`, the Ollama side (gateway, Models view, "Start
//! Ollama") in `engine/llm.rs`, API keys and the audit log in
//! `engine/security.rs`, the threat gate in front of tasks and runs in
//! `engine/threats.rs`.

mod alert_sources;
mod alerts;
mod autoscale;
mod bus;
mod bus_journal;
mod container_audit;
mod fleet;
mod llm;
mod metrics;
mod overview;
mod security;
mod status;
mod tasks;
mod threats;
mod workflow_files;
mod workflows;
pub use crate::alerts::events::{EventKind, Occurrence};
pub use alerts::{AlertNews, AlertRounds};
pub use fleet::{agent_hub_url, fleet_config};
pub use llm::{gateway_settings, ollama_url_for_containers};
pub use metrics::{Chart, ChartRequest, MetricsCatalog, METRICS_FILE};
pub use overview::{AgentCount, InfrastructureStatus, SystemStatus};
pub use tasks::orchestrator_config;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tracing::{info, instrument, warn};

use crate::catalog::{Catalog, CatalogEvent, CatalogWatch};
use crate::clock::Clock;
use crate::config::{Config, ConfigReport};
use crate::error::EngineError;
use crate::fleet::stats::StatsPreference;
use crate::fleet::Fleet;
use crate::lifetime::Lifetime;
use crate::llm::gateway::Gateway;
use crate::llm::models::Pulls;
use crate::logging::log_dir;
use crate::orchestrator::Orchestrator;
use crate::runs::Runs;
use crate::security::keys;
use crate::security::tokens::{Credentials, Epochs, HubSecret};
use crate::shipped;
use crate::status::{DataFacts, EngineStatus, Probe};
use crate::store::Store;
use crate::workflow::watch::WorkflowsWatch;
use security::outcome_of;

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
    /// The message bus's state in memory (the messages are in the store).
    bus: bus::Bus,
    /// Workflow runs, each driven through the orchestrator's tasks.
    runs: Arc<Runs>,
    /// The workflows folder, watched.
    workflows_watch: WorkflowsWatch,
    /// Derives and checks the agents' service tokens.
    credentials: Credentials,
    /// Checks API keys, remembering live ones for a moment.
    keyring: keys::Keyring,
    /// Bounds the audit log's entries for refused API calls per address.
    refusals: security::RefusalAudit,
    /// The requests each API key and agent may make a minute, and what
    /// each made.
    rates: crate::security::rate::RateLimits,
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
    /// What starts `ollama serve` for "Start Ollama", as the host registered.
    ollama_launcher: std::sync::RwLock<Option<Arc<dyn crate::llm::serve::OllamaLauncher>>>,
    /// The metrics history (its own thread and file).
    metrics: crate::metrics::Metrics,
    /// The Prometheus text, fed by the collection loop.
    exported: metrics::Exported,
    /// Alert changes and notifications, for the shell and the API.
    alert_news: tokio::sync::broadcast::Sender<AlertNews>,
    /// The alert rules in force (defaults with a person's changes).
    rules: alerts::RuleBook,
    /// How long each alert round took (the bench reads it).
    round_times: alerts::RoundTimes,
    /// What happened since the alert rules' last round.
    occurrences: std::sync::Mutex<Vec<crate::alerts::events::Occurrence>>,
    /// Every background task and agent call runs on it; shutdown ends it.
    life: Lifetime,
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
        if shipped::seed(&config.catalog_dir, shipped::CATALOG).map_err(|err| catalog_err(err.to_string()))? {
            info!(dir = %config.catalog_dir.display(), "seeded the agent catalog from the shipped one");
        }
        if shipped::seed(&config.workflows_dir, shipped::WORKFLOWS).map_err(|source| EngineError::DataDir {
            path: config.workflows_dir.display().to_string(),
            source,
        })? {
            info!(dir = %config.workflows_dir.display(), "seeded the workflows from the shipped templates");
        }
        let catalog = CatalogWatch::start(&config.catalog_dir, Duration::from_millis(300)).map_err(catalog_err)?;
        let workflows_watch =
            WorkflowsWatch::start(&config.workflows_dir, Duration::from_millis(300)).map_err(|reason| {
                EngineError::DataDir {
                    path: config.workflows_dir.display().to_string(),
                    source: std::io::Error::other(reason),
                }
            })?;
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
        let life = Lifetime::new();
        let fleet = Fleet::new(
            fleet_config(&config, StatsPreference::Cheapest, credentials.clone()),
            Arc::clone(&clock),
        );
        let catalog_now = catalog.receiver();
        let orchestrator = Orchestrator::new(
            orchestrator_config(&config),
            store.clone(),
            Arc::clone(&clock),
            Arc::new(move || catalog_now.borrow().clone()),
            fleet.endpoints(),
            secret.clone(),
            life.clone(),
        );
        let catalog_now = catalog.receiver();
        let runs = Runs::new(
            store.clone(),
            Arc::clone(&orchestrator),
            Arc::clone(&clock),
            Arc::new(move || catalog_now.borrow().clone()),
            fleet.endpoints(),
            config.workflows_dir.clone(),
            life.clone(),
        );
        let keyring = keys::Keyring::new(store.clone());
        let gateway = Gateway::new(gateway_settings(&config), store.clone(), Arc::clone(&clock));
        let history = metrics::open_metrics(&config, Arc::clone(&clock)).map_err(|err| EngineError::DataDir {
            path: config.data_dir.join(METRICS_FILE).display().to_string(),
            source: std::io::Error::other(err.to_string()),
        })?;
        let rules = alerts::merged(crate::alerts::journal::saved_rules(&store).await?);
        let rates = crate::security::rate::RateLimits::new(config.api_rate_per_minute, config.agent_rate_per_minute);
        let engine = Arc::new(Engine {
            config: Arc::new(config),
            report,
            store,
            catalog,
            fleet,
            orchestrator,
            bus: bus::Bus::new(crate::bus::BusPolicy::default()),
            runs,
            workflows_watch,
            credentials,
            keyring,
            refusals: security::RefusalAudit::new(),
            rates,
            clock,
            run_id,
            status: watch::channel(initial).0,
            http,
            gateway,
            pulls: Pulls::default(),
            ollama_launcher: std::sync::RwLock::default(),
            metrics: history,
            exported: metrics::Exported::default(),
            alert_news: tokio::sync::broadcast::channel(256).0,
            rules: std::sync::RwLock::new(Arc::new(rules)),
            round_times: alerts::round_times(),
            occurrences: std::sync::Mutex::default(),
            life,
        });
        engine.life.spawn(status::status_loop(Arc::clone(&engine)));
        // Subscribed before the fleet task runs, so its first events are kept.
        let fleet_events = engine.fleet.subscribe();
        engine
            .life
            .spawn(fleet::record_fleet_events(Arc::clone(&engine), fleet_events));
        engine.life.spawn(fleet::keep_fleet(Arc::clone(&engine)));
        if engine.config.metrics_collect {
            engine.life.spawn(metrics::collect_metrics(Arc::clone(&engine)));
            // Auto-scaling and the alert rules read what the collection writes.
            engine.life.spawn(autoscale::autoscale(Arc::clone(&engine)));
            engine.life.spawn(alerts::watch_alerts(Arc::clone(&engine)));
        }
        engine.orchestrator.recover().await?;
        engine.life.spawn(Arc::clone(&engine.orchestrator).run());
        // After the tasks: a resumed step re-attaches to its queued task.
        engine.runs.recover().await?;
        // Pending deliveries are in the store: the loop resumes them.
        engine.life.spawn(bus::deliver_messages(Arc::clone(&engine)));
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

    /// Stops background work, waiting at most `grace`, and records a clean stop.
    #[instrument(skip_all)]
    pub async fn shutdown(&self, grace: Duration) {
        if !self.life.end(grace).await {
            warn!(grace_ms = grace.as_millis(), "background tasks did not stop in time");
        }
        if let Err(err) = self.flush_metrics().await {
            warn!(cause = %err, "cannot write the last metrics");
        }
        if let Err(err) = self.store.record_stop(self.run_id, self.clock.now_ms()).await {
            warn!(cause = %err, "cannot record the clean stop");
        }
        info!(run_id = self.run_id, "engine stopped");
    }
}
