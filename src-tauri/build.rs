const COMMANDS: &[&str] = &[
    "engine_status",
    "refresh_status",
    "config_report",
    "catalog_summary",
    "list_agents",
    "phase_summaries",
    "deploy_phase",
    "undeploy_phase",
    "agent_action",
    "agent_logs",
    "scale_agent",
    "fleet_stats",
    "stats_history",
    "fleet_strays",
    "agent_history",
    "follow_logs",
    "stop_logs",
    "list_capabilities",
    "submit_task",
    "list_tasks",
    "get_task",
    "cancel_task",
    "requeue_task",
    "list_api_keys",
    "create_api_key",
    "revoke_api_key",
    "list_models",
    "pull_model",
    "cancel_pull",
    "delete_model",
    "start_ollama",
    "gateway_stats",
];

fn main() {
    // Re-embed the UI when it is rebuilt.
    println!("cargo:rerun-if-changed=../ui/dist");
    // Declaring the app's commands makes each one a permission that the
    // capability file must grant explicitly (least privilege).
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)).expect("tauri build script failed");
}
