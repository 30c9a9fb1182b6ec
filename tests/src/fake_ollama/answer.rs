//! `POST /api/generate` and `POST /api/chat`: made-up answers, streamed or
//! whole, with Ollama's statistics.

use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{json, Value};

use super::wire::{complete, error, faulty, now_rfc3339, overriding_fault, stream, Step, JSON, NDJSON};
use super::{
    begin, lock, Fault, Shared, Snapshot, ECHO_CHARS, KEEP_ALIVE, LOAD_NS, NS_PER_TOKEN, OVERHEAD_NS, REPLY_PREFIX,
};

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

pub(super) async fn generate(State(shared): State<Shared>, body: Bytes) -> Response {
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
    answer(ask, &snapshot, &shared)
}

pub(super) async fn chat(State(shared): State<Shared>, body: Bytes) -> Response {
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
    answer(ask, &snapshot, &shared)
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
pub(super) fn full_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') {
        name.to_string()
    } else {
        format!("{name}:latest")
    }
}

fn answer(ask: Ask, snapshot: &Snapshot, shared: &Shared) -> Response {
    let wanted = full_name(&ask.model);
    let Some(model) = snapshot.models.iter().find(|m| full_name(&m.name) == wanted) else {
        let message = format!("model {:?} not found, try pulling it first", ask.model);
        return error(StatusCode::NOT_FOUND, &message);
    };
    load(shared, &model.name);
    if ask.load_only {
        let mut done = head(&ask, "");
        done["done"] = json!(true);
        done["done_reason"] = json!("load");
        return complete(JSON, done.to_string(), snapshot.fault);
    }
    let canned = snapshot
        .replies_to
        .iter()
        .find(|(needle, _)| ask.subject.contains(needle.as_str()))
        .map(|(_, reply)| reply)
        .or(snapshot.reply.as_ref());
    let text = match canned {
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
    let mut steps: Vec<Step> = chunks.iter().map(|chunk| Step::line(&head(&ask, chunk))).collect();
    steps.push(Step::line(&done_line(&ask, "", &chunks)));
    stream(faulty(steps, snapshot.fault), snapshot.split)
}

/// Marks `name` as in memory until [`KEEP_ALIVE`] from now, for `/api/ps`.
fn load(shared: &Shared, name: &str) {
    let until = SystemTime::now() + KEEP_ALIVE;
    let mut inner = lock(shared);
    inner.loaded.retain(|(loaded, _)| loaded != name);
    inner.loaded.push((name.to_string(), until));
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
    fn untagged_names_mean_latest() {
        assert_eq!(full_name("llama3.2"), "llama3.2:latest");
        assert_eq!(full_name("llama3.2:1b"), "llama3.2:1b");
        assert_eq!(full_name("registry:5000/ns/m"), "registry:5000/ns/m:latest");
    }
}
