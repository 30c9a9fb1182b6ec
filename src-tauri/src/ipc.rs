//! The IPC contract: which commands exist, which events are emitted, and the
//! TypeScript that `ui/src/ipc` imports. `bindings.ts` is generated from the
//! Rust types (ts-rs) and committed; a test fails when it is stale.

use tauri::ipc::Invoke;
use tauri::Runtime;

use crate::commands;

/// The command handler registered with the app.
pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        commands::engine_status,
        commands::refresh_status,
        commands::config_report,
        commands::catalog_summary,
        commands::list_agents,
        commands::phase_summaries,
        commands::deploy_phase,
        commands::undeploy_phase,
        commands::agent_action,
        commands::agent_logs,
        commands::scale_agent,
        commands::fleet_stats,
        commands::stats_history,
        commands::fleet_strays,
        commands::agent_history,
        commands::follow_logs,
        commands::stop_logs,
        commands::list_capabilities,
        commands::submit_task,
        commands::list_tasks,
        commands::get_task,
        commands::cancel_task,
        commands::requeue_task,
        commands::list_api_keys,
        commands::create_api_key,
        commands::revoke_api_key,
        commands::list_models,
        commands::pull_model,
        commands::cancel_pull,
        commands::delete_model,
        commands::start_ollama,
        commands::gateway_stats
    ]
}

/// The generator of `ui/src/ipc/bindings.ts`; it runs as a test, which
/// also fails when the committed file is stale.
#[cfg(test)]
mod bindings {
    use crate::events;

    /// One command as TypeScript sees it. Keep in step with `handler` and
    /// build.rs (which turns each name into a permission).
    struct Command {
        rust: &'static str,
        ts: &'static str,
        params: &'static str,
        args: &'static str,
        returns: &'static str,
    }

    const COMMANDS: &[Command] = &[
        Command {
            rust: "engine_status",
            ts: "engineStatus",
            params: "",
            args: "",
            returns: "EngineStatus",
        },
        Command {
            rust: "refresh_status",
            ts: "refreshStatus",
            params: "",
            args: "",
            returns: "EngineStatus",
        },
        Command {
            rust: "config_report",
            ts: "configReport",
            params: "",
            args: "",
            returns: "ConfigReport",
        },
        Command {
            rust: "catalog_summary",
            ts: "catalogSummary",
            params: "",
            args: "",
            returns: "CatalogSummary",
        },
        Command {
            rust: "list_agents",
            ts: "listAgents",
            params: "",
            args: "",
            returns: "AgentRow[]",
        },
        Command {
            rust: "phase_summaries",
            ts: "phaseSummaries",
            params: "",
            args: "",
            returns: "PhaseSummary[]",
        },
        Command {
            rust: "deploy_phase",
            ts: "deployPhase",
            params: "phase: number, policy: FailurePolicy",
            args: ", { phase, policy }",
            returns: "DeployReport",
        },
        Command {
            rust: "undeploy_phase",
            ts: "undeployPhase",
            params: "phase: number",
            args: ", { phase }",
            returns: "number",
        },
        Command {
            rust: "agent_action",
            ts: "agentAction",
            params: "agentId: string, action: AgentAction",
            args: ", { agentId, action }",
            returns: "null",
        },
        Command {
            rust: "agent_logs",
            ts: "agentLogs",
            params: "agentId: string, tail: number",
            args: ", { agentId, tail }",
            returns: "string",
        },
        Command {
            rust: "scale_agent",
            ts: "scaleAgent",
            params: "agentId: string, instances: number",
            args: ", { agentId, instances }",
            returns: "ScaleReport",
        },
        Command {
            rust: "fleet_stats",
            ts: "fleetStats",
            params: "",
            args: "",
            returns: "ContainerStats[]",
        },
        Command {
            rust: "stats_history",
            ts: "statsHistory",
            params: "container: string",
            args: ", { container }",
            returns: "ContainerStats[]",
        },
        Command {
            rust: "fleet_strays",
            ts: "fleetStrays",
            params: "",
            args: "",
            returns: "Stray[]",
        },
        Command {
            rust: "agent_history",
            ts: "agentHistory",
            params: "agentId: string",
            args: ", { agentId }",
            returns: "HistoryEntry[]",
        },
        Command {
            rust: "follow_logs",
            ts: "followLogs",
            params: "agentId: string, tail: number, onChunk: Channel<string>",
            args: ", { agentId, tail, onChunk }",
            returns: "number",
        },
        Command {
            rust: "stop_logs",
            ts: "stopLogs",
            params: "followId: number",
            args: ", { followId }",
            returns: "null",
        },
        Command {
            rust: "list_capabilities",
            ts: "listCapabilities",
            params: "",
            args: "",
            returns: "CapabilityInfo[]",
        },
        Command {
            rust: "submit_task",
            ts: "submitTask",
            params: "task: NewTask",
            args: ", { task }",
            returns: "Task",
        },
        Command {
            rust: "list_tasks",
            ts: "listTasks",
            params: "query: TaskQuery",
            args: ", { query }",
            returns: "TaskPage",
        },
        Command {
            rust: "get_task",
            ts: "getTask",
            params: "taskId: string",
            args: ", { taskId }",
            returns: "Task",
        },
        Command {
            rust: "cancel_task",
            ts: "cancelTask",
            params: "taskId: string",
            args: ", { taskId }",
            returns: "Task",
        },
        Command {
            rust: "requeue_task",
            ts: "requeueTask",
            params: "taskId: string",
            args: ", { taskId }",
            returns: "Task",
        },
        Command {
            rust: "list_api_keys",
            ts: "listApiKeys",
            params: "",
            args: "",
            returns: "ApiKeyInfo[]",
        },
        Command {
            rust: "create_api_key",
            ts: "createApiKey",
            params: "name: string, role: Role",
            args: ", { name, role }",
            returns: "CreatedKey",
        },
        Command {
            rust: "revoke_api_key",
            ts: "revokeApiKey",
            params: "keyId: number",
            args: ", { keyId }",
            returns: "ApiKeyInfo",
        },
        Command {
            rust: "list_models",
            ts: "listModels",
            params: "",
            args: "",
            returns: "ModelsOverview",
        },
        Command {
            rust: "pull_model",
            ts: "pullModel",
            params: "name: string, onProgress: Channel<PullProgress>",
            args: ", { name, onProgress }",
            returns: "null",
        },
        Command {
            rust: "cancel_pull",
            ts: "cancelPull",
            params: "name: string",
            args: ", { name }",
            returns: "boolean",
        },
        Command {
            rust: "delete_model",
            ts: "deleteModel",
            params: "name: string",
            args: ", { name }",
            returns: "null",
        },
        Command {
            rust: "start_ollama",
            ts: "startOllama",
            params: "",
            args: "",
            returns: "OllamaStarted",
        },
        Command {
            rust: "gateway_stats",
            ts: "gatewayStats",
            params: "",
            args: "",
            returns: "GatewayStats",
        },
    ];

    /// Events as TypeScript sees them: (key, name, payload type).
    const EVENTS: &[(&str, &str, &str)] = &[
        ("statusChanged", events::STATUS_CHANGED, "EngineStatus"),
        ("catalogChanged", events::CATALOG_CHANGED, "CatalogEvent"),
        ("deployProgress", events::DEPLOY_PROGRESS, "DeployEvent"),
        ("fleetEvent", events::FLEET_EVENT, "FleetEvent"),
        ("tasksChanged", events::TASKS_CHANGED, "TasksChanged"),
    ];

    /// The content of `ui/src/ipc/bindings.ts`.
    pub fn typescript() -> String {
        use sutazai_engine::catalog::{CapabilityInfo, CapableAgent, CatalogEvent, CatalogSummary, Problem};
        use sutazai_engine::config::{ConfigIssue, ConfigReport, ConfigSource, ConfigValue};
        use sutazai_engine::error::{Code, ErrorBody};
        use sutazai_engine::fleet::model::{
            AgentAction, AgentRow, AgentStatus, DeployEvent, DeployReport, DeployStage, FailedAgent, FailurePolicy,
            FleetEvent, FleetEventRecord, HistoryEntry, PhaseSummary, ScaleReport, Stray,
        };
        use sutazai_engine::fleet::stats::{ContainerStats, StatsSource};
        use sutazai_engine::llm::model::{LoadedModel, ModelInfo, PullProgress};
        use sutazai_engine::llm::models::{AgentRef, ModelRow, ModelsOverview, OllamaState, UnservedAgent};
        use sutazai_engine::llm::serve::OllamaStarted;
        use sutazai_engine::llm::usage::{GatewayStats, ModelUsage, UsageTotal};
        use sutazai_engine::orchestrator::breaker::BreakerState;
        use sutazai_engine::orchestrator::model::{
            Attempt, AttemptOutcome, NewTask, StatusCount, Task, TaskFailure, TaskPage, TaskQuery, TaskStatus,
            TaskSummary,
        };
        use sutazai_engine::orchestrator::router::{RouteDecision, ScoredCandidate, Weights};
        use sutazai_engine::security::keys::{ApiKeyInfo, CreatedKey};
        use sutazai_engine::security::Role;
        use sutazai_engine::status::{DataFacts, DockerFacts, EngineStatus, OllamaFacts, Probe};
        use ts_rs::TS;

        let decls = [
            Code::decl(),
            ErrorBody::decl(),
            <Probe<()>>::decl(),
            DockerFacts::decl(),
            OllamaFacts::decl(),
            DataFacts::decl(),
            EngineStatus::decl(),
            ConfigSource::decl(),
            ConfigValue::decl(),
            ConfigIssue::decl(),
            ConfigReport::decl(),
            Problem::decl(),
            CatalogSummary::decl(),
            CatalogEvent::decl(),
            AgentStatus::decl(),
            AgentRow::decl(),
            FailurePolicy::decl(),
            DeployStage::decl(),
            FailedAgent::decl(),
            DeployReport::decl(),
            DeployEvent::decl(),
            PhaseSummary::decl(),
            AgentAction::decl(),
            FleetEvent::decl(),
            ScaleReport::decl(),
            StatsSource::decl(),
            ContainerStats::decl(),
            Stray::decl(),
            FleetEventRecord::decl(),
            HistoryEntry::decl(),
            CapableAgent::decl(),
            CapabilityInfo::decl(),
            TaskStatus::decl(),
            NewTask::decl(),
            TaskFailure::decl(),
            AttemptOutcome::decl(),
            Attempt::decl(),
            BreakerState::decl(),
            Weights::decl(),
            ScoredCandidate::decl(),
            RouteDecision::decl(),
            Task::decl(),
            TaskSummary::decl(),
            TaskQuery::decl(),
            StatusCount::decl(),
            TaskPage::decl(),
            events::TasksChanged::decl(),
            Role::decl(),
            ApiKeyInfo::decl(),
            CreatedKey::decl(),
            ModelInfo::decl(),
            LoadedModel::decl(),
            PullProgress::decl(),
            OllamaState::decl(),
            AgentRef::decl(),
            ModelRow::decl(),
            UnservedAgent::decl(),
            ModelsOverview::decl(),
            OllamaStarted::decl(),
            ModelUsage::decl(),
            UsageTotal::decl(),
            GatewayStats::decl(),
        ];
        let mut out = String::from(
            "// Generated from the Rust types by `src-tauri/src/ipc.rs`; do not edit.\n\
             // Regenerate: UPDATE_BINDINGS=1 cargo test --workspace bindings\n\n\
             import type { Channel } from \"@tauri-apps/api/core\";\n\
             import { call } from \"./call\";\n\n",
        );
        for decl in decls {
            out.push_str("export ");
            out.push_str(&decl);
            out.push_str("\n\n");
        }
        out.push_str("/** The backend's commands; the only way the UI calls Rust. */\nexport const commands = {\n");
        for c in COMMANDS {
            out.push_str(&format!(
                "  {}: ({}) => call<{}>(\"{}\"{}),\n",
                c.ts, c.params, c.returns, c.rust, c.args
            ));
        }
        out.push_str("} as const;\n\n/** Event names, built in one place. */\nexport const events = {\n");
        for (key, name, _) in EVENTS {
            out.push_str(&format!("  {key}: \"{name}\",\n"));
        }
        out.push_str("} as const;\n\n/** The payload of each event. */\nexport type EventPayloads = {\n");
        for (_, name, payload) in EVENTS {
            out.push_str(&format!("  \"{name}\": {payload};\n"));
        }
        out.push_str("};\n");
        out
    }

    /// Every command has a permission (build.rs) and the capability grants it.
    #[test]
    fn every_command_is_declared_and_granted() {
        let build = include_str!("../build.rs");
        let capability = include_str!("../capabilities/main.json");
        for c in COMMANDS {
            assert!(build.contains(&format!("\"{}\"", c.rust)), "build.rs lacks {}", c.rust);
            let permission = format!("\"allow-{}\"", c.rust.replace('_', "-"));
            assert!(
                capability.contains(&permission),
                "capabilities/main.json lacks {permission}"
            );
        }
    }

    /// The shell plugin is used from Rust only ("Start Ollama"): the
    /// webview must not be able to spawn or open anything through it.
    #[test]
    fn the_webview_has_no_shell_permission() {
        let capability: serde_json::Value = serde_json::from_str(include_str!("../capabilities/main.json")).unwrap();
        let permissions = capability["permissions"].as_array().unwrap();
        for permission in permissions {
            let id = permission
                .as_str()
                .or_else(|| permission["identifier"].as_str())
                .unwrap_or("");
            assert!(!id.starts_with("shell:"), "capabilities/main.json grants {id}");
        }
        assert!(permissions.iter().any(|p| p == "allow-start-ollama"));
    }

    #[test]
    fn bindings_are_fresh() {
        // At run time: a test binary may have been built in another clone.
        let path = std::path::PathBuf::from(
            std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into()),
        )
        .join("../ui/src/ipc/bindings.ts");
        let want = typescript();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "ui/src/ipc/bindings.ts is stale; regenerate with `UPDATE_BINDINGS=1 cargo test --workspace bindings`"
        );
    }
}
