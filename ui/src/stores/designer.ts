// The designer's document: the workflow being edited, the version it
// started from, and whether the edit is kept. Every change goes to the
// engine as a draft at once (so nothing is lost before Save); undo and redo
// are zundo's history of the workflow alone, kept across restarts
// (designerHistory).
import { create } from "zustand";
import { temporal } from "zundo";
import { commands, IpcError, type Workflow, type WorkflowProblem } from "../ipc";
import { toIpcError } from "../ipc/call";
import { keepHistory, takeHistory } from "./designerHistory";

/** How long edits gather before the draft is written (a drag sends many). */
export const DRAFT_EVERY_MS = 250;

export type Keeping = "loading" | "saved" | "unsaved" | "draft-kept" | "saving" | "failed";

type DesignerState = {
  workflow: Workflow | null;
  /** The saved version the edit started from; null for a new workflow. */
  base: number | null;
  keeping: Keeping;
  /** Why the last save, draft or load failed. */
  error: IpcError | null;
  problems: WorkflowProblem[];
  /** Opens a workflow: its draft when one was left, else the saved definition. */
  open: (id: string) => Promise<void>;
  /** Applies an edit (undoable) and keeps it as a draft. */
  edit: (change: (workflow: Workflow) => Workflow) => void;
  /** Saves the edit as a new version. */
  save: () => Promise<void>;
  close: () => void;
};

export const useDesignerStore = create<DesignerState>()(
  temporal(
    (set, get) => ({
      workflow: null,
      base: null,
      keeping: "loading",
      error: null,
      problems: [],
      open: async (id) => {
        set({ workflow: null, keeping: "loading", error: null, problems: [] });
        try {
          const [definition, versions, draft] = await Promise.all([
            commands.getWorkflow(id),
            commands.workflowVersions(id),
            commands.getDraft(id),
          ]);
          const workflow = draft?.workflow ?? definition.workflow;
          if (!workflow) throw new IpcError("invalid_workflow", definition.problems.map((p) => p.message).join("; "));
          set({
            workflow,
            base: draft ? draft.base : (versions[0]?.version ?? null),
            keeping: draft ? "draft-kept" : "saved",
            problems: definition.problems,
          });
        } catch (err) {
          set({ error: toIpcError(err), keeping: "failed" });
        }
        useDesignerStore.temporal.getState().clear();
        const opened = get().workflow;
        const kept = opened && takeHistory(id, opened);
        if (kept) {
          useDesignerStore.temporal.setState({
            pastStates: kept.past.map((workflow) => ({ workflow })),
            futureStates: kept.future.map((workflow) => ({ workflow })),
          });
        }
      },
      edit: (change) => {
        const workflow = get().workflow;
        if (!workflow) return;
        set({ workflow: change(workflow), keeping: "unsaved" });
      },
      save: async () => {
        if (!get().workflow) return;
        set({ keeping: "saving", error: null });
        // A draft still gathering or being written would land after the
        // version and come back as an unsaved edit: drop or finish it first.
        await settleDraft();
        const { workflow, base } = get();
        if (!workflow) return;
        try {
          const saved = await commands.saveWorkflow(workflow, base);
          // An edit made while saving stays an unsaved edit of the new version.
          const edited = get().workflow !== workflow;
          set({ base: saved.version, keeping: edited ? "unsaved" : "saved", problems: saved.problems });
          if (edited) keepDraft();
        } catch (err) {
          set({ keeping: "failed", error: toIpcError(err) });
        }
      },
      close: () => set({ workflow: null, keeping: "loading", error: null, problems: [] }),
    }),
    {
      partialize: (state) => ({ workflow: state.workflow }),
      // Only a change of the workflow is a step of the history.
      equality: (before, after) => before.workflow === after.workflow,
      limit: 500,
    },
  ),
);

let timer: ReturnType<typeof setTimeout> | null = null;
let writing: Promise<unknown> = Promise.resolve();

/** Drops the draft still gathering and waits for the one being written. */
async function settleDraft(): Promise<void> {
  if (timer) clearTimeout(timer);
  timer = null;
  await writing.catch(() => undefined);
}

/** Writes the draft of every edit, undo and redo included, gathered over
 * [`DRAFT_EVERY_MS`]. */
useDesignerStore.subscribe((state, before) => {
  if (!state.workflow || state.workflow === before.workflow || state.keeping === "loading") return;
  if (before.workflow === null) return; // just opened
  // An undo or redo changes the workflow alone: it is an unsaved edit too.
  if (state.keeping !== "unsaved" && state.keeping !== "saving") useDesignerStore.setState({ keeping: "unsaved" });
  keepDraft();
});

/** Writes the draft of the workflow as it is after [`DRAFT_EVERY_MS`]. */
function keepDraft() {
  if (timer) clearTimeout(timer);
  timer = setTimeout(() => {
    timer = null;
    const { workflow, base } = useDesignerStore.getState();
    if (!workflow) return;
    writing = commands.saveDraft(workflow, base).then(
      () => {
        const now = useDesignerStore.getState();
        if (now.workflow === workflow && now.keeping === "unsaved") useDesignerStore.setState({ keeping: "draft-kept" });
      },
      (err) => useDesignerStore.setState({ keeping: "failed", error: toIpcError(err) }),
    );
    void commands.validateWorkflow(workflow).then((problems) => {
      if (useDesignerStore.getState().workflow === workflow) useDesignerStore.setState({ problems });
    });
  }, DRAFT_EVERY_MS);
}

/** Keeps the undo history of the workflow open whenever it or the workflow
 * changes: at once (a microtask gathers the two stores' news), as the app
 * may close right after. Each new state is written once (designerHistory). */
let keeping = false;
function keepSoon() {
  if (keeping) return;
  keeping = true;
  queueMicrotask(() => {
    keeping = false;
    const { workflow } = useDesignerStore.getState();
    if (!workflow) return;
    const { pastStates, futureStates } = useDesignerStore.temporal.getState();
    const states = (list: typeof pastStates) => list.flatMap((s) => (s.workflow ? [s.workflow] : []));
    const past = states(pastStates);
    keepHistory(workflow.id, [...past, workflow, ...states(futureStates)], past.length);
  });
}
useDesignerStore.temporal.subscribe(keepSoon);
useDesignerStore.subscribe((state, before) => {
  if (state.workflow !== before.workflow && state.keeping !== "loading") keepSoon();
});
