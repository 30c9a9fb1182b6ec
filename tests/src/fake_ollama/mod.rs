//! A fake Ollama server that follows Ollama's published HTTP API
//! (<https://github.com/ollama/ollama/blob/main/docs/api.md>) for the
//! endpoints the product uses, with switches for faults.
//!
//! It is a test double for a program we cannot install here; it must never
//! be used by the product. Nothing in it runs a model: the answers are made
//! up from the request, deterministically.
//!
//! Served:
//! - `GET /` → `Ollama is running`
//! - `GET /api/version` → `{"version": VERSION}`
//! - `GET /api/tags` → the installed [`FakeModel`]s
//! - `GET /api/ps` → the models "in memory": those a generate or chat used,
//!   each with an `expires_at` [`KEEP_ALIVE`] after its last use
//! - `POST /api/show` → a model's details, parameters, template, `model_info`
//! - `POST /api/pull` → progress lines as Ollama sends them (see [`PullPlan`]);
//!   the model is installed when the `success` line goes out
//! - `DELETE /api/delete` → removes an installed model (404 when missing)
//! - `POST /api/generate` and `POST /api/chat`, streaming (the default,
//!   `application/x-ndjson`, one JSON object a line, the last one with
//!   `"done": true` and the statistics) or not (`"stream": false`, one JSON
//!   object). Durations are in nanoseconds, counts in tokens (here: words).
//!
//! Errors are Ollama's: an unknown model is a 404 with
//! `{"error":"model \"<name>\" not found, try pulling it first"}`, a missing
//! or malformed body a 400 with `{"error": …}`, an unknown path a 404 with
//! the text `404 page not found`, and an error during a stream is a line
//! `{"error": …}` after which the stream ends.
//!
//! The text of an answer, unless a canned one is set with
//! [`FakeOllama::set_reply_to`] (for prompts that contain a given text) or
//! [`FakeOllama::set_reply`] (for all), is [`default_reply`] of the prompt (of the last
//! user message for chat), or [`json_reply`] when the request asks for
//! `"format": "json"` (or a JSON schema). Streams send it in chunks of one
//! word each (with the whitespace that follows it).
//!
//! The files: this one holds the server and its switches, [`answer`] the
//! generate and chat endpoints, [`models`] the model endpoints, and
//! [`wire`] the response shapes and stream faults they share.

mod answer;
mod models;
mod wire;

pub use answer::{default_reply, json_reply};

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use serde_json::{json, Value};

use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::task::JoinHandle;
use wire::{complete, overriding_fault, with_type, JSON, TEXT};

/// The version the fake reports, in Ollama's format.
pub const VERSION: &str = "0.12.6";

/// What the made-up answer to a prompt starts with; see [`default_reply`].
pub const REPLY_PREFIX: &str = "fake reply to: ";

/// How many characters of the prompt the made-up answer repeats.
pub const ECHO_CHARS: usize = 80;

/// The made-up time one token takes, for `prompt_eval_duration` and
/// `eval_duration` (nanoseconds, as Ollama reports every duration).
pub const NS_PER_TOKEN: u64 = 1_000_000;

/// The made-up `load_duration` (nanoseconds).
pub const LOAD_NS: u64 = 2_000_000;

/// Made-up time outside loading and evaluation, added to `total_duration`.
pub const OVERHEAD_NS: u64 = 500_000;

/// How long a model stays "in memory" after it was used (Ollama's default
/// `keep_alive`), for the `expires_at` of `/api/ps`.
pub const KEEP_ALIVE: Duration = Duration::from_secs(5 * 60);

/// A model the fake has "installed".
#[derive(Debug, Clone)]
pub struct FakeModel {
    pub name: String,
    pub size: u64,
    pub family: String,
    pub parameter_size: String,
    pub quantization_level: String,
}

impl FakeModel {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            size: 1_000_000_000,
            family: "llama".into(),
            parameter_size: "1B".into(),
            quantization_level: "Q4_K_M".into(),
        }
    }
}

/// Faults the fake can be switched into with [`FakeOllama::set_fault`].
/// They apply to every endpoint unless said otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    /// Answers as Ollama would.
    #[default]
    None,
    /// Waits this long before answering each request (then answers
    /// normally; a stream then flows without further delay).
    Latency(Duration),
    /// Every request gets a 500 with an `{"error": …}` body.
    ServerError,
    /// A stream sends its first chunk line, never the `done` line, and the
    /// connection is dropped (the HTTP body ends in error, as when Ollama
    /// dies). A non-streaming answer sends the first half of its body, with
    /// the `Content-Length` of the whole, and the connection is dropped.
    TruncatedStream,
    /// Every request gets a 200 whose body is neither JSON nor NDJSON (the
    /// `Content-Type` still claims it is).
    Garbage,
    /// A stream sends its first chunk line, then a line `{"error": …}`, and
    /// ends (cleanly, without a `done` line): how Ollama reports an error in
    /// the middle of a stream. A non-streaming generate or chat gets a 500
    /// with `{"error": …}`; other endpoints answer normally.
    MidStreamError,
    /// Accepts the connection and never answers (no status, no headers).
    Silent,
    /// A stream sends its first line, then nothing more, keeping the
    /// connection open (a model that hangs). Other answers are normal.
    Stall,
    /// A stream sends its first line, then a line that is not JSON, then
    /// the rest. Other answers are normal.
    GarbageLine,
    /// A stream sends its first line, then one JSON line this many bytes
    /// long (without its newline), then the rest. Other answers are normal.
    LongLine(usize),
}

/// How `/api/pull` goes, set with [`FakeOllama::set_pull`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullPlan {
    /// How many progress lines each layer gets (`completed` grows by
    /// `total / steps` each time and ends at `total`); at least 1.
    pub steps: u32,
    /// The pause before each progress line.
    pub step_delay: Duration,
    /// `Some(n)`: after `n` lines the pull fails with a line
    /// `{"error": …}` and installs nothing.
    pub fail_after: Option<usize>,
}

impl Default for PullPlan {
    fn default() -> Self {
        Self {
            steps: 4,
            step_delay: Duration::ZERO,
            fail_after: None,
        }
    }
}

/// One request the fake received, for assertions.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query, e.g. `/api/generate`.
    pub path: String,
    /// The body as it came, lossily decoded as UTF-8 ("" when none).
    pub raw_body: String,
    /// The body, when it was JSON.
    pub body: Option<Value>,
    /// `body.model`, when it is a string.
    pub model: Option<String>,
    /// `body.prompt` (generate), when it is a string.
    pub prompt: Option<String>,
    /// `body.system` (generate), when it is a string.
    pub system: Option<String>,
    /// `body.messages` (chat), as sent.
    pub messages: Option<Value>,
}

impl RecordedRequest {
    fn new(method: &str, path: &str, raw: &[u8]) -> Self {
        let body: Option<Value> = serde_json::from_slice(raw).ok();
        let text = |key: &str| {
            body.as_ref()
                .and_then(|b| b.get(key))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        RecordedRequest {
            method: method.to_string(),
            path: path.to_string(),
            raw_body: String::from_utf8_lossy(raw).into_owned(),
            model: text("model"),
            prompt: text("prompt"),
            system: text("system"),
            messages: body.as_ref().and_then(|b| b.get("messages")).cloned(),
            body,
        }
    }
}

#[derive(Default)]
struct Inner {
    models: Vec<FakeModel>,
    /// The models a generate or chat used, with when they "unload".
    loaded: Vec<(String, SystemTime)>,
    fault: Fault,
    reply: Option<String>,
    /// Canned answers for prompts that contain a text, first match wins.
    replies_to: Vec<(String, String)>,
    pull: PullPlan,
    /// `Some(n)`: streamed lines go out in pieces of at most `n` bytes.
    split: Option<usize>,
    requests: Vec<RecordedRequest>,
}

type Shared = Arc<Mutex<Inner>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Inner> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake; stops when dropped.
pub struct FakeOllama {
    addr: SocketAddr,
    inner: Shared,
    task: JoinHandle<()>,
}

impl FakeOllama {
    /// Starts a fake on a free loopback port with these models installed.
    pub async fn start(models: Vec<FakeModel>) -> std::io::Result<FakeOllama> {
        Self::start_on("127.0.0.1:0", models).await
    }

    /// Starts a fake on `addr`: any address this machine has, e.g.
    /// `172.17.0.1:0` so that containers reach it on the Docker bridge, or
    /// `127.0.0.1:11434` for a manual check. Port 0 picks a free port.
    /// Listens where agent containers reach it: a free port on Docker's
    /// bridge address (`host.docker.internal`).
    pub async fn start_for_agents(models: Vec<FakeModel>) -> std::io::Result<FakeOllama> {
        Self::start_on(format!("{}:0", crate::docker::bridge_gateway()).as_str(), models).await
    }

    pub async fn start_on(addr: impl ToSocketAddrs, models: Vec<FakeModel>) -> std::io::Result<FakeOllama> {
        let inner: Shared = Arc::new(Mutex::new(Inner {
            models,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/", get(root).fallback(not_found))
            .route("/api/version", get(version).fallback(not_found))
            .route("/api/tags", get(models::tags).fallback(not_found))
            .route("/api/ps", get(models::ps).fallback(not_found))
            .route("/api/show", post(models::show).fallback(not_found))
            .route("/api/pull", post(models::pull).fallback(not_found))
            .route("/api/delete", delete(models::delete).fallback(not_found))
            .route("/api/generate", post(answer::generate).fallback(not_found))
            .route("/api/chat", post(answer::chat).fallback(not_found))
            .fallback(not_found)
            .layer(middleware::from_fn_with_state(Arc::clone(&inner), record))
            .with_state(Arc::clone(&inner));
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakeOllama { addr, inner, task })
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the fake listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Switches the fault for the requests that come next.
    pub fn set_fault(&self, fault: Fault) {
        self.lock().fault = fault;
    }

    /// Stops listening: new connections are refused, as when Ollama is down.
    /// Returns once the listener is closed.
    pub async fn stop(&mut self) {
        self.task.abort();
        // Waiting for the aborted task drops the listener; a connection made
        // before that would sit in its backlog instead of being refused.
        let _ = (&mut self.task).await;
    }

    /// Switches how the next pulls go.
    pub fn set_pull(&self, plan: PullPlan) {
        self.lock().pull = plan;
    }

    /// `Some(n)`: every streamed line is sent in pieces of at most `n`
    /// bytes, each its own HTTP chunk, so a line reaches the client split.
    pub fn set_split(&self, split: Option<usize>) {
        self.lock().split = split;
    }

    /// The names of the installed models.
    pub fn model_names(&self) -> Vec<String> {
        self.lock().models.iter().map(|m| m.name.clone()).collect()
    }

    /// The fault now in effect.
    pub fn fault(&self) -> Fault {
        self.lock().fault
    }

    /// `Some(text)`: every generate and chat answers `text` (in chunks when
    /// streaming), whatever the prompt or format. `None`: the made-up
    /// answers again ([`default_reply`], [`json_reply`]).
    pub fn set_reply(&self, reply: Option<String>) {
        self.lock().reply = reply;
    }

    /// `Some(text)`: every generate and chat whose prompt (for chat, last
    /// user message) contains `needle` answers `text`, before a
    /// [`set_reply`](Self::set_reply) answer; the rules are tried in the
    /// order they were first set. `None` removes the rule for `needle`.
    pub fn set_reply_to(&self, needle: &str, reply: Option<String>) {
        let mut inner = self.lock();
        match (inner.replies_to.iter().position(|(n, _)| n == needle), reply) {
            (Some(i), Some(reply)) => inner.replies_to[i].1 = reply,
            (Some(i), None) => {
                inner.replies_to.remove(i);
            }
            (None, Some(reply)) => inner.replies_to.push((needle.to_string(), reply)),
            (None, None) => {}
        }
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    /// How many requests for `path` (e.g. `/api/generate`) were received.
    pub fn calls(&self, path: &str) -> usize {
        self.lock().requests.iter().filter(|r| r.path == path).count()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        self.lock().requests.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }
}

impl Drop for FakeOllama {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Records every request (whatever its path) before it is answered.
async fn record(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let recorded = RecordedRequest::new(parts.method.as_str(), parts.uri.path(), &bytes);
    lock(&shared).requests.push(recorded);
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// What a handler needs from the shared state, read once per request.
struct Snapshot {
    models: Vec<FakeModel>,
    fault: Fault,
    reply: Option<String>,
    replies_to: Vec<(String, String)>,
    split: Option<usize>,
}

/// Reads the state, then waits out a [`Fault::Latency`] (without the lock).
async fn begin(shared: &Shared) -> Snapshot {
    let snapshot = {
        let inner = lock(shared);
        Snapshot {
            models: inner.models.clone(),
            fault: inner.fault,
            reply: inner.reply.clone(),
            replies_to: inner.replies_to.clone(),
            split: inner.split,
        }
    };
    match snapshot.fault {
        Fault::Latency(delay) => tokio::time::sleep(delay).await,
        Fault::Silent => std::future::pending::<()>().await,
        _ => {}
    }
    snapshot
}

async fn not_found(State(shared): State<Shared>) -> Response {
    let snapshot = begin(&shared).await;
    overriding_fault(snapshot.fault, TEXT)
        .unwrap_or_else(|| with_type(StatusCode::NOT_FOUND, TEXT, Body::from("404 page not found")))
}

async fn root(State(shared): State<Shared>) -> Response {
    let snapshot = begin(&shared).await;
    overriding_fault(snapshot.fault, TEXT).unwrap_or_else(|| complete(TEXT, "Ollama is running".into(), snapshot.fault))
}

async fn version(State(shared): State<Shared>) -> Response {
    let snapshot = begin(&shared).await;
    overriding_fault(snapshot.fault, JSON)
        .unwrap_or_else(|| complete(JSON, json!({ "version": VERSION }).to_string(), snapshot.fault))
}
