import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AgentRow, Stray } from "../ipc";
import { backend, callsOf, FakeChannel, fakeEvents, sendLog, type Answers } from "../ipc/testing";
import { MB, ROWS, sample } from "./agents/testing";

const invoke = vi.fn();
const bus = fakeEvents();
vi.mock("@tauri-apps/api/core", () => ({
  invoke: (...args: unknown[]) => invoke(...args),
  Channel: FakeChannel,
}));
vi.mock("@tauri-apps/api/event", () => ({
  listen: (name: string, handler: (event: { payload: unknown }) => void) => bus.listen(name, handler),
}));

const { useAgentsStore } = await import("../stores/agents");
const { useStatsStore } = await import("../stores/stats");
const { useStraysStore } = await import("../stores/strays");
const { Agents } = await import("./Agents");

/** Answers each command; `listAgents` answers `rows` (read on every call). */
function answers(rows: () => AgentRow[], more: Answers = {}): Answers {
  return {
    list_agents: () => rows(),
    fleet_stats: [],
    fleet_strays: [],
    query_metrics: { fromMs: 0, toMs: 0, width: 300, tier: "second", gaps: [], series: [] },
    agent_history: [],
    follow_logs: 1,
    stop_logs: null,
    agent_action: null,
    ...more,
  };
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
  useStatsStore.setState({ samples: [], error: null, series: null, loading: false });
  useStraysStore.setState({ strays: [], error: null, loading: false });
});
afterEach(cleanup);

describe("Agents", () => {
  it("lists every agent with its status badge, health age and restarts", async () => {
    const healthyAtMs = Date.now() - 2000;
    backend(invoke, answers(() => ROWS.map((r) => (r.id === "AG-001" ? { ...r, healthyAtMs } : r))));
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
    const idleCells = within(screen.getByTestId("agent-row-AG-060")).getAllByRole("cell").map((c) => c.textContent);
    expect(idleCells[5]).toBe("—"); // never healthy
    expect(invoke).toHaveBeenCalledWith("list_agents", undefined);
  });

  it("offers only the actions that fit each status", async () => {
    backend(invoke, answers(() => ROWS));
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
    backend(invoke, answers(() => ROWS));
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
    backend(invoke, answers(() => rows));
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
    backend(invoke, answers(() => ROWS));
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

  it("opens the detail panel with the agent's facts and follows its log", async () => {
    backend(invoke, answers(() => ROWS, { follow_logs: 7 }));
    await shown();
    fireEvent.click(screen.getByTestId("action-logs-AG-017"));
    const detail = await screen.findByTestId("agent-detail");
    expect(within(detail).getByTestId("agent-detail-title").textContent).toBe("Adversarial Attack Detector");
    expect(within(detail).getByText("security")).toBeTruthy();
    expect(within(detail).getByText("fedcba987654")).toBeTruthy();
    expect(within(detail).getByTestId("agent-detail-reason").textContent).toBe("Exited (1) 3 minutes ago");
    await waitFor(() => expect(callsOf(invoke, "follow_logs")).toHaveLength(1));
    expect(callsOf(invoke, "follow_logs")[0]).toMatchObject({ agentId: "AG-017", tail: 200 });
    sendLog(invoke, "starting AG-017\n");
    sendLog(invoke, "listening on 0.0.0.0:10316\n");
    await waitFor(() =>
      expect(screen.getByTestId("agent-logs").textContent).toBe("starting AG-017\nlistening on 0.0.0.0:10316\n"),
    );
    // A stopped container's log ends after its tail: nothing to follow.
    expect(screen.queryByTestId("logs-following")).toBeNull();

    fireEvent.click(screen.getByTestId("agent-detail-close"));
    expect(screen.queryByTestId("agent-detail")).toBeNull();
    await waitFor(() => expect(callsOf(invoke, "stop_logs")).toEqual([{ followId: 7 }]));
  });

  it("opens a row by clicking it; a not-deployed agent has no logs", async () => {
    backend(invoke, answers(() => ROWS));
    await shown();
    fireEvent.click(screen.getByTestId("agent-row-AG-060"));
    const detail = await screen.findByTestId("agent-detail");
    expect(within(detail).getByTestId("agent-no-logs").textContent).toContain("not deployed");
    expect(screen.queryByTestId("agent-logs")).toBeNull();
    expect(callsOf(invoke, "follow_logs")).toEqual([]);

    fireEvent.click(screen.getByTestId("agent-row-AG-001"));
    await waitFor(() => expect(callsOf(invoke, "follow_logs")).toHaveLength(1));
    sendLog(invoke, "line one\nline two\n");
    expect((await screen.findByTestId("agent-logs")).textContent).toBe("line one\nline two\n");
    expect(within(screen.getByTestId("agent-detail")).getByText("0123456789ab")).toBeTruthy();
  });

  it("refreshes the list every 3 seconds while shown", async () => {
    vi.useFakeTimers();
    try {
      let rows = ROWS;
      backend(invoke, answers(() => rows));
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

  it("shows each running agent's CPU and memory, summed over its instances", async () => {
    const rows = ROWS.map((r) => (r.id === "AG-001" ? { ...r, instances: 2 } : r));
    backend(
      invoke,
      answers(() => rows, {
        fleet_stats: [
          sample("AG-001", 1, { cpuPercent: 2.0, memoryBytes: 8 * MB }),
          sample("AG-001", 2, { cpuPercent: 1.2, memoryBytes: 4.4 * MB }),
          // The engine's first sample of a container has no CPU figure yet.
          sample("AG-030", 1, { cpuPercent: null, memoryBytes: 300 * 1024, memoryLimitBytes: 512 * MB }),
          // A sample for a stopped agent (just stopped) is not shown.
          sample("AG-017", 1, { cpuPercent: 9 }),
        ],
      }),
    );
    await shown();
    await waitFor(() => expect(screen.getByTestId("agent-cpu-AG-001").textContent).toBe("3.2 %"));
    expect(screen.getByTestId("agent-mem-AG-001").textContent).toBe("12.4 MB / 128 MB");
    expect(screen.getByTestId("agent-cpu-AG-001").title).toContain("summed over 2 instances");
    expect(screen.getByTestId("agent-mem-AG-001").title).toContain("summed over 2 instances");
    expect(screen.getByTestId("agent-instances-AG-001").textContent).toBe("×2");

    expect(screen.getByTestId("agent-cpu-AG-030").textContent).toBe("…");
    expect(screen.getByTestId("agent-mem-AG-030").textContent).toBe("300 KB / 512 MB");
    expect(screen.getByTestId("agent-mem-AG-030").title).not.toContain("summed");
    expect(screen.queryByTestId("agent-instances-AG-030")).toBeNull();

    for (const id of ["AG-017", "AG-060"]) {
      expect(screen.getByTestId(`agent-cpu-${id}`).textContent).toBe("—");
      expect(screen.getByTestId(`agent-mem-${id}`).textContent).toBe("—");
    }
  });

  it("samples resource use once a second only while the view is shown", async () => {
    vi.useFakeTimers();
    try {
      backend(invoke, answers(() => ROWS, { fleet_stats: [sample("AG-001", 1)] }));
      render(<Agents />);
      await act(async () => {
        await vi.advanceTimersByTimeAsync(0);
      });
      expect(callsOf(invoke, "fleet_stats")).toHaveLength(1);
      expect(screen.getByTestId("agent-cpu-AG-001").textContent).toBe("1.0 %");
      await act(async () => {
        await vi.advanceTimersByTimeAsync(3000);
      });
      expect(callsOf(invoke, "fleet_stats")).toHaveLength(4);

      cleanup();
      await vi.advanceTimersByTimeAsync(5000);
      expect(callsOf(invoke, "fleet_stats")).toHaveLength(4);
      // Nothing stale is kept for the next visit.
      expect(useStatsStore.getState().samples).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("says once, above the table, that Docker is down, and still lists every agent", async () => {
    const reason = "Docker at unix:///var/run/docker.sock refused the connection: is dockerd running?";
    const rows = ROWS.map((r) => ({ ...r, status: "unknown" as const, reason, containerId: null, instances: 0 }));
    backend(
      invoke,
      answers(() => rows, {
        fleet_stats: () => Promise.reject({ code: "docker_refused", message: reason }),
        fleet_strays: () => Promise.reject({ code: "docker_refused", message: reason }),
      }),
    );
    await shown();
    const banner = screen.getByTestId("docker-down");
    expect(banner.textContent).toContain(reason);
    expect(banner.textContent).toContain("retrying in the background");
    expect(screen.getAllByTestId("docker-down")).toHaveLength(1);
    expect(screen.queryByTestId("agents-error")).toBeNull();

    expect(screen.getByTestId("agents-count").textContent).toBe("4 of 4 agents");
    for (const row of rows) {
      const badge = screen.getByTestId(`agent-status-${row.id}`);
      expect(badge.textContent).toBe("unknown");
      expect(badge.className).toContain("badge-unknown");
      // Nothing can be done without Docker.
      expect(within(screen.getByTestId(`agent-row-${row.id}`)).queryAllByRole("button")).toHaveLength(0);
    }
    const statusOptions = [...(screen.getByTestId("filter-status") as HTMLSelectElement).options].map((o) => o.value);
    expect(statusOptions).toContain("unknown");

    fireEvent.click(screen.getByTestId("agent-row-AG-001"));
    expect((await screen.findByTestId("agent-no-logs")).textContent).toContain("Docker is not reachable");
    expect(callsOf(invoke, "follow_logs")).toEqual([]);
    expect((screen.getByTestId("scale-apply") as HTMLButtonElement).disabled).toBe(true);
  });

  it("has no Docker banner while Docker answers", async () => {
    backend(invoke, answers(() => ROWS));
    await shown();
    expect(screen.queryByTestId("docker-down")).toBeNull();
    expect(screen.queryByTestId("strays")).toBeNull();
  });

  it("names the containers no catalog agent accounts for, and reads them again after fleet events", async () => {
    let strays: Stray[] = [
      { container: "sutazai-ag-999", state: "running", reason: "no agent AG-999 in the catalog" },
      { container: "copy-of-ag-002", state: "exited", reason: "named copy-of-ag-002, not like an instance of AG-002" },
    ];
    backend(invoke, answers(() => ROWS, { fleet_strays: () => strays }));
    await shown();
    const notice = await screen.findByTestId("strays");
    expect(notice.textContent).toContain("2 containers carry the app's label");
    expect(screen.getByTestId("stray-sutazai-ag-999").textContent).toBe(
      "sutazai-ag-999 (running): no agent AG-999 in the catalog",
    );
    expect(screen.getByTestId("stray-copy-of-ag-002").textContent).toContain("(exited)");

    strays = [];
    act(() => bus.emit("fleet-event", { kind: "acted", agentId: "AG-001", action: "stop" }));
    await waitFor(() => expect(screen.queryByTestId("strays")).toBeNull());
  });

  it("says why the agents cannot be listed", async () => {
    invoke.mockRejectedValue({ code: "docker_refused", message: "Docker at unix:///x refused the connection" });
    render(<Agents />);
    expect((await screen.findByTestId("agents-error")).textContent).toBe(
      "Docker at unix:///x refused the connection",
    );
  });
});
