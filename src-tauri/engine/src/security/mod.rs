//! Who may do what: roles (seed 003), the principals that act (the desktop
//! user, an API key, an agent), per-agent service tokens, API keys and the
//! audit log of control actions. Pure rules here; keys and the audit log
//! persist through the store.

pub mod audit;
pub mod keys;
pub mod tokens;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Seed 003's roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including API keys.
    Admin,
    /// Read, submit, cancel and re-queue tasks.
    Operator,
    /// Read only.
    Analyst,
    /// Agents: submit sub-tasks and call the LLM gateway, nothing else.
    Service,
    /// Health only.
    Guest,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Operator => "operator",
            Self::Analyst => "analyst",
            Self::Service => "service",
            Self::Guest => "guest",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Some(match text {
            "admin" => Self::Admin,
            "operator" => Self::Operator,
            "analyst" => Self::Analyst,
            "service" => Self::Service,
            "guest" => Self::Guest,
            _ => return None,
        })
    }

    /// Whether this role may do `action`.
    pub fn allows(self, action: Action) -> bool {
        use Action as A;
        match self {
            Self::Admin => true,
            Self::Operator => !matches!(action, A::ManageKeys | A::ReadAudit),
            Self::Analyst => matches!(action, A::ReadHealth | A::ReadTasks | A::ReadAgents | A::ReadEvents),
            Self::Service => matches!(action, A::ReadHealth | A::Delegate | A::Gateway),
            Self::Guest => matches!(action, A::ReadHealth),
        }
    }
}

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ReadHealth,
    ReadTasks,
    ReadAgents,
    ReadEvents,
    SubmitTasks,
    CancelTasks,
    /// Submit a sub-task of a task the agent is running.
    Delegate,
    /// Call the LLM gateway.
    Gateway,
    ManageKeys,
    ReadAudit,
}

/// Who acts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The person at the desktop app.
    Desktop,
    /// A caller of the local API with an API key.
    Key { id: i64, name: String, role: Role },
    /// An agent container with its service token.
    Agent { agent_id: String, container: String },
}

impl Principal {
    pub fn role(&self) -> Role {
        match self {
            Self::Desktop => Role::Admin,
            Self::Key { role, .. } => *role,
            Self::Agent { .. } => Role::Service,
        }
    }

    /// How the audit log and tasks name it: `desktop`, `key:ci-bot`, `agent:AG-001`.
    pub fn label(&self) -> String {
        match self {
            Self::Desktop => "desktop".into(),
            Self::Key { name, .. } => format!("key:{name}"),
            Self::Agent { agent_id, .. } => format!("agent:{agent_id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_seed_003() {
        use Action as A;
        let all = [
            A::ReadHealth,
            A::ReadTasks,
            A::ReadAgents,
            A::ReadEvents,
            A::SubmitTasks,
            A::CancelTasks,
            A::Delegate,
            A::Gateway,
            A::ManageKeys,
            A::ReadAudit,
        ];
        let table: String = [Role::Admin, Role::Operator, Role::Analyst, Role::Service, Role::Guest]
            .into_iter()
            .map(|role| {
                let allowed: Vec<String> = all
                    .iter()
                    .filter(|a| role.allows(**a))
                    .map(|a| format!("{a:?}"))
                    .collect();
                format!("{:>8}: {}\n", role.as_str(), allowed.join(" "))
            })
            .collect();
        insta::assert_snapshot!(table);
    }
}
