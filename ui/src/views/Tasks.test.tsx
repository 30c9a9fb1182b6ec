import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Task, TasksChanged } from "../ipc";
import { backend, callsOf, fakeEvents, type Answers } from "../ipc/testing";
import { CAPABILITIES, page, summary, task } from "../ipc/fixtures";

const invoke = vi.fn();
const bus = fakeEvents();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({
  listen: (name: string, handler: (event: { payload: unknown }) => void) => bus.listen(name, handler),
}));

const { useCapabilitiesStore } = await import("../stores/catalog");
const { useTasksStore } = await import("../stores/tasks");
const { Tasks } = await import("./Tasks");

/** The backend holding `tasks` (read on every call). */
function answers(tasks: () => Task[], more: Answers = {}): Answers {
  return {
    list_capabilities: CAPABILITIES,
    list_tasks: () => page(tasks()),
    get_task: ({ taskId }) => {
      const found = tasks().find((t) => t.id === taskId);
      if (!found) throw { code: "not_found", message: `no task ${taskId}` };
      return found;
    },
    ...more,
  };
}

function select(testId: string, value: string) {
  fireEvent.change(screen.getByTestId(testId), { target: { value } });
}

function options(testId: string): string[] {
  return [...(screen.getByTestId(testId) as HTMLSelectElement).options].map((o) => o.value);
}

beforeEach(() => {
  invoke.mockReset();
  useCapabilitiesStore.setState(useCapabilitiesStore.getInitialState(), true);
  useTasksStore.setState(useTasksStore.getInitialState(), true);
});
afterEach(cleanup);

describe("Tasks: submit", () => {
  it("offers the task types the chosen capability's (or agent's) agents know", async () => {
    backend(invoke, answers(() => []));
    render(<Tasks />);
    await waitFor(() => expect(options("task-capability")).toEqual(["", "prioritization", "threat_detection"]));
    expect((screen.getByTestId("tasks-submit") as HTMLButtonElement).disabled).toBe(true);

    select("task-capability", "prioritization");
    expect(options("task-agent")).toEqual(["", "AG-001", "AG-003"]);
    expect(options("task-type")).toEqual(["assess", "decompose", "echo", "prioritize"]);
    expect((screen.getByTestId("task-type") as HTMLSelectElement).value).toBe("echo");
    select("task-type", "prioritize");
    expect(screen.getByTestId("task-known-by").textContent).toBe("1 of 2 agents know prioritize");

    // AG-003 does not know `prioritize`: the type falls back to echo.
    select("task-agent", "AG-003");
    expect(options("task-type")).toEqual(["assess", "echo"]);
    expect((screen.getByTestId("task-type") as HTMLSelectElement).value).toBe("echo");
    expect((screen.getByTestId("tasks-submit") as HTMLButtonElement).disabled).toBe(false);
  });

  it("checks the payload as it is typed and sends what the form says", async () => {
    const tasks: Task[] = [];
    backend(
      invoke,
      answers(() => tasks, {
        submit_task: ({ task: t }: Record<string, unknown>) => {
          const created = task("t-new", { status: "queued", ...(t as Partial<Task>), route: null, attemptLog: [] });
          tasks.push(created);
          return created;
        },
      }),
    );
    render(<Tasks />);
    await waitFor(() => expect(options("task-capability")).toContain("prioritization"));
    select("task-capability", "prioritization");

    fireEvent.change(screen.getByTestId("task-payload"), { target: { value: '{"text": ' } });
    expect(screen.getByTestId("task-payload-error").textContent).not.toBe("");
    expect((screen.getByTestId("tasks-submit") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("task-payload"), { target: { value: '{"text": "ping"}' } });
    expect(screen.queryByTestId("task-payload-error")).toBeNull();

    fireEvent.change(screen.getByTestId("task-priority"), { target: { value: "11" } });
    expect((screen.getByTestId("tasks-submit") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("task-priority"), { target: { value: "8" } });
    fireEvent.change(screen.getByTestId("task-timeout"), { target: { value: "30" } });
    fireEvent.change(screen.getByTestId("task-name"), { target: { value: "first" } });
    fireEvent.click(screen.getByTestId("tasks-submit"));

    await screen.findByTestId("task-detail");
    expect(callsOf(invoke, "submit_task")).toEqual([
      {
        task: {
          capability: "prioritization",
          taskType: "echo",
          payload: { text: "ping" },
          priority: 8,
          timeoutMs: 30_000,
          name: "first",
        },
      },
    ]);
    expect(screen.getByTestId("task-submitted").textContent).toBe("Submitted t-new");
    await screen.findByTestId("task-row-t-new");
    expect(screen.getByTestId("task-route-none").textContent).toContain("Not routed yet");
  });

  it("shows the engine's refusal as it says it", async () => {
    backend(
      invoke,
      answers(() => [], {
        submit_task: () => {
          throw { code: "unknown_agent", message: "no agent in the catalog has capability `x` and task type `y`" };
        },
      }),
    );
    render(<Tasks />);
    await waitFor(() => expect(options("task-capability")).toContain("threat_detection"));
    select("task-capability", "threat_detection");
    fireEvent.click(screen.getByTestId("tasks-submit"));
    expect((await screen.findByTestId("task-submit-error")).textContent).toBe(
      "no agent in the catalog has capability `x` and task type `y`",
    );
  });
});

describe("Tasks: list and detail", () => {
  it("lists tasks with counts and filters, and explains the routing of one", async () => {
    const done = task("t-1", { name: "first" });
    const dead = task("t-2", {
      status: "dead",
      capability: "threat_detection",
      error: { code: "unreachable", message: "connection refused" },
      result: null,
      attempts: 3,
    });
    backend(invoke, answers(() => [done, dead]));
    render(<Tasks />);
    await screen.findByTestId("task-row-t-1");
    expect(screen.getByTestId("task-status-t-1").textContent).toBe("succeeded");
    expect(screen.getByTestId("task-duration-t-1").textContent).toBe("42 ms");
    expect(screen.getByTestId("task-count-all").textContent).toBe("all 2");
    expect(screen.getByTestId("task-count-dead").textContent).toBe("dead 1");
    expect(within(screen.getByTestId("task-row-t-2")).getByText("unreachable")).toBeTruthy();

    fireEvent.click(screen.getByTestId("task-count-dead"));
    await waitFor(() => expect(callsOf(invoke, "list_tasks").at(-1)).toEqual({ query: { limit: 200, status: ["dead"] } }));
    select("tasks-filter-capability", "threat_detection");
    await waitFor(() =>
      expect(callsOf(invoke, "list_tasks").at(-1)).toEqual({
        query: { limit: 200, status: ["dead"], capability: "threat_detection" },
      }),
    );

    fireEvent.click(screen.getByTestId("task-row-t-1"));
    const route = await screen.findByTestId("task-route");
    const chosen = within(route).getByTestId("route-candidate-sutazai-ag-003");
    expect(chosen.className).toBe("route-chosen");
    expect(within(chosen).getAllByRole("cell").map((c) => c.textContent)).toEqual([
      "AG-003chosen",
      "sutazai-ag-003",
      "closed",
      "0/4",
      "0 %",
      "300 ms",
      "0.050",
      "",
    ]);
    const open = within(route).getByTestId("route-candidate-sutazai-ag-003-2");
    expect(open.className).toBe("route-excluded");
    expect(within(open).getAllByRole("cell").map((c) => c.textContent).slice(2)).toEqual([
      "open",
      "0/4",
      "100 %",
      "unknown",
      "—",
      "breaker open",
    ]);
    expect(screen.getByTestId("task-route-weights").textContent).toBe(
      "score = load × 0.50 + error rate × 0.30 + latency × 0.20; lowest wins",
    );
    expect(screen.getByTestId("task-result").textContent).toBe('{\n  "text": "hello"\n}');
    expect(screen.getByTestId("task-attempt-1").textContent).toContain("succeeded");
    expect(screen.queryByTestId("task-cancel")).toBeNull();
    expect(screen.queryByTestId("task-requeue")).toBeNull();

    fireEvent.click(screen.getByTestId("task-row-t-2"));
    await waitFor(() => expect(screen.getByTestId("task-detail").getAttribute("aria-label")).toBe("Task t-2"));
    expect(screen.getByTestId("task-error").textContent).toBe("unreachable connection refused");
    expect(screen.getByTestId("task-requeue")).toBeTruthy();
  });

  it("follows changes: the list always, the open task when it changed", async () => {
    let running = task("t-run", { status: "running", finishedMs: null, result: null });
    const other = task("t-other");
    backend(invoke, answers(() => [running, other], { cancel_task: () => (running = { ...running, status: "cancelled" }) }));
    render(<Tasks />);
    fireEvent.click(await screen.findByTestId("task-row-t-run"));
    await screen.findByTestId("task-cancel");
    const gets = () => callsOf(invoke, "get_task").length;
    const lists = () => callsOf(invoke, "list_tasks").length;
    const before = { gets: gets(), lists: lists() };

    const changed = (tasks: Task[], complete = true): TasksChanged => ({ tasks: tasks.map(summary), complete });
    act(() => bus.emit("tasks-changed", changed([other])));
    await waitFor(() => expect(lists()).toBe(before.lists + 1));
    expect(gets()).toBe(before.gets);
    act(() => bus.emit("tasks-changed", changed([running])));
    await waitFor(() => expect(gets()).toBe(before.gets + 1));
    act(() => bus.emit("tasks-changed", changed([], false)));
    await waitFor(() => expect(gets()).toBe(before.gets + 2));

    fireEvent.click(screen.getByTestId("task-cancel"));
    await waitFor(() => expect(screen.getByTestId("task-detail-status").textContent).toBe("cancelled"));
    expect(callsOf(invoke, "cancel_task")).toEqual([{ taskId: "t-run" }]);
    expect(screen.getByTestId("task-requeue")).toBeTruthy();
  });
});
