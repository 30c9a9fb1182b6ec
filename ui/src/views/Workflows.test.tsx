import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { act } from "react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Definition, Run } from "../ipc";
import { definition, run as makeRun, runStep, runSummary } from "../ipc/fixtures";
import { backend, callsOf, fakeEvents, type Answers } from "../ipc/testing";

const invoke = vi.fn();
const bus = fakeEvents();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({
  listen: (name: string, handler: (event: { payload: unknown }) => void) => bus.listen(name, handler),
}));


const { useWorkflowsStore } = await import("../stores/workflows");
const { Workflows } = await import("./Workflows");

const BROKEN: Definition = {
  file: "/data/workflows/broken.json",
  workflow: null,
  problems: [{ step: null, path: "", message: "not a workflow definition (line 3, column 1): expected `,`" }],
  needs: [],
};

/** A backend holding `runs` (read on every call). */
function answers(runs: () => Run[], more: Answers = {}): Answers {
  return {
    list_workflows: [definition("demo"), BROKEN],
    preflight_workflow: [{ step: "research", message: "no healthy agent can take it; AG-033 can (deploy phase 2): it waits until one is up" }],
    list_runs: () => ({ runs: runs().map(runSummary), total: runs().length }),
    get_run: ({ runId }) => {
      const found = runs().find((r) => r.id === runId);
      if (!found) throw { code: "not_found", message: `no run ${runId}` };
      return found;
    },
    ...more,
  };
}

beforeEach(() => {
  invoke.mockReset();
  useWorkflowsStore.setState(useWorkflowsStore.getInitialState(), true);
});
afterEach(cleanup);

describe("Workflows", () => {
  it("lists every definition, the broken one with its problem, and shows the first one's steps", async () => {
    backend(invoke, answers(() => []));
    render(<Workflows />);
    await waitFor(() => expect(screen.getByTestId("workflow-name").textContent).toBe("Workflow demo"));
    expect(screen.getByTestId("workflow-broken").textContent).toContain("1 problem");
    const steps = within(screen.getByTestId("workflow-steps")).getAllByRole("row");
    expect(steps.map((r) => r.textContent)).toEqual([
      "StepDoesWhoAfter",
      "Researchresearchtaskany research · research_queries",
      "review1 approvala person",
      "writetaskAG-001 · echoreview",
    ]);
    expect(screen.getByText("Not run yet.")).toBeTruthy();
    await waitFor(() => expect(screen.getByTestId("run-warnings").textContent).toContain("research no healthy agent"));

    fireEvent.click(screen.getByTestId("workflow-broken"));
    expect(screen.getByTestId("workflow-problems").textContent).toContain("line 3, column 1");
    expect(screen.queryByTestId("run-form")).toBeNull();
  });

  it("runs with typed inputs, opens the run and follows its steps live", async () => {
    let runs: Run[] = [];
    backend(
      invoke,
      answers(() => runs, {
        start_run: ({ workflowId, run }) => {
          const started = makeRun("r-1", { workflowId, status: "queued", inputs: run.inputs });
          runs = [started];
          return started;
        },
      }),
    );
    render(<Workflows />);
    await waitFor(() => expect(screen.getByTestId("run-input-items")).toBeTruthy());
    fireEvent.change(screen.getByTestId("run-input-items"), { target: { value: "[oops" } });
    expect(screen.getByText(/expected JSON \(a list/)).toBeTruthy();
    expect((screen.getByTestId("run-start") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("run-input-items"), { target: { value: '["x", "y", "z"]' } });
    fireEvent.click(screen.getByTestId("run-start"));
    await waitFor(() => expect(screen.getByTestId("run-status").textContent).toBe("queued"));
    expect(callsOf(invoke, "start_run")).toEqual([
      { workflowId: "demo", run: { inputs: { topic: "rust", items: ["x", "y", "z"] } } },
    ]);

    // The step ends: the engine says so, the view reads the run again.
    runs = [
      makeRun("r-1", {
        steps: [
          runStep("research", {
            status: "succeeded",
            startedMs: 1,
            finishedMs: 1_201,
            input: { topic: "rust" },
            output: { queries: ["rust async"] },
            tasks: [
              {
                item: null,
                taskId: "t-9",
                agent: "AG-033",
                why: "AG-033 (sutazai-ag-033) scored best of 2 candidate(s) for `research`",
                attempts: 1,
                outcome: "succeeded",
                tokens: 42,
                durationMs: 1200,
              },
            ],
          }),
          runStep("review", { kind: "approval", status: "waiting", approvals: 1 }),
          runStep("write"),
        ],
      }),
    ];
    act(() => bus.emit("step-changed", { runId: "r-1", step: runs[0]!.steps[0] }));
    await waitFor(() => expect(screen.getByTestId("step-status-research").textContent).toBe("succeeded"));
    expect(screen.getByTestId("run-step-research").textContent).toContain("AG-033");
    expect(screen.getByTestId("run-step-research").textContent).toContain("1.2 s");
    fireEvent.click(screen.getByTestId("run-step-research"));
    expect(screen.getByTestId("step-output-research").textContent).toContain("rust async");
    expect(screen.getByTestId("step-io-research").textContent).toContain("scored best of 2");
  });

  it("approves a waiting step, cancels, and re-runs from a step once the run ended", async () => {
    let runs: Run[] = [
      makeRun("r-1", {
        status: "waiting",
        steps: [
          runStep("research", { status: "succeeded" }),
          runStep("review", { kind: "approval", status: "waiting", approvals: 1 }),
          runStep("write"),
        ],
      }),
    ];
    backend(
      invoke,
      answers(() => runs, {
        decide_step: ({ runId }) => runs.find((r) => r.id === runId)!,
        cancel_run: ({ runId }) => {
          runs = runs.map((r) => (r.id === runId ? { ...r, status: "cancelled", finishedMs: r.createdMs + 5 } : r));
          return runs[0]!;
        },
        rerun: ({ runId, fromStep }) => {
          const again = makeRun("r-2", { rerunOf: runId, fromStep, saved: { steps: 1, ms: 1200, tokens: 42 } });
          runs = [again, ...runs];
          return again;
        },
      }),
    );
    render(<Workflows />);
    await waitFor(() => expect(screen.getByTestId("run-row-r-1")).toBeTruthy());
    fireEvent.click(screen.getByTestId("run-row-r-1"));
    await waitFor(() => expect(screen.getByTestId("step-approve-review")).toBeTruthy());
    expect(screen.queryByTestId("step-rerun-research")).toBeNull();
    fireEvent.change(screen.getByTestId("step-note-review"), { target: { value: "ship it" } });
    fireEvent.click(screen.getByTestId("step-approve-review"));
    await waitFor(() => expect(callsOf(invoke, "decide_step")).toHaveLength(1));
    expect(callsOf(invoke, "decide_step")[0]).toEqual({ runId: "r-1", step: "review", approve: true, note: "ship it" });

    fireEvent.click(screen.getByTestId("run-cancel"));
    await waitFor(() => expect(screen.getByTestId("run-status").textContent).toBe("cancelled"));
    fireEvent.click(screen.getByTestId("step-rerun-write"));
    await waitFor(() => expect(screen.getByTestId("run-saved").textContent).toContain("reused 1 step: saved 1.2 s and 42 tokens"));
    expect(callsOf(invoke, "rerun")).toEqual([{ runId: "r-1", fromStep: "write" }]);
  });

  it("reloads the definitions when a file changes in the folder", async () => {
    let listed: Definition[] = [definition("demo")];
    backend(invoke, answers(() => [], { list_workflows: () => listed }));
    render(<Workflows />);
    await waitFor(() => expect(screen.getByTestId("workflow-demo")).toBeTruthy());
    listed = [definition("demo"), definition("added", { workflow: { ...definition("added").workflow!, name: "Added on disk" } })];
    act(() => bus.emit("workflows-changed", { files: ["added.json"] }));
    await waitFor(() => expect(screen.getByTestId("workflow-added").textContent).toContain("Added on disk"));
  });

  it("makes a new, empty workflow and opens it in the designer", async () => {
    backend(invoke, answers(() => [], { create_workflow: { version: 1, problems: [] } }));
    render(<Workflows />);
    await waitFor(() => expect(screen.getByTestId("workflow-demo")).toBeTruthy());
    fireEvent.change(screen.getByTestId("new-workflow-name"), { target: { value: "Nightly Report!" } });
    fireEvent.click(screen.getByTestId("new-workflow-create"));
    await waitFor(() => expect(callsOf(invoke, "create_workflow")).toHaveLength(1));
    expect(callsOf(invoke, "create_workflow")[0]).toEqual({
      workflow: { id: "nightly_report", name: "Nightly Report!", description: "", inputs: [], outputs: [], steps: [] },
    });
    await waitFor(() => expect(screen.getByTestId("designer")).toBeTruthy());
  });

  it("says why the engine refused a run", async () => {
    backend(
      invoke,
      answers(() => [], {
        start_run: () => {
          throw { code: "invalid_request", message: "inputs.topic: expected a string" };
        },
      }),
    );
    render(<Workflows />);
    await waitFor(() => expect(screen.getByTestId("run-start")).toBeTruthy());
    fireEvent.click(screen.getByTestId("run-start"));
    await waitFor(() =>
      expect(screen.getByTestId("run-start-error").textContent).toBe("inputs.topic: expected a string"),
    );
  });
});
