//! The HTTP side of the CLI: one client of the engine's API at one URL
//! with one key, its answers as JSON, its event streams as `(event, data)`
//! pairs, and every way a request can fail as a [`Failure`] that knows its
//! exit code.
//!
//! Server-sent events are read with `eventsource-stream` over reqwest's
//! byte stream: it handles the framing rules (multi-line `data:`, comments,
//! CRLF, chunks split mid-line) that a hand-written splitter gets wrong.

use std::time::Duration;

use eventsource_stream::Eventsource;
use futures::{Stream, StreamExt};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::Value;

/// How long a connection may take to open (the engine is local).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long an ordinary request may take, beyond any `wait` it asks for.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a command failed, and so its exit code.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The API answered with an error (exit 1).
    #[error("{status}: {code}: {message}")]
    Api {
        status: StatusCode,
        code: String,
        message: String,
    },
    /// The API refused the key (exit 4); `hint` says what to do.
    #[error("{status}: {code}: {message}{hint}")]
    Refused {
        status: StatusCode,
        code: String,
        message: String,
        hint: String,
    },
    /// Nothing answers at the URL (exit 3).
    #[error("no engine answers at {url} ({origin}): {cause}\nstart one with `sutazai-headless serve` (or open the app), or point --url / SUTAZAI_URL at a running one")]
    Unreachable { url: String, origin: String, cause: String },
    /// A task, run, deploy or pull ended failed (exit 5).
    #[error("{0}")]
    Ended(String),
    /// Ctrl-C during a deploy or pull (exit 130).
    #[error("{0}")]
    Interrupted(String),
    /// Anything else: a bad argument's value, a local file, an answer that
    /// makes no sense (exit 1).
    #[error("{0}")]
    Local(String),
}

impl Failure {
    /// The process exit code documented in the README and `--help`.
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Api { .. } | Failure::Local(_) => 1,
            Failure::Unreachable { .. } => 3,
            Failure::Refused { .. } => 4,
            Failure::Ended(_) => 5,
            Failure::Interrupted(_) => 130,
        }
    }
}

/// A client of one engine's API.
pub struct Client {
    http: reqwest::Client,
    /// The engine's address without `/v1` (`http://127.0.0.1:10200`).
    base: String,
    /// Where `base` came from, for the message when nothing answers.
    origin: String,
    key: String,
}

impl Client {
    /// A client of `base` (where it came from in `origin`) with `key`.
    pub fn new(base: &str, origin: String, key: String) -> Result<Client, Failure> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|err| Failure::Local(format!("cannot make an HTTP client: {err}")))?;
        Ok(Client {
            http,
            base: normalise(base),
            origin,
            key,
        })
    }

    /// The key shown to the API.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// `GET path` (under `/v1`), its JSON answer.
    pub async fn get(&self, path: &str, query: &[(&str, String)]) -> Result<Value, Failure> {
        let request = self.request(Method::GET, path).query(query).timeout(REQUEST_TIMEOUT);
        json(self.send(request).await?).await
    }

    /// `GET path`, its text answer.
    pub async fn get_text(&self, path: &str, query: &[(&str, String)]) -> Result<String, Failure> {
        let request = self.request(Method::GET, path).query(query).timeout(REQUEST_TIMEOUT);
        let response = self.send(request).await?;
        response
            .text()
            .await
            .map_err(|err| Failure::Local(format!("the answer of {path} was cut: {err}")))
    }

    /// `method path` with a JSON body (or none), its JSON answer; `wait` is
    /// how long the engine was asked to wait before answering.
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
        wait: Duration,
    ) -> Result<Value, Failure> {
        let mut request = self.request(method, path).query(query).timeout(REQUEST_TIMEOUT + wait);
        if let Some(body) = body {
            request = request.json(body);
        }
        json(self.send(request).await?).await
    }

    /// `method path` asking for server-sent events: the stream of
    /// `(event, data)`, or the API's refusal.
    pub async fn events(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<impl Stream<Item = Result<(String, String), Failure>> + Unpin, Failure> {
        let mut request = self
            .request(method, path)
            .query(query)
            .header(reqwest::header::ACCEPT, "text/event-stream");
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = self.send(request).await?;
        Ok(response.bytes_stream().eventsource().map(|event| match event {
            Ok(event) => Ok((event.event, event.data)),
            Err(err) => Err(Failure::Local(format!("the event stream broke: {err}"))),
        }))
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}/v1{path}", self.base))
            .bearer_auth(&self.key)
    }

    /// Sends `request`; an answer that is not a success becomes the
    /// matching [`Failure`].
    async fn send(&self, request: RequestBuilder) -> Result<Response, Failure> {
        let response = request.send().await.map_err(|err| self.unsent(err))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let text = response.text().await.unwrap_or_default();
        let (code, message) =
            error_body(&text).unwrap_or_else(|| (status.as_str().to_string(), text.trim().to_string()));
        Err(match status {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Failure::Refused {
                status,
                code,
                message,
                hint: String::new(),
            },
            _ => Failure::Api { status, code, message },
        })
    }

    fn unsent(&self, err: reqwest::Error) -> Failure {
        if err.is_connect() {
            Failure::Unreachable {
                url: self.base.clone(),
                origin: self.origin.clone(),
                cause: cause_of(&err),
            }
        } else {
            Failure::Local(format!("the request to {} failed: {}", self.base, cause_of(&err)))
        }
    }
}

/// `http://host:port` from what the user gave: a trailing `/` or `/v1` is
/// dropped, a missing scheme is `http://`.
fn normalise(base: &str) -> String {
    let base = base.trim().trim_end_matches('/');
    let base = base.strip_suffix("/v1").unwrap_or(base);
    if base.contains("://") {
        base.to_string()
    } else {
        format!("http://{base}")
    }
}

/// The innermost cause of a reqwest error ("Connection refused (os error
/// 111)"), which its own message leaves out.
fn cause_of(err: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// The API's `{"error": {"code", "message"}}`.
fn error_body(text: &str) -> Option<(String, String)> {
    let value: Value = serde_json::from_str(text).ok()?;
    error_of(&value)
}

/// The code and message of an `{"error": {"code", "message"}}` value.
pub fn error_of(value: &Value) -> Option<(String, String)> {
    let error = value.get("error")?;
    let code = error.get("code")?.as_str()?.to_string();
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    Some((code, message))
}

async fn json(response: Response) -> Result<Value, Failure> {
    let url = response.url().path().to_string();
    let text = response
        .text()
        .await
        .map_err(|err| Failure::Local(format!("the answer of {url} was cut: {err}")))?;
    if text.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&text).map_err(|err| Failure::Local(format!("the answer of {url} is not JSON: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_loses_its_slash_and_v1_and_gains_a_scheme() {
        assert_eq!(normalise("http://127.0.0.1:10200/"), "http://127.0.0.1:10200");
        assert_eq!(normalise("http://127.0.0.1:10200/v1/"), "http://127.0.0.1:10200");
        assert_eq!(normalise("127.0.0.1:10200"), "http://127.0.0.1:10200");
    }

    #[test]
    fn an_error_body_gives_its_code_and_message() {
        let body = r#"{"error": {"code": "not_found", "message": "no task t-1"}}"#;
        assert_eq!(error_body(body), Some(("not_found".into(), "no task t-1".into())));
        assert_eq!(error_body("<html>"), None);
    }
}
