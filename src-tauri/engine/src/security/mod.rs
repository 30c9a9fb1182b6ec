//! Who may do what: roles (seed 003), the principals that act (the desktop
//! user, an API key, an agent), per-agent service tokens, API keys, the
//! requests each API client may make a minute, the audit log of control
//! actions and the inputs stopped as threats. Pure rules here; keys, the
//! audit log and the threats persist through the store.

pub mod audit;
pub mod container_audit;
pub mod keys;
pub mod rate;
pub mod threats;
pub mod tokens;

use std::net::SocketAddr;

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
    /// Agents: submit sub-tasks, call the LLM gateway and use the message
    /// bus, nothing else.
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

    /// Whether this role may do `action`. An allow-list: an action added
    /// later is refused to every role until it is granted here.
    pub fn allows(self, action: Action) -> bool {
        use Action as A;
        use Role::{Admin, Analyst, Guest, Operator, Service};
        matches!(
            (self, action),
            (Admin | Operator | Analyst | Service | Guest, A::ReadHealth)
                | (Admin | Operator | Analyst, A::ReadTasks | A::ReadAgents | A::ReadEvents)
                | (
                    Admin | Operator | Analyst,
                    A::ReadWorkflows | A::ReadMetrics | A::ReadAlerts
                )
                | (Admin | Operator | Analyst, A::ReadMessages)
                | (Admin | Operator, A::ManageAlerts | A::ManageFleet | A::ManageModels)
                | (Admin | Operator | Service, A::SendMessages)
                | (Service, A::ReadMessages)
                | (Admin | Operator, A::SubmitTasks | A::CancelTasks)
                | (Admin | Operator, A::EditWorkflows | A::RunWorkflows | A::Approve)
                | (Admin | Service, A::Gateway)
                | (Service, A::Delegate)
                | (Admin, A::ManageKeys | A::ReadAudit | A::ReadConfig)
        )
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
    /// Read workflow definitions, their versions and runs.
    ReadWorkflows,
    /// Save, validate and delete workflow definitions.
    EditWorkflows,
    /// Start, cancel, pause, resume and re-run runs.
    RunWorkflows,
    /// Approve or reject an approval step.
    Approve,
    /// Read the metrics history and the Prometheus text (a scrape).
    ReadMetrics,
    /// Read the alerts, their notifications and the rules.
    ReadAlerts,
    /// Acknowledge and silence alerts, edit and reset rules.
    ManageAlerts,
    /// Deploy and undeploy phases; start, stop, restart, remove and scale
    /// agents; set their auto-scaling.
    ManageFleet,
    /// Pull and delete models, start Ollama.
    ManageModels,
    /// Read the effective configuration (it names paths and addresses).
    ReadConfig,
    /// Read the message bus: messages, subscriptions, dead letters.
    ReadMessages,
    /// Send, broadcast and publish messages; subscribe to topics.
    SendMessages,
}

/// Who acts. An API caller carries the address it called from, for the
/// audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The person at the desktop app.
    Desktop,
    /// A caller of the local API with an API key.
    Key {
        id: i64,
        name: String,
        role: Role,
        from: Option<SocketAddr>,
    },
    /// An agent container with its service token.
    Agent {
        agent_id: String,
        container: String,
        from: Option<SocketAddr>,
    },
    /// A workflow run, submitting its steps' tasks (who started the run is
    /// in the run and in the audit log).
    Run { run_id: String },
}

impl Principal {
    pub fn role(&self) -> Role {
        match self {
            Self::Desktop => Role::Admin,
            Self::Key { role, .. } => *role,
            Self::Agent { .. } => Role::Service,
            Self::Run { .. } => Role::Operator,
        }
    }

    /// Whether this caller may do `action`: what its role allows, except
    /// that only an agent may delegate (a sub-task belongs to a task that
    /// agent runs; a service-role API key runs no task).
    pub fn allows(&self, action: Action) -> bool {
        self.role().allows(action) && (action != Action::Delegate || matches!(self, Self::Agent { .. }))
    }

    /// How the audit log and tasks name it: `desktop`, `key:ci-bot`, `agent:AG-001`.
    pub fn label(&self) -> String {
        match self {
            Self::Desktop => "desktop".into(),
            Self::Key { name, .. } => format!("key:{name}"),
            Self::Agent { agent_id, .. } => format!("agent:{agent_id}"),
            Self::Run { run_id } => format!("run:{run_id}"),
        }
    }

    /// Where it acts from, for the audit log: `window` for the desktop
    /// app, the caller's `ip:port` for the API (empty when unknown).
    pub fn origin(&self) -> String {
        match self {
            Self::Desktop => "window".into(),
            Self::Key { from, .. } | Self::Agent { from, .. } => from.map(|addr| addr.to_string()).unwrap_or_default(),
            Self::Run { .. } => "workflow".into(),
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
            A::ReadWorkflows,
            A::EditWorkflows,
            A::RunWorkflows,
            A::Approve,
            A::ReadMetrics,
            A::ReadAlerts,
            A::ManageAlerts,
            A::ManageFleet,
            A::ManageModels,
            A::ReadConfig,
            A::ReadMessages,
            A::SendMessages,
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

    #[test]
    fn only_an_agent_may_delegate() {
        let key = |role| Principal::Key {
            id: 1,
            name: "k".into(),
            role,
            from: None,
        };
        let agent = Principal::Agent {
            agent_id: "AG-001".into(),
            container: "sutazai-ag-001".into(),
            from: None,
        };
        let cases = [
            (agent.clone(), Action::Delegate, true),
            (agent, Action::SubmitTasks, false),
            (key(Role::Service), Action::Delegate, false),
            (key(Role::Service), Action::Gateway, true),
            (key(Role::Admin), Action::Delegate, false),
            (key(Role::Operator), Action::Gateway, false),
            (Principal::Desktop, Action::Delegate, false),
            (Principal::Desktop, Action::ManageKeys, true),
        ];
        for (who, action, allowed) in cases {
            assert_eq!(who.allows(action), allowed, "{} {action:?}", who.label());
        }
    }
}
