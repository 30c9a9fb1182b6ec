// Generated from the Rust types by `src-tauri/src/ipc.rs`; do not edit.
// Regenerate: UPDATE_BINDINGS=1 cargo test -p sutazai bindings

import type { Channel } from "@tauri-apps/api/core";
import { call } from "./call";

export type Code = "data_dir" | "store" | "catalog" | "docker_missing" | "docker_refused" | "docker_timeout" | "docker_error" | "ollama_unreachable" | "ollama_timeout" | "ollama_error" | "engine_unavailable" | "agent_image" | "unknown_agent" | "invalid_request";

export type ErrorBody = { code: Code, message: string, };

export type Probe<T> = { "state": "checking" } | { "state": "connected" } & T | { "state": "unreachable" } & ErrorBody;

export type DockerFacts = { 
/**
 * The engine's version, e.g. `20.10.24+dfsg1`.
 */
version: string, 
/**
 * The API version spoken after negotiation, e.g. `1.41`.
 */
apiVersion: string, os: string, arch: string, containersRunning: number, containersTotal: number, };

export type OllamaFacts = { version: string, modelCount: number, };

export type DataFacts = { dataDir: string, database: string, schemaVersion: number, logDir: string, 
/**
 * Earlier runs of the app that ended without a clean stop.
 */
uncleanPreviousRuns: number, };

export type EngineStatus = { 
/**
 * The Docker endpoint probed, e.g. `unix:///var/run/docker.sock`.
 */
dockerEndpoint: string, docker: Probe<DockerFacts>, 
/**
 * The Ollama URL probed.
 */
ollamaUrl: string, ollama: Probe<OllamaFacts>, data: DataFacts, 
/**
 * When the last check finished (ms since the Unix epoch); 0 before the first.
 */
checkedAtMs: number, };

export type ConfigSource = { "kind": "default" } | { "kind": "file", path: string, } | { "kind": "env", var: string, };

export type ConfigValue = { key: string, value: string, source: ConfigSource, help: string, };

export type ConfigIssue = { 
/**
 * The file path or `environment variable NAME`.
 */
origin: string, 
/**
 * The key concerned, when the problem is about one key.
 */
key: string | null, problem: string, };

export type ConfigReport = { 
/**
 * The config file that was looked for (it may not exist).
 */
file: string | null, fileFound: boolean, values: Array<ConfigValue>, issues: Array<ConfigIssue>, };

export type Problem = { file: string, 
/**
 * One sentence per error, each naming the field path.
 */
errors: Array<string>, };

export type CatalogSummary = { dir: string, agents: number, 
/**
 * Agents in phase 1, 2 and 3.
 */
byPhase: Array<number>, problems: Array<Problem>, };

export type CatalogEvent = { "change": "added", id: string, } | { "change": "changed", id: string, } | { "change": "removed", id: string, } | { "change": "problems", problems: Array<Problem>, };

export type AgentStatus = "unknown" | "not_deployed" | "starting" | "healthy" | "unhealthy" | "stopped" | "flapping";

export type AgentRow = { id: string, name: string, title: string, phase: number, kind: string, port: number, capabilities: Array<string>, status: AgentStatus, containerId: string | null, 
/**
 * When `/health` last answered ok (ms since the Unix epoch).
 */
healthyAtMs: number | null, 
/**
 * Unplanned exits the watch has seen (each one healed or flapping).
 */
restarts: number, 
/**
 * Why the agent is not healthy, when known.
 */
reason: string | null, 
/**
 * Containers running this agent (more than 1 when scaled).
 */
instances: number, };

export type FailurePolicy = "roll_back" | "keep_healthy";

export type DeployStage = "pending" | "creating" | "starting" | "healthy" | "unchanged" | "failed" | "rolled_back";

export type FailedAgent = { agentId: string, reason: string, };

export type DeployReport = { phase: number, total: number, healthy: number, unchanged: number, failed: Array<FailedAgent>, rolledBack: boolean, elapsedMs: number, };

export type DeployEvent = { "kind": "started", phase: number, 
/**
 * The agents in dependency order.
 */
agents: Array<string>, memoryNeededMb: number, memoryAvailableMb: number, 
/**
 * Set when the phase's memory limits exceed what the host has free.
 */
warning: string | null, } | { "kind": "agent", phase: number, agentId: string, stage: DeployStage, reason: string | null, elapsedMs: number, } | { "kind": "finished" } & DeployReport;

export type PhaseSummary = { phase: number, agents: number, deployed: number, healthy: number, memoryNeededMb: number, memoryAvailableMb: number, };

export type AgentAction = "start" | "stop" | "restart" | "remove";

export type FleetEvent = { "kind": "restarted", agentId: string, container: string, attempt: number, reason: string, } | { "kind": "flapping", agentId: string, container: string, restarts: number, } | { "kind": "deployed", agentId: string, container: string, stage: DeployStage, reason: string | null, } | { "kind": "acted", agentId: string, action: AgentAction, } | { "kind": "scaled", agentId: string, instances: number, } | { "kind": "replaced", agentId: string, container: string, reason: string, };

export type ScaleReport = { agentId: string, instances: number, healthy: number, failed: Array<FailedAgent>, };

export type StatsSource = "cgroup_v1" | "cgroup_v2" | "docker_api";

export type ContainerStats = { agentId: string, container: string, instance: number, 
/**
 * Percent of one core since the previous sample (none on the first).
 */
cpuPercent: number | null, 
/**
 * Memory in use, not counting reclaimable page cache (as `docker stats`).
 */
memoryBytes: number, memoryLimitBytes: number | null, 
/**
 * Bytes received and sent since the container started.
 */
netRxBytes: number, netTxBytes: number, netRxPerS: number | null, netTxPerS: number | null, atMs: number, source: StatsSource, };

export type Stray = { container: string, state: string, reason: string, };

export type FleetEventRecord = { kind: string, 
/**
 * The event as JSON (the `FleetEvent` shape of the version that wrote it).
 */
detail: Record<string, unknown>, };

export type HistoryEntry = { atMs: number, event: FleetEventRecord, };

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
  fleetStats: () => call<ContainerStats[]>("fleet_stats"),
  statsHistory: (container: string) => call<ContainerStats[]>("stats_history", { container }),
  fleetStrays: () => call<Stray[]>("fleet_strays"),
  agentHistory: (agentId: string) => call<HistoryEntry[]>("agent_history", { agentId }),
  followLogs: (agentId: string, tail: number, onChunk: Channel<string>) => call<number>("follow_logs", { agentId, tail, onChunk }),
  stopLogs: (followId: number) => call<null>("stop_logs", { followId }),
} as const;

/** Event names, built in one place. */
export const events = {
  statusChanged: "status-changed",
  catalogChanged: "catalog-changed",
  deployProgress: "deploy-progress",
  fleetEvent: "fleet-event",
} as const;

/** The payload of each event. */
export type EventPayloads = {
  "status-changed": EngineStatus;
  "catalog-changed": CatalogEvent;
  "deploy-progress": DeployEvent;
  "fleet-event": FleetEvent;
};
