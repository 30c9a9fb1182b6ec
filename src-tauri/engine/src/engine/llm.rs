//! The engine's Ollama side: the gateway agents call, its statistics, the
//! Models view (models, pulls, deletes) and what "Start Ollama" runs.

use std::sync::Arc;
use std::time::Duration;

use tracing::{instrument, warn};

use super::Engine;
use crate::config::Config;
use crate::error::Coded;
use crate::llm::client::{ClientConfig, OllamaClient, OllamaError};
use crate::llm::gateway::{GatewayCall, GatewayReply, GatewaySettings};
use crate::llm::model::{validate_model_name, PullProgress};
use crate::llm::models::{self, AgentModels, AgentRef, ModelsError, ModelsOverview, OllamaState};
use crate::llm::serve::{self, OllamaLaunch, OllamaStarted, ServeError};
use crate::llm::usage::GatewayStats;
use crate::logging::log_dir;
use crate::security::Principal;

/// How long the Models view waits for one non-streamed Ollama answer.
const MODELS_TIMEOUT: Duration = Duration::from_secs(10);

impl Engine {
    /// Answers an Ollama API call (`/api/generate`, `/api/chat`,
    /// `/api/tags`) through the gateway; an agent's manifest gives the
    /// fallback model.
    pub async fn gateway(&self, by: &Principal, path: &str, body: bytes::Bytes) -> GatewayReply {
        let (caller, models) = match by {
            Principal::Agent { agent_id, .. } => (
                agent_id.clone(),
                self.catalog().get(agent_id).map(|e| e.manifest.model.clone()),
            ),
            other => (other.label(), None),
        };
        let call = GatewayCall {
            caller,
            models,
            path: path.to_string(),
            body,
        };
        self.gateway.call(call).await
    }

    /// What the gateway counted since the start: per caller and model, and
    /// totals per model and per caller (from merged latency histograms).
    pub fn gateway_stats(&self) -> GatewayStats {
        self.gateway.stats()
    }

    /// A client for the configured Ollama; `request_timeout` bounds every
    /// non-streamed call so the Models view never waits long.
    fn ollama(&self, request_timeout: Duration) -> Result<OllamaClient, OllamaError> {
        let mut config = ClientConfig::new(self.config.ollama_url.clone());
        config.connect_timeout = self.config.probe_timeout;
        config.request_timeout = request_timeout;
        OllamaClient::new(config)
    }

    /// The `ollama` program on the app's `PATH`, if one is installed.
    pub fn ollama_program(&self) -> Option<std::path::PathBuf> {
        serve::find_program(serve::PROGRAM, &self.config.search_path, serve::is_executable_file)
    }

    /// What "Start Ollama" runs: the program on `PATH`, `serve`, and
    /// `OLLAMA_HOST` from the configured URL.
    pub fn ollama_launch(&self) -> Result<OllamaLaunch, ServeError> {
        let program = self.ollama_program().ok_or(ServeError::NotInstalled)?;
        let url = &self.config.ollama_url;
        if !serve::is_local(url) {
            return Err(ServeError::NotLocal(url.to_string()));
        }
        let host = serve::ollama_host(url).ok_or_else(|| ServeError::NoHost(url.to_string()))?;
        Ok(OllamaLaunch {
            program,
            host,
            log_dir: log_dir(&self.config.data_dir).display().to_string(),
        })
    }

    /// Registers what starts `ollama serve` on this host (the app's shell,
    /// the headless server).
    pub fn set_ollama_launcher(&self, launcher: Arc<dyn serve::OllamaLauncher>) {
        *self
            .ollama_launcher
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(launcher);
    }

    /// "Start Ollama" for `by`: the installed `ollama serve` at the
    /// configured URL, through the host's launcher; audited.
    #[instrument(skip_all, fields(by = %by.label()))]
    pub async fn start_ollama(&self, by: &Principal) -> Result<OllamaStarted, ServeError> {
        let launcher = self
            .ollama_launcher
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let started = match launcher {
            Some(launcher) => self.ollama_launch().and_then(|launch| launcher.start(launch)),
            None => Err(ServeError::NoLauncher),
        };
        let outcome = started
            .as_ref()
            .map_or_else(|err| format!("failed: {err}"), |_| "ok".into());
        self.audit_action(by, "ollama.start", "ollama serve", &outcome, "")
            .await;
        started
    }

    /// Ollama's version, its installed and loaded models with the agents
    /// that use each, and the agents with neither of their models. Ollama
    /// being down is part of the answer, not an error.
    #[instrument(skip_all)]
    pub async fn models(&self) -> ModelsOverview {
        let pulling = self.pulls.names();
        let ollama_url = self.config.ollama_url.to_string();
        let ollama_program = self.ollama_program().map(|p| p.display().to_string());
        let ollama_local = serve::is_local(&self.config.ollama_url);
        let down = |err: OllamaError| ModelsOverview {
            ollama: OllamaState::Down {
                code: err.code(),
                message: err.to_string(),
            },
            ollama_url: ollama_url.clone(),
            ollama_program: ollama_program.clone(),
            ollama_local,
            models: Vec::new(),
            unserved_agents: Vec::new(),
            pulling: pulling.clone(),
        };
        let client = match self.ollama(MODELS_TIMEOUT) {
            Ok(client) => client,
            Err(err) => return down(err),
        };
        let (version, installed, loaded) = tokio::join!(client.version(), client.list_models(), client.loaded_models());
        let (version, installed) = match (version, installed) {
            (Ok(version), Ok(installed)) => (version, installed),
            (Err(err), _) | (_, Err(err)) => return down(err),
        };
        let loaded = loaded.unwrap_or_else(|err| {
            warn!(cause = %err, "cannot list the loaded models");
            Vec::new()
        });
        let agents: Vec<AgentModels> = self
            .catalog()
            .all()
            .map(|entry| AgentModels {
                agent: AgentRef {
                    id: entry.manifest.id.clone(),
                    title: entry.manifest.title.clone(),
                },
                choice: entry.manifest.model.clone(),
            })
            .collect();
        let (models, unserved_agents) = models::overview(installed, loaded, &agents);
        ModelsOverview {
            ollama: OllamaState::Up { version },
            ollama_url,
            ollama_program,
            ollama_local,
            models,
            unserved_agents,
            pulling,
        }
    }

    /// Pulls `name`, calling `on_progress` with every progress line, until
    /// Ollama reports success, an error, [`Engine::cancel_pull`] or shutdown.
    #[instrument(skip(self, by, on_progress), err, fields(by = %by.label()))]
    pub async fn pull_model(
        &self,
        name: &str,
        by: &Principal,
        on_progress: impl FnMut(PullProgress),
    ) -> Result<(), ModelsError> {
        let result = self.pull(name, on_progress).await;
        self.audit_action(by, "model.pull", name, &super::outcome_of(&result), "")
            .await;
        result
    }

    async fn pull(&self, name: &str, mut on_progress: impl FnMut(PullProgress)) -> Result<(), ModelsError> {
        validate_model_name(name).map_err(OllamaError::InvalidModelName)?;
        let slot = self.pulls.start(name, &self.life.token())?;
        let pull = async {
            let mut stream = self.ollama(MODELS_TIMEOUT)?.pull(name).await?;
            while let Some(line) = futures::StreamExt::next(&mut stream).await {
                let line = line?;
                let success = line.is_success();
                on_progress(line);
                if success {
                    return Ok(());
                }
            }
            Err(ModelsError::Incomplete(name.to_string()))
        };
        tokio::select! {
            result = pull => result,
            () = slot.token.cancelled() => Err(ModelsError::Cancelled(name.to_string())),
        }
    }

    /// Cancels the pull of `name`; false when none runs.
    pub fn cancel_pull(&self, name: &str) -> bool {
        self.pulls.cancel(name)
    }

    /// Deletes an installed model from Ollama.
    #[instrument(skip(self, by), err, fields(by = %by.label()))]
    pub async fn delete_model(&self, name: &str, by: &Principal) -> Result<(), ModelsError> {
        let result = async {
            validate_model_name(name).map_err(OllamaError::InvalidModelName)?;
            Ok(self.ollama(MODELS_TIMEOUT)?.delete(name).await?)
        }
        .await;
        self.audit_action(by, "model.delete", name, &super::outcome_of(&result), "")
            .await;
        result
    }
}

/// What the LLM gateway takes from the app's configuration.
pub fn gateway_settings(config: &Config) -> GatewaySettings {
    GatewaySettings {
        ollama_url: config.ollama_url.as_str().trim_end_matches('/').to_string(),
        timeout: config.llm_timeout,
        model_concurrency: config.llm_model_concurrency,
        queue: config.llm_queue,
        cache_ttl: config.llm_cache_ttl,
    }
}

/// Containers cannot reach the host's loopback: a loopback Ollama URL is
/// rewritten to `host.docker.internal`, which every agent container maps to
/// the host gateway.
pub fn ollama_url_for_containers(url: &url::Url) -> String {
    let mut url = url.clone();
    if matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "::1" | "[::1]")) {
        let _ = url.set_host(Some("host.docker.internal"));
    }
    url.as_str().trim_end_matches('/').to_string()
}
