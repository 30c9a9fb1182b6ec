//! The Ollama probe: `GET /api/version` and `GET /api/tags`.

use schemars::JsonSchema;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;

use super::Probe;
use crate::error::{Code, ErrorBody};

/// What a reachable Ollama reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OllamaFacts {
    pub version: String,
    pub model_count: u32,
}

#[derive(Deserialize)]
struct VersionBody {
    version: String,
}

#[derive(Deserialize)]
struct TagsBody {
    /// Only counted: each entry is skipped, not kept.
    models: Vec<serde::de::IgnoredAny>,
}

/// Asks the Ollama at `base` for its version and models, within `timeout`.
pub async fn probe_ollama(client: &reqwest::Client, base: &Url, timeout: Duration) -> Probe<OllamaFacts> {
    let outcome = tokio::time::timeout(timeout, async {
        let version: VersionBody = get_json(client, base, "api/version").await?;
        let tags: TagsBody = get_json(client, base, "api/tags").await?;
        Ok::<_, ErrorBody>(OllamaFacts {
            version: version.version,
            model_count: u32::try_from(tags.models.len()).unwrap_or(u32::MAX),
        })
    })
    .await;
    match outcome {
        Ok(Ok(facts)) => Probe::Connected(facts),
        Ok(Err(err)) => Probe::Unreachable(err),
        Err(_) => Probe::Unreachable(ErrorBody {
            code: Code::OllamaTimeout,
            message: format!("Ollama at {base} did not answer within {} ms", timeout.as_millis()),
        }),
    }
}

async fn get_json<T: serde::de::DeserializeOwned>(
    client: &reqwest::Client,
    base: &Url,
    path: &str,
) -> Result<T, ErrorBody> {
    let url = base.join(path).map_err(|err| ErrorBody {
        code: Code::OllamaError,
        message: format!("cannot build a URL from {base} and {path}: {err}"),
    })?;
    let response = client.get(url.clone()).send().await.map_err(|err| {
        let code = if err.is_timeout() {
            Code::OllamaTimeout
        } else {
            Code::OllamaUnreachable
        };
        let message = if err.is_connect() {
            format!("nothing answers at {base}: is Ollama running?")
        } else {
            format!("Ollama at {base} is not reachable: {err}")
        };
        ErrorBody { code, message }
    })?;
    let status = response.status();
    // An answer (`/api/tags` of many models) may be large; an error is a sentence.
    let limit = if status.is_success() {
        crate::capped::OLLAMA_ANSWER
    } else {
        crate::capped::ERROR_BODY
    };
    let body = crate::capped::response(response, limit)
        .await
        .map_err(|err| ErrorBody {
            code: Code::OllamaError,
            message: format!("Ollama at {url}: {err}"),
        })?;
    if !status.is_success() {
        let detail = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_owned))
            .unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect());
        return Err(ErrorBody {
            code: Code::OllamaError,
            message: format!("Ollama at {url} answered {status}: {detail}"),
        });
    }
    serde_json::from_slice(&body).map_err(|err| ErrorBody {
        code: Code::OllamaError,
        message: format!("Ollama at {url} sent an unexpected body: {err}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn nothing_listening_is_unreachable() {
        // Bind then drop to get a port that nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        let Probe::Unreachable(err) = probe_ollama(&reqwest::Client::new(), &base, Duration::from_secs(2)).await else {
            panic!("nothing listens there");
        };
        assert_eq!(err.code, Code::OllamaUnreachable, "{}", err.message);
        assert!(err.message.contains(&port.to_string()), "{}", err.message);
    }

    /// Serves `/api/version` and a `/api/tags` of `models` models, each
    /// connection one request, on raw sockets.
    async fn ollama_with(models: usize) -> Url {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = vec![0u8; 4096];
                let n = socket.read(&mut request).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&request[..n]).into_owned();
                let body = if request.starts_with("GET /api/tags") {
                    let model = serde_json::json!({"name": "m:1b", "size": 1, "digest": "0".repeat(64)});
                    serde_json::json!({ "models": vec![model; models] }).to_string()
                } else {
                    r#"{"version":"0.5.0"}"#.to_string()
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(body.as_bytes()).await;
            }
        });
        base
    }

    #[tokio::test]
    async fn a_long_model_list_is_an_answer_not_an_error_body() {
        // 2,000 models: some 250 KiB, past the 64 KiB of an error body.
        let base = ollama_with(2000).await;
        let probe = probe_ollama(&reqwest::Client::new(), &base, Duration::from_secs(5)).await;
        let Probe::Connected(facts) = probe else {
            panic!("a long list is fine: {probe:?}");
        };
        assert_eq!(facts.model_count, 2000);
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
        let Probe::Unreachable(err) = probe_ollama(&reqwest::Client::new(), &base, Duration::from_millis(300)).await
        else {
            panic!("a silent server cannot answer");
        };
        assert_eq!(err.code, Code::OllamaTimeout, "{}", err.message);
    }
}
