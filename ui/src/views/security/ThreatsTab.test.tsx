import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Threat } from "../../ipc";
import { threat } from "../../ipc/fixtures";
import { backend, callsOf, fakeEvents } from "../../ipc/testing";

const invoke = vi.fn();
const bus = fakeEvents();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({
  listen: (name: string, handler: (event: { payload: unknown }) => void) => bus.listen(name, handler),
}));

const { useThreatsStore } = await import("../../stores/threats");
const { ThreatsTab } = await import("./ThreatsTab");

const ids = () => screen.getAllByTestId(/^threat-row-/).map((r) => r.dataset.testid);

beforeEach(() => {
  invoke.mockReset();
  useThreatsStore.setState(useThreatsStore.getInitialState(), true);
});
afterEach(cleanup);

describe("Threats", () => {
  it("lists the inputs newest first with score, patterns and what was done, and follows threat alerts", async () => {
    const state = {
      threats: [
        threat(3, { action: "blocked", score: 0.934, source: "run", by: "desktop" }),
        threat(2, { action: "approved", decidedBy: "desktop", decidedMs: Date.now(), resultId: "task-42" }),
        threat(1, { action: "forwarded", score: 0.4, patterns: ["shell_command"] }),
      ],
    };
    backend(invoke, { list_threats: () => state.threats });
    render(<ThreatsTab />);
    const row = await screen.findByTestId("threat-row-3");
    expect(callsOf(invoke, "list_threats")).toEqual([{ limit: 500 }]);
    expect(ids()).toEqual(["threat-row-3", "threat-row-2", "threat-row-1"]);
    const cells = within(row).getAllByRole("cell").map((c) => c.textContent);
    expect(cells.slice(1, 3)).toEqual(["run", "desktop"]);
    expect(cells[4]).toBe("0.93");
    expect(within(row).getByText("ignore_previous").className).toBe("chip");
    expect(within(row).getByText("system_prompt").className).toBe("chip");
    const excerpt = screen.getByTestId("threat-excerpt-3");
    expect(excerpt.getAttribute("title")).toBe(threat(3).excerpt);
    fireEvent.click(excerpt);
    expect(excerpt.getAttribute("aria-expanded")).toBe("true");
    expect(screen.getByTestId("threat-action-3").textContent).toBe("blocked");
    expect(screen.getByTestId("threat-result-2").textContent).toContain("task-42");
    expect(screen.queryByTestId("threat-approve-3")).toBeNull();
    expect(screen.getByTestId("threats-help").textContent).toContain("above 0.8");

    // Another rule's alert does not reload; a threat alert does.
    act(() => bus.emit("alert-changed", { rule: "agent_down", fired: true }));
    state.threats = [threat(4), ...state.threats];
    act(() => bus.emit("alert-changed", { rule: "threat_found", fired: true }));
    await screen.findByTestId("threat-row-4");
    expect(callsOf(invoke, "list_threats")).toHaveLength(2);
  });

  it("approves a held input, reloads, and shows the task it became", async () => {
    let threats: Threat[] = [threat(1)];
    backend(invoke, {
      list_threats: () => threats,
      approve_threat: ({ id }) => {
        threats = threats.map((t) =>
          t.id === id ? { ...t, action: "approved", decidedBy: "desktop", decidedMs: Date.now(), resultId: "task-7" } : t,
        );
        return threats[0]!;
      },
    });
    render(<ThreatsTab />);
    expect((await screen.findByTestId("threat-action-1")).textContent).toBe("held");
    fireEvent.click(screen.getByTestId("threat-approve-1"));
    await waitFor(() => expect(screen.getByTestId("threat-action-1").textContent).toContain("approved"));
    expect(callsOf(invoke, "approve_threat")).toEqual([{ id: 1 }]);
    expect(callsOf(invoke, "list_threats")).toHaveLength(2);
    expect(screen.getByTestId("threat-result-1").textContent).toContain("task-7");
    expect(screen.queryByTestId("threat-approve-1")).toBeNull();
  });

  it("shows the engine's refusal of a rejection", async () => {
    const refusal = "threat 1 was already decided by key:ops";
    backend(invoke, {
      list_threats: [threat(1)],
      reject_threat: () => {
        throw { code: "conflict", message: refusal };
      },
    });
    render(<ThreatsTab />);
    fireEvent.click(await screen.findByTestId("threat-reject-1"));
    expect((await screen.findByTestId("threat-refusal-1")).textContent).toBe(refusal);
    expect(callsOf(invoke, "reject_threat")).toEqual([{ id: 1 }]);
  });

  it("filters by what was done", async () => {
    backend(invoke, {
      list_threats: [
        threat(5, { action: "rejected", decidedBy: "desktop", decidedMs: Date.now() }),
        threat(4, { action: "approved", decidedBy: "desktop", decidedMs: Date.now(), resultId: "run-1" }),
        threat(3, { action: "forwarded" }),
        threat(2, { action: "blocked" }),
        threat(1),
      ],
    });
    render(<ThreatsTab />);
    await screen.findByTestId("threat-row-5");
    const filter = screen.getByTestId("threats-filter");
    fireEvent.change(filter, { target: { value: "held" } });
    expect(ids()).toEqual(["threat-row-1"]);
    fireEvent.change(filter, { target: { value: "decided" } });
    expect(ids()).toEqual(["threat-row-5", "threat-row-4"]);
    fireEvent.change(filter, { target: { value: "forwarded" } });
    expect(ids()).toEqual(["threat-row-3"]);
    expect(screen.getByTestId("threats-count").textContent).toBe("1 of 5");
    fireEvent.change(filter, { target: { value: "all" } });
    expect(ids()).toHaveLength(5);
  });
});
