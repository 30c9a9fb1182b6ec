//! Ollama's models as the UI and the API see them (see issue 6).
//!
//! These are domain types in the engine's camelCase shape; Ollama's own
//! snake_case wire bodies stay private to [`super::client`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The longest model name [`validate_model_name`] accepts.
pub const MAX_MODEL_NAME: usize = 200;

/// Checks a model name before it goes into any request. A name is Ollama's
/// `[host/][namespace/]name[:tag]` (the safe part of its grammar: no
/// `http://` prefix, `+build` or `@digest`): not empty, at most
/// [`MAX_MODEL_NAME`] bytes, only `[A-Za-z0-9._:/-]`, no `..`; every part
/// starts with a letter, a digit or `_`; a namespace has no `.`; only the
/// tag, and a host's port, follow a `:`. The error names the part and what
/// is wrong with it.
pub fn validate_model_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the model name is empty".into());
    }
    if name.len() > MAX_MODEL_NAME {
        return Err(format!(
            "the model name is {} bytes long, more than the {MAX_MODEL_NAME} allowed",
            name.len()
        ));
    }
    if let Some(c) = name.chars().find(|c| c.is_whitespace()) {
        return Err(format!("the model name {name:?} contains whitespace ({c:?})"));
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        return Err(format!("the model name {name:?} contains a control character ({c:?})"));
    }
    if name.contains('\\') {
        return Err(format!("the model name {name:?} contains a backslash"));
    }
    if name.contains("..") {
        return Err(format!("the model name {name:?} contains `..`"));
    }
    if name.starts_with('/') {
        return Err(format!("the model name {name:?} starts with `/`"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '/' | '-')))
    {
        return Err(format!(
            "the model name {name:?} contains {c:?}; only letters, digits and `._:/-` are allowed"
        ));
    }
    check_parts(name).map_err(|problem| format!("the model name {name:?}: {problem}"))
}

/// The structure of a name whose characters are already known to be safe.
fn check_parts(name: &str) -> Result<(), String> {
    let segments: Vec<&str> = name.split('/').collect();
    let (host, namespace, last) = match segments[..] {
        [last] => (None, None, last),
        [namespace, last] => (None, Some(namespace), last),
        [host, namespace, last] => (Some(host), Some(namespace), last),
        _ => {
            return Err(format!(
                "{} `/`-separated parts; at most host/namespace/name",
                segments.len()
            ))
        }
    };
    let (model, tag) = match last.split_once(':') {
        Some((_, tag)) if tag.contains(':') => return Err("more than one `:` after the last `/`".into()),
        Some((model, tag)) => (model, Some(tag)),
        None => (last, None),
    };
    if let Some(host) = host {
        let (host_name, port) = match host.split_once(':') {
            Some((host_name, port)) => (host_name, Some(port)),
            None => (host, None),
        };
        check_part("host", host_name)?;
        if let Some(port) = port {
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("the host's port `{port}` is not a number"));
            }
        }
    }
    if let Some(namespace) = namespace {
        check_part("namespace", namespace)?;
        if namespace.contains('.') {
            return Err(format!("the namespace `{namespace}` contains `.`"));
        }
        if namespace.contains(':') {
            return Err(format!("the namespace `{namespace}` contains `:`"));
        }
    }
    check_part("name", model)?;
    if let Some(tag) = tag {
        check_part("tag", tag)?;
    }
    Ok(())
}

/// A part is not empty and starts with a letter, a digit or `_`.
fn check_part(what: &str, part: &str) -> Result<(), String> {
    match part.chars().next() {
        None => Err(format!("the {what} is empty")),
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => Ok(()),
        Some(c) => Err(format!(
            "the {what} `{part}` starts with {c:?}; a letter, a digit or `_` must come first"
        )),
    }
}

/// An installed model, from `GET /api/tags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// The name with its tag, e.g. `llama3.2:1b`.
    pub name: String,
    /// Bytes on disk.
    #[ts(type = "number")]
    pub size: u64,
    /// The manifest digest (hex, without `sha256:`).
    pub digest: String,
    /// When it was pulled or created, as Ollama writes it (RFC 3339).
    pub modified_at: String,
    /// E.g. `llama`, `qwen2`; empty when Ollama does not say.
    pub family: String,
    /// E.g. `3.2B`.
    pub parameter_size: String,
    /// E.g. `Q4_K_M`.
    pub quantization_level: String,
}

/// A model held in memory, from `GET /api/ps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoadedModel {
    pub name: String,
    /// Bytes in memory in all.
    #[ts(type = "number")]
    pub size: u64,
    /// Of [`Self::size`], the bytes in GPU memory.
    #[ts(type = "number")]
    pub size_vram: u64,
    /// When Ollama unloads it unless it is used again (RFC 3339).
    pub expires_at: String,
    /// The context window it was loaded with, in tokens (newer Ollamas).
    #[ts(type = "number | null")]
    pub context_length: Option<u64>,
}

/// What `POST /api/show` tells about a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ModelDetails {
    pub name: String,
    /// E.g. `gguf`.
    pub format: String,
    pub family: String,
    pub parameter_size: String,
    pub quantization_level: String,
    /// The prompt template.
    pub template: String,
    /// The model's default parameters, one `name value` a line.
    pub parameters: String,
    /// E.g. `completion`, `tools`, `vision`.
    pub capabilities: Vec<String>,
    /// The context window in tokens, when `model_info` has
    /// `<architecture>.context_length`.
    #[ts(type = "number | null")]
    pub context_length: Option<u64>,
}

/// One progress line of `POST /api/pull`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PullProgress {
    /// `pulling manifest`, `pulling <digest>`, `verifying sha256 digest`,
    /// `writing manifest`, `success`.
    pub status: String,
    /// The layer being downloaded (`sha256:…`), on `pulling <digest>` lines.
    #[ts(optional)]
    pub digest: Option<String>,
    /// The layer's size in bytes.
    #[ts(optional, type = "number")]
    pub total: Option<u64>,
    /// Bytes of the layer downloaded so far.
    #[ts(optional, type = "number")]
    pub completed: Option<u64>,
}

impl PullProgress {
    /// The last line of a pull that worked.
    pub fn is_success(&self) -> bool {
        self.status == "success"
    }
}

/// Who says a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatMessage {
    pub role: Role,
    pub content: String,
}

/// A `POST /api/generate` request: a prompt for one answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenerateRequest {
    pub model: String,
    pub prompt: String,
    #[serde(default)]
    #[ts(optional)]
    pub system: Option<String>,
    /// `"json"` or a JSON schema the answer must follow.
    #[serde(default)]
    #[ts(optional, type = "unknown")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub format: Option<serde_json::Value>,
    /// Ollama's model options (`temperature`, `num_ctx`, …), passed as given.
    #[serde(default)]
    #[ts(optional, type = "unknown")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub options: Option<serde_json::Value>,
    /// How long the model stays loaded after this request, e.g. `5m`.
    #[serde(default)]
    #[ts(optional)]
    pub keep_alive: Option<String>,
}

/// A `POST /api/chat` request: a conversation to continue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    #[serde(default)]
    #[ts(optional, type = "unknown")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub format: Option<serde_json::Value>,
    #[serde(default)]
    #[ts(optional, type = "unknown")]
    #[schemars(with = "Option<serde_json::Value>")]
    pub options: Option<serde_json::Value>,
    #[serde(default)]
    #[ts(optional)]
    pub keep_alive: Option<String>,
}

/// The statistics of the last line (`"done": true`) of a generate or chat.
/// Durations are in nanoseconds, as Ollama reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Completion {
    /// `stop`, `length`, `load`, …; empty when Ollama does not say.
    pub done_reason: String,
    #[ts(type = "number")]
    pub prompt_eval_count: u64,
    #[ts(type = "number")]
    pub eval_count: u64,
    #[ts(type = "number")]
    pub total_duration_ns: u64,
    #[ts(type = "number")]
    pub load_duration_ns: u64,
    #[ts(type = "number")]
    pub prompt_eval_duration_ns: u64,
    #[ts(type = "number")]
    pub eval_duration_ns: u64,
}

/// One event of a streamed generate or chat: a piece of the answer, then
/// (last) the statistics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum AnswerEvent {
    /// The next piece of the answer's text.
    Delta { text: String },
    /// The answer is complete; nothing follows.
    Done(Completion),
}

/// A whole answer, as [`super::client::collect_answer`] gathers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub text: String,
    pub completion: Completion,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_names_pass() {
        for name in [
            "llama3.2",
            "llama3.2:1b",
            "qwen2.5-coder:1.5b",
            "library/llama3:latest",
            "registry.example.com:5000/ns/m_x:q4_K_M",
            "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
            "_private:v1",
            &"a".repeat(MAX_MODEL_NAME),
        ] {
            assert_eq!(validate_model_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn bad_names_say_what_is_wrong() {
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            ("llama 3", "whitespace"),
            ("llama\t3", "whitespace"),
            ("llama\u{7}", "control character"),
            ("../etc/passwd", "`..`"),
            ("a/../b", "`..`"),
            ("/abs", "starts with `/`"),
            ("a\\b", "backslash"),
            ("llama;rm", "';'"),
            ("modèle", "'è'"),
            ("a?b=c", "'?'"),
            ("a/b/c/d", "4 `/`-separated parts"),
            ("a//b", "the namespace is empty"),
            ("ns/", "the name is empty"),
            ("llama3:", "the tag is empty"),
            (":latest", "the name is empty"),
            ("a:b:c", "more than one `:`"),
            ("-rf", "the name `-rf` starts with '-'"),
            ("llama3:.x", "the tag `.x` starts with '.'"),
            ("my.ns/model", "the namespace `my.ns` contains `.`"),
            ("ns:1/model", "the namespace `ns:1` contains `:`"),
            ("host:port/ns/m", "the host's port `port` is not a number"),
            ("host:/ns/m", "the host's port `` is not a number"),
            (".host/ns/m", "the host `.host` starts with '.'"),
        ];
        for (name, expected) in cases {
            let err = validate_model_name(name).expect_err(name);
            assert!(err.contains(expected), "{name:?}: {err}");
        }
        let long = "a".repeat(MAX_MODEL_NAME + 1);
        let err = validate_model_name(&long).unwrap_err();
        assert!(err.contains("201 bytes") && err.contains("200"), "{err}");
    }
}
