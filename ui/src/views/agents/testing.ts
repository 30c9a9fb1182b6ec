// Test fixtures for the Agents view: rows and stats samples. The fake
// backend they are served through lives in src/ipc/testing.ts.
// Imported by tests only.
import type { AgentRow, ContainerStats } from "../../ipc";

export function agent(id: string, change: Partial<AgentRow>): AgentRow {
  return {
    id,
    name: `agent-${id.toLowerCase()}`,
    title: `Agent ${id}`,
    phase: 1,
    kind: "core",
    port: 10000,
    capabilities: [],
    status: "not_deployed",
    containerId: null,
    healthyAtMs: null,
    restarts: 0,
    reason: null,
    instances: 0,
    ...change,
  };
}

export const ROWS: AgentRow[] = [
  agent("AG-001", {
    name: "agi-system-orchestrator",
    title: "AGI System Orchestrator",
    capabilities: ["orchestration", "task_decomposition"],
    status: "healthy",
    containerId: "0123456789abcdef0123",
    healthyAtMs: Date.now(),
    restarts: 1,
    instances: 1,
  }),
  agent("AG-017", {
    name: "adversarial-attack-detector",
    title: "Adversarial Attack Detector",
    kind: "security",
    capabilities: ["threat_detection", "security_audit"],
    status: "stopped",
    containerId: "fedcba9876543210",
    reason: "Exited (1) 3 minutes ago",
    instances: 0,
  }),
  agent("AG-030", {
    name: "code-generator",
    title: "Code Generator",
    phase: 2,
    capabilities: ["code_generation", "orchestration"],
    status: "unhealthy",
    containerId: "aaaabbbbccccdddd",
    reason: "http://127.0.0.1:10330/health says degraded",
    instances: 1,
  }),
  agent("AG-060", {
    name: "document-summariser",
    title: "Document Summariser",
    phase: 3,
    capabilities: ["summarisation"],
  }),
];

export const MB = 1024 * 1024;

/** One sample of instance `instance` of `agentId`. */
export function sample(agentId: string, instance: number, change: Partial<ContainerStats> = {}): ContainerStats {
  const base = `sutazai-${agentId.toLowerCase()}`;
  return {
    agentId,
    container: instance === 1 ? base : `${base}-${instance}`,
    instance,
    cpuPercent: 1,
    memoryBytes: 10 * MB,
    memoryLimitBytes: 64 * MB,
    netRxBytes: 0,
    netTxBytes: 0,
    netRxPerS: 0,
    netTxPerS: 0,
    atMs: Date.now(),
    source: "cgroup_v2",
    ...change,
  };
}
