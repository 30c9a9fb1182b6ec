// Phase deployment: the phase summaries, and per phase the deploy under way
// or last finished, fed by the backend's `deploy-progress` events. It lives
// outside the view so progress survives switching views.
import { create } from "zustand";
import {
  commands,
  events,
  IpcError,
  onEvent,
  type DeployEvent,
  type DeployReport,
  type DeployStage,
  type FailurePolicy,
  type PhaseSummary,
} from "../ipc";
import { toIpcError } from "../ipc/call";

export type AgentProgress = { stage: DeployStage; reason: string | null };

export type PhaseRun = {
  policy: FailurePolicy;
  /** The deploy or undeploy command has been sent and has not answered. */
  inFlight: boolean;
  /** From the `started` event until the deploy ends. */
  running: boolean;
  /** The phase's agents in dependency order, from `started`. */
  agents: string[];
  /** Each agent's latest stage. */
  stages: Record<string, AgentProgress>;
  memoryNeededMb: number | null;
  memoryAvailableMb: number | null;
  warning: string | null;
  report: DeployReport | null;
  error: IpcError | null;
  undeploying: boolean;
  /** How many containers the last undeploy removed. */
  undeployed: number | null;
  undeployError: IpcError | null;
};

export const IDLE_RUN: PhaseRun = {
  policy: "roll_back",
  inFlight: false,
  running: false,
  agents: [],
  stages: {},
  memoryNeededMb: null,
  memoryAvailableMb: null,
  warning: null,
  report: null,
  error: null,
  undeploying: false,
  undeployed: null,
  undeployError: null,
};

/** Stages after which an agent is done, one way or the other. */
export const DONE_STAGES: ReadonlySet<DeployStage> = new Set(["healthy", "unchanged", "failed", "rolled_back"]);

/** How many of the run's agents are done. */
export function doneCount(run: PhaseRun): number {
  return run.agents.filter((id) => {
    const stage = run.stages[id]?.stage;
    return stage !== undefined && DONE_STAGES.has(stage);
  }).length;
}

/** "20/20 healthy in 5.3 s · 2 unchanged · 1 failed · rolled back". */
export function summaryText(report: DeployReport): string {
  let text = `${report.healthy}/${report.total} healthy in ${(report.elapsedMs / 1000).toFixed(1)} s`;
  if (report.unchanged > 0) text += ` · ${report.unchanged} unchanged`;
  if (report.failed.length > 0) text += ` · ${report.failed.length} failed`;
  if (report.rolledBack) text += " · rolled back";
  return text;
}

type DeployState = {
  summaries: PhaseSummary[] | null;
  summariesError: IpcError | null;
  phases: Record<number, PhaseRun>;
  loadSummaries: () => Promise<void>;
  setPolicy: (phase: number, policy: FailurePolicy) => void;
  /** Deploys a phase with its chosen policy; resolves when the deploy ends. */
  deploy: (phase: number) => Promise<void>;
  undeploy: (phase: number) => Promise<void>;
  /** Applies one `deploy-progress` event. */
  apply: (event: DeployEvent) => void;
  /** Follows `deploy-progress`; returns the function that stops following. */
  follow: () => () => void;
};

// One subscription however many followers (the App and the view both follow).
let followers = 0;
let unlisten: Promise<() => void> | null = null;

export const useDeployStore = create<DeployState>((set, get) => {
  const patch = (phase: number, change: Partial<PhaseRun>) =>
    set((s) => ({ phases: { ...s.phases, [phase]: { ...(s.phases[phase] ?? IDLE_RUN), ...change } } }));
  const run = (phase: number) => get().phases[phase] ?? IDLE_RUN;

  return {
    summaries: null,
    summariesError: null,
    phases: {},
    loadSummaries: async () => {
      try {
        set({ summaries: await commands.phaseSummaries(), summariesError: null });
      } catch (err) {
        set({ summariesError: toIpcError(err) });
      }
    },
    setPolicy: (phase, policy) => patch(phase, { policy }),
    deploy: async (phase) => {
      if (run(phase).inFlight || run(phase).running) return;
      patch(phase, {
        inFlight: true,
        running: false,
        agents: [],
        stages: {},
        warning: null,
        report: null,
        error: null,
        undeployed: null,
        undeployError: null,
      });
      try {
        const report = await commands.deployPhase(phase, run(phase).policy);
        patch(phase, { report, inFlight: false, running: false });
      } catch (err) {
        patch(phase, { error: toIpcError(err), inFlight: false, running: false });
      }
      void get().loadSummaries();
    },
    undeploy: async (phase) => {
      if (run(phase).inFlight || run(phase).running) return;
      patch(phase, { inFlight: true, undeploying: true, undeployed: null, undeployError: null, error: null });
      try {
        const removed = await commands.undeployPhase(phase);
        // The last deploy's progress no longer describes the phase.
        patch(phase, { undeployed: removed, agents: [], stages: {}, warning: null, report: null });
      } catch (err) {
        patch(phase, { undeployError: toIpcError(err) });
      } finally {
        patch(phase, { inFlight: false, undeploying: false });
      }
      void get().loadSummaries();
    },
    apply: (event) => {
      switch (event.kind) {
        case "started":
          patch(event.phase, {
            running: true,
            agents: event.agents,
            stages: Object.fromEntries(event.agents.map((id) => [id, { stage: "pending", reason: null }])),
            memoryNeededMb: event.memoryNeededMb,
            memoryAvailableMb: event.memoryAvailableMb,
            warning: event.warning,
            report: null,
            error: null,
          });
          break;
        case "agent": {
          const current = run(event.phase);
          patch(event.phase, {
            agents: current.agents.includes(event.agentId) ? current.agents : [...current.agents, event.agentId],
            stages: { ...current.stages, [event.agentId]: { stage: event.stage, reason: event.reason } },
          });
          break;
        }
        case "finished":
          patch(event.phase, {
            running: false,
            report: {
              phase: event.phase,
              total: event.total,
              healthy: event.healthy,
              unchanged: event.unchanged,
              failed: event.failed,
              rolledBack: event.rolledBack,
              elapsedMs: event.elapsedMs,
            },
          });
          break;
      }
    },
    follow: () => {
      followers += 1;
      if (followers === 1) unlisten = onEvent(events.deployProgress, (event) => get().apply(event));
      let stopped = false;
      return () => {
        if (stopped) return;
        stopped = true;
        followers -= 1;
        if (followers === 0 && unlisten) {
          const pending = unlisten;
          unlisten = null;
          void pending.then((stop) => stop());
        }
      };
    },
  };
});
