//! The agent's side of the Ollama API: `/api/generate` and `/api/chat`,
//! streaming NDJSON, with the manifest's fallback model.

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use sutazai_protocol::manifest::ModelChoice;
use sutazai_protocol::ErrorCode;
use tokio_util::codec::{FramedRead, LinesCodec, LinesCodecError};
use tokio_util::io::StreamReader;

/// The longest NDJSON line accepted from the server.
const MAX_LINE: usize = 1 << 20;
/// The longest answer kept from a model (the hub cuts an agent's whole
/// reply at 16 MiB; an answer this long is no model's).
const MAX_ANSWER: usize = 8 << 20;
/// The most of an error body read.
const MAX_ERROR_BODY: usize = 64 << 10;

/// A client of one Ollama-API server.
#[derive(Clone)]
pub struct Llm {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    timeout: Duration,
}

/// What the model said, and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub text: String,
    pub model: String,
    pub llm_ms: f64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

/// A model call that did not produce an answer.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmError {
    pub code: ErrorCode,
    pub message: String,
}

impl LlmError {
    fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// One model call: the rendered prompt, and the conversation so far when
/// the task brings one (then `/api/chat` is used).
pub struct Ask<'a> {
    pub system: Option<&'a str>,
    pub prompt: &'a str,
    pub history: Option<&'a [Value]>,
    pub json: bool,
}

impl Llm {
    pub fn new(base: &str, token: Option<String>, timeout: Duration) -> Llm {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Llm {
            http,
            base: base.trim_end_matches('/').to_string(),
            token,
            timeout,
        }
    }

    /// Asks the preferred model, and the fallback when the preferred one is
    /// not installed.
    pub async fn ask(&self, models: &ModelChoice, ask: &Ask<'_>) -> Result<Answer, LlmError> {
        match self.ask_model(&models.preferred, ask).await {
            Err(err) if err.code == ErrorCode::ModelMissing => {
                tracing::warn!(model = %models.preferred, fallback = %models.fallback, "preferred model missing; using the fallback");
                self.ask_model(&models.fallback, ask)
                    .await
                    .map_err(|err| match err.code {
                        ErrorCode::ModelMissing => LlmError::new(
                            ErrorCode::ModelMissing,
                            format!(
                                "neither `{}` nor the fallback `{}` is installed in Ollama at {}",
                                models.preferred, models.fallback, self.base
                            ),
                        ),
                        _ => err,
                    })
            }
            other => other,
        }
    }

    async fn ask_model(&self, model: &str, ask: &Ask<'_>) -> Result<Answer, LlmError> {
        let started = Instant::now();
        let timeout = self.timeout;
        let answer = tokio::time::timeout(timeout, self.stream(model, ask))
            .await
            .map_err(|_| {
                LlmError::new(
                    ErrorCode::LlmTimeout,
                    format!("`{model}` did not finish within {} s", timeout.as_secs()),
                )
            })??;
        Ok(Answer {
            llm_ms: started.elapsed().as_secs_f64() * 1000.0,
            ..answer
        })
    }

    async fn stream(&self, model: &str, ask: &Ask<'_>) -> Result<Answer, LlmError> {
        let chat = ask.history.is_some();
        let (path, mut body) = if let Some(history) = ask.history {
            let mut messages = Vec::new();
            if let Some(system) = ask.system {
                messages.push(json!({"role": "system", "content": system}));
            }
            messages.extend(history.iter().cloned());
            messages.push(json!({"role": "user", "content": ask.prompt}));
            (
                "/api/chat",
                json!({"model": model, "messages": messages, "stream": true}),
            )
        } else {
            let mut body = json!({"model": model, "prompt": ask.prompt, "stream": true});
            if let Some(system) = ask.system {
                body["system"] = json!(system);
            }
            ("/api/generate", body)
        };
        if ask.json {
            body["format"] = json!("json");
        }
        let url = format!("{}{path}", self.base);
        let mut request = self.http.post(&url).json(&body);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|err| {
            if err.is_connect() {
                LlmError::new(
                    ErrorCode::LlmUnreachable,
                    format!("nothing answers at {}: is Ollama running?", self.base),
                )
            } else {
                LlmError::new(ErrorCode::LlmUnreachable, format!("cannot reach {url}: {err}"))
            }
        })?;
        let status = response.status();
        if !status.is_success() {
            let text = head_of(response, MAX_ERROR_BODY).await;
            let message = error_text(&text).unwrap_or_else(|| text.chars().take(300).collect());
            let code = if status == reqwest::StatusCode::NOT_FOUND && message.contains("not found") {
                ErrorCode::ModelMissing
            } else {
                ErrorCode::LlmError
            };
            return Err(LlmError::new(code, format!("{url} answered {status}: {message}")));
        }

        let bytes = response.bytes_stream().map_err(std::io::Error::other);
        let mut lines = FramedRead::new(StreamReader::new(bytes), LinesCodec::new_with_max_length(MAX_LINE));
        let mut text = String::new();
        while let Some(line) = lines.next().await {
            let line = line.map_err(|err| match err {
                LinesCodecError::MaxLineLengthExceeded => LlmError::new(
                    ErrorCode::LlmBadStream,
                    format!("a line from {url} is longer than {MAX_LINE} bytes"),
                ),
                LinesCodecError::Io(err) => LlmError::new(ErrorCode::LlmBadStream, format!("{url} broke off: {err}")),
            })?;
            if line.trim().is_empty() {
                continue;
            }
            let chunk: Chunk = serde_json::from_str(&line).map_err(|err| {
                LlmError::new(
                    ErrorCode::LlmBadStream,
                    format!("{url} sent a line that is not JSON ({err}): {}", clip(&line)),
                )
            })?;
            if let Some(error) = chunk.error {
                return Err(LlmError::new(
                    ErrorCode::LlmError,
                    format!("{url} reported mid-stream: {error}"),
                ));
            }
            if chat {
                if let Some(message) = chunk.message {
                    text.push_str(&message.content);
                }
            } else if let Some(response) = chunk.response {
                text.push_str(&response);
            }
            if text.len() > MAX_ANSWER {
                return Err(LlmError::new(
                    ErrorCode::LlmBadStream,
                    format!(
                        "the answer from {url} is longer than {} MiB; cut there",
                        MAX_ANSWER >> 20
                    ),
                ));
            }
            if chunk.done {
                return Ok(Answer {
                    text,
                    model: chunk.model.unwrap_or_else(|| model.to_string()),
                    llm_ms: 0.0,
                    prompt_tokens: chunk.prompt_eval_count.unwrap_or(0),
                    completion_tokens: chunk.eval_count.unwrap_or(0),
                });
            }
        }
        Err(LlmError::new(
            ErrorCode::LlmBadStream,
            format!("the stream from {url} ended before its final `done` line"),
        ))
    }
}

/// At most `limit` bytes of `response`'s body, as text; the rest is not read.
async fn head_of(mut response: reqwest::Response, limit: usize) -> String {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = limit - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    String::from_utf8_lossy(&body).into_owned()
}

#[derive(Deserialize)]
struct Chunk {
    model: Option<String>,
    response: Option<String>,
    message: Option<ChatMessage>,
    #[serde(default)]
    done: bool,
    prompt_eval_count: Option<u64>,
    eval_count: Option<u64>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct ChatMessage {
    #[serde(default)]
    content: String,
}

fn error_text(body: &str) -> Option<String> {
    serde_json::from_str::<Value>(body)
        .ok()?
        .get("error")?
        .as_str()
        .map(str::to_owned)
}

fn clip(s: &str) -> String {
    let clipped: String = s.chars().take(120).collect();
    if clipped.len() < s.len() {
        format!("{clipped}…")
    } else {
        clipped
    }
}
