// A version of the workflow open in the designer saved elsewhere (the API,
// another window, the file edited by hand): found when the workflows folder
// changes or a save is refused as stale, and never overwritten in silence.
// With no edit here the designer simply takes it; with one, the person
// chooses: merge it into the edit, keep the edit as a copy, or take theirs.
import { create } from "zustand";
import { commands, IpcError, type VersionInfo } from "../ipc";
import { toIpcError } from "../ipc/call";
import { merge } from "./workflowMerge";
import { useDesignerStore } from "./designer";

export type Resolution = "merge" | "copy" | "theirs";

type OutsideState = {
  /** The newer version saved elsewhere while this edit was open. */
  newer: VersionInfo | null;
  /** What a merge kept from this edit where both sides changed it. */
  clashes: string[];
  error: IpcError | null;
  /** Looks for a newer version of the workflow open. */
  check: () => Promise<void>;
  /** Resolves it; `copy` returns the id of the copy made of this edit. */
  resolve: (how: Resolution) => Promise<string | null>;
  reset: () => void;
};

/** A free id for a copy of `id` (`<id>_copy`, `<id>_copy_2`, …). */
async function copyId(id: string): Promise<string> {
  const taken = new Set((await commands.listWorkflows()).flatMap((d) => (d.workflow ? [d.workflow.id] : [])));
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? `${id}_copy` : `${id}_copy_${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

export const useOutsideStore = create<OutsideState>((set, get) => ({
  newer: null,
  clashes: [],
  error: null,
  check: async () => {
    const { workflow, base, keeping } = useDesignerStore.getState();
    // Our own save's change comes back as a folder change: not another's.
    if (!workflow || keeping === "saving" || keeping === "loading") return;
    try {
      const newest = (await commands.workflowVersions(workflow.id))[0];
      if (!newest || base === null || newest.version <= base) return;
      if (useDesignerStore.getState().keeping === "saved") {
        // Nothing edited here: take the new version as it is.
        await useDesignerStore.getState().open(workflow.id);
        return;
      }
      set({ newer: newest, error: null });
    } catch (err) {
      set({ error: toIpcError(err) });
    }
  },
  resolve: async (how) => {
    const newer = get().newer;
    const { workflow, base } = useDesignerStore.getState();
    if (!newer || !workflow) return null;
    set({ error: null });
    try {
      if (how === "theirs") {
        await commands.discardDraft(workflow.id);
        await useDesignerStore.getState().open(workflow.id);
        set({ newer: null, clashes: [] });
        return null;
      }
      if (how === "copy") {
        const id = await copyId(workflow.id);
        await commands.createWorkflow({ ...workflow, id, name: `${workflow.name} (my copy)` });
        await commands.discardDraft(workflow.id);
        set({ newer: null, clashes: [] });
        return id;
      }
      const [was, theirs] = await Promise.all([
        base === null ? Promise.resolve(workflow) : commands.workflowVersion(workflow.id, base),
        commands.workflowVersion(workflow.id, newer.version),
      ]);
      const merged = merge(was, workflow, theirs);
      // An edit like any other: undoable, kept as a draft, from the newer base.
      useDesignerStore.setState({ base: newer.version });
      useDesignerStore.getState().edit(() => merged.workflow);
      set({ newer: null, clashes: merged.clashes });
      return null;
    } catch (err) {
      set({ error: toIpcError(err) });
      return null;
    }
  },
  reset: () => set({ newer: null, clashes: [], error: null }),
}));

// A save refused because a newer version exists is the same news.
useDesignerStore.subscribe((state, before) => {
  if (state.keeping === "failed" && before.keeping === "saving" && state.error?.code === "conflict") {
    useDesignerStore.setState({ keeping: "unsaved", error: null });
    void useOutsideStore.getState().check();
  }
});
