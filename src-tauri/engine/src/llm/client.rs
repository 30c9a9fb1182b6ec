//! The Ollama HTTP client (see issue 6), for Ollama's published API
//! (<https://github.com/ollama/ollama/blob/main/docs/api.md>).
//!
//! Every request has a time limit: connecting ([`ClientConfig::connect_timeout`]),
//! a whole non-streamed answer or a stream's headers
//! ([`ClientConfig::request_timeout`]), and the wait between two lines of a
//! stream ([`ClientConfig::idle_timeout`]). Model names are checked with
//! [`validate_model_name`] before anything is sent.

use std::time::Duration;

use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use url::Url;

use super::codec::{self, LineLimits};
pub use super::error::OllamaError;
use super::model::{
    validate_model_name, Answer, AnswerEvent, ChatRequest, GenerateRequest, LoadedModel, ModelDetails, ModelInfo,
    PullProgress,
};
use crate::error::error_chain;

mod wire;

/// Where Ollama is and how long to wait for it.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Ollama's base URL, e.g. `http://127.0.0.1:11434`.
    pub base: Url,
    pub connect_timeout: Duration,
    /// The limit for a whole non-streamed answer, and for a stream's
    /// status and headers.
    pub request_timeout: Duration,
    /// The longest wait between two lines of a stream (the first token
    /// comes after the model is loaded, which can take a while).
    pub idle_timeout: Duration,
    /// The longest line of a stream, in bytes.
    pub max_line_bytes: usize,
}

impl ClientConfig {
    /// The defaults for the Ollama at `base`.
    pub fn new(base: Url) -> Self {
        Self {
            base,
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(120),
            max_line_bytes: codec::DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// A stream of [`PullProgress`], ending with `success` or an error.
pub type PullStream = BoxStream<'static, Result<PullProgress, OllamaError>>;

/// A stream of [`AnswerEvent`]s, ending with [`AnswerEvent::Done`] or an error.
pub type AnswerStream = BoxStream<'static, Result<AnswerEvent, OllamaError>>;

/// A client for one Ollama; cheap to clone.
#[derive(Debug, Clone)]
pub struct OllamaClient {
    http: reqwest::Client,
    config: ClientConfig,
}

impl OllamaClient {
    pub fn new(mut config: ClientConfig) -> Result<Self, OllamaError> {
        // `Url::join` replaces the last segment of a base without a
        // trailing slash: `http://h/ollama` + `api/tags` would lose `ollama`.
        if !config.base.path().ends_with('/') {
            let path = format!("{}/", config.base.path());
            config.base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|err| OllamaError::Unreachable {
                url: config.base.to_string(),
                cause: format!("cannot set up the HTTP client: {err}"),
            })?;
        Ok(Self { http, config })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// `GET /api/version`: Ollama's version, e.g. `0.12.6`.
    #[tracing::instrument(skip(self), err)]
    pub async fn version(&self) -> Result<String, OllamaError> {
        #[derive(Deserialize)]
        struct Body {
            version: String,
        }
        let body: Body = self.call(Method::GET, "api/version", None, None).await?;
        Ok(body.version)
    }

    /// `GET /api/tags`: the installed models.
    #[tracing::instrument(skip(self), err)]
    pub async fn list_models(&self) -> Result<Vec<ModelInfo>, OllamaError> {
        let body: wire::Tags = self.call(Method::GET, "api/tags", None, None).await?;
        Ok(body.models.into_iter().map(wire::TagModel::into_info).collect())
    }

    /// `GET /api/ps`: the models in memory.
    #[tracing::instrument(skip(self), err)]
    pub async fn loaded_models(&self) -> Result<Vec<LoadedModel>, OllamaError> {
        let body: wire::Ps = self.call(Method::GET, "api/ps", None, None).await?;
        Ok(body.models.into_iter().map(wire::PsModel::into_loaded).collect())
    }

    /// `POST /api/show`: what Ollama knows of `model`.
    #[tracing::instrument(skip(self), err)]
    pub async fn show(&self, model: &str) -> Result<ModelDetails, OllamaError> {
        check_name(model)?;
        let body: wire::Show = self
            .call(Method::POST, "api/show", Some(json!({ "model": model })), Some(model))
            .await?;
        Ok(body.into_details(model))
    }

    /// `DELETE /api/delete`: removes `model`; [`OllamaError::ModelNotFound`]
    /// when it is not installed.
    #[tracing::instrument(skip(self), err)]
    pub async fn delete(&self, model: &str) -> Result<(), OllamaError> {
        check_name(model)?;
        let _: Option<Value> = self
            .call(
                Method::DELETE,
                "api/delete",
                Some(json!({ "model": model })),
                Some(model),
            )
            .await?;
        Ok(())
    }

    /// `POST /api/pull`: downloads `model`, reporting progress line by line
    /// until `success`.
    #[tracing::instrument(skip(self), err)]
    pub async fn pull(&self, model: &str) -> Result<PullStream, OllamaError> {
        check_name(model)?;
        let body = json!({ "model": model, "stream": true });
        let (response, limits) = self.open("api/pull", body, model).await?;
        Ok(codec::ndjson(body_bytes(response), limits, PullProgress::is_success))
    }

    /// `POST /api/generate`, streamed: the answer to one prompt.
    #[tracing::instrument(skip(self, request), fields(model = %request.model), err)]
    pub async fn generate(&self, request: &GenerateRequest) -> Result<AnswerStream, OllamaError> {
        check_name(&request.model)?;
        let mut body = json!({ "model": request.model, "prompt": request.prompt, "stream": true });
        put(&mut body, "system", request.system.as_ref().map(|s| json!(s)));
        put(&mut body, "format", request.format.clone());
        put(&mut body, "options", request.options.clone());
        put(&mut body, "keep_alive", request.keep_alive.as_ref().map(|s| json!(s)));
        self.answer("api/generate", body, &request.model).await
    }

    /// `POST /api/chat`, streamed: the next message of a conversation.
    #[tracing::instrument(skip(self, request), fields(model = %request.model), err)]
    pub async fn chat(&self, request: &ChatRequest) -> Result<AnswerStream, OllamaError> {
        check_name(&request.model)?;
        let messages: Vec<Value> = request
            .messages
            .iter()
            .map(|m| json!({ "role": m.role, "content": m.content }))
            .collect();
        let mut body = json!({ "model": request.model, "messages": messages, "stream": true });
        put(&mut body, "format", request.format.clone());
        put(&mut body, "options", request.options.clone());
        put(&mut body, "keep_alive", request.keep_alive.as_ref().map(|s| json!(s)));
        self.answer("api/chat", body, &request.model).await
    }

    async fn answer(&self, path: &str, body: Value, model: &str) -> Result<AnswerStream, OllamaError> {
        let (response, limits) = self.open(path, body, model).await?;
        let lines = codec::ndjson(body_bytes(response), limits, |line: &wire::AnswerLine| line.done);
        Ok(lines
            .map_ok(|line| futures::stream::iter(line.into_events().into_iter().map(Ok)))
            .try_flatten()
            .boxed())
    }

    fn url(&self, path: &str) -> Result<Url, OllamaError> {
        self.config.base.join(path).map_err(|err| OllamaError::Unreachable {
            url: self.config.base.to_string(),
            cause: format!("cannot add {path} to the URL: {err}"),
        })
    }

    /// Sends a request and reads a whole JSON answer (an empty body reads as
    /// `null`), all within the request timeout.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        model: Option<&str>,
    ) -> Result<T, OllamaError> {
        let url = self.url(path)?;
        let after = self.config.request_timeout;
        let exchange = async {
            let mut request = self.http.request(method, url.clone());
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.map_err(|err| sent(&url, after, err))?;
            let response = success(response, model).await?;
            let bytes = crate::capped::response(response, crate::capped::OLLAMA_ANSWER)
                .await
                .map_err(|err| {
                    let message = err.about(&format!("Ollama's answer at {url}"));
                    match err {
                        crate::capped::ReadError::TooLarge { .. } => OllamaError::TooLarge(message),
                        crate::capped::ReadError::Broken(_) => OllamaError::Disconnected {
                            url: url.to_string(),
                            cause: message,
                        },
                    }
                })?;
            let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
                b"null"
            } else {
                &bytes
            };
            serde_json::from_slice(bytes).map_err(|err| OllamaError::MalformedStream {
                line: 1,
                cause: format!("the answer of {url} does not have the expected fields: {err}"),
            })
        };
        tokio::time::timeout(after, exchange)
            .await
            .map_err(|_| OllamaError::Timeout {
                url: url.to_string(),
                after,
            })?
    }

    /// Sends a streaming POST and waits (within the request timeout) for a
    /// successful status.
    async fn open(&self, path: &str, body: Value, model: &str) -> Result<(reqwest::Response, LineLimits), OllamaError> {
        let url = self.url(path)?;
        let after = self.config.request_timeout;
        let exchange = async {
            let response = self
                .http
                .post(url.clone())
                .json(&body)
                .send()
                .await
                .map_err(|err| sent(&url, after, err))?;
            success(response, Some(model)).await
        };
        let response = tokio::time::timeout(after, exchange)
            .await
            .map_err(|_| OllamaError::Timeout {
                url: url.to_string(),
                after,
            })??;
        let limits = LineLimits {
            max_line_bytes: self.config.max_line_bytes,
            idle_timeout: self.config.idle_timeout,
            url: url.to_string(),
        };
        Ok((response, limits))
    }
}

/// Gathers a whole answer from its stream.
pub async fn collect_answer(mut stream: AnswerStream) -> Result<Answer, OllamaError> {
    let mut text = String::new();
    while let Some(event) = stream.try_next().await? {
        match event {
            AnswerEvent::Delta { text: piece } => {
                // Each line is capped by the codec; the whole by this.
                if text.len() + piece.len() > crate::capped::OLLAMA_ANSWER {
                    return Err(OllamaError::TooLarge(
                        crate::capped::ReadError::TooLarge {
                            limit: crate::capped::OLLAMA_ANSWER,
                        }
                        .about("the model's streamed answer"),
                    ));
                }
                text.push_str(&piece);
            }
            AnswerEvent::Done(completion) => return Ok(Answer { text, completion }),
        }
    }
    // The codec ends every answer stream with `done` or an error.
    Err(OllamaError::MalformedStream {
        line: 0,
        cause: "the answer ended without its done line".into(),
    })
}

fn check_name(model: &str) -> Result<(), OllamaError> {
    validate_model_name(model).map_err(OllamaError::InvalidModelName)
}

fn put(body: &mut Value, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        body[key] = value;
    }
}

fn body_bytes(
    response: reqwest::Response,
) -> impl futures::Stream<Item = std::io::Result<bytes::Bytes>> + Send + Unpin {
    response.bytes_stream().map_err(std::io::Error::other)
}

/// Classifies a failed send or body read.
fn sent(url: &Url, after: Duration, err: reqwest::Error) -> OllamaError {
    let url = url.to_string();
    if err.is_timeout() {
        OllamaError::Timeout { url, after }
    } else if err.is_connect() {
        OllamaError::Unreachable {
            url,
            cause: error_chain(&err),
        }
    } else {
        OllamaError::Disconnected {
            url,
            cause: error_chain(&err),
        }
    }
}

/// Passes a successful response; turns an error status into
/// [`OllamaError::ModelNotFound`] (404 for a request about `model`) or
/// [`OllamaError::Api`] with Ollama's `{"error": …}` message.
async fn success(response: reqwest::Response, model: Option<&str>) -> Result<reqwest::Response, OllamaError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    if let (StatusCode::NOT_FOUND, Some(model)) = (status, model) {
        return Err(OllamaError::ModelNotFound(model.to_string()));
    }
    let body = crate::capped::response(response, crate::capped::ERROR_BODY)
        .await
        .unwrap_or_else(|err| bytes::Bytes::from(err.to_string()));
    let message = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
    Err(OllamaError::Api {
        status: status.as_u16(),
        message,
    })
}
