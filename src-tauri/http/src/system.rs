//! What the Overview and Settings read: the catalog's summary and
//! capabilities, the effective configuration (admin only: it names paths
//! and addresses), a fresh check of Docker and Ollama, and each client's
//! requests against its rate limit.

use axum::extract::State;
use axum::Json;
use sutazai_engine::catalog::{CapabilityInfo, CatalogSummary};
use sutazai_engine::security::rate::ClientRate;
use sutazai_engine::security::Action;
use sutazai_engine::{ConfigReport, EngineStatus};

use crate::endpoint::{doc, endpoint, schema, Answer, Endpoint, Verb};
use crate::Api;

pub async fn catalog(State(api): State<Api>) -> Json<CatalogSummary> {
    Json(api.engine.catalog().summary())
}

pub async fn capabilities(State(api): State<Api>) -> Json<Vec<CapabilityInfo>> {
    Json(api.engine.catalog().capabilities())
}

pub async fn config(State(api): State<Api>) -> Json<ConfigReport> {
    Json(api.engine.config_report())
}

pub async fn refresh_status(State(api): State<Api>) -> Json<EngineStatus> {
    Json(api.engine.refresh_status().await)
}

pub async fn rate_limits(State(api): State<Api>) -> Json<Vec<ClientRate>> {
    Json(api.engine.rate_limits())
}

/// The system's endpoints.
pub fn endpoints() -> Vec<Endpoint> {
    use Action as A;
    use Verb::{Get, Post};
    vec![
        endpoint(
            Get,
            "/v1/catalog",
            catalog,
            doc(
                "How many agents the catalog holds, by phase, and which manifests it refused and why",
                &[A::ReadAgents],
                Answer::Json(200, schema::<CatalogSummary>),
            ),
        ),
        endpoint(
            Get,
            "/v1/capabilities",
            capabilities,
            doc(
                "Every capability with the agents that have it and the task types they know",
                &[A::ReadAgents],
                Answer::Json(200, schema::<Vec<CapabilityInfo>>),
            ),
        ),
        endpoint(
            Get,
            "/v1/config",
            config,
            doc(
                "The effective configuration: each value and where it came from, problems and warnings",
                &[A::ReadConfig],
                Answer::Json(200, schema::<ConfigReport>),
            ),
        ),
        endpoint(
            Post,
            "/v1/status/refresh",
            refresh_status,
            doc(
                "Checks Docker and Ollama now; the engine's status",
                &[A::ReadAgents],
                Answer::Json(200, schema::<EngineStatus>),
            ),
        ),
        endpoint(
            Get,
            "/v1/rate-limits",
            rate_limits,
            doc(
                "Each API key's and agent's requests in the last minute against its limit",
                &[A::ReadAudit],
                Answer::Json(200, schema::<Vec<ClientRate>>),
            ),
        ),
    ]
}
