//! Everything the window does, a script can do: each IPC command has its
//! endpoint in the local API (the same engine function behind both), or a
//! reason why it is the window's alone. The test fails for a command
//! without either, for a row naming a command that is gone, and for a row
//! naming a route the API does not have.

/// Where a command's work is reachable outside the window.
enum Twin {
    /// `METHOD /path` in `sutazai_http::routes()`.
    Api(&'static str, &'static str),
    /// The window's alone, and why (naming the API's way where one exists).
    Exempt(&'static str),
}

use Twin::{Api, Exempt};

/// Every IPC command and its twin.
const TWINS: &[(&str, Twin)] = &[
    ("engine_status", Api("GET", "/v1/status")),
    ("refresh_status", Api("POST", "/v1/status/refresh")),
    ("config_report", Api("GET", "/v1/config")),
    ("catalog_summary", Api("GET", "/v1/catalog")),
    ("list_agents", Api("GET", "/v1/agents")),
    ("phase_summaries", Api("GET", "/v1/phases")),
    ("deploy_phase", Api("POST", "/v1/phases/{phase}/deploy")),
    ("undeploy_phase", Api("POST", "/v1/phases/{phase}/undeploy")),
    ("agent_action", Api("POST", "/v1/agents/{id}/control")),
    ("agent_logs", Api("GET", "/v1/agents/{id}/logs")),
    ("scale_agent", Api("POST", "/v1/agents/{id}/control")),
    ("autoscale_policy", Api("GET", "/v1/agents/{id}/autoscale")),
    ("set_autoscale_policy", Api("PUT", "/v1/agents/{id}/autoscale")),
    ("fleet_stats", Api("GET", "/v1/fleet/stats")),
    ("fleet_strays", Api("GET", "/v1/fleet/strays")),
    ("agent_history", Api("GET", "/v1/agents/{id}/history")),
    // `?follow=true`: the stream ends when the client closes it, which is
    // what `stop_logs` does for the window's channel.
    ("follow_logs", Api("GET", "/v1/agents/{id}/logs")),
    (
        "stop_logs",
        Exempt("ends a window channel; an API client closes the `logs?follow=true` stream"),
    ),
    ("list_capabilities", Api("GET", "/v1/capabilities")),
    ("submit_task", Api("POST", "/v1/tasks")),
    ("list_tasks", Api("GET", "/v1/tasks")),
    ("get_task", Api("GET", "/v1/tasks/{id}")),
    ("cancel_task", Api("DELETE", "/v1/tasks/{id}")),
    ("requeue_task", Api("POST", "/v1/tasks/{id}/requeue")),
    ("send_message", Api("POST", "/v1/messages/send")),
    ("request_message", Api("POST", "/v1/messages/send")),
    ("list_messages", Api("GET", "/v1/messages")),
    ("get_message", Api("GET", "/v1/messages/{id}")),
    ("requeue_message", Api("POST", "/v1/messages/{id}/requeue")),
    ("list_topics", Api("GET", "/v1/topics")),
    ("list_api_keys", Api("GET", "/v1/keys")),
    ("create_api_key", Api("POST", "/v1/keys")),
    ("revoke_api_key", Api("DELETE", "/v1/keys/{id}")),
    ("audit_log", Api("GET", "/v1/audit")),
    ("list_models", Api("GET", "/v1/models")),
    ("pull_model", Api("POST", "/v1/models/pull")),
    ("cancel_pull", Api("DELETE", "/v1/models/pull/{name}")),
    ("delete_model", Api("DELETE", "/v1/models/{name}")),
    ("start_ollama", Api("POST", "/v1/ollama/start")),
    ("gateway_stats", Api("GET", "/v1/gateway/stats")),
    ("list_workflows", Api("GET", "/v1/workflows")),
    ("get_workflow", Api("GET", "/v1/workflows/{id}")),
    ("workflow_templates", Api("GET", "/v1/workflow-templates")),
    ("create_workflow", Api("POST", "/v1/workflows")),
    (
        "create_from_template",
        Api("POST", "/v1/workflow-templates/{id}/create"),
    ),
    ("duplicate_workflow", Api("POST", "/v1/workflows/{id}/copy")),
    ("rename_workflow", Api("POST", "/v1/workflows/{id}/rename")),
    (
        "import_workflow_file",
        Exempt("opens the native file dialog; an API client POSTs the JSON to /v1/workflows"),
    ),
    (
        "export_workflow_file",
        Exempt("opens the native save dialog; an API client GETs /v1/workflows/{id}"),
    ),
    ("save_workflow", Api("PUT", "/v1/workflows/{id}")),
    ("delete_workflow", Api("DELETE", "/v1/workflows/{id}")),
    ("validate_workflow", Api("POST", "/v1/workflows/validate")),
    ("workflow_versions", Api("GET", "/v1/workflows/{id}/versions")),
    ("workflow_version", Api("GET", "/v1/workflows/{id}/versions/{version}")),
    ("save_draft", Api("PUT", "/v1/workflows/{id}/draft")),
    ("get_draft", Api("GET", "/v1/workflows/{id}/draft")),
    ("discard_draft", Api("DELETE", "/v1/workflows/{id}/draft")),
    ("diff_workflow", Api("GET", "/v1/workflows/{id}/diff")),
    (
        "restore_workflow",
        Api("POST", "/v1/workflows/{id}/versions/{version}/restore"),
    ),
    ("preflight_workflow", Api("GET", "/v1/workflows/{id}/preflight")),
    ("start_run", Api("POST", "/v1/workflows/{id}/runs")),
    ("list_runs", Api("GET", "/v1/runs")),
    ("get_run", Api("GET", "/v1/runs/{id}")),
    ("run_definition", Api("GET", "/v1/runs/{id}/definition")),
    ("cancel_run", Api("POST", "/v1/runs/{id}/cancel")),
    ("pause_run", Api("POST", "/v1/runs/{id}/pause")),
    ("rerun", Api("POST", "/v1/runs/{id}/rerun")),
    ("decide_step", Api("POST", "/v1/runs/{id}/steps/{step}/approve")),
    ("metrics_catalog", Api("GET", "/v1/metrics/catalog")),
    ("query_metrics", Api("GET", "/v1/metrics/query")),
    ("metrics_chart", Api("POST", "/v1/metrics/chart")),
    // `?format=png`: the PNG the window's export writes where its save
    // dialog chose; an API client gets the bytes.
    ("export_metrics_chart", Api("POST", "/v1/metrics/chart")),
    ("list_alerts", Api("GET", "/v1/alerts")),
    ("silence_alert", Api("POST", "/v1/alerts/silence")),
    ("unsilence_alert", Api("DELETE", "/v1/alerts/silences/{fingerprint}")),
    ("alert_silences", Api("GET", "/v1/alerts/silences")),
    ("alert_notices", Api("GET", "/v1/alerts/notices")),
    ("alert_rules", Api("GET", "/v1/alert-rules")),
    ("set_alert_rule", Api("PUT", "/v1/alert-rules/{id}")),
    ("reset_alert_rule", Api("DELETE", "/v1/alert-rules/{id}")),
    ("ack_alert", Api("POST", "/v1/alerts/{id}/ack")),
    ("container_audit", Api("GET", "/v1/containers/audit")),
    ("list_threats", Api("GET", "/v1/threats")),
    ("approve_threat", Api("POST", "/v1/threats/{id}/approve")),
    ("reject_threat", Api("POST", "/v1/threats/{id}/reject")),
    ("rate_limits", Api("GET", "/v1/rate-limits")),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::{Twin, TWINS};
    use crate::commands;

    #[test]
    fn every_command_has_its_endpoint_or_a_reason() {
        let declared: BTreeSet<&str> = commands::contract::declared().iter().map(|c| c.rust).collect();
        let listed: BTreeSet<&str> = TWINS.iter().map(|(name, _)| *name).collect();
        assert_eq!(listed.len(), TWINS.len(), "a command is listed twice in parity.rs");
        let missing: Vec<_> = declared.difference(&listed).collect();
        let gone: Vec<_> = listed.difference(&declared).collect();
        assert!(
            missing.is_empty(),
            "IPC commands without an API endpoint or a reason in src-tauri/src/parity.rs: {missing:?}"
        );
        assert!(
            gone.is_empty(),
            "parity.rs lists commands that no longer exist: {gone:?}"
        );

        let routes = sutazai_http::routes();
        for (name, twin) in TWINS {
            match twin {
                Twin::Api(method, path) => assert!(
                    routes.iter().any(|r| r.method.as_str() == *method && r.path == *path),
                    "{name}: the API has no {method} {path}"
                ),
                Twin::Exempt(reason) => assert!(!reason.is_empty(), "{name}: an exemption needs its reason"),
            }
        }
    }
}
