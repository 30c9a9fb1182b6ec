// The run the designer shows on its canvas: drawn with the definition
// version it ran (never today's graph), its steps' states live from the
// engine's events.
import { create } from "zustand";
import { commands, events, IpcError, onEvent, type Run, type RunSummary, type Workflow } from "../ipc";
import { toIpcError } from "../ipc/call";
import { coalesced } from "./reload";

type DesignerRunState = {
  /** Recent runs of the workflow, newest first. */
  runs: RunSummary[];
  runId: string | null;
  run: Run | null;
  /** The version the run pinned. */
  graph: Workflow | null;
  error: IpcError | null;
  list: (workflowId: string) => Promise<void>;
  show: (runId: string | null) => Promise<void>;
  reload: () => Promise<void>;
  /** Follows the shown run's changes; returns the function that stops. */
  follow: (workflowId: string) => () => void;
};

export const useDesignerRunStore = create<DesignerRunState>((set, get) => ({
  runs: [],
  runId: null,
  run: null,
  graph: null,
  error: null,
  list: async (workflowId) => {
    try {
      set({ runs: (await commands.listRuns({ workflowId, limit: 20 })).runs });
    } catch (err) {
      set({ error: toIpcError(err) });
    }
  },
  show: async (runId) => {
    set({ runId, run: null, graph: null, error: null });
    if (!runId) return;
    try {
      const [run, graph] = await Promise.all([commands.getRun(runId), commands.runDefinition(runId)]);
      if (get().runId === runId) set({ run, graph });
    } catch (err) {
      set({ error: toIpcError(err) });
    }
  },
  reload: coalesced(
    async () => {
      const runId = get().runId;
      if (!runId) return;
      try {
        const run = await commands.getRun(runId);
        if (get().runId === runId) set({ run });
      } catch (err) {
        set({ error: toIpcError(err) });
      }
    },
    () => {},
  ),
  follow: (workflowId) => {
    const steps = onEvent(events.stepChanged, ({ runId }) => {
      if (runId === get().runId) void get().reload();
    });
    const runs = onEvent(events.runChanged, ({ run }) => {
      if (run.workflowId === workflowId) void get().list(workflowId);
      if (run.id === get().runId) void get().reload();
    });
    return () => {
      for (const stop of [steps, runs]) void stop.then((unlisten) => unlisten());
    };
  },
}));
