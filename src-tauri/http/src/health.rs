//! `/v1/health`: is the engine up, can it reach Docker and Ollama, how busy
//! is it. Any role may ask, so it says nothing about paths or keys.

use axum::extract::State;
use axum::Json;
use schemars::JsonSchema;
use serde::Serialize;
use sutazai_engine::engine::VERSION;
use sutazai_engine::error::ErrorBody;
use sutazai_engine::orchestrator::breaker::BreakerState;
use sutazai_engine::status::Probe;

use crate::error::ApiError;
use crate::Api;

/// The answer of `GET /v1/health`.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// The app's version.
    pub version: &'static str,
    pub docker: Reach,
    pub ollama: Reach,
    /// Tasks waiting for an agent or for their retry time.
    pub queued: usize,
    /// Tasks at agents now.
    pub running: usize,
    /// Every agent container's circuit breaker.
    pub breakers: Vec<BreakerRow>,
}

/// Whether an outside service answers.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reach {
    /// `checking` (first check under way), `connected` or `unreachable`.
    pub state: &'static str,
    /// Why not, as the engine's error code (`docker_missing`, `ollama_timeout`, …).
    #[schemars(with = "Option<String>")]
    pub code: Option<sutazai_engine::Code>,
}

#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BreakerRow {
    pub container: String,
    pub state: BreakerState,
    /// Tasks at this container now.
    pub in_flight: u32,
}

pub async fn show(State(api): State<Api>) -> Result<Json<Health>, ApiError> {
    let status = api.engine.status();
    let (queued, running) = api.engine.orchestrator().load();
    let breakers = api.engine.orchestrator().breakers().into_iter();
    Ok(Json(Health {
        version: VERSION,
        docker: Reach::of(&status.docker),
        ollama: Reach::of(&status.ollama),
        queued,
        running,
        breakers: breakers
            .map(|(container, state, in_flight)| BreakerRow {
                container,
                state,
                in_flight,
            })
            .collect(),
    }))
}

impl Reach {
    fn of<T>(probe: &Probe<T>) -> Reach {
        let (state, code) = match probe {
            Probe::Checking => ("checking", None),
            Probe::Connected(_) => ("connected", None),
            Probe::Unreachable(ErrorBody { code, .. }) => ("unreachable", Some(*code)),
        };
        Reach { state, code }
    }
}
