// Generated from the Rust declarations by `src-tauri/src/ipc.rs`; do not edit.
// Regenerate: UPDATE_BINDINGS=1 cargo test --workspace bindings

import type { Channel } from "@tauri-apps/api/core";
import { call } from "./call";
import type { AgentAction, AgentRow, Alert, AlertEvent, AlertNotice, AlertQuery, AlertRules, ApiKeyInfo, AuditEntry, AutoscalePolicy, CapabilityInfo, CatalogEvent, CatalogSummary, Change, Chart, ChartRequest, ClientRate, ConfigReport, ContainerAudit, ContainerStats, CreatedKey, Definition, DeployEvent, DeployReport, Draft, EngineStatus, FailurePolicy, FleetEvent, GatewayStats, HistoryEntry, Message, MessageDetail, MessageEvent, MessagePage, MessageQuery, MetricsCatalog, MetricsQuery, MetricsReading, ModelsOverview, Naming, NewMessage, NewRun, NewTask, Notice, OllamaStarted, OpenView, PhaseSummary, PullProgress, Role, Rule, Run, RunEvent, RunPage, RunQuery, SavedVersion, ScaleReport, Silence, StepEvent, Stray, Task, TaskPage, TaskQuery, TasksChanged, Template, Threat, Topic, VersionInfo, Warning, Workflow, WorkflowImport, WorkflowProblem, WorkflowsChanged } from "./types";

/** The backend's commands; the only way the UI calls Rust. */
export const commands = {
  engineStatus: () => call<EngineStatus>("engine_status"),
  refreshStatus: () => call<EngineStatus>("refresh_status"),
  configReport: () => call<ConfigReport>("config_report"),
  catalogSummary: () => call<CatalogSummary>("catalog_summary"),
  listAgents: () => call<AgentRow[]>("list_agents"),
  phaseSummaries: () => call<PhaseSummary[]>("phase_summaries"),
  deployPhase: (phase: number, policy: FailurePolicy) => call<DeployReport>("deploy_phase", { phase, policy }),
  undeployPhase: (phase: number) => call<number>("undeploy_phase", { phase }),
  agentAction: (agentId: string, action: AgentAction) => call<null>("agent_action", { agentId, action }),
  agentLogs: (agentId: string, tail: number) => call<string>("agent_logs", { agentId, tail }),
  scaleAgent: (agentId: string, instances: number) => call<ScaleReport>("scale_agent", { agentId, instances }),
  autoscalePolicy: (agentId: string) => call<AutoscalePolicy | null>("autoscale_policy", { agentId }),
  setAutoscalePolicy: (agentId: string, policy: AutoscalePolicy | null) => call<null>("set_autoscale_policy", { agentId, policy }),
  fleetStats: () => call<ContainerStats[]>("fleet_stats"),
  fleetStrays: () => call<Stray[]>("fleet_strays"),
  agentHistory: (agentId: string) => call<HistoryEntry[]>("agent_history", { agentId }),
  followLogs: (agentId: string, tail: number, onChunk: Channel<string>) => call<number>("follow_logs", { agentId, tail, onChunk }),
  stopLogs: (followId: number) => call<null>("stop_logs", { followId }),
  listCapabilities: () => call<CapabilityInfo[]>("list_capabilities"),
  submitTask: (task: NewTask) => call<Task>("submit_task", { task }),
  listTasks: (query: TaskQuery) => call<TaskPage>("list_tasks", { query }),
  getTask: (taskId: string) => call<Task>("get_task", { taskId }),
  cancelTask: (taskId: string) => call<Task>("cancel_task", { taskId }),
  requeueTask: (taskId: string) => call<Task>("requeue_task", { taskId }),
  listApiKeys: () => call<ApiKeyInfo[]>("list_api_keys"),
  createApiKey: (name: string, role: Role) => call<CreatedKey>("create_api_key", { name, role }),
  revokeApiKey: (keyId: number) => call<ApiKeyInfo>("revoke_api_key", { keyId }),
  auditLog: (limit: number) => call<AuditEntry[]>("audit_log", { limit }),
  listModels: () => call<ModelsOverview>("list_models"),
  pullModel: (name: string, onProgress: Channel<PullProgress>) => call<null>("pull_model", { name, onProgress }),
  cancelPull: (name: string) => call<boolean>("cancel_pull", { name }),
  deleteModel: (name: string) => call<null>("delete_model", { name }),
  startOllama: () => call<OllamaStarted>("start_ollama"),
  gatewayStats: () => call<GatewayStats>("gateway_stats"),
  listWorkflows: () => call<Definition[]>("list_workflows"),
  getWorkflow: (workflowId: string) => call<Definition>("get_workflow", { workflowId }),
  workflowTemplates: () => call<Template[]>("workflow_templates"),
  createWorkflow: (workflow: Workflow) => call<SavedVersion>("create_workflow", { workflow }),
  createFromTemplate: (templateId: string, naming: Naming) => call<SavedVersion>("create_from_template", { templateId, naming }),
  duplicateWorkflow: (workflowId: string, naming: Naming) => call<SavedVersion>("duplicate_workflow", { workflowId, naming }),
  renameWorkflow: (workflowId: string, naming: Naming) => call<SavedVersion>("rename_workflow", { workflowId, naming }),
  importWorkflowFile: () => call<WorkflowImport | null>("import_workflow_file"),
  exportWorkflowFile: (workflowId: string) => call<string | null>("export_workflow_file", { workflowId }),
  saveWorkflow: (workflow: Workflow, base: number | null) => call<SavedVersion>("save_workflow", { workflow, base }),
  deleteWorkflow: (workflowId: string) => call<null>("delete_workflow", { workflowId }),
  validateWorkflow: (workflow: Workflow) => call<WorkflowProblem[]>("validate_workflow", { workflow }),
  workflowVersions: (workflowId: string) => call<VersionInfo[]>("workflow_versions", { workflowId }),
  workflowVersion: (workflowId: string, version: number) => call<Workflow>("workflow_version", { workflowId, version }),
  saveDraft: (workflow: Workflow, base: number | null) => call<null>("save_draft", { workflow, base }),
  getDraft: (workflowId: string) => call<Draft | null>("get_draft", { workflowId }),
  discardDraft: (workflowId: string) => call<null>("discard_draft", { workflowId }),
  diffWorkflow: (workflowId: string, from: number, to: number) => call<Change[]>("diff_workflow", { workflowId, from, to }),
  restoreWorkflow: (workflowId: string, version: number) => call<SavedVersion>("restore_workflow", { workflowId, version }),
  preflightWorkflow: (workflowId: string) => call<Warning[]>("preflight_workflow", { workflowId }),
  startRun: (workflowId: string, run: NewRun) => call<Run>("start_run", { workflowId, run }),
  listRuns: (query: RunQuery) => call<RunPage>("list_runs", { query }),
  getRun: (runId: string) => call<Run>("get_run", { runId }),
  runDefinition: (runId: string) => call<Workflow>("run_definition", { runId }),
  sendMessage: (message: NewMessage) => call<Message>("send_message", { message }),
  requestMessage: (message: NewMessage, waitMs: number) => call<Message>("request_message", { message, waitMs }),
  listMessages: (query: MessageQuery) => call<MessagePage>("list_messages", { query }),
  getMessage: (messageId: string) => call<MessageDetail>("get_message", { messageId }),
  requeueMessage: (messageId: string) => call<MessageDetail>("requeue_message", { messageId }),
  listTopics: () => call<Topic[]>("list_topics"),
  cancelRun: (runId: string) => call<Run>("cancel_run", { runId }),
  pauseRun: (runId: string, pause: boolean) => call<Run>("pause_run", { runId, pause }),
  rerun: (runId: string, fromStep: string) => call<Run>("rerun", { runId, fromStep }),
  decideStep: (runId: string, step: string, approve: boolean, note: string) => call<Run>("decide_step", { runId, step, approve, note }),
  metricsCatalog: () => call<MetricsCatalog>("metrics_catalog"),
  queryMetrics: (query: MetricsQuery) => call<MetricsReading>("query_metrics", { query }),
  metricsChart: (request: ChartRequest) => call<Chart>("metrics_chart", { request }),
  exportMetricsChart: (request: ChartRequest, fileName: string) => call<string | null>("export_metrics_chart", { request, fileName }),
  listAlerts: (query: AlertQuery) => call<Alert[]>("list_alerts", { query }),
  silenceAlert: (fingerprint: string, minutes: number) => call<Silence>("silence_alert", { fingerprint, minutes }),
  unsilenceAlert: (fingerprint: string) => call<boolean>("unsilence_alert", { fingerprint }),
  alertSilences: () => call<Silence[]>("alert_silences"),
  alertNotices: (limit: number) => call<AlertNotice[]>("alert_notices", { limit }),
  alertRules: () => call<AlertRules>("alert_rules"),
  setAlertRule: (rule: Rule) => call<Rule>("set_alert_rule", { rule }),
  resetAlertRule: (id: string) => call<Rule>("reset_alert_rule", { id }),
  ackAlert: (id: number) => call<Alert | null>("ack_alert", { id }),
  containerAudit: () => call<ContainerAudit[]>("container_audit"),
  listThreats: (limit: number) => call<Threat[]>("list_threats", { limit }),
  approveThreat: (id: number) => call<Threat>("approve_threat", { id }),
  rejectThreat: (id: number) => call<Threat>("reject_threat", { id }),
  rateLimits: () => call<ClientRate[]>("rate_limits"),
} as const;

/** Each command's arguments and answer, by its Rust name (for typed fakes in tests). */
export type Commands = {
  engine_status: { args: Record<string, never>; result: EngineStatus };
  refresh_status: { args: Record<string, never>; result: EngineStatus };
  config_report: { args: Record<string, never>; result: ConfigReport };
  catalog_summary: { args: Record<string, never>; result: CatalogSummary };
  list_agents: { args: Record<string, never>; result: AgentRow[] };
  phase_summaries: { args: Record<string, never>; result: PhaseSummary[] };
  deploy_phase: { args: { phase: number; policy: FailurePolicy }; result: DeployReport };
  undeploy_phase: { args: { phase: number }; result: number };
  agent_action: { args: { agentId: string; action: AgentAction }; result: null };
  agent_logs: { args: { agentId: string; tail: number }; result: string };
  scale_agent: { args: { agentId: string; instances: number }; result: ScaleReport };
  autoscale_policy: { args: { agentId: string }; result: AutoscalePolicy | null };
  set_autoscale_policy: { args: { agentId: string; policy: AutoscalePolicy | null }; result: null };
  fleet_stats: { args: Record<string, never>; result: ContainerStats[] };
  fleet_strays: { args: Record<string, never>; result: Stray[] };
  agent_history: { args: { agentId: string }; result: HistoryEntry[] };
  follow_logs: { args: { agentId: string; tail: number; onChunk: Channel<string> }; result: number };
  stop_logs: { args: { followId: number }; result: null };
  list_capabilities: { args: Record<string, never>; result: CapabilityInfo[] };
  submit_task: { args: { task: NewTask }; result: Task };
  list_tasks: { args: { query: TaskQuery }; result: TaskPage };
  get_task: { args: { taskId: string }; result: Task };
  cancel_task: { args: { taskId: string }; result: Task };
  requeue_task: { args: { taskId: string }; result: Task };
  list_api_keys: { args: Record<string, never>; result: ApiKeyInfo[] };
  create_api_key: { args: { name: string; role: Role }; result: CreatedKey };
  revoke_api_key: { args: { keyId: number }; result: ApiKeyInfo };
  audit_log: { args: { limit: number }; result: AuditEntry[] };
  list_models: { args: Record<string, never>; result: ModelsOverview };
  pull_model: { args: { name: string; onProgress: Channel<PullProgress> }; result: null };
  cancel_pull: { args: { name: string }; result: boolean };
  delete_model: { args: { name: string }; result: null };
  start_ollama: { args: Record<string, never>; result: OllamaStarted };
  gateway_stats: { args: Record<string, never>; result: GatewayStats };
  list_workflows: { args: Record<string, never>; result: Definition[] };
  get_workflow: { args: { workflowId: string }; result: Definition };
  workflow_templates: { args: Record<string, never>; result: Template[] };
  create_workflow: { args: { workflow: Workflow }; result: SavedVersion };
  create_from_template: { args: { templateId: string; naming: Naming }; result: SavedVersion };
  duplicate_workflow: { args: { workflowId: string; naming: Naming }; result: SavedVersion };
  rename_workflow: { args: { workflowId: string; naming: Naming }; result: SavedVersion };
  import_workflow_file: { args: Record<string, never>; result: WorkflowImport | null };
  export_workflow_file: { args: { workflowId: string }; result: string | null };
  save_workflow: { args: { workflow: Workflow; base: number | null }; result: SavedVersion };
  delete_workflow: { args: { workflowId: string }; result: null };
  validate_workflow: { args: { workflow: Workflow }; result: WorkflowProblem[] };
  workflow_versions: { args: { workflowId: string }; result: VersionInfo[] };
  workflow_version: { args: { workflowId: string; version: number }; result: Workflow };
  save_draft: { args: { workflow: Workflow; base: number | null }; result: null };
  get_draft: { args: { workflowId: string }; result: Draft | null };
  discard_draft: { args: { workflowId: string }; result: null };
  diff_workflow: { args: { workflowId: string; from: number; to: number }; result: Change[] };
  restore_workflow: { args: { workflowId: string; version: number }; result: SavedVersion };
  preflight_workflow: { args: { workflowId: string }; result: Warning[] };
  start_run: { args: { workflowId: string; run: NewRun }; result: Run };
  list_runs: { args: { query: RunQuery }; result: RunPage };
  get_run: { args: { runId: string }; result: Run };
  run_definition: { args: { runId: string }; result: Workflow };
  send_message: { args: { message: NewMessage }; result: Message };
  request_message: { args: { message: NewMessage; waitMs: number }; result: Message };
  list_messages: { args: { query: MessageQuery }; result: MessagePage };
  get_message: { args: { messageId: string }; result: MessageDetail };
  requeue_message: { args: { messageId: string }; result: MessageDetail };
  list_topics: { args: Record<string, never>; result: Topic[] };
  cancel_run: { args: { runId: string }; result: Run };
  pause_run: { args: { runId: string; pause: boolean }; result: Run };
  rerun: { args: { runId: string; fromStep: string }; result: Run };
  decide_step: { args: { runId: string; step: string; approve: boolean; note: string }; result: Run };
  metrics_catalog: { args: Record<string, never>; result: MetricsCatalog };
  query_metrics: { args: { query: MetricsQuery }; result: MetricsReading };
  metrics_chart: { args: { request: ChartRequest }; result: Chart };
  export_metrics_chart: { args: { request: ChartRequest; fileName: string }; result: string | null };
  list_alerts: { args: { query: AlertQuery }; result: Alert[] };
  silence_alert: { args: { fingerprint: string; minutes: number }; result: Silence };
  unsilence_alert: { args: { fingerprint: string }; result: boolean };
  alert_silences: { args: Record<string, never>; result: Silence[] };
  alert_notices: { args: { limit: number }; result: AlertNotice[] };
  alert_rules: { args: Record<string, never>; result: AlertRules };
  set_alert_rule: { args: { rule: Rule }; result: Rule };
  reset_alert_rule: { args: { id: string }; result: Rule };
  ack_alert: { args: { id: number }; result: Alert | null };
  container_audit: { args: Record<string, never>; result: ContainerAudit[] };
  list_threats: { args: { limit: number }; result: Threat[] };
  approve_threat: { args: { id: number }; result: Threat };
  reject_threat: { args: { id: number }; result: Threat };
  rate_limits: { args: Record<string, never>; result: ClientRate[] };
};

/** Event names, built in one place. */
export const events = {
  statusChanged: "status-changed",
  catalogChanged: "catalog-changed",
  deployProgress: "deploy-progress",
  fleetEvent: "fleet-event",
  tasksChanged: "tasks-changed",
  messageChanged: "message-changed",
  runChanged: "run-changed",
  stepChanged: "step-changed",
  workflowsChanged: "workflows-changed",
  alertChanged: "alert-changed",
  alertNotice: "alert-notice",
  openView: "open-view",
} as const;

/** The payload of each event. */
export type EventPayloads = {
  "status-changed": EngineStatus;
  "catalog-changed": CatalogEvent;
  "deploy-progress": DeployEvent;
  "fleet-event": FleetEvent;
  "tasks-changed": TasksChanged;
  "message-changed": MessageEvent;
  "run-changed": RunEvent;
  "step-changed": StepEvent;
  "workflows-changed": WorkflowsChanged;
  "alert-changed": AlertEvent;
  "alert-notice": Notice;
  "open-view": OpenView;
};
