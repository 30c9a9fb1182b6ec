//! The Models view (issue 6): what Ollama has installed and loaded, which
//! agents think with each model, which agents have neither of their models,
//! and the pulls in flight (one [`CancellationToken`] each).
//!
//! [`overview`] is pure: it joins Ollama's lists with the catalog's model
//! choices. The engine fetches the lists and owns the [`Pulls`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use schemars::JsonSchema;
use serde::Serialize;
use sutazai_protocol::manifest::ModelChoice;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

use super::error::OllamaError;
use super::model::{LoadedModel, ModelInfo};
use crate::error::{Code, Coded};

/// Whether Ollama answers, as the Models view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum OllamaState {
    /// Ollama answered `/api/version` and `/api/tags`.
    #[serde(rename_all = "camelCase")]
    Up { version: String },
    /// Ollama could not be asked; `message` says why in one sentence.
    #[serde(rename_all = "camelCase")]
    Down {
        #[schemars(with = "String")]
        code: Code,
        message: String,
    },
}

/// An agent as the Models view names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentRef {
    pub id: String,
    pub title: String,
}

/// One installed model with its memory state and the agents that use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelRow {
    pub model: ModelInfo,
    /// Set while Ollama holds the model in memory (`/api/ps`).
    pub loaded: Option<LoadedModel>,
    /// Agents whose preferred model this is.
    pub preferred_by: Vec<AgentRef>,
    /// Agents that fall back to this model.
    pub fallback_for: Vec<AgentRef>,
}

/// An agent whose preferred and fallback models are both missing: its LLM
/// calls will fail until one of them is pulled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct UnservedAgent {
    pub agent: AgentRef,
    pub preferred: String,
    pub fallback: String,
}

/// Everything the Models view shows, in one answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelsOverview {
    pub ollama: OllamaState,
    /// The configured Ollama URL (where the app looks).
    pub ollama_url: String,
    /// The `ollama` program on the app's `PATH`, when one is installed: what
    /// "Start Ollama" runs (as `ollama serve`).
    pub ollama_program: Option<String>,
    /// The URL is on this computer, so a started `ollama serve` can answer
    /// there; for another computer's URL the view offers no Start.
    pub ollama_local: bool,
    /// Installed models by name; empty while Ollama is down.
    pub models: Vec<ModelRow>,
    /// Empty while Ollama is down (nothing is known then).
    pub unserved_agents: Vec<UnservedAgent>,
    /// The names being pulled now.
    pub pulling: Vec<String>,
}

/// One catalog agent's model choice, the input of [`overview`].
#[derive(Debug, Clone)]
pub struct AgentModels {
    pub agent: AgentRef,
    pub choice: ModelChoice,
}

/// Ollama's name for a model: a name without a tag means `:latest`.
pub fn canonical_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

/// Joins the installed and loaded models with the agents' choices: one row
/// per installed model (sorted by name), and the agents with neither model.
pub fn overview(
    installed: Vec<ModelInfo>,
    loaded: Vec<LoadedModel>,
    agents: &[AgentModels],
) -> (Vec<ModelRow>, Vec<UnservedAgent>) {
    let mut loaded: HashMap<String, LoadedModel> = loaded
        .into_iter()
        .map(|model| (canonical_name(&model.name), model))
        .collect();
    let mut rows: BTreeMap<String, ModelRow> = installed
        .into_iter()
        .map(|model| {
            let key = canonical_name(&model.name);
            let row = ModelRow {
                loaded: loaded.remove(&key),
                model,
                preferred_by: Vec::new(),
                fallback_for: Vec::new(),
            };
            (key, row)
        })
        .collect();
    let mut unserved = Vec::new();
    for AgentModels { agent, choice } in agents {
        let mut served = false;
        if let Some(row) = rows.get_mut(&canonical_name(&choice.preferred)) {
            row.preferred_by.push(agent.clone());
            served = true;
        }
        if let Some(row) = rows.get_mut(&canonical_name(&choice.fallback)) {
            row.fallback_for.push(agent.clone());
            served = true;
        }
        if !served {
            unserved.push(UnservedAgent {
                agent: agent.clone(),
                preferred: choice.preferred.clone(),
                fallback: choice.fallback.clone(),
            });
        }
    }
    (rows.into_values().collect(), unserved)
}

/// Why a pull (or delete) did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    #[error(transparent)]
    Ollama(#[from] OllamaError),
    /// The same model is already being pulled.
    #[error("model {0:?} is already being pulled")]
    AlreadyPulling(String),
    /// `cancel_pull` stopped it.
    #[error("the pull of {0:?} was cancelled")]
    Cancelled(String),
    /// The stream ended without `success`.
    #[error("the pull of {0:?} ended before Ollama reported success")]
    Incomplete(String),
}

impl Coded for ModelsError {
    fn code(&self) -> Code {
        match self {
            Self::Ollama(err) => err.code(),
            Self::AlreadyPulling(_) | Self::Cancelled(_) => Code::Conflict,
            Self::Incomplete(_) => Code::OllamaError,
        }
    }
}

/// The pulls in flight, each with the token that cancels it.
#[derive(Debug, Default)]
pub struct Pulls {
    running: Mutex<HashMap<String, CancellationToken>>,
}

/// Holds a model's place in [`Pulls`]; dropping it ends the pull's entry.
pub struct PullSlot<'a> {
    pulls: &'a Pulls,
    name: String,
    pub token: CancellationToken,
}

impl Drop for PullSlot<'_> {
    fn drop(&mut self) {
        self.pulls.lock().remove(&self.name);
    }
}

impl Pulls {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CancellationToken>> {
        self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers a pull of `name`, a child of `parent` (engine shutdown
    /// cancels it too); refused while one runs.
    pub fn start(&self, name: &str, parent: &CancellationToken) -> Result<PullSlot<'_>, ModelsError> {
        let mut running = self.lock();
        if running.contains_key(name) {
            return Err(ModelsError::AlreadyPulling(name.to_string()));
        }
        let token = parent.child_token();
        running.insert(name.to_string(), token.clone());
        Ok(PullSlot {
            pulls: self,
            name: name.to_string(),
            token,
        })
    }

    /// Cancels the pull of `name`; false when none runs.
    pub fn cancel(&self, name: &str) -> bool {
        match self.lock().get(name) {
            Some(token) => {
                token.cancel();
                true
            }
            None => false,
        }
    }

    /// The names being pulled, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lock().keys().cloned().collect();
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(name: &str) -> ModelInfo {
        ModelInfo {
            name: name.into(),
            size: 1_000,
            digest: "d".into(),
            modified_at: "2026-01-01T00:00:00Z".into(),
            family: "llama".into(),
            parameter_size: "1B".into(),
            quantization_level: "Q4_0".into(),
        }
    }

    fn agent(id: &str, preferred: &str, fallback: &str) -> AgentModels {
        AgentModels {
            agent: AgentRef {
                id: id.into(),
                title: format!("Agent {id}"),
            },
            choice: ModelChoice {
                preferred: preferred.into(),
                fallback: fallback.into(),
            },
        }
    }

    fn ids(agents: &[AgentRef]) -> Vec<&str> {
        agents.iter().map(|a| a.id.as_str()).collect()
    }

    #[test]
    fn agents_are_listed_under_their_models_and_unserved_ones_flagged() {
        let installed = vec![model("tinyllama:latest"), model("qwen2.5:0.5b")];
        let loaded = vec![LoadedModel {
            name: "qwen2.5:0.5b".into(),
            size: 500,
            size_vram: 0,
            expires_at: "2026-01-01T00:05:00Z".into(),
            context_length: None,
        }];
        let agents = [
            agent("AG-001", "tinyllama", "qwen2.5:0.5b"),
            agent("AG-002", "llama3.2:1b", "tinyllama:latest"),
            agent("AG-003", "llama3.2:1b", "phi3:mini"),
        ];
        let (rows, unserved) = overview(installed, loaded, &agents);

        let names: Vec<&str> = rows.iter().map(|r| r.model.name.as_str()).collect();
        assert_eq!(names, ["qwen2.5:0.5b", "tinyllama:latest"]);
        assert_eq!(rows[0].loaded.as_ref().map(|l| l.size), Some(500));
        assert!(ids(&rows[0].preferred_by).is_empty());
        assert_eq!(ids(&rows[0].fallback_for), ["AG-001"]);
        assert!(rows[1].loaded.is_none());
        assert_eq!(ids(&rows[1].preferred_by), ["AG-001"]);
        assert_eq!(ids(&rows[1].fallback_for), ["AG-002"]);

        assert_eq!(unserved.len(), 1);
        assert_eq!(unserved[0].agent.id, "AG-003");
        assert_eq!(unserved[0].preferred, "llama3.2:1b");
        assert_eq!(unserved[0].fallback, "phi3:mini");
    }

    #[test]
    fn with_nothing_installed_every_agent_is_unserved() {
        let agents = [agent("AG-001", "a", "b"), agent("AG-002", "c:1", "d:2")];
        let (rows, unserved) = overview(Vec::new(), Vec::new(), &agents);
        assert!(rows.is_empty());
        assert_eq!(unserved.len(), 2);
    }

    #[test]
    fn names_without_a_tag_mean_latest() {
        assert_eq!(canonical_name("llama3.2"), "llama3.2:latest");
        assert_eq!(canonical_name("llama3.2:1b"), "llama3.2:1b");
        assert_eq!(canonical_name("host:5000/ns/m"), "host:5000/ns/m:latest");
        assert_eq!(canonical_name("host:5000/ns/m:q4"), "host:5000/ns/m:q4");
    }

    #[test]
    fn a_model_is_pulled_once_at_a_time_and_can_be_cancelled() {
        let pulls = Pulls::default();
        let root = CancellationToken::new();
        let slot = pulls.start("m:1", &root).unwrap();
        assert!(matches!(pulls.start("m:1", &root), Err(ModelsError::AlreadyPulling(_))));
        assert_eq!(pulls.names(), ["m:1"]);
        assert!(pulls.cancel("m:1"));
        assert!(slot.token.is_cancelled());
        drop(slot);
        assert!(!pulls.cancel("m:1"));
        assert!(pulls.names().is_empty());
        assert!(pulls.start("m:1", &root).is_ok());
    }
}
