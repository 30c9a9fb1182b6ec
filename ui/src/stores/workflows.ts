// Workflows: the definitions in the workflows folder, the runs of the one
// chosen, and the run open in the detail panel. Runs and steps reload on
// `run-changed` and `step-changed` (coalesced: a run of many steps sends
// many events).
import { create } from "zustand";
import {
  commands,
  events,
  IpcError,
  onEvent,
  type Definition,
  type Run,
  type RunPage,
  type Warning,
} from "../ipc";
import { toIpcError } from "../ipc/call";
import { coalesced } from "./reload";

/** How many runs the list shows (newest first). */
export const RUNS_SHOWN = 50;

/** The workflow id of a definition (its file's name when it did not parse). */
export function definitionId(d: Definition): string {
  if (d.workflow) return d.workflow.id;
  const name = d.file.split("/").pop() ?? d.file;
  return name.replace(/\.json$/, "");
}

type WorkflowsState = {
  definitions: Definition[] | null;
  error: IpcError | null;
  /** The workflow chosen in the list, by id. */
  selected: string | null;
  runs: RunPage | null;
  runsError: IpcError | null;
  /** What would make the chosen workflow's steps fail or wait right now. */
  warnings: Warning[] | null;
  /** The run open in the detail panel. */
  openRun: string | null;
  run: Run | null;
  runError: IpcError | null;
  /** Why the last start, cancel, pause, re-run or decision was refused. */
  actionError: IpcError | null;
  load: () => Promise<void>;
  select: (id: string | null) => void;
  loadRuns: () => Promise<void>;
  loadWarnings: () => Promise<void>;
  open: (runId: string | null) => void;
  loadRun: () => Promise<void>;
  /** Starts a run of the chosen workflow and opens it; rejects with the
   * engine's refusal (e.g. an input of the wrong type). */
  start: (inputs: Record<string, unknown>) => Promise<Run>;
  cancel: () => Promise<void>;
  pause: (pause: boolean) => Promise<void>;
  rerun: (fromStep: string) => Promise<void>;
  decide: (step: string, approve: boolean, note: string) => Promise<void>;
  /** Follows run and step changes; returns the function that stops. */
  follow: () => () => void;
};

export const useWorkflowsStore = create<WorkflowsState>((set, get) => {
  async function act(call: () => Promise<Run>) {
    set({ actionError: null });
    try {
      const run = await call();
      if (get().openRun === run.id) set({ run });
      else get().open(run.id);
    } catch (err) {
      set({ actionError: toIpcError(err) });
    }
    void get().loadRuns();
  }

  return {
    definitions: null,
    error: null,
    selected: null,
    runs: null,
    runsError: null,
    warnings: null,
    openRun: null,
    run: null,
    runError: null,
    actionError: null,
    load: coalesced(
      async () => {
        try {
          const definitions = await commands.listWorkflows();
          set({ definitions, error: null });
          const first = definitions[0];
          if (get().selected === null && first) get().select(definitionId(first));
          else void get().loadWarnings();
        } catch (err) {
          set({ error: toIpcError(err) });
        }
      },
      () => {},
    ),
    select: (id) => {
      if (id === get().selected) return;
      set({ selected: id, runs: null, runsError: null, warnings: null, openRun: null, run: null, actionError: null });
      if (id) {
        void get().loadRuns();
        void get().loadWarnings();
      }
    },
    loadRuns: coalesced(
      async () => {
        const workflowId = get().selected;
        if (!workflowId) return;
        try {
          const runs = await commands.listRuns({ workflowId, limit: RUNS_SHOWN });
          if (get().selected === workflowId) set({ runs, runsError: null });
        } catch (err) {
          if (get().selected === workflowId) set({ runsError: toIpcError(err) });
        }
      },
      () => {},
    ),
    loadWarnings: coalesced(
      async () => {
        const workflowId = get().selected;
        if (!workflowId) return;
        try {
          const warnings = await commands.preflightWorkflow(workflowId);
          if (get().selected === workflowId) set({ warnings });
        } catch {
          // A workflow that cannot be checked shows its problems instead.
          if (get().selected === workflowId) set({ warnings: null });
        }
      },
      () => {},
    ),
    open: (runId) => {
      if (runId === get().openRun) return;
      set({ openRun: runId, run: null, runError: null, actionError: null });
      if (runId) void get().loadRun();
    },
    loadRun: coalesced(
      async () => {
        const id = get().openRun;
        if (!id) return;
        try {
          const run = await commands.getRun(id);
          if (get().openRun === id) set({ run, runError: null });
        } catch (err) {
          if (get().openRun === id) set({ runError: toIpcError(err) });
        }
      },
      () => {},
    ),
    start: async (inputs) => {
      const workflowId = get().selected;
      if (!workflowId) throw new IpcError("invalid_request", "choose a workflow first");
      let run: Run;
      try {
        run = await commands.startRun(workflowId, { inputs });
      } catch (err) {
        throw toIpcError(err);
      }
      get().open(run.id);
      set({ run });
      void get().loadRuns();
      return run;
    },
    cancel: async () => {
      const id = get().openRun;
      if (id) await act(() => commands.cancelRun(id));
    },
    pause: async (pause) => {
      const id = get().openRun;
      if (id) await act(() => commands.pauseRun(id, pause));
    },
    rerun: async (fromStep) => {
      const id = get().openRun;
      if (id) await act(() => commands.rerun(id, fromStep));
    },
    decide: async (step, approve, note) => {
      const id = get().openRun;
      if (id) await act(() => commands.decideStep(id, step, approve, note));
    },
    follow: () => {
      const runs = onEvent(events.runChanged, ({ run }) => {
        if (run.workflowId === get().selected) void get().loadRuns();
        if (run.id === get().openRun) void get().loadRun();
      });
      const steps = onEvent(events.stepChanged, ({ runId }) => {
        if (runId === get().openRun) void get().loadRun();
      });
      // A definition edited anywhere, or the catalog it is checked against.
      const files = onEvent(events.workflowsChanged, () => void get().load());
      const catalog = onEvent(events.catalogChanged, () => void get().load());
      // Agents coming up or going away change what would wait.
      const fleet = onEvent(events.fleetEvent, () => void get().loadWarnings());
      return () => {
        for (const stop of [runs, steps, files, catalog, fleet]) void stop.then((unlisten) => unlisten());
      };
    },
  };
});
