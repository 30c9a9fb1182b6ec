// Test fixtures for the Agents view: rows, stats samples, a backend that
// answers by command name, a fake event bus and a fake Tauri Channel.
// Imported by tests only.
import { act } from "@testing-library/react";
import type { Mock } from "vitest";
import type { AgentRow, ContainerStats } from "../../ipc";

/** Stands in for Tauri's Channel: the test calls `onmessage` itself. */
export class FakeChannel<T> {
  id = 0;
  onmessage: (message: T) => void = () => {};
}

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

type Args = Record<string, unknown>;
/** What a command answers: a value, or a function of its arguments (which
 * may return a promise, or throw to reject). */
export type Answers = Record<string, unknown>;

/** Routes each `invoke` to `answers[command]`; anything unanswered rejects
 * the way an unavailable engine does. */
export function backend(invoke: Mock, answers: Answers) {
  invoke.mockImplementation((command: string, args: Args = {}) => {
    if (!(command in answers)) {
      return Promise.reject({ code: "engine_unavailable", message: `unexpected ${command}` });
    }
    const answer = answers[command];
    try {
      return Promise.resolve(typeof answer === "function" ? (answer as (a: Args) => unknown)(args) : answer);
    } catch (err) {
      return Promise.reject(err);
    }
  });
}

type Handler = (event: { payload: unknown }) => void;

/** A stand-in for Tauri's event system: `listen` as the app calls it, and
 * `emit` for the test. */
export function fakeEvents() {
  const handlers = new Map<string, Set<Handler>>();
  return {
    listen(name: string, handler: Handler): Promise<() => void> {
      const set = handlers.get(name) ?? new Set<Handler>();
      set.add(handler);
      handlers.set(name, set);
      return Promise.resolve(() => {
        set.delete(handler);
      });
    },
    emit(name: string, payload: unknown) {
      for (const handler of [...(handlers.get(name) ?? [])]) handler({ payload });
    },
    count(name: string): number {
      return handlers.get(name)?.size ?? 0;
    },
  };
}

/** The calls of `command` so far, by their arguments. */
export function callsOf(invoke: Mock, command: string): Args[] {
  return invoke.mock.calls.filter((c) => c[0] === command).map((c) => (c[1] ?? {}) as Args);
}

/** Sends `text` down the channel of the latest `follow_logs` call. */
export function sendLog(invoke: Mock, text: string) {
  const calls = callsOf(invoke, "follow_logs");
  const channel = calls[calls.length - 1]?.onChunk as FakeChannel<string> | undefined;
  if (!channel) throw new Error("no log is followed");
  act(() => channel.onmessage(text));
}
