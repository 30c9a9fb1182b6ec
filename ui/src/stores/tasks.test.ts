import { beforeEach, describe, expect, it, vi } from "vitest";
import { backend, callsOf } from "../ipc/testing";
import { page, summary, task } from "../ipc/fixtures";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({ listen: () => Promise.resolve(() => {}) }));

const { concerns, queryOf, useTasksStore } = await import("./tasks");
const { IpcError } = await import("../ipc");

beforeEach(() => {
  invoke.mockReset();
  useTasksStore.setState({ filter: { status: null, capability: null }, page: null, selected: null, detail: null });
});

describe("tasks store", () => {
  it("asks for the newest page under the filters", () => {
    expect(queryOf({ status: null, capability: null })).toEqual({ limit: 200 });
    expect(queryOf({ status: "dead", capability: "code_generation" })).toEqual({
      limit: 200,
      status: ["dead"],
      capability: "code_generation",
    });
  });

  it("reloads an open task when a change names it or may have", () => {
    const changed = { tasks: [summary(task("t-1"))], complete: true };
    expect(concerns(changed, "t-1")).toBe(true);
    expect(concerns(changed, "t-2")).toBe(false);
    expect(concerns({ tasks: [], complete: false }, "t-2")).toBe(true);
  });

  it("opens a submitted task; a refusal rejects with its code", async () => {
    const created = task("t-9", { status: "queued" });
    backend(invoke, { submit_task: created, list_tasks: page([created]), get_task: created });
    await useTasksStore.getState().submit({ capability: "x", taskType: "echo", payload: {} });
    expect(useTasksStore.getState().selected).toBe("t-9");
    expect(useTasksStore.getState().detail?.id).toBe("t-9");
    await vi.waitFor(() => expect(useTasksStore.getState().page?.total).toBe(1));

    const message = "priority: expected 1 (lowest) to 10 (highest), found 0";
    backend(invoke, { submit_task: () => Promise.reject({ code: "invalid_request", message }) });
    const refused = useTasksStore.getState().submit({ taskType: "echo", payload: {}, priority: 0 });
    await expect(refused).rejects.toBeInstanceOf(IpcError);
    await expect(refused).rejects.toMatchObject({ code: "invalid_request", message });
    expect(callsOf(invoke, "submit_task").at(-1)).toEqual({ task: { taskType: "echo", payload: {}, priority: 0 } });
  });
});
