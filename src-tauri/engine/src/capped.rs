//! Bodies the engine reads from the outside world (agents, Ollama), each
//! with a size cap: a broken or hostile peer that sends without end is cut
//! at the cap with an error that says so, and never costs more memory than
//! the cap. Streamed answers (the gateway's relay, NDJSON lines) have their
//! own per-chunk and per-line limits.

use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};

/// An agent's answer to `POST /task`: a task result with the model's output.
/// 16 MiB is some four million tokens, far beyond any model's context.
pub const AGENT_REPLY: usize = 16 << 20;
/// An agent's `/health` answer (a few hundred bytes).
pub const HEALTH: usize = 64 << 10;
/// An error body, from Ollama or an agent (a sentence).
pub const ERROR_BODY: usize = 64 << 10;
/// A whole, non-streamed Ollama answer (`/api/tags` of hundreds of models
/// is well under 1 MiB).
pub const OLLAMA_ANSWER: usize = 16 << 20;

/// Why a body could not be read whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the answer is larger than {} (cut there)", size(*.limit))]
    TooLarge { limit: usize },
    #[error("reading the answer: {0}")]
    Broken(String),
}

impl ReadError {
    /// The error as a sentence about `what` was read, e.g. `agent AG-001's
    /// answer at http://…/task is larger than 16 MiB (cut there)`.
    pub fn about(&self, what: &str) -> String {
        match self {
            ReadError::TooLarge { limit } => format!("{what} is larger than {} (cut there)", size(*limit)),
            ReadError::Broken(cause) => format!("reading {what}: {cause}"),
        }
    }
}

/// The whole of `body`, or an error once it passes `limit` bytes.
pub async fn read<B>(body: B, limit: usize) -> Result<Bytes, ReadError>
where
    B: http_body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) if err.downcast_ref::<LengthLimitError>().is_some() => Err(ReadError::TooLarge { limit }),
        Err(err) => Err(ReadError::Broken(err.to_string())),
    }
}

/// The whole body of a reqwest answer, or an error past `limit` bytes.
pub async fn response(response: reqwest::Response, limit: usize) -> Result<Bytes, ReadError> {
    let response: http::Response<reqwest::Body> = response.into();
    read(response.into_body(), limit).await
}

/// `16 MiB`, `64 KiB`.
fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_body_past_the_cap_is_an_error_that_says_so() {
        let cases = [
            (vec![b'x'; 10], 10, Ok(10)),
            (vec![b'x'; 11], 10, Err(ReadError::TooLarge { limit: 10 })),
            (Vec::new(), 10, Ok(0)),
        ];
        for (body, limit, want) in cases {
            let got = read(http_body_util::Full::new(Bytes::from(body)), limit)
                .await
                .map(|b| b.len());
            assert_eq!(got, want);
        }
        assert_eq!(
            ReadError::TooLarge { limit: AGENT_REPLY }.to_string(),
            "the answer is larger than 16 MiB (cut there)"
        );
        assert_eq!(
            ReadError::TooLarge { limit: HEALTH }.about("agent AG-001's answer"),
            "agent AG-001's answer is larger than 64 KiB (cut there)"
        );
    }
}
