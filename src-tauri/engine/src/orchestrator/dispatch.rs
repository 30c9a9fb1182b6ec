//! One call to an agent: `POST /task` on its port on 127.0.0.1 with its
//! service token, within the task's remaining time; and what the answer
//! means for the task (done, retry elsewhere, give up) and for the agent's
//! breaker.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use hyper::{Request, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use sutazai_protocol::wire::{ErrorReply, TaskOutcome, TaskRequest, TaskResult};
use sutazai_protocol::ErrorCode;

use super::model::TaskFailure;
use crate::error::error_chain;

/// The HTTP client for agents: kept-alive connections, no Nagle delay.
pub type AgentClient = Client<HttpConnector, Full<Bytes>>;

pub fn client() -> AgentClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(64)
        .pool_timer(TokioTimer::new())
        .build(connector)
}

/// Where and as whom the hub calls one agent container; made once per
/// container and port.
#[derive(Debug, Clone)]
pub struct Link {
    /// The agent in the container, as errors name it.
    pub agent_id: String,
    pub port: u16,
    /// The epoch of the token in `authorization`.
    pub token_epoch: String,
    pub uri: Uri,
    pub authorization: HeaderValue,
}

impl Link {
    pub fn new(agent_id: &str, port: u16, token_epoch: &str, token: &str) -> Option<Link> {
        Some(Link {
            agent_id: agent_id.to_string(),
            port,
            token_epoch: token_epoch.to_string(),
            uri: format!("http://127.0.0.1:{port}/task").parse().ok()?,
            authorization: HeaderValue::from_str(&format!("Bearer {token}")).ok()?,
        })
    }
}

/// What came back from one call.
#[derive(Debug)]
pub enum Reply {
    /// The agent ran the task (it may still have failed it).
    Done(Box<TaskResult>),
    /// The agent refused to take it (4xx or 503 with an error body).
    Refused {
        status: u16,
        error: sutazai_protocol::wire::TaskError,
    },
    /// No usable answer: connection refused or reset, a 5xx, a body that
    /// is not the protocol.
    Broken(String),
    /// No answer within the time the task had left.
    TimedOut(Duration),
    /// The answer passed [`crate::capped::AGENT_REPLY`]: reading stopped there.
    TooLarge(String),
}

pub async fn call(http: &AgentClient, link: &Link, request: &TaskRequest, timeout: Duration) -> Reply {
    let url = &link.uri;
    let body = match serde_json::to_vec(request) {
        Ok(body) => body,
        Err(err) => return Reply::Broken(format!("{url}: cannot encode the task: {err}")),
    };
    let sent = Request::post(link.uri.clone())
        .header(AUTHORIZATION, link.authorization.clone())
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(Full::new(Bytes::from(body)));
    let sent = match sent {
        Ok(sent) => sent,
        Err(err) => return Reply::Broken(format!("{url}: {err}")),
    };
    let exchange = async {
        let response = http
            .request(sent)
            .await
            .map_err(|err| Reply::Broken(format!("{url}: {}", error_chain(&err))))?;
        let status = response.status();
        let body = crate::capped::read(response.into_body(), crate::capped::AGENT_REPLY)
            .await
            .map_err(|err| {
                let message = err.about(&format!("agent {}'s answer at {url}", link.agent_id));
                match err {
                    crate::capped::ReadError::TooLarge { .. } => Reply::TooLarge(message),
                    crate::capped::ReadError::Broken(_) => Reply::Broken(message),
                }
            })?;
        Ok::<_, Reply>((status, body))
    };
    let (status, body) = match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(reply)) => return reply,
        Err(_) => return Reply::TimedOut(timeout),
    };
    if status.is_success() {
        return match serde_json::from_slice::<TaskResult>(&body) {
            Ok(result) => Reply::Done(Box::new(result)),
            Err(err) => Reply::Broken(format!(
                "{url} answered {status} with a body that is not a task result: {err}"
            )),
        };
    }
    match serde_json::from_slice::<ErrorReply>(&body) {
        Ok(reply) if status.is_client_error() || status.as_u16() == 503 => Reply::Refused {
            status: status.as_u16(),
            error: reply.error,
        },
        _ => Reply::Broken(format!(
            "{url} answered {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        )),
    }
}

/// What a reply means.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    Succeeded(serde_json::Value),
    /// Try again, on this or another agent, unless the budget is spent.
    Retry {
        failure: TaskFailure,
        /// The agent itself failed (counts against its breaker).
        agent_fault: bool,
        /// Whether this try counts against the task's attempts (a busy agent's
        /// refusal does not).
        counts: bool,
    },
    /// No retry can help.
    Failed(TaskFailure),
}

fn failure(code: &str, message: impl Into<String>) -> TaskFailure {
    TaskFailure {
        code: code.into(),
        message: message.into(),
    }
}

fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{code:?}"))
}

pub fn judge(reply: Reply) -> Verdict {
    match reply {
        Reply::Done(result) => match result.outcome {
            TaskOutcome::Succeeded { output } => {
                let mut value = serde_json::to_value(output).unwrap_or(serde_json::Value::Null);
                // What the answer cost, beside it: a workflow step adds up its tokens.
                if let serde_json::Value::Object(map) = &mut value {
                    let t = &result.timings;
                    map.insert(
                        "usage".into(),
                        serde_json::json!({
                            "model": result.model,
                            "promptTokens": t.prompt_tokens,
                            "completionTokens": t.completion_tokens,
                            "llmMs": t.llm_ms,
                        }),
                    );
                }
                Verdict::Succeeded(value)
            }
            TaskOutcome::Failed { error } => {
                let f = failure(&code_name(error.code), error.message);
                match error.code {
                    // Another try (maybe with another agent) may well succeed.
                    ErrorCode::LlmTimeout
                    | ErrorCode::LlmBadStream
                    | ErrorCode::LlmUnreachable
                    | ErrorCode::LlmError
                    | ErrorCode::OutputInvalid => Verdict::Retry {
                        failure: f,
                        agent_fault: false,
                        counts: true,
                    },
                    _ => Verdict::Failed(f),
                }
            }
        },
        Reply::Refused { status, error } => {
            let f = failure(&code_name(error.code), format!("{} ({status})", error.message));
            match error.code {
                ErrorCode::Busy | ErrorCode::Draining => Verdict::Retry {
                    failure: f,
                    agent_fault: false,
                    counts: false,
                },
                // The agent does not know its own token: misconfigured.
                ErrorCode::Unauthorized => Verdict::Retry {
                    failure: f,
                    agent_fault: true,
                    counts: true,
                },
                _ => Verdict::Failed(f),
            }
        }
        Reply::Broken(message) => Verdict::Retry {
            failure: failure("unreachable", message),
            agent_fault: true,
            counts: true,
        },
        // Another agent may answer within the cap; this one is at fault.
        Reply::TooLarge(message) => Verdict::Retry {
            failure: failure("too_large", message),
            agent_fault: true,
            counts: true,
        },
        Reply::TimedOut(after) => Verdict::Retry {
            failure: failure(
                "timeout",
                format!("the agent did not answer within {} ms", after.as_millis()),
            ),
            agent_fault: true,
            counts: true,
        },
    }
}
