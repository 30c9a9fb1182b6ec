//! The gateway's response cache: the answers Ollama gave to deterministic
//! requests, kept in SQLite (`llm_cache`) for a configured time.
//!
//! A request is *deterministic* when asking it again must give the same
//! answer, which for Ollama means both:
//! - it asks for one JSON answer, not a stream: `"stream": false` written
//!   out (Ollama streams when `stream` is absent), and
//! - sampling is fixed: `options.temperature` is `0`, or `options.seed` is
//!   an integer (Ollama then draws the same tokens on the same model).
//!
//! Everything else goes to Ollama every time. The key is the SHA-256 of the
//! path and the request's JSON without the fields that do not change the
//! answer (`stream`, `keep_alive`), with object keys sorted, so it covers
//! the model, prompt or messages, system, options, format, template,
//! images and tools, and two requests that differ only in key order share
//! an entry.

use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::store::{Store, StoreError};

/// Fields that do not change what the model answers.
const IGNORED: &[&str] = &["stream", "keep_alive"];

/// Whether the answer to `body` may be cached; see the module doc.
pub fn is_deterministic(body: &Value) -> bool {
    let one_answer = body.get("stream") == Some(&Value::Bool(false));
    let options = body.get("options");
    let cold = options
        .and_then(|o| o.get("temperature"))
        .and_then(Value::as_f64)
        .is_some_and(|t| t == 0.0);
    let seeded = options
        .and_then(|o| o.get("seed"))
        .is_some_and(|s| s.is_i64() || s.is_u64());
    one_answer && (cold || seeded)
}

/// The cache key of a request to `path`: lowercase hex SHA-256; see the
/// module doc.
pub fn key(path: &str, body: &Value) -> String {
    let mut text = String::with_capacity(256);
    text.push_str(path);
    text.push('\n');
    match body {
        Value::Object(fields) => {
            let kept: serde_json::Map<String, Value> = fields
                .iter()
                .filter(|(name, _)| !IGNORED.contains(&name.as_str()))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect();
            canonical(&Value::Object(kept), &mut text);
        }
        other => canonical(other, &mut text),
    }
    let digest = Sha256::digest(text.as_bytes());
    hex::encode(digest)
}

/// JSON with object keys in sorted order, whatever order they came in.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(fields) => {
            let mut names: Vec<&String> = fields.keys().collect();
            names.sort();
            out.push('{');
            for (i, name) in names.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(name.clone()).to_string());
                out.push(':');
                canonical(&fields[name], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The cache over the store. A zero `ttl` turns it off.
#[derive(Debug, Clone)]
pub struct Cache {
    store: Store,
    ttl: Duration,
}

impl Cache {
    pub fn new(store: Store, ttl: Duration) -> Cache {
        Cache { store, ttl }
    }

    pub fn enabled(&self) -> bool {
        !self.ttl.is_zero()
    }

    /// The answer stored under `key` that has not expired at `now_ms`.
    pub async fn get(&self, key: &str, now_ms: i64) -> Result<Option<Bytes>, StoreError> {
        if !self.enabled() {
            return Ok(None);
        }
        let key = key.to_string();
        self.store
            .call(move |conn| {
                let mut stmt = conn.prepare_cached("SELECT body FROM llm_cache WHERE key = ?1 AND expires_ms > ?2")?;
                let mut rows = stmt.query((key, now_ms))?;
                match rows.next()? {
                    Some(row) => Ok(Some(Bytes::from(row.get::<_, Vec<u8>>(0)?))),
                    None => Ok(None),
                }
            })
            .await
    }

    /// Stores an answer (group commit, not waited for) and drops the
    /// entries that have expired (two statements that need not stand
    /// together: dropping what has expired is right either way).
    pub fn put(&self, key: String, model: String, body: Bytes, now_ms: i64) {
        if !self.enabled() {
            return;
        }
        let expires_ms = now_ms.saturating_add(i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX));
        let write = Box::new(move |conn: &rusqlite::Connection| {
            conn.prepare_cached("DELETE FROM llm_cache WHERE expires_ms <= ?1")?
                .execute([now_ms])?;
            conn.prepare_cached(
                "INSERT OR REPLACE INTO llm_cache (key, model, body, created_ms, expires_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute((key, model, body.as_ref(), now_ms, expires_ms))?;
            Ok(())
        });
        if let Err(err) = self.store.write(write, None) {
            tracing::warn!(cause = %err, "cannot store an LLM answer in the cache");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn deterministic_means_one_answer_and_fixed_sampling() {
        let cases = [
            (json!({"stream": false, "options": {"temperature": 0}}), true),
            (json!({"stream": false, "options": {"temperature": 0.0}}), true),
            (
                json!({"stream": false, "options": {"seed": 42, "temperature": 0.8}}),
                true,
            ),
            (json!({"stream": false, "options": {"temperature": 0.7}}), false),
            (json!({"stream": false, "options": {"seed": "42"}}), false),
            (json!({"stream": false}), false),
            (json!({"options": {"temperature": 0}}), false),
            (json!({"stream": true, "options": {"temperature": 0}}), false),
        ];
        for (body, expected) in cases {
            assert_eq!(is_deterministic(&body), expected, "{body}");
        }
    }

    #[test]
    fn the_key_covers_what_decides_the_answer_and_nothing_else() {
        let base = json!({"model": "m", "prompt": "p", "stream": false, "options": {"temperature": 0, "seed": 1}});
        let k = key("/api/generate", &base);
        assert_eq!(k.len(), 64);
        let reordered = json!({"options": {"seed": 1, "temperature": 0}, "prompt": "p", "model": "m", "stream": false, "keep_alive": "5m"});
        assert_eq!(
            key("/api/generate", &reordered),
            k,
            "key order and keep_alive do not count"
        );
        let differ = [
            json!({"model": "n", "prompt": "p", "options": {"temperature": 0, "seed": 1}}),
            json!({"model": "m", "prompt": "q", "options": {"temperature": 0, "seed": 1}}),
            json!({"model": "m", "prompt": "p", "options": {"temperature": 0, "seed": 2}}),
            json!({"model": "m", "prompt": "p", "options": {"temperature": 0, "seed": 1}, "system": "s"}),
            json!({"model": "m", "prompt": "p", "options": {"temperature": 0, "seed": 1}, "format": "json"}),
        ];
        for body in differ {
            assert_ne!(key("/api/generate", &body), k, "{body}");
        }
        assert_ne!(key("/api/chat", &base), k, "the path counts");
    }

    #[tokio::test]
    async fn answers_are_kept_until_they_expire() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let store = Store::open(&dir.path().join("s.db")).unwrap_or_else(|err| panic!("{err}"));
        let cache = Cache::new(store, Duration::from_millis(1000));
        cache.put("k".into(), "m".into(), Bytes::from_static(b"{\"a\":1}"), 5_000);
        // A call queues behind the write, so the write has landed after it.
        let hit = cache.get("k", 5_999).await.unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(hit.as_deref(), Some(&b"{\"a\":1}"[..]));
        assert_eq!(cache.get("k", 6_000).await.ok().flatten(), None);
        assert_eq!(cache.get("other", 5_500).await.ok().flatten(), None);
    }
}
