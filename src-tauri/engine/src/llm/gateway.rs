//! The LLM gateway: agents call the hub with Ollama's own API
//! (`POST /api/generate`, `POST /api/chat`, `GET /api/tags`) and the hub
//! forwards to Ollama, adding what one shared Ollama needs:
//! - a response cache for deterministic requests ([`super::cache`]),
//! - a per-model concurrency limit with a bounded queue ([`super::limits`]),
//! - a deadline for the whole call (`llm_timeout_ms`, queueing included),
//! - the agent's fallback model when its preferred one is not installed
//!   (said in the `x-sutazai-model` header),
//! - accounting per caller and model ([`super::usage`]).
//!
//! Answers pass through unchanged: Ollama's status, its NDJSON bytes as
//! they come, its `{"error": …}` bodies. The gateway's own refusals use
//! the same shape, `{"error": "<sentence>"}`, so an Ollama client reads
//! them as it reads Ollama's.
//!
//! Architecture invariant: no HTTP server types here. The adapter hands in
//! (caller, path, body bytes) and gets back (status, headers, byte stream).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use serde_json::{json, Value};
use sutazai_protocol::manifest::ModelChoice;
use tokio::time::{timeout_at, Instant};
use tracing::{debug, warn};

use super::cache::{self, Cache};
use super::limits::{Limits, Permit};
use super::relay::{secs, Fill, Relay, Tally};
use super::usage::{GatewayStats, Usage};
pub use super::usage::{NOT_INSTALLED, UNCONFIRMED};
use crate::clock::Clock;
use crate::store::Store;

/// The header that names the model that answered.
pub const MODEL_HEADER: &str = "x-sutazai-model";
/// The header that says `hit` when the answer came from the cache.
pub const CACHE_HEADER: &str = "x-sutazai-cache";

/// What the gateway takes from the configuration.
#[derive(Debug, Clone)]
pub struct GatewaySettings {
    /// Ollama's base URL, without a trailing slash.
    pub ollama_url: String,
    pub timeout: Duration,
    pub model_concurrency: u32,
    pub queue: u32,
    pub cache_ttl: Duration,
}

/// One call, as the HTTP adapter hands it in.
#[derive(Debug, Clone)]
pub struct GatewayCall {
    /// Who calls, as accounting names it (`AG-001`, `key:ci-bot`).
    pub caller: String,
    /// The calling agent's models from its manifest, for the fallback.
    pub models: Option<ModelChoice>,
    /// `/api/generate`, `/api/chat` or `/api/tags`.
    pub path: String,
    pub body: Bytes,
}

/// The answer: Ollama's (or the gateway's own refusal).
pub struct GatewayReply {
    pub status: u16,
    /// `content-type`, and the gateway's `x-sutazai-*` headers.
    pub headers: Vec<(&'static str, String)>,
    pub body: BoxStream<'static, Result<Bytes, std::io::Error>>,
}

impl std::fmt::Debug for GatewayReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayReply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .finish_non_exhaustive()
    }
}

impl GatewayReply {
    /// A whole body at once.
    fn whole(status: u16, content_type: &str, body: Bytes) -> GatewayReply {
        GatewayReply {
            status,
            headers: vec![("content-type", content_type.to_string())],
            body: stream::once(async move { Ok(body) }).boxed(),
        }
    }

    /// The gateway's own refusal, in Ollama's shape.
    fn refusal(status: u16, message: impl Into<String>) -> GatewayReply {
        let body = json!({ "error": message.into() }).to_string();
        Self::whole(status, JSON, Bytes::from(body))
    }

    fn with(mut self, name: &'static str, value: &str) -> GatewayReply {
        self.headers.push((name, value.to_string()));
        self
    }
}

const JSON: &str = "application/json; charset=utf-8";

/// The gateway. Cheap to share behind an `Arc`.
pub struct Gateway {
    http: reqwest::Client,
    settings: GatewaySettings,
    cache: Cache,
    limits: Limits,
    usage: Arc<Usage>,
    clock: Arc<dyn Clock>,
}

/// Ollama's answer, before its body is read, with the model's permit.
struct Upstream {
    response: reqwest::Response,
    permit: Permit,
}

impl Gateway {
    pub fn new(settings: GatewaySettings, store: Store, clock: Arc<dyn Clock>) -> Gateway {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Gateway {
            http,
            cache: Cache::new(store, settings.cache_ttl),
            limits: Limits::new(settings.model_concurrency as usize, settings.queue as usize),
            usage: Arc::new(Usage::default()),
            clock,
            settings,
        }
    }

    /// Everything counted since the engine started.
    pub fn stats(&self) -> GatewayStats {
        self.usage.stats()
    }

    /// The counters for the metrics (see [`Usage::take_figures`]).
    pub fn take_figures(&self) -> Vec<super::usage::UsageFigures> {
        self.usage.take_figures()
    }

    /// Answers one call; never fails (a failure is an answer in Ollama's shape).
    pub async fn call(&self, call: GatewayCall) -> GatewayReply {
        match call.path.as_str() {
            "/api/tags" => self.tags().await,
            "/api/generate" | "/api/chat" => self.generate(call).await,
            other => GatewayReply::refusal(404, format!("the gateway has no endpoint {other}")),
        }
    }

    /// The installed models, as Ollama lists them.
    async fn tags(&self) -> GatewayReply {
        let url = format!("{}/api/tags", self.settings.ollama_url);
        let sent = tokio::time::timeout(self.settings.timeout, async {
            let response = self
                .http
                .get(&url)
                .send()
                .await
                .map_err(|err| format!("cannot reach it: {err}"))?;
            let status = response.status().as_u16();
            let content_type = content_type(&response);
            let body = crate::capped::response(response, crate::capped::OLLAMA_ANSWER)
                .await
                .map_err(|err| err.to_string())?;
            Ok::<_, String>((status, content_type, body))
        })
        .await;
        match sent {
            Ok(Ok((status, content_type, body))) => GatewayReply::whole(status, &content_type, body),
            Ok(Err(err)) => GatewayReply::refusal(502, format!("Ollama at {url}: {err}")),
            Err(_) => GatewayReply::refusal(
                504,
                format!("Ollama at {url} did not answer within {}", secs(self.settings.timeout)),
            ),
        }
    }

    async fn generate(&self, call: GatewayCall) -> GatewayReply {
        let started = Instant::now();
        let deadline = started + self.settings.timeout;
        let body: Value = match serde_json::from_slice(&call.body) {
            Ok(body @ Value::Object(_)) => body,
            Ok(_) => return GatewayReply::refusal(400, "the body must be a JSON object"),
            Err(err) => return GatewayReply::refusal(400, format!("the body is not JSON: {err}")),
        };
        let Some(model) = body.get("model").and_then(Value::as_str).map(str::to_string) else {
            return GatewayReply::refusal(400, "model is required");
        };
        // Refused before any state is kept for the name.
        if let Err(problem) = crate::llm::model::validate_model_name(&model) {
            return GatewayReply::refusal(400, format!("model: {problem}"));
        }
        if let Some(choice) = call
            .models
            .as_ref()
            .filter(|c| model != c.preferred && model != c.fallback)
        {
            return GatewayReply::refusal(
                403,
                format!(
                    "model {model} is not this agent's: its manifest names {} and, as fallback, {}",
                    choice.preferred, choice.fallback
                ),
            );
        }
        let deterministic = self.cache.enabled() && cache::is_deterministic(&body);
        let mut tally = Tally::new(&self.usage, &call.caller, &model, started);
        // An agent may name only its manifest's models: those are counted
        // by name from the first call. Any other caller's name is counted
        // as itself once Ollama has answered for it.
        tally.known = call.models.is_some();

        let mut key = deterministic.then(|| cache::key(&call.path, &body));
        if let Some(hit) = self.cached(key.as_deref()).await {
            tally.hit(&model);
            return cache_hit(&model, hit);
        }
        let mut upstream = match self.send(&call.path, &model, call.body.clone(), deadline).await {
            Ok(upstream) => upstream,
            Err(refusal) => return refused(tally, refusal),
        };

        let fallback = call
            .models
            .as_ref()
            .filter(|choice| choice.preferred == model && choice.fallback != model)
            .map(|choice| choice.fallback.clone());
        if let (404, Some(fallback)) = (upstream.response.status().as_u16(), fallback) {
            let content_type = content_type(&upstream.response);
            let text = match timeout_at(
                deadline,
                crate::capped::response(upstream.response, crate::capped::ERROR_BODY),
            )
            .await
            {
                Ok(Ok(text)) => text,
                _ => Bytes::new(),
            };
            drop(upstream.permit);
            if !is_model_missing(&text) {
                tally.not_installed();
                return refused(tally, GatewayReply::whole(404, &content_type, text));
            }
            debug!(caller = %call.caller, %model, %fallback, "model not installed; asking the fallback");
            tally.fall_back(&fallback);
            let mut retried = body.clone();
            retried["model"] = Value::String(fallback.clone());
            key = deterministic.then(|| cache::key(&call.path, &retried));
            if let Some(hit) = self.cached(key.as_deref()).await {
                tally.hit(&fallback);
                return cache_hit(&fallback, hit);
            }
            let bytes = Bytes::from(retried.to_string());
            upstream = match self.send(&call.path, &fallback, bytes, deadline).await {
                Ok(upstream) => upstream,
                Err(refusal) => return refused(tally, refusal.with(MODEL_HEADER, &fallback)),
            };
        }
        let used = tally.model.clone();
        let status = upstream.response.status().as_u16();
        if status == 404 {
            // Ollama has no such model: no counters of its own for a name
            // that is not there (anyone can send any name).
            tally.not_installed();
        }
        let content_type = content_type(&upstream.response);
        let fill = key.filter(|_| status == 200).map(|key| Fill {
            key,
            model: used.clone(),
            body: Vec::new(),
        });
        tally.status_ok = status == 200;
        tally.known |= tally.status_ok;
        let relay = Relay {
            response: upstream.response,
            _permit: upstream.permit,
            tally,
            fill,
            cache: self.cache.clone(),
            clock: Arc::clone(&self.clock),
            deadline,
            timeout: self.settings.timeout,
            ndjson: content_type.contains("ndjson"),
            ended: false,
        };
        GatewayReply {
            status,
            headers: vec![("content-type", content_type), (MODEL_HEADER, used)],
            body: stream::unfold(relay, Relay::next).boxed(),
        }
    }

    async fn cached(&self, key: Option<&str>) -> Option<Bytes> {
        match self.cache.get(key?, self.clock.now_ms()).await {
            Ok(hit) => hit,
            Err(err) => {
                warn!(cause = %err, "cannot read the LLM cache; asking Ollama");
                None
            }
        }
    }

    /// Waits for a slot of `model` and sends the request, all before `deadline`.
    async fn send(&self, path: &str, model: &str, body: Bytes, deadline: Instant) -> Result<Upstream, GatewayReply> {
        let ticket = self
            .limits
            .enter(model)
            .map_err(|busy| GatewayReply::refusal(503, busy.to_string()))?;
        let limit = secs(self.settings.timeout);
        let permit = timeout_at(deadline, ticket.run()).await.map_err(|_| {
            GatewayReply::refusal(
                504,
                format!("model {model} had no free slot within {limit} (llm_timeout_ms)"),
            )
        })?;
        let url = format!("{}{path}", self.settings.ollama_url);
        let request = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send();
        match timeout_at(deadline, request).await {
            Ok(Ok(response)) => Ok(Upstream { response, permit }),
            Ok(Err(err)) => Err(GatewayReply::refusal(
                502,
                format!("cannot reach Ollama at {url}: {err}"),
            )),
            Err(_) => Err(GatewayReply::refusal(
                504,
                format!("model {model} did not answer within {limit} (llm_timeout_ms)"),
            )),
        }
    }
}

/// Whether a 404 body is Ollama's "model not found" (not a missing path).
/// A cached answer of `model`.
fn cache_hit(model: &str, body: Bytes) -> GatewayReply {
    GatewayReply::whole(200, JSON, body)
        .with(MODEL_HEADER, model)
        .with(CACHE_HEADER, "hit")
}

/// A refusal, counted in the call's tally.
fn refused(tally: Tally, reply: GatewayReply) -> GatewayReply {
    tally.refused(reply.status);
    reply
}

fn is_model_missing(body: &[u8]) -> bool {
    serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("error")?.as_str().map(|e| e.contains("not found")))
        .unwrap_or(false)
}

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or(JSON)
        .to_string()
}
