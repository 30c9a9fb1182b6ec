//! Errors and the one classification (`Code`) that crosses to the UI.
//!
//! The UI decides what to show from the code, never from the message text.

use serde::Serialize;
use ts_rs::TS;

/// The classification of every error the UI can see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The data dir could not be created or written.
    DataDir,
    /// The SQLite store failed (open, migrate, write).
    Store,
    /// The agent catalog folder cannot be created or watched.
    Catalog,
    /// No Docker socket at the configured path (engine not installed or not running).
    DockerMissing,
    /// The Docker endpoint refused the connection.
    DockerRefused,
    /// Docker did not answer within the probe timeout.
    DockerTimeout,
    /// Docker answered with an error.
    DockerError,
    /// Nothing answers at the Ollama URL.
    OllamaUnreachable,
    /// Ollama did not answer within the probe timeout.
    OllamaTimeout,
    /// Ollama answered with an error status or an unexpected body.
    OllamaError,
    /// A program the app starts (`ollama serve`) could not be started.
    ProgramStart,
    /// The engine could not start; the message says why.
    EngineUnavailable,
    /// The agent image could not be made or loaded.
    AgentImage,
    /// No such agent or phase in the catalog.
    UnknownAgent,
    /// A value out of range; the message names it and the allowed range.
    InvalidRequest,
    /// No such task (or key).
    NotFound,
    /// The request does not fit the current state (e.g. cancelling a
    /// finished task, a delegation loop).
    Conflict,
    /// The caller may not do this.
    Forbidden,
    /// No valid credentials.
    Unauthorized,
    /// A workflow definition has problems; the message lists each with
    /// the step and the field path.
    InvalidWorkflow,
    /// An input was refused as a threat; the message names the patterns
    /// that matched and the score.
    ThreatBlocked,
    /// An input is held as a threat until a person approves or rejects it
    /// in the Security view; nothing was queued yet.
    InputHeld,
}

impl Code {
    /// The code as it is spelled on the wire: `not_found`.
    pub fn wire_name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// An error as it crosses a boundary (IPC, later HTTP): a code and a
/// sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, schemars::JsonSchema)]
pub struct ErrorBody {
    pub code: Code,
    pub message: String,
}

impl std::fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl std::error::Error for ErrorBody {}

/// Errors of the engine's own operations.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("cannot create the data dir {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("cannot set up the agent catalog in {path}: {reason}")]
    Catalog { path: String, reason: String },
    /// A request the engine turns down as it stands (a rule that does not
    /// check, a silence too long), saying what is wrong.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
}

impl Coded for EngineError {
    fn code(&self) -> Code {
        match self {
            Self::DataDir { .. } => Code::DataDir,
            Self::Store(_) => Code::Store,
            Self::Catalog { .. } => Code::Catalog,
            Self::Invalid(_) => Code::InvalidRequest,
            Self::NotFound(_) => Code::NotFound,
        }
    }
}

/// An error that knows its [`Code`]: every subsystem's own error type
/// says its code here once, and crosses to the UI and the API as an
/// [`ErrorBody`] through the one conversion below.
pub trait Coded: std::error::Error {
    fn code(&self) -> Code;

    /// The threat an input is held as ([`Code::InputHeld`]), so an answer
    /// can name it.
    fn held_threat(&self) -> Option<i64> {
        None
    }
}

impl<E: Coded> From<&E> for ErrorBody {
    fn from(err: &E) -> Self {
        ErrorBody {
            code: err.code(),
            message: err.to_string(),
        }
    }
}

/// An error with its sources, `outer: inner: innermost` (reqwest hides the
/// useful part, such as "connection refused", in a source).
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
