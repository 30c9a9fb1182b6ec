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
//! [`FakeOllama::set_reply`], is [`default_reply`] of the prompt (of the last
//! user message for chat), or [`json_reply`] when the request asks for
//! `"format": "json"` (or a JSON schema). Streams send it in chunks of one
//! word each (with the whitespace that follows it).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::task::JoinHandle;

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

/// How long a [`Fault::TruncatedStream`] waits after the part it sends, so
/// that part reaches the client before the connection is dropped.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(50);

/// The answer text for `prompt` when no canned reply is set and no JSON is
/// asked for: [`REPLY_PREFIX`] and the first [`ECHO_CHARS`] characters of
/// the trimmed prompt.
pub fn default_reply(prompt: &str) -> String {
    format!("{REPLY_PREFIX}{}", echo(prompt))
}

/// The answer text for `prompt` when the request asks for JSON output and no
/// canned reply is set: a small JSON object, `{"echo":"<prompt prefix>"}`.
pub fn json_reply(prompt: &str) -> String {
    json!({ "echo": echo(prompt) }).to_string()
}

fn echo(prompt: &str) -> String {
    prompt.trim().chars().take(ECHO_CHARS).collect()
}

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
    fault: Fault,
    reply: Option<String>,
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
    pub async fn start_on(addr: impl ToSocketAddrs, models: Vec<FakeModel>) -> std::io::Result<FakeOllama> {
        let inner: Shared = Arc::new(Mutex::new(Inner {
            models,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/", get(root).fallback(not_found))
            .route("/api/version", get(version).fallback(not_found))
            .route("/api/tags", get(tags).fallback(not_found))
            .route("/api/generate", post(generate).fallback(not_found))
            .route("/api/chat", post(chat).fallback(not_found))
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
}

/// Reads the state, then waits out a [`Fault::Latency`] (without the lock).
async fn begin(shared: &Shared) -> Snapshot {
    let snapshot = {
        let inner = lock(shared);
        Snapshot {
            models: inner.models.clone(),
            fault: inner.fault,
            reply: inner.reply.clone(),
        }
    };
    if let Fault::Latency(delay) = snapshot.fault {
        tokio::time::sleep(delay).await;
    }
    snapshot
}

const JSON: &str = "application/json; charset=utf-8";
const NDJSON: &str = "application/x-ndjson";
const TEXT: &str = "text/plain; charset=utf-8";

/// The faults that replace any answer: a 500 or garbage.
fn overriding_fault(fault: Fault, content_type: &'static str) -> Option<Response> {
    match fault {
        Fault::ServerError => Some(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "fake ollama: injected server error",
        )),
        Fault::Garbage => Some(with_type(
            StatusCode::OK,
            content_type,
            Body::from("<html><body>fake ollama: injected garbage</body></html>\n}{ not json ][\n\u{1}\u{2}\n"),
        )),
        Fault::None | Fault::Latency(_) | Fault::TruncatedStream | Fault::MidStreamError => None,
    }
}

fn with_type(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Ollama's error shape: `{"error": "…"}`.
fn error(status: StatusCode, message: &str) -> Response {
    with_type(status, JSON, Body::from(json!({ "error": message }).to_string()))
}

/// A complete, successful, non-streaming answer, unless the fault truncates it.
fn complete(content_type: &'static str, body: String, fault: Fault) -> Response {
    if fault != Fault::TruncatedStream {
        return with_type(StatusCode::OK, content_type, Body::from(body));
    }
    let full = body.len();
    let mut cut = full / 2;
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    let steps = vec![
        Step::Send(body[..cut].to_string()),
        Step::Pause(TRUNCATE_PAUSE),
        Step::Abort,
    ];
    let mut response = with_type(StatusCode::OK, content_type, steps_body(steps));
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(full));
    response
}

/// What a streamed body does next.
enum Step {
    Send(String),
    Pause(Duration),
    /// Ends the body in error: the server drops the connection.
    Abort,
}

fn steps_body(steps: Vec<Step>) -> Body {
    let stream = futures::stream::unfold(steps.into_iter(), |mut steps| async move {
        loop {
            match steps.next()? {
                Step::Send(text) => return Some((Ok(Bytes::from(text)), steps)),
                Step::Pause(delay) => tokio::time::sleep(delay).await,
                Step::Abort => {
                    let err = std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "fake ollama: injected truncation",
                    );
                    return Some((Err(err), steps));
                }
            }
        }
    });
    Body::from_stream(stream)
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

async fn tags(State(shared): State<Shared>) -> Response {
    let snapshot = begin(&shared).await;
    if let Some(response) = overriding_fault(snapshot.fault, JSON) {
        return response;
    }
    let models: Vec<_> = snapshot
        .models
        .iter()
        .map(|m| {
            json!({
                "name": m.name,
                "model": m.name,
                "modified_at": "2026-11-01T10:00:00.000000000Z",
                "size": m.size,
                "digest": digest(&m.name),
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": m.family,
                    "families": [m.family],
                    "parameter_size": m.parameter_size,
                    "quantization_level": m.quantization_level,
                }
            })
        })
        .collect();
    complete(JSON, json!({ "models": models }).to_string(), snapshot.fault)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GenerateRequest {
    model: String,
    prompt: String,
    system: String,
    stream: Option<bool>,
    format: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChatRequest {
    model: String,
    messages: Vec<ChatMessage>,
    stream: Option<bool>,
    format: Option<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChatMessage {
    role: String,
    content: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Generate,
    Chat,
}

/// The common shape of a generate or chat request.
struct Ask {
    kind: Kind,
    model: String,
    stream: bool,
    json: bool,
    /// The text the answer is about: the prompt, or the last user message.
    subject: String,
    /// Nothing to answer (empty prompt / no messages): Ollama only loads the
    /// model and answers `"done_reason": "load"`.
    load_only: bool,
    prompt_tokens: u64,
}

async fn generate(State(shared): State<Shared>, body: Bytes) -> Response {
    let snapshot = begin(&shared).await;
    let content_type = if wants_stream(&body) { NDJSON } else { JSON };
    if let Some(response) = overriding_fault(snapshot.fault, content_type) {
        return response;
    }
    let request: GenerateRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let ask = Ask {
        kind: Kind::Generate,
        prompt_tokens: words(&request.system) + words(&request.prompt),
        load_only: request.prompt.is_empty(),
        subject: request.prompt,
        model: request.model,
        stream: request.stream.unwrap_or(true),
        json: wants_json(request.format.as_ref()),
    };
    answer(ask, &snapshot)
}

async fn chat(State(shared): State<Shared>, body: Bytes) -> Response {
    let snapshot = begin(&shared).await;
    let content_type = if wants_stream(&body) { NDJSON } else { JSON };
    if let Some(response) = overriding_fault(snapshot.fault, content_type) {
        return response;
    }
    let request: ChatRequest = match parse(&body) {
        Ok(request) => request,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message),
    };
    let subject = request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .map(|m| m.content.clone())
        .unwrap_or_default();
    let ask = Ask {
        kind: Kind::Chat,
        prompt_tokens: request.messages.iter().map(|m| words(&m.content)).sum(),
        load_only: request.messages.is_empty(),
        subject,
        model: request.model,
        stream: request.stream.unwrap_or(true),
        json: wants_json(request.format.as_ref()),
    };
    answer(ask, &snapshot)
}

/// Whether the body asks for a stream (Ollama's default), read leniently so
/// a fault can pick the content type before the body is validated.
fn wants_stream(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|b| b.get("stream").and_then(Value::as_bool))
        .unwrap_or(true)
}

/// `"format": "json"` or a JSON schema (an object) asks for JSON output.
fn wants_json(format: Option<&Value>) -> bool {
    match format {
        Some(Value::String(kind)) => kind == "json",
        Some(Value::Object(_)) => true,
        _ => false,
    }
}

/// Parses a request body the way Ollama does; the error is the message of
/// the 400 to answer when it is missing or not the expected JSON, or names
/// no model.
fn parse<T: for<'de> Deserialize<'de> + HasModel>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("missing request body".into());
    }
    let request: T = serde_json::from_slice(body).map_err(|err| err.to_string())?;
    if request.model().is_empty() {
        return Err("model is required".into());
    }
    Ok(request)
}

trait HasModel {
    fn model(&self) -> &str;
}

impl HasModel for GenerateRequest {
    fn model(&self) -> &str {
        &self.model
    }
}

impl HasModel for ChatRequest {
    fn model(&self) -> &str {
        &self.model
    }
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// A name without a tag means `:latest`, as in Ollama.
fn full_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

fn answer(ask: Ask, snapshot: &Snapshot) -> Response {
    let wanted = full_name(&ask.model);
    if !snapshot.models.iter().any(|m| full_name(&m.name) == wanted) {
        let message = format!("model {:?} not found, try pulling it first", ask.model);
        return error(StatusCode::NOT_FOUND, &message);
    }
    if ask.load_only {
        let mut done = head(&ask, "");
        done["done"] = json!(true);
        done["done_reason"] = json!("load");
        return complete(JSON, done.to_string(), snapshot.fault);
    }
    let text = match &snapshot.reply {
        Some(reply) => reply.clone(),
        None if ask.json => json_reply(&ask.subject),
        None => default_reply(&ask.subject),
    };
    let chunks = chunks(&text);
    if !ask.stream {
        if snapshot.fault == Fault::MidStreamError {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "fake ollama: injected error while running the model",
            );
        }
        let whole = done_line(&ask, &text, &chunks);
        return complete(JSON, whole.to_string(), snapshot.fault);
    }
    let line = |value: Value| Step::Send(format!("{value}\n"));
    let mut steps: Vec<Step> = Vec::new();
    let mut lines = chunks.iter().map(|chunk| line(head(&ask, chunk)));
    match snapshot.fault {
        Fault::TruncatedStream => {
            steps.extend(lines.next());
            steps.push(Step::Pause(TRUNCATE_PAUSE));
            steps.push(Step::Abort);
        }
        Fault::MidStreamError => {
            steps.extend(lines.next());
            steps.push(line(json!({
                "error": "fake ollama: injected error mid-stream while running the model"
            })));
        }
        Fault::None | Fault::Latency(_) | Fault::ServerError | Fault::Garbage => {
            steps.extend(lines);
            steps.push(line(done_line(&ask, "", &chunks)));
        }
    }
    with_type(StatusCode::OK, NDJSON, steps_body(steps))
}

/// `{"model","created_at","response"|"message","done":false}` carrying `text`.
fn head(ask: &Ask, text: &str) -> Value {
    let mut value = json!({
        "model": ask.model,
        "created_at": now_rfc3339(),
    });
    match ask.kind {
        Kind::Generate => value["response"] = json!(text),
        Kind::Chat => value["message"] = json!({ "role": "assistant", "content": text }),
    }
    value["done"] = json!(false);
    value
}

/// The last object of an answer: `text` (all of it when not streaming, ""
/// when streaming), `done`, and the statistics.
fn done_line(ask: &Ask, text: &str, chunks: &[String]) -> Value {
    let eval_count = chunks.len() as u64;
    let prompt_eval_duration = ask.prompt_tokens * NS_PER_TOKEN;
    let eval_duration = eval_count * NS_PER_TOKEN;
    let mut value = head(ask, text);
    value["done"] = json!(true);
    value["done_reason"] = json!("stop");
    if ask.kind == Kind::Generate {
        let context: Vec<u64> = ask
            .subject
            .split_whitespace()
            .chain(chunks.iter().map(|c| c.trim()))
            .map(token_id)
            .collect();
        value["context"] = json!(context);
    }
    value["total_duration"] = json!(LOAD_NS + prompt_eval_duration + eval_duration + OVERHEAD_NS);
    value["load_duration"] = json!(LOAD_NS);
    value["prompt_eval_count"] = json!(ask.prompt_tokens);
    value["prompt_eval_duration"] = json!(prompt_eval_duration);
    value["eval_count"] = json!(eval_count);
    value["eval_duration"] = json!(eval_duration);
    value
}

/// Splits `text` into one chunk a word, each with the whitespace after it,
/// so the chunks add up to `text` exactly.
fn chunks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut after_space = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            after_space = true;
        } else if after_space {
            out.push(text[start..i].to_string());
            start = i;
            after_space = false;
        }
    }
    if start < text.len() {
        out.push(text[start..].to_string());
    }
    out
}

/// A stable made-up token id for a word.
fn token_id(word: &str) -> u64 {
    fnv1a(word.bytes()) % 128_000
}

fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The current UTC time as Ollama writes `created_at`,
/// e.g. `2026-11-01T10:00:00.123456789Z`.
fn now_rfc3339() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        now.subsec_nanos()
    )
}

/// Days since 1970-01-01 to a (year, month, day) date (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// A stable 64-hex-digit digest derived from the name (FNV-1a, repeated).
fn digest(name: &str) -> String {
    let mut out = String::with_capacity(64);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for round in 0..4u8 {
        for byte in name.bytes().chain([round]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        out.push_str(&format!("{hash:016x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_add_up_to_the_text() {
        for text in ["", "one", "a b  c\n d ", "  lead", "{\"echo\":\"x y\"}", "é ü"] {
            assert_eq!(chunks(text).concat(), text);
        }
        assert_eq!(chunks("a b  c"), ["a ", "b  ", "c"]);
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn untagged_names_mean_latest() {
        assert_eq!(full_name("llama3.2"), "llama3.2:latest");
        assert_eq!(full_name("llama3.2:1b"), "llama3.2:1b");
        assert_eq!(full_name("registry:5000/ns/m"), "registry:5000/ns/m:latest");
    }
}
