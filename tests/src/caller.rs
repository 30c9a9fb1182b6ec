//! A caller of the local API on a real socket with one key: JSON calls, and
//! server-sent events read until a stop event or the answer's end.

use futures::StreamExt;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

pub struct Caller {
    pub http: Client,
    pub base: String,
    pub key: String,
}

impl Caller {
    pub fn new(base: impl Into<String>, key: String) -> Caller {
        Caller {
            http: Client::new(),
            base: base.into(),
            key,
        }
    }

    /// The status and the body: JSON, or the text as a JSON string.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => panic!("{path}: {err}"),
        };
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Asks for server-sent events and reads them, (event, data) each,
    /// until `stop` says enough or the answer ends.
    pub async fn events(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        mut stop: impl FnMut(&str) -> bool,
    ) -> Vec<(String, Value)> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.key)
            .header("accept", "text/event-stream");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(err) => panic!("{path}: {err}"),
        };
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        assert!(kind.starts_with("text/event-stream"), "{path}: {kind}");
        let mut stream = response.bytes_stream();
        let mut buffer = String::new();
        let mut out = Vec::new();
        while let Some(Ok(chunk)) = stream.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let mut event = String::from("message");
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(name) = line.strip_prefix("event:") {
                        event = name.trim().to_string();
                    } else if let Some(text) = line.strip_prefix("data:") {
                        data.push_str(text.trim_start());
                    }
                }
                if data.is_empty() {
                    continue; // a keep-alive comment
                }
                let done = stop(&event);
                out.push((event, serde_json::from_str(&data).unwrap_or(Value::String(data))));
                if done {
                    return out;
                }
            }
        }
        out
    }
}
