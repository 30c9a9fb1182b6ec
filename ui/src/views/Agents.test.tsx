import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AgentRow } from "../ipc";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn(() => Promise.resolve(() => {})) }));

const { useAgentsStore } = await import("../stores/agents");
const { Agents } = await import("./Agents");

function agent(id: string, change: Partial<AgentRow>): AgentRow {
  return {
    id,
    name: `agent-${id.toLowerCase()}`,
    title: `Agent ${id}`,
    phase: 1,
    kind: "core",
    port: 10000,
    capabilities: [],
    status: "not_deployed",
    containerId: null,
    healthyAtMs: null,
    restarts: 0,
    reason: null,
    ...change,
  };
}

const ROWS: AgentRow[] = [
  agent("AG-001", {
    name: "agi-system-orchestrator",
    title: "AGI System Orchestrator",
    capabilities: ["orchestration", "task_decomposition"],
    status: "healthy",
    containerId: "0123456789abcdef0123",
    healthyAtMs: Date.now(),
    restarts: 1,
  }),
  agent("AG-017", {
    name: "adversarial-attack-detector",
    title: "Adversarial Attack Detector",
    kind: "security",
    capabilities: ["threat_detection", "security_audit"],
    status: "stopped",
    containerId: "fedcba9876543210",
    reason: "Exited (1) 3 minutes ago",
  }),
  agent("AG-030", {
    name: "code-generator",
    title: "Code Generator",
    phase: 2,
    capabilities: ["code_generation", "orchestration"],
    status: "unhealthy",
    containerId: "aaaabbbbccccdddd",
    reason: "http://127.0.0.1:10330/health says degraded",
  }),
  agent("AG-060", {
    name: "document-summariser",
    title: "Document Summariser",
    phase: 3,
    capabilities: ["summarisation"],
  }),
];

/** Answers each command; `listAgents` answers `rows` (read on every call). */
function backend(rows: () => AgentRow[], logs = "line one\nline two\n") {
  invoke.mockImplementation((command: string) => {
    switch (command) {
      case "list_agents":
        return Promise.resolve(rows());
      case "agent_logs":
        return Promise.resolve(logs);
      case "agent_action":
        return Promise.resolve(null);
      default:
        return Promise.reject({ code: "engine_unavailable", message: `unexpected ${command}` });
    }
  });
}

function ids(): string[] {
  return screen
    .getAllByTestId(/^agent-row-/)
    .map((row) => row.getAttribute("data-testid")!.replace("agent-row-", ""));
}

async function shown() {
  render(<Agents />);
  await screen.findByTestId("agents-table");
}

beforeEach(() => {
  invoke.mockReset();
  useAgentsStore.setState({ rows: null, error: null, loading: false });
});
afterEach(cleanup);

describe("Agents", () => {
  it("lists every agent with its status badge, health age and restarts", async () => {
    const healthyAtMs = Date.now() - 2000;
    backend(() => ROWS.map((r) => (r.id === "AG-001" ? { ...r, healthyAtMs } : r)));
    await shown();
    expect(ids()).toEqual(["AG-001", "AG-017", "AG-030", "AG-060"]);
    expect(screen.getByTestId("agents-count").textContent).toBe("4 of 4 agents");

    const healthy = screen.getByTestId("agent-status-AG-001");
    expect(healthy.textContent).toBe("healthy");
    expect(healthy.className).toContain("badge-connected");
    expect(screen.getByTestId("agent-status-AG-017").textContent).toBe("stopped");
    expect(screen.getByTestId("agent-status-AG-017").className).toContain("badge-unreachable");
    expect(screen.getByTestId("agent-status-AG-030").className).toContain("badge-unreachable");
    const idle = screen.getByTestId("agent-status-AG-060");
    expect(idle.textContent).toBe("not deployed");
    expect(idle.className).toContain("badge-idle");

    const first = within(screen.getByTestId("agent-row-AG-001"));
    expect(first.getByText("AGI System Orchestrator").className).toContain("muted");
    expect(first.getByText("2 s ago")).toBeTruthy();
    const cells = first.getAllByRole("cell").map((c) => c.textContent);
    expect(cells.slice(0, 3)).toEqual(["AG-001", "agi-system-orchestratorAGI System Orchestrator", "1"]);
    expect(cells[6]).toBe("1"); // restarts
    expect(within(screen.getByTestId("agent-row-AG-060")).getByText("—")).toBeTruthy();
    expect(invoke).toHaveBeenCalledWith("list_agents", undefined);
  });

  it("offers only the actions that fit each status", async () => {
    backend(() => ROWS);
    await shown();
    // Running (healthy or unhealthy): stop, restart, logs; no start.
    for (const id of ["AG-001", "AG-030"]) {
      expect(screen.queryByTestId(`action-start-${id}`)).toBeNull();
      expect(screen.getByTestId(`action-stop-${id}`)).toBeTruthy();
      expect(screen.getByTestId(`action-restart-${id}`)).toBeTruthy();
      expect(screen.getByTestId(`action-logs-${id}`)).toBeTruthy();
    }
    // Stopped: start and logs.
    expect(screen.getByTestId("action-start-AG-017")).toBeTruthy();
    expect(screen.queryByTestId("action-stop-AG-017")).toBeNull();
    expect(screen.getByTestId("action-logs-AG-017")).toBeTruthy();
    // Not deployed: nothing.
    expect(within(screen.getByTestId("agent-row-AG-060")).queryAllByRole("button")).toHaveLength(0);
  });

  it("narrows the rows by phase, status, capability and search", async () => {
    backend(() => ROWS);
    await shown();
    const capabilityOptions = [...(screen.getByTestId("filter-capability") as HTMLSelectElement).options].map(
      (o) => o.value,
    );
    expect(capabilityOptions).toEqual([
      "",
      "code_generation",
      "orchestration",
      "security_audit",
      "summarisation",
      "task_decomposition",
      "threat_detection",
    ]);

    fireEvent.change(screen.getByTestId("filter-phase"), { target: { value: "1" } });
    expect(ids()).toEqual(["AG-001", "AG-017"]);
    expect(screen.getByTestId("agents-count").textContent).toBe("2 of 4 agents");

    fireEvent.change(screen.getByTestId("filter-status"), { target: { value: "stopped" } });
    expect(ids()).toEqual(["AG-017"]);

    fireEvent.change(screen.getByTestId("filter-phase"), { target: { value: "" } });
    fireEvent.change(screen.getByTestId("filter-status"), { target: { value: "" } });
    fireEvent.change(screen.getByTestId("filter-capability"), { target: { value: "orchestration" } });
    expect(ids()).toEqual(["AG-001", "AG-030"]);

    fireEvent.change(screen.getByTestId("filter-capability"), { target: { value: "" } });
    fireEvent.change(screen.getByTestId("agent-search"), { target: { value: "ATTACK" } });
    expect(ids()).toEqual(["AG-017"]);
    fireEvent.change(screen.getByTestId("agent-search"), { target: { value: "summarisation" } });
    expect(ids()).toEqual(["AG-060"]);
    fireEvent.change(screen.getByTestId("agent-search"), { target: { value: "ag-03" } });
    expect(ids()).toEqual(["AG-030"]);
    fireEvent.change(screen.getByTestId("agent-search"), { target: { value: "code generator" } });
    expect(ids()).toEqual(["AG-030"]);
    expect(screen.getByTestId("agents-count").textContent).toBe("1 of 4 agents");

    fireEvent.change(screen.getByTestId("agent-search"), { target: { value: "nothing like this" } });
    expect(screen.queryAllByTestId(/^agent-row-/)).toHaveLength(0);
    expect(screen.getByText("No agent matches these filters.")).toBeTruthy();
  });

  it("sends each action with the agent's id and reloads the list right after", async () => {
    let rows = ROWS;
    backend(() => rows);
    await shown();

    rows = ROWS.map((r) => (r.id === "AG-017" ? { ...r, status: "healthy", reason: null } : r));
    fireEvent.click(screen.getByTestId("action-start-AG-017"));
    await waitFor(() => expect(screen.getByTestId("agent-status-AG-017").textContent).toBe("healthy"));
    expect(invoke).toHaveBeenCalledWith("agent_action", { agentId: "AG-017", action: "start" });

    fireEvent.click(screen.getByTestId("action-stop-AG-001"));
    await waitFor(() => expect(invoke).toHaveBeenCalledWith("agent_action", { agentId: "AG-001", action: "stop" }));
    fireEvent.click(screen.getByTestId("action-restart-AG-030"));
    await waitFor(() =>
      expect(invoke).toHaveBeenCalledWith("agent_action", { agentId: "AG-030", action: "restart" }),
    );
    // An action button does not open the detail panel.
    expect(screen.queryByTestId("agent-detail")).toBeNull();
  });

  it("shows an action's error message as sent", async () => {
    backend(() => ROWS);
    const answer = invoke.getMockImplementation()!;
    invoke.mockImplementation((command: string, args: unknown) =>
      command === "agent_action"
        ? Promise.reject({ code: "docker_refused", message: "Docker at unix:///x refused the connection" })
        : answer(command, args),
    );
    await shown();
    fireEvent.click(screen.getByTestId("action-stop-AG-001"));
    expect((await screen.findByTestId("agent-action-error")).textContent).toBe(
      "stop AG-001: Docker at unix:///x refused the connection",
    );
  });

  it("opens the detail panel with the agent's facts and last 200 log lines", async () => {
    backend(() => ROWS, "starting AG-017\nlistening on 0.0.0.0:10316\n");
    await shown();
    fireEvent.click(screen.getByTestId("action-logs-AG-017"));
    const detail = await screen.findByTestId("agent-detail");
    expect(within(detail).getByTestId("agent-detail-title").textContent).toBe("Adversarial Attack Detector");
    expect(within(detail).getByText("security")).toBeTruthy();
    expect(within(detail).getByText("fedcba987654")).toBeTruthy();
    expect(within(detail).getByTestId("agent-detail-reason").textContent).toBe("Exited (1) 3 minutes ago");
    expect((await screen.findByTestId("agent-logs")).textContent).toBe(
      "starting AG-017\nlistening on 0.0.0.0:10316\n",
    );
    expect(invoke).toHaveBeenCalledWith("agent_logs", { agentId: "AG-017", tail: 200 });

    // Refresh reads them again.
    invoke.mockClear();
    fireEvent.click(screen.getByTestId("agent-logs-refresh"));
    await waitFor(() => expect(invoke).toHaveBeenCalledWith("agent_logs", { agentId: "AG-017", tail: 200 }));

    fireEvent.click(screen.getByTestId("agent-detail-close"));
    expect(screen.queryByTestId("agent-detail")).toBeNull();
  });

  it("opens a row by clicking it; a not-deployed agent has no logs", async () => {
    backend(() => ROWS);
    await shown();
    fireEvent.click(screen.getByTestId("agent-row-AG-060"));
    const detail = await screen.findByTestId("agent-detail");
    expect(within(detail).getByTestId("agent-no-logs").textContent).toContain("not deployed");
    expect(screen.queryByTestId("agent-logs")).toBeNull();
    expect(invoke).not.toHaveBeenCalledWith("agent_logs", expect.anything());

    fireEvent.click(screen.getByTestId("agent-row-AG-001"));
    expect((await screen.findByTestId("agent-logs")).textContent).toBe("line one\nline two\n");
    expect(within(screen.getByTestId("agent-detail")).getByText("0123456789ab")).toBeTruthy();
  });

  it("refreshes the list every 3 seconds while shown", async () => {
    vi.useFakeTimers();
    try {
      let rows = ROWS;
      backend(() => rows);
      render(<Agents />);
      await act(async () => {
        await vi.advanceTimersByTimeAsync(0);
      });
      expect(screen.getByTestId("agent-status-AG-060").textContent).toBe("not deployed");
      rows = ROWS.map((r) => (r.id === "AG-060" ? { ...r, status: "starting" } : r));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(3000);
      });
      expect(screen.getByTestId("agent-status-AG-060").textContent).toBe("starting");
      expect(screen.getByTestId("agent-status-AG-060").className).toContain("badge-checking");
      cleanup();
      const calls = invoke.mock.calls.length;
      await vi.advanceTimersByTimeAsync(9000);
      expect(invoke.mock.calls.length).toBe(calls);
    } finally {
      vi.useRealTimers();
    }
  });

  it("says why the agents cannot be listed", async () => {
    invoke.mockRejectedValue({ code: "docker_refused", message: "Docker at unix:///x refused the connection" });
    render(<Agents />);
    expect((await screen.findByTestId("agents-error")).textContent).toBe(
      "Docker at unix:///x refused the connection",
    );
  });
});
