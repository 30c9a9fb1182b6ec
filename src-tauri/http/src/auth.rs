//! Who calls: every request carries `Authorization: Bearer <token>`, an API
//! key (`sk_…`) or an agent's service token (`sza1.…`). The door
//! (guard.rs) resolves it before the handler runs; handlers take the
//! [`Caller`] it found.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sutazai_engine::security::{Action, Principal, Role};

use crate::error::ApiError;
use crate::Api;

/// The authenticated caller of a request, as the door found it.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<Api> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _api: &Api) -> Result<Self, ApiError> {
        // Every endpoint is routed through the door, which puts it here.
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::unauthorized("expected `Authorization: Bearer <API key or service token>`"))
    }
}

impl Caller {
    /// Refuses with 403 unless the caller's role allows `action`.
    pub fn require(&self, action: Action) -> Result<(), ApiError> {
        self.require_any(&[action])
    }

    /// Refuses with 403 unless the caller's role allows one of `actions`.
    pub fn require_any(&self, actions: &[Action]) -> Result<(), ApiError> {
        let role = self.0.role();
        if actions.iter().any(|action| self.0.allows(*action)) {
            return Ok(());
        }
        let wanted = actions.iter().map(|a| describe(*a)).collect::<Vec<_>>().join(" or ");
        let who_may = match roles_allowed(actions).join(", ") {
            roles if roles.is_empty() => "only agents, with their service tokens".to_string(),
            roles => format!("roles that may: {roles}"),
        };
        Err(ApiError::forbidden(format!(
            "role {} may not {wanted} ({who_may})",
            role.as_str()
        )))
    }
}

/// The roles whose API keys may do one of `actions`, strongest first
/// (delegating is an agent's alone, whatever a key's role).
pub fn roles_allowed(actions: &[Action]) -> Vec<&'static str> {
    [Role::Admin, Role::Operator, Role::Analyst, Role::Service, Role::Guest]
        .into_iter()
        .filter(|role| {
            actions
                .iter()
                .any(|action| *action != Action::Delegate && role.allows(*action))
        })
        .map(Role::as_str)
        .collect()
}

/// What an action is, in words for a 403.
fn describe(action: Action) -> &'static str {
    match action {
        Action::ReadHealth => "read the health",
        Action::ReadTasks => "read tasks",
        Action::ReadAgents => "read agents",
        Action::ReadEvents => "follow events",
        Action::SubmitTasks => "submit tasks",
        Action::CancelTasks => "cancel tasks",
        Action::Delegate => "submit sub-tasks",
        Action::Gateway => "call the LLM gateway",
        Action::ManageKeys => "manage API keys",
        Action::ReadAudit => "read the audit log",
        Action::ReadWorkflows => "read workflows and runs",
        Action::EditWorkflows => "edit workflows",
        Action::RunWorkflows => "run workflows",
        Action::Approve => "approve or reject steps",
        Action::ReadMetrics => "read metrics",
        Action::ReadAlerts => "read alerts",
        Action::ManageAlerts => "acknowledge and silence alerts and edit their rules",
        Action::ManageFleet => "deploy, control and scale agents",
        Action::ManageModels => "pull and delete models and start Ollama",
        Action::ReadConfig => "read the configuration",
        Action::ReadMessages => "read messages",
        Action::SendMessages => "send messages",
    }
}
