import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { definition } from "../ipc/fixtures";
import { backend, callsOf } from "../ipc/testing";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { useDesignerStore, DRAFT_EVERY_MS } = await import("./designer");
const { updateStep } = await import("../views/designer/mapping");

beforeEach(() => {
  invoke.mockReset();
  vi.useFakeTimers();
  backend(invoke, {
    get_workflow: definition("demo"),
    workflow_versions: [{ version: 4, savedMs: 1, savedBy: "desktop", hash: "h" }],
    get_draft: null,
    save_draft: null,
    validate_workflow: [],
    save_workflow: { version: 5, problems: [] },
  });
});
afterEach(() => vi.useRealTimers());

describe("the designer's document", () => {
  it("keeps every edit as a draft, undoes and redoes, and saves a version from its base", async () => {
    const store = useDesignerStore;
    await store.getState().open("demo");
    expect([store.getState().keeping, store.getState().base]).toEqual(["saved", 4]);

    store.getState().edit((w) => updateStep(w, "write", { title: "Write it up" }));
    expect(store.getState().keeping).toBe("unsaved");
    await vi.advanceTimersByTimeAsync(DRAFT_EVERY_MS + 10);
    const drafts = callsOf(invoke, "save_draft");
    expect(drafts).toHaveLength(1);
    expect((drafts[0]!.workflow as { steps: { title: string }[] }).steps[2]!.title).toBe("Write it up");
    expect(drafts[0]!.base).toBe(4);
    expect(store.getState().keeping).toBe("draft-kept");

    store.temporal.getState().undo();
    expect(store.getState().workflow!.steps[2]!.title).toBe("");
    await vi.advanceTimersByTimeAsync(DRAFT_EVERY_MS + 10);
    expect(callsOf(invoke, "save_draft")).toHaveLength(2); // the undo is kept too
    store.temporal.getState().redo();
    expect(store.getState().workflow!.steps[2]!.title).toBe("Write it up");

    await store.getState().save();
    expect(callsOf(invoke, "save_workflow")[0]!.base).toBe(4);
    expect([store.getState().keeping, store.getState().base]).toEqual(["saved", 5]);
  });

  it("saves at once after an edit without a draft landing after the version", async () => {
    const store = useDesignerStore;
    await store.getState().open("demo");
    store.getState().edit((w) => updateStep(w, "write", { title: "Saved before its draft" }));
    await store.getState().save();
    await vi.advanceTimersByTimeAsync(DRAFT_EVERY_MS * 4);
    expect(callsOf(invoke, "save_draft")).toHaveLength(0);
    expect([store.getState().keeping, store.getState().base]).toEqual(["saved", 5]);

    // An undo after the save is an unsaved edit again, and kept as a draft.
    store.temporal.getState().undo();
    expect(store.getState().keeping).toBe("unsaved");
    await vi.advanceTimersByTimeAsync(DRAFT_EVERY_MS + 10);
    expect(callsOf(invoke, "save_draft")).toHaveLength(1);
    expect(callsOf(invoke, "save_draft")[0]!.base).toBe(5);
    expect(store.getState().keeping).toBe("draft-kept");
  });

  it("keeps the undo history across a restart, for the workflow it leads to only", async () => {
    const store = useDesignerStore;
    localStorage.clear();
    await store.getState().open("demo");
    store.getState().edit((w) => updateStep(w, "write", { title: "One" }));
    store.getState().edit((w) => updateStep(w, "write", { title: "Two" }));
    await vi.advanceTimersByTimeAsync(1000);
    const edited = store.getState().workflow!;

    // A restart: nothing in memory; the engine gives back the draft.
    store.getState().close();
    store.temporal.getState().clear();
    backend(invoke, {
      get_workflow: definition("demo"),
      workflow_versions: [{ version: 4, savedMs: 1, savedBy: "desktop", hash: "h" }],
      get_draft: { workflow: structuredClone(edited), base: 4, savedMs: 9 },
      save_draft: null,
      validate_workflow: [],
    });
    await store.getState().open("demo");
    expect(store.temporal.getState().pastStates).toHaveLength(2);
    store.temporal.getState().undo();
    expect(store.getState().workflow!.steps[2]!.title).toBe("One");
    store.temporal.getState().undo();
    expect(store.getState().workflow!.steps[2]!.title).toBe("");
    store.temporal.getState().redo();
    expect(store.getState().workflow!.steps[2]!.title).toBe("One");

    // Changed elsewhere meanwhile (no draft, another saved text): a fresh history.
    await vi.advanceTimersByTimeAsync(1000);
    store.getState().close();
    backend(invoke, {
      get_workflow: definition("demo", { workflow: { ...edited, name: "Edited by hand" } }),
      workflow_versions: [{ version: 5, savedMs: 2, savedBy: "file", hash: "h2" }],
      get_draft: null,
    });
    await store.getState().open("demo");
    expect(store.temporal.getState().pastStates).toHaveLength(0);
  });

  it("reopens the draft a restart left, from the version it started at", async () => {
    const draft = definition("demo").workflow!;
    backend(invoke, {
      get_workflow: definition("demo"),
      workflow_versions: [{ version: 4, savedMs: 1, savedBy: "desktop", hash: "h" }],
      get_draft: { workflow: { ...draft, name: "Edited before the restart" }, base: 3, savedMs: 9 },
    });
    await useDesignerStore.getState().open("demo");
    const state = useDesignerStore.getState();
    expect([state.workflow!.name, state.base, state.keeping]).toEqual(["Edited before the restart", 3, "draft-kept"]);
    expect(useDesignerStore.temporal.getState().pastStates).toHaveLength(0);
  });
});
