// The run the designer shows on its canvas: drawn with the definition
// version it ran (never today's graph), its steps' states live from the
// engine's events; and what can be done to it there (start, cancel, pause,
// approve or reject, re-run from a step).
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
  /** Why the last start, cancel, pause, decision or re-run was refused. */
  actionError: IpcError | null;
  list: (workflowId: string) => Promise<void>;
  show: (runId: string | null) => Promise<void>;
  reload: () => Promise<void>;
  /** Starts a run of the workflow's saved version and shows it; rejects
   * with the engine's refusal (e.g. an input of the wrong type). */
  start: (workflowId: string, inputs: Record<string, unknown>) => Promise<Run>;
  cancel: () => Promise<void>;
  pause: (pause: boolean) => Promise<void>;
  decide: (step: string, approve: boolean, note: string) => Promise<void>;
  /** Re-runs the shown run from `step` and shows the new run. */
  rerun: (step: string) => Promise<void>;
  /** Follows the shown run's changes; returns the function that stops. */
  follow: (workflowId: string) => () => void;
};

export const useDesignerRunStore = create<DesignerRunState>((set, get) => {
  /** Runs an action on the shown run; the run it answers is shown. */
  async function act(call: (runId: string) => Promise<Run>) {
    const runId = get().runId;
    if (!runId) return;
    set({ actionError: null });
    try {
      const run = await call(runId);
      if (run.id === get().runId) set({ run });
      else await get().show(run.id);
    } catch (err) {
      set({ actionError: toIpcError(err) });
    }
  }

  return {
    runs: [],
    runId: null,
    run: null,
    graph: null,
    error: null,
    actionError: null,
    list: async (workflowId) => {
      try {
        set({ runs: (await commands.listRuns({ workflowId, limit: 20 })).runs });
      } catch (err) {
        set({ error: toIpcError(err) });
      }
    },
    show: async (runId) => {
      set({ runId, run: null, graph: null, error: null, actionError: null });
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
    start: async (workflowId, inputs) => {
      let run: Run;
      try {
        run = await commands.startRun(workflowId, { inputs });
      } catch (err) {
        throw toIpcError(err);
      }
      await get().show(run.id);
      void get().list(workflowId);
      return run;
    },
    cancel: () => act((id) => commands.cancelRun(id)),
    pause: (pause) => act((id) => commands.pauseRun(id, pause)),
    decide: (step, approve, note) => act((id) => commands.decideStep(id, step, approve, note)),
    rerun: (step) => act((id) => commands.rerun(id, step)),
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
  };
});
