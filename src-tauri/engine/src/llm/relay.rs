//! The gateway's way back: Ollama's answer relayed chunk by chunk within
//! the call's deadline, collected for the cache when it may be kept, and
//! accounted once per call (tokens and latency from the final `done`
//! line) when the relay is dropped.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::time::{timeout_at, Instant};

use super::cache::Cache;
use super::limits::Permit;
use super::usage::{Outcome, Usage, NOT_INSTALLED, UNCONFIRMED};
use crate::clock::Clock;

/// The largest answer the gateway keeps for the cache or reads for its
/// final line; a larger one still passes through, uncached and uncounted.
pub(super) const MAX_KEPT: usize = 8 << 20;

pub(super) fn secs(duration: Duration) -> String {
    format!("{} s", duration.as_secs_f64())
}

/// An answer being collected for the cache.
pub(super) struct Fill {
    pub(super) key: String,
    pub(super) model: String,
    pub(super) body: Vec<u8>,
}

/// Forwards Ollama's body chunk by chunk, watching it for accounting and
/// the cache.
pub(super) struct Relay {
    pub(super) response: reqwest::Response,
    /// Held until the answer has been forwarded to its end.
    pub(super) _permit: Permit,
    pub(super) tally: Tally,
    pub(super) fill: Option<Fill>,
    pub(super) cache: Cache,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) deadline: Instant,
    pub(super) timeout: Duration,
    pub(super) ndjson: bool,
    pub(super) ended: bool,
}

impl Relay {
    pub(super) async fn next(mut self) -> Option<(Result<Bytes, std::io::Error>, Relay)> {
        if self.ended {
            return None;
        }
        match timeout_at(self.deadline, self.response.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                self.tally.observe(&chunk);
                if let Some(fill) = &mut self.fill {
                    fill.body.extend_from_slice(&chunk);
                    if fill.body.len() > MAX_KEPT {
                        self.fill = None;
                    }
                }
                Some((Ok(chunk), self))
            }
            Ok(Ok(None)) => {
                self.ended = true;
                let complete = self.tally.finish();
                if let (Some(fill), true) = (self.fill.take(), complete) {
                    let now = self.clock.now_ms();
                    self.cache.put(fill.key, fill.model, Bytes::from(fill.body), now);
                }
                None
            }
            Ok(Err(err)) => {
                self.ended = true;
                self.tally.broken = true;
                Some((
                    Err(std::io::Error::other(format!("Ollama broke off the answer: {err}"))),
                    self,
                ))
            }
            Err(_) => {
                self.ended = true;
                self.tally.broken = true;
                let message = format!(
                    "model {} did not finish within {} (llm_timeout_ms)",
                    self.tally.model,
                    secs(self.timeout)
                );
                if self.ndjson {
                    // Ollama's way to fail mid-stream: an error line, then the end.
                    let line = format!("{}\n", json!({ "error": message }));
                    Some((Ok(Bytes::from(line)), self))
                } else {
                    Some((Err(std::io::Error::other(message)), self))
                }
            }
        }
    }
}

/// Accounting for one call: recorded once, when it is dropped (so a call
/// whose client went away counts too).
pub(super) struct Tally {
    pub(super) usage: Arc<Usage>,
    pub(super) caller: String,
    pub(super) model: String,
    pub(super) started: Instant,
    pub(super) outcome: Outcome,
    /// Ollama answered 200.
    pub(super) status_ok: bool,
    /// The body ended in an error or a timeout.
    pub(super) broken: bool,
    /// Whether the body was read to its end and its last line was a clean `done`.
    pub(super) complete: bool,
    /// The bytes after the last newline.
    pub(super) pending: Vec<u8>,
    /// The last complete non-blank line.
    pub(super) last: Vec<u8>,
    /// Ollama was reached (latency counts).
    pub(super) reached: bool,
    /// The model is known to exist (an agent's manifest model, a cache hit,
    /// Ollama answered 200): counted under its own name.
    pub(super) known: bool,
}

impl Tally {
    pub(super) fn new(usage: &Arc<Usage>, caller: &str, model: &str, started: Instant) -> Tally {
        Tally {
            usage: Arc::clone(usage),
            caller: caller.to_string(),
            model: model.to_string(),
            started,
            outcome: Outcome::default(),
            status_ok: false,
            broken: false,
            complete: false,
            pending: Vec::new(),
            last: Vec::new(),
            reached: true,
            known: false,
        }
    }

    /// The cache answered for `model`; recorded as the tally drops.
    pub(super) fn hit(mut self, model: &str) {
        self.model = model.to_string();
        self.outcome.cache_hit = true;
        self.known = true;
        self.complete = true;
        self.reached = false;
    }

    /// The gateway refused with `status` (503: Ollama was never reached).
    pub(super) fn refused(mut self, status: u16) {
        self.reached = status != 503;
    }

    /// Ollama does not have the model: counted under [`NOT_INSTALLED`].
    pub(super) fn not_installed(&mut self) {
        self.model = NOT_INSTALLED.into();
        self.known = true;
    }

    pub(super) fn fall_back(&mut self, fallback: &str) {
        self.model = fallback.to_string();
        self.outcome.fallback = true;
    }

    pub(super) fn observe(&mut self, chunk: &[u8]) {
        let mut rest = chunk;
        while let Some(newline) = rest.iter().position(|b| *b == b'\n') {
            self.keep(&rest[..newline]);
            self.end_line();
            rest = &rest[newline + 1..];
        }
        self.keep(rest);
    }

    pub(super) fn keep(&mut self, bytes: &[u8]) {
        if self.pending.len() + bytes.len() <= MAX_KEPT {
            self.pending.extend_from_slice(bytes);
        }
    }

    pub(super) fn end_line(&mut self) {
        if self.pending.iter().any(|b| !b.is_ascii_whitespace()) {
            self.last = std::mem::take(&mut self.pending);
        } else {
            self.pending.clear();
        }
    }

    /// The body ended cleanly: reads the final line; whether it is a clean `done`.
    pub(super) fn finish(&mut self) -> bool {
        self.end_line();
        let last: Value = serde_json::from_slice(&self.last).unwrap_or(Value::Null);
        let count = |name: &str| last.get(name).and_then(Value::as_u64).unwrap_or(0);
        self.outcome.tokens_in = count("prompt_eval_count");
        self.outcome.tokens_out = count("eval_count");
        self.complete = self.status_ok && last.get("done") == Some(&Value::Bool(true)) && last.get("error").is_none();
        self.complete
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        // A client may hang up as soon as it has the `done` line, before the
        // body's end is polled (agents do): what was forwarded decides.
        if !self.complete && !self.broken {
            self.finish();
        }
        self.outcome.error = !self.complete || self.broken;
        if self.reached {
            self.outcome.latency = Some(self.started.elapsed());
        }
        let model = if self.known || self.usage.has_model(&self.model) {
            self.model.as_str()
        } else {
            UNCONFIRMED
        };
        self.usage.record(&self.caller, model, &self.outcome);
    }
}
