//! A fake Ollama server that follows Ollama's published HTTP API for the
//! endpoints the product uses, with switches for faults.
//!
//! It is a test double for a program we cannot install here; it must never
//! be used by the product.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// The version the fake reports, in Ollama's format.
pub const VERSION: &str = "0.12.6";

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

/// Faults the fake can be switched into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fault {
    #[default]
    None,
    /// Every request gets a 500 with an `{"error": …}` body.
    ServerError,
}

#[derive(Default)]
struct Inner {
    models: Vec<FakeModel>,
    fault: Fault,
}

/// A running fake; stops when dropped.
pub struct FakeOllama {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    task: JoinHandle<()>,
}

impl FakeOllama {
    /// Starts a fake on a free loopback port with these models installed.
    pub async fn start(models: Vec<FakeModel>) -> std::io::Result<FakeOllama> {
        Self::start_on("127.0.0.1:0", models).await
    }

    /// Starts a fake on `addr` (e.g. `127.0.0.1:11434` for a manual check).
    pub async fn start_on(addr: &str, models: Vec<FakeModel>) -> std::io::Result<FakeOllama> {
        let inner = Arc::new(Mutex::new(Inner {
            models,
            fault: Fault::None,
        }));
        let app = Router::new()
            .route("/", get(|| async { "Ollama is running" }))
            .route("/api/version", get(version))
            .route("/api/tags", get(tags))
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

    pub fn set_fault(&self, fault: Fault) {
        self.lock().fault = fault;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for FakeOllama {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type Shared = State<Arc<Mutex<Inner>>>;

fn faulted(inner: &Inner) -> Option<Response> {
    match inner.fault {
        Fault::None => None,
        Fault::ServerError => Some(
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "error": "fake ollama: injected server error" })),
            )
                .into_response(),
        ),
    }
}

async fn version(State(inner): Shared) -> Response {
    let inner = inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    faulted(&inner).unwrap_or_else(|| Json(json!({ "version": VERSION })).into_response())
}

async fn tags(State(inner): Shared) -> Response {
    let inner = inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(response) = faulted(&inner) {
        return response;
    }
    let models: Vec<_> = inner
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
    Json(json!({ "models": models })).into_response()
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
