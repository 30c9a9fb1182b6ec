//! What can go wrong talking to Ollama, and the code each failure carries
//! to the UI and the API.

use std::time::Duration;

use crate::error::{Code, Coded, ErrorBody};

/// What can go wrong talking to Ollama.
#[derive(Debug, thiserror::Error)]
pub enum OllamaError {
    /// Nothing answers at the URL (connection refused, no route, DNS).
    #[error("nothing answers at {url}, is Ollama running? ({cause})")]
    Unreachable { url: String, cause: String },
    /// No answer (or no next line of a stream) in time.
    #[error("no answer from {url} within {} ms", after.as_millis())]
    Timeout { url: String, after: Duration },
    /// Ollama does not have this model.
    #[error("model {0:?} is not installed in Ollama")]
    ModelNotFound(String),
    /// Ollama answered with an error: an error status, or a line
    /// `{"error": …}` in a stream (then `status` is 200).
    #[error("Ollama answered {status}: {message}")]
    Api { status: u16, message: String },
    /// A line of a stream is not what Ollama sends: not JSON, not UTF-8,
    /// longer than the limit, missing fields; or the stream ended early.
    #[error("line {line} of Ollama's answer is malformed: {cause}")]
    MalformedStream { line: usize, cause: String },
    /// The connection broke off in the middle of an answer.
    #[error("the answer from {url} broke off: {cause}")]
    Disconnected { url: String, cause: String },
    /// The model name was refused before any request.
    #[error("invalid model name: {0}")]
    InvalidModelName(String),
    /// An answer passed its size cap ([`crate::capped`]); reading stopped there.
    #[error("{0}")]
    TooLarge(String),
}

impl Coded for OllamaError {
    fn code(&self) -> Code {
        match self {
            Self::Unreachable { .. } => Code::OllamaUnreachable,
            Self::Timeout { .. } => Code::OllamaTimeout,
            Self::ModelNotFound(_) => Code::NotFound,
            Self::Api { .. } | Self::MalformedStream { .. } | Self::Disconnected { .. } | Self::TooLarge(_) => {
                Code::OllamaError
            }
            Self::InvalidModelName(_) => Code::InvalidRequest,
        }
    }
}

impl From<OllamaError> for ErrorBody {
    fn from(err: OllamaError) -> Self {
        ErrorBody::from(&err)
    }
}
