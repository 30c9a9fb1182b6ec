//! What the Overview shows: is Docker reachable, is Ollama reachable, where
//! the app keeps its data. Each probe has a timeout and a typed outcome.

mod docker;
mod ollama;

pub use docker::{probe_docker, DockerFacts};
pub use ollama::{probe_ollama, OllamaFacts};

use schemars::JsonSchema;
use serde::Serialize;
use ts_rs::TS;

use crate::error::ErrorBody;

/// The outcome of probing one outside service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum Probe<T> {
    /// Not checked yet (the first check is under way).
    Checking,
    Connected(T),
    Unreachable(ErrorBody),
}

/// Where the app keeps its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataFacts {
    pub data_dir: String,
    pub database: String,
    pub schema_version: u32,
    pub log_dir: String,
    /// Earlier runs of the app that ended without a clean stop.
    pub unclean_previous_runs: u32,
}

/// The whole status the Overview shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EngineStatus {
    /// The Docker endpoint probed, e.g. `unix:///var/run/docker.sock`.
    pub docker_endpoint: String,
    pub docker: Probe<DockerFacts>,
    /// The Ollama URL probed.
    pub ollama_url: String,
    pub ollama: Probe<OllamaFacts>,
    pub data: DataFacts,
    /// When the last check finished (ms since the Unix epoch); 0 before the first.
    #[ts(type = "number")]
    pub checked_at_ms: i64,
}
