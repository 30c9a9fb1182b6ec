// The designer against a fake backend: sticky notes (add, write in, undo),
// the problems list that selects its step, and template completion in the
// step's settings.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CAPABILITIES, definition } from "../../ipc/fixtures";
import { backend, fakeEvents } from "../../ipc/testing";

const invoke = vi.fn();
const bus = fakeEvents();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({
  listen: (name: string, handler: (event: { payload: unknown }) => void) => bus.listen(name, handler),
}));


const { useDesignerStore } = await import("../../stores/designer");
const { Designer } = await import("./Designer");

const demo = definition("demo", {
  problems: [
    { step: "write", path: "steps[2].taskType", message: "AG-001 has no task type `juggle`" },
    { step: null, path: "name", message: "expected a name" },
  ],
});

beforeEach(() => {
  localStorage.clear();
  backend(invoke, {
    get_workflow: demo,
    workflow_versions: [],
    get_draft: null,
    list_capabilities: CAPABILITIES,
    list_runs: { runs: [], total: 0 },
    save_draft: null,
    validate_workflow: demo.problems,
  });
});
afterEach(() => {
  cleanup();
  vi.clearAllMocks();
});

async function opened() {
  render(<Designer workflowId="demo" onClose={() => {}} />);
  await waitFor(() => expect(screen.getByTestId("node-write")).toBeTruthy());
}

describe("the designer", () => {
  it("lists the problems; choosing a step's selects it and opens its settings", async () => {
    await opened();
    fireEvent.click(screen.getByTestId("designer-problems-toggle"));
    expect(screen.getByTestId("designer-problems-toggle").textContent).toContain("2 problems");
    // The workflow-level problem is listed, but is not a button.
    expect(screen.getByTestId("designer-problem-1").tagName).toBe("SPAN");
    expect(screen.queryByTestId("step-panel")).toBeNull();
    fireEvent.click(screen.getByTestId("designer-problem-0"));
    await waitFor(() => expect(screen.getByTestId("step-panel").getAttribute("aria-label")).toBe("Step write"));
  });

  it("adds a sticky note, writes in it and undoes it", async () => {
    await opened();
    fireEvent.click(screen.getByTestId("designer-add-note"));
    await waitFor(() => expect(screen.getByTestId("note-note_1")).toBeTruthy());
    fireEvent.doubleClick(screen.getByTestId("note-note_1"));
    const text = screen.getByTestId("note-text-note_1");
    fireEvent.change(text, { target: { value: "ask legal first" } });
    fireEvent.blur(text);
    expect(useDesignerStore.getState().workflow!.notes).toEqual([
      expect.objectContaining({ id: "note_1", text: "ask legal first" }),
    ]);
    await waitFor(() => expect(screen.getByTestId("note-note_1").textContent).toBe("ask legal first"));
    useDesignerStore.temporal.getState().undo();
    expect(useDesignerStore.getState().workflow!.notes![0]!.text).toBe("");
  });

  it("completes a template's names in the step's settings", async () => {
    await opened();
    fireEvent.click(screen.getByTestId("designer-problems-toggle"));
    fireEvent.click(screen.getByTestId("designer-problem-0"));
    const when = (await screen.findByTestId("step-when")) as HTMLInputElement;
    when.focus();
    fireEvent.change(when, { target: { value: "steps.re", selectionStart: 8 } });
    const list = screen.getByTestId("step-when-completions");
    expect([...list.querySelectorAll("li code")].map((c) => c.textContent)).toEqual([
      "steps.research.output",
      "steps.review.output",
    ]);
    fireEvent.keyDown(when, { key: "ArrowDown" });
    fireEvent.keyDown(when, { key: "Enter" });
    expect(useDesignerStore.getState().workflow!.steps[2]!.when).toBe("steps.review.output");
    expect(screen.queryByTestId("step-when-completions")).toBeNull();
  });
});
