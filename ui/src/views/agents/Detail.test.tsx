// The detail panel as a person uses it: open an agent in the Agents view,
// read its resource use, scale it, follow its log, read its history.
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AgentRow, HistoryEntry, MetricsQuery, MetricsReading, ScaleReport } from "../../ipc";
import { backend, callsOf, FakeChannel, fakeEvents, sendLog, type Answers } from "../../ipc/testing";
import { MB, ROWS, sample } from "./testing";

const invoke = vi.fn();
const bus = fakeEvents();
vi.mock("@tauri-apps/api/core", () => ({
  invoke: (...args: unknown[]) => invoke(...args),
  Channel: FakeChannel,
}));
vi.mock("@tauri-apps/api/event", () => ({
  listen: (name: string, handler: (event: { payload: unknown }) => void) => bus.listen(name, handler),
}));

const { useAgentsStore } = await import("../../stores/agents");
const { useStatsStore } = await import("../../stores/stats");
const { useStraysStore } = await import("../../stores/strays");
const { Agents } = await import("../Agents");

/** AG-001 runs as two instances. */
const SCALED: AgentRow[] = ROWS.map((r) => (r.id === "AG-001" ? { ...r, instances: 2 } : r));

function answers(more: Answers = {}, rows: () => AgentRow[] = () => SCALED): Answers {
  return {
    list_agents: () => rows(),
    fleet_stats: [],
    fleet_strays: [],
    query_metrics: { fromMs: 0, toMs: 0, width: 300, tier: "second", gaps: [], series: [] },
    agent_history: [],
    follow_logs: 1,
    stop_logs: null,
    agent_action: null,
    autoscale_policy: null,
    ...more,
  };
}

/** Shows the Agents view and opens `id`'s detail panel. */
async function open(id: string) {
  render(<Agents />);
  fireEvent.click(await screen.findByTestId(`agent-row-${id}`));
  return screen.findByTestId("agent-detail");
}

type Deferred<T> = { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

beforeEach(() => {
  invoke.mockReset();
  useAgentsStore.setState({ rows: null, error: null, loading: false });
  useStatsStore.setState({ samples: [], error: null, series: null, loading: false });
  useStraysStore.setState({ strays: [], error: null, loading: false });
});
afterEach(cleanup);

describe("resource use", () => {
  it("shows CPU, memory and network now, and sparklines of the last minutes", async () => {
    const now = Date.now();
    const column = (i: number, value: number) => ({ atMs: now - (10 - i) * 1000, min: value, max: value, mean: value });
    const reading = (series: string[]): MetricsReading => ({
      fromMs: now - 300_000,
      toMs: now,
      width: 300,
      tier: "second",
      gaps: [],
      series: series.map((key) => ({
        key,
        metric: key.split("{")[0] ?? key,
        unit: key.startsWith("cpu") ? "percent" : "bytes",
        columns: Array.from({ length: 10 }, (_, i) => column(i, key.startsWith("cpu") ? i : (10 + i) * MB)),
      })),
    });
    backend(
      invoke,
      answers({
        fleet_stats: [
          sample("AG-001", 1, { atMs: now, cpuPercent: 2, memoryBytes: 8 * MB, netRxPerS: 1536, netTxPerS: 512 }),
          sample("AG-001", 2, { atMs: now, cpuPercent: 1.2, memoryBytes: 4.4 * MB, netRxPerS: 0, netTxPerS: null }),
        ],
        query_metrics: ({ query }) => reading(query.series),
      }),
    );
    const detail = await open("AG-001");
    const stats = within(detail).getByTestId("agent-stats");
    await waitFor(() => expect(within(stats).getByTestId("agent-stats-cpu").textContent).toBe("3.2 %"));
    expect(within(stats).getByTestId("agent-stats-mem").textContent).toBe("12.4 MB / 128 MB");
    expect(within(stats).getByTestId("agent-stats-net").textContent).toBe("in 1.5 KB/s · out 512 B/s");
    expect(within(stats).getByText("Summed over 2 instances.")).toBeTruthy();
    expect(within(stats).getByTestId("agent-stats-instance-2").textContent).toBe("sutazai-ag-001-21.2 % · 4.4 MB / 64 MB");

    // The sparklines draw the agent's last five minutes from the metrics history.
    const asked = callsOf(invoke, "query_metrics")[0]?.query as MetricsQuery;
    expect(asked.series).toEqual(["cpu_percent{AG-001}", "memory_bytes{AG-001}"]);
    expect(asked.toMs - asked.fromMs).toBe(300_000);
    expect(asked.tier).toBe("second");
    const cpu = within(stats).getByTestId("agent-sparkline-cpu");
    await waitFor(() => expect(cpu.getAttribute("data-samples")).toBe("10"));
    expect(cpu.querySelectorAll("polyline")).toHaveLength(1);
    expect(cpu.getAttribute("aria-label")).toBe("CPU over the last 5 minutes, now 3.2 %");
    const mem = within(stats).getByTestId("agent-sparkline-mem");
    expect(mem.getAttribute("data-samples")).toBe("10");
    expect(mem.getAttribute("aria-label")).toBe("Memory over the last 5 minutes, now 12.4 MB of 128 MB");
  });

  it("has no figures for an agent that is not running", async () => {
    backend(invoke, answers());
    const detail = await open("AG-017");
    expect(within(detail).getByTestId("agent-stats").textContent).toContain("Not running");
    expect(within(detail).queryByTestId("agent-sparkline-cpu")).toBeNull();
    expect(callsOf(invoke, "query_metrics")).toEqual([]);
  });
});

describe("auto-scaling", () => {
  it("is off until turned on, then saves the policy as edited and can be turned off", async () => {
    let stored: unknown = null;
    backend(
      invoke,
      answers({
        set_autoscale_policy: ({ policy }) => {
          stored = policy;
          return null;
        },
      }),
    );
    const detail = await open("AG-001");
    const panel = within(detail).getByTestId("autoscale");
    await waitFor(() => expect(panel.textContent).toContain("off"));
    fireEvent.change(within(panel).getByTestId("autoscale-signal"), { target: { value: "cpu" } });
    fireEvent.change(within(panel).getByTestId("autoscale-max"), { target: { value: "5" } });
    fireEvent.change(within(panel).getByTestId("autoscale-scaleUpAbove"), { target: { value: "70" } });
    fireEvent.change(within(panel).getByTestId("autoscale-scaleDownBelow"), { target: { value: "10" } });
    fireEvent.click(within(panel).getByTestId("autoscale-save"));
    await waitFor(() => expect(within(panel).getByTestId("autoscale-saved").textContent).toBe("Auto-scaling on"));
    expect(stored).toEqual({
      min: 1,
      max: 5,
      signal: "cpu",
      scaleUpAbove: 70,
      scaleDownBelow: 10,
      windowS: 60,
      cooldownS: 120,
    });
    fireEvent.click(within(panel).getByTestId("autoscale-off"));
    await waitFor(() => expect(within(panel).getByTestId("autoscale-saved").textContent).toBe("Auto-scaling off"));
    expect(stored).toBeNull();
  });

  it("shows the engine's refusal, which names the field", async () => {
    backend(
      invoke,
      answers({
        set_autoscale_policy: () => {
          throw { code: "invalid_request", message: "auto-scaling policy: windowS: 10 to 3600 seconds, not 5" };
        },
      }),
    );
    const detail = await open("AG-001");
    const panel = within(detail).getByTestId("autoscale");
    fireEvent.change(within(panel).getByTestId("autoscale-windowS"), { target: { value: "5" } });
    fireEvent.click(within(panel).getByTestId("autoscale-save"));
    const error = await within(panel).findByTestId("autoscale-error");
    expect(error.textContent).toContain("windowS: 10 to 3600 seconds");
  });
});

describe("scale", () => {
  it("runs the agent as the number asked for and says how many came up healthy", async () => {
    let rows = SCALED;
    const answer = deferred<ScaleReport>();
    backend(invoke, answers({ scale_agent: () => answer.promise }, () => rows));
    const detail = await open("AG-001");
    const input = within(detail).getByTestId("scale-input") as HTMLInputElement;
    const apply = within(detail).getByTestId("scale-apply") as HTMLButtonElement;
    expect(input.value).toBe("2");

    fireEvent.change(input, { target: { value: "11" } });
    expect(apply.disabled).toBe(true);
    fireEvent.change(input, { target: { value: "3" } });
    expect(apply.disabled).toBe(false);
    fireEvent.click(apply);
    await waitFor(() => expect(apply.textContent).toBe("Scaling…"));
    expect(apply.disabled).toBe(true);
    expect(callsOf(invoke, "scale_agent")).toEqual([{ agentId: "AG-001", instances: 3 }]);

    rows = SCALED.map((r) => (r.id === "AG-001" ? { ...r, instances: 3 } : r));
    const lists = callsOf(invoke, "list_agents").length;
    await act(async () => answer.resolve({ agentId: "AG-001", instances: 3, healthy: 3, failed: [] }));
    expect(within(detail).getByTestId("scale-result").textContent).toBe("3/3 instances healthy");
    expect(apply.textContent).toBe("Apply");
    expect(within(detail).queryByTestId("scale-error")).toBeNull();
    // The registry is read again at once, and the input follows it.
    await waitFor(() => expect(callsOf(invoke, "list_agents").length).toBeGreaterThan(lists));
    await waitFor(() => expect(screen.getByTestId("agent-instances-AG-001").textContent).toBe("×3"));
    expect(input.value).toBe("3");
  });

  it("lists the instances that failed", async () => {
    backend(
      invoke,
      answers({
        scale_agent: {
          agentId: "AG-001",
          instances: 3,
          healthy: 2,
          failed: [{ agentId: "sutazai-ag-001-3", reason: "health gate: no answer from /health after 30 s" }],
        },
      }),
    );
    const detail = await open("AG-001");
    fireEvent.change(within(detail).getByTestId("scale-input"), { target: { value: "3" } });
    fireEvent.click(within(detail).getByTestId("scale-apply"));
    const result = await within(detail).findByTestId("scale-result");
    expect(result.textContent).toBe(
      "2/3 instances healthysutazai-ag-001-3: health gate: no answer from /health after 30 s",
    );
  });

  it("shows the engine's error as sent", async () => {
    backend(
      invoke,
      answers({
        scale_agent: () => Promise.reject({ code: "docker_refused", message: "Docker at unix:///x refused the connection" }),
      }),
    );
    const detail = await open("AG-060");
    // A not-deployed agent starts from one instance.
    expect((within(detail).getByTestId("scale-input") as HTMLInputElement).value).toBe("1");
    fireEvent.click(within(detail).getByTestId("scale-apply"));
    expect((await within(detail).findByTestId("scale-error")).textContent).toBe(
      "Docker at unix:///x refused the connection",
    );
    expect(within(detail).queryByTestId("scale-result")).toBeNull();
    expect((within(detail).getByTestId("scale-apply") as HTMLButtonElement).disabled).toBe(false);
  });
});

describe("logs", () => {
  it("appends what arrives, says it follows, and keeps the last 1000 lines", async () => {
    backend(invoke, answers({ follow_logs: 4 }));
    const detail = await open("AG-001");
    await waitFor(() => expect(callsOf(invoke, "follow_logs")).toHaveLength(1));
    expect(callsOf(invoke, "follow_logs")[0]).toMatchObject({ agentId: "AG-001", tail: 200 });
    expect(await within(detail).findByTestId("logs-following")).toBeTruthy();

    sendLog(invoke, "agent serving AG-001\n");
    await waitFor(() => expect(within(detail).getByTestId("agent-logs").textContent).toBe("agent serving AG-001\n"));
    sendLog(invoke, "task 1 done\n");
    await waitFor(() =>
      expect(within(detail).getByTestId("agent-logs").textContent).toBe("agent serving AG-001\ntask 1 done\n"),
    );

    sendLog(invoke, Array.from({ length: 1200 }, (_, i) => `line ${i}\n`).join(""));
    await waitFor(() => expect(within(detail).getByTestId("agent-logs").textContent).toMatch(/^line 200\n/));
    expect(within(detail).getByTestId("agent-logs").textContent!.split("\n")).toHaveLength(1001);
  });

  it("starts over on refresh and stops following on close", async () => {
    let next = 10;
    backend(invoke, answers({ follow_logs: () => next++ }));
    const detail = await open("AG-001");
    await waitFor(() => expect(within(detail).getByTestId("logs-following")).toBeTruthy());
    sendLog(invoke, "old line\n");
    await within(detail).findByTestId("agent-logs");

    fireEvent.click(within(detail).getByTestId("agent-logs-refresh"));
    await waitFor(() => expect(callsOf(invoke, "follow_logs")).toHaveLength(2));
    expect(callsOf(invoke, "stop_logs")).toEqual([{ followId: 10 }]);
    // The old text stays until the new tail arrives, which replaces it.
    expect(within(detail).getByTestId("agent-logs").textContent).toBe("old line\n");
    sendLog(invoke, "old line\nnew line\n");
    await waitFor(() => expect(within(detail).getByTestId("agent-logs").textContent).toBe("old line\nnew line\n"));

    fireEvent.click(within(detail).getByTestId("agent-detail-close"));
    await waitFor(() => expect(callsOf(invoke, "stop_logs")).toEqual([{ followId: 10 }, { followId: 11 }]));
  });

  it("stops following the old agent when another one is opened, and on unmount", async () => {
    let next = 20;
    backend(invoke, answers({ follow_logs: () => next++ }));
    await open("AG-001");
    await waitFor(() => expect(screen.getByTestId("logs-following")).toBeTruthy());
    fireEvent.click(screen.getByTestId("agent-row-AG-030"));
    await waitFor(() => expect(callsOf(invoke, "follow_logs")).toHaveLength(2));
    expect(callsOf(invoke, "follow_logs")[1]).toMatchObject({ agentId: "AG-030" });
    expect(callsOf(invoke, "stop_logs")).toEqual([{ followId: 20 }]);
    // A chunk still in flight for the old agent is dropped.
    const first = callsOf(invoke, "follow_logs")[0]!.onChunk as FakeChannel<string>;
    act(() => first.onmessage("from AG-001\n"));
    sendLog(invoke, "from AG-030\n");
    await waitFor(() => expect(screen.getByTestId("agent-logs").textContent).toBe("from AG-030\n"));

    cleanup();
    await waitFor(() => expect(callsOf(invoke, "stop_logs")).toEqual([{ followId: 20 }, { followId: 21 }]));
  });

  it("stops a follow that answers only after the panel closed", async () => {
    const answer = deferred<number>();
    backend(invoke, answers({ follow_logs: () => answer.promise }));
    const detail = await open("AG-001");
    await waitFor(() => expect(callsOf(invoke, "follow_logs")).toHaveLength(1));
    expect(within(detail).getByTestId("agent-logs-refresh").textContent).toBe("Loading…");
    fireEvent.click(within(detail).getByTestId("agent-detail-close"));
    await act(async () => answer.resolve(33));
    await waitFor(() => expect(callsOf(invoke, "stop_logs")).toEqual([{ followId: 33 }]));
  });

  it("follows again when the agent's container restarts", async () => {
    let next = 40;
    backend(invoke, answers({ follow_logs: () => next++ }));
    await open("AG-001");
    await waitFor(() => expect(callsOf(invoke, "follow_logs")).toHaveLength(1));
    act(() =>
      bus.emit("fleet-event", {
        kind: "restarted",
        agentId: "AG-001",
        container: "sutazai-ag-001",
        attempt: 1,
        reason: "exited (137)",
      }),
    );
    await waitFor(() => expect(callsOf(invoke, "follow_logs")).toHaveLength(2));
    expect(callsOf(invoke, "stop_logs")).toEqual([{ followId: 40 }]);
    // So does the user's restart; a stop, or another agent's event, does not.
    act(() => bus.emit("fleet-event", { kind: "acted", agentId: "AG-001", action: "restart" }));
    await waitFor(() => expect(callsOf(invoke, "follow_logs")).toHaveLength(3));
    act(() => bus.emit("fleet-event", { kind: "acted", agentId: "AG-001", action: "stop" }));
    act(() => bus.emit("fleet-event", { kind: "acted", agentId: "AG-030", action: "restart" }));
    await act(async () => {});
    expect(callsOf(invoke, "follow_logs")).toHaveLength(3);
  });

  it("shows why the log cannot be followed", async () => {
    backend(
      invoke,
      answers({ follow_logs: () => Promise.reject({ code: "docker_error", message: "No such container: sutazai-ag-001" }) }),
    );
    const detail = await open("AG-001");
    expect((await within(detail).findByTestId("agent-logs-error")).textContent).toBe(
      "No such container: sutazai-ag-001",
    );
    expect(within(detail).queryByTestId("logs-following")).toBeNull();
  });
});

describe("history", () => {
  /** Six entries, one of each kind, the newest `at`. */
  const historyAt = (at: number): HistoryEntry[] => [
    { atMs: at, event: { kind: "scaled", detail: { kind: "scaled", agentId: "AG-001", instances: 3 } } },
    { atMs: at - 60_000, event: { kind: "acted", detail: { kind: "acted", agentId: "AG-001", action: "stop" } } },
    {
      atMs: at - 120_000,
      event: {
        kind: "restarted",
        detail: { kind: "restarted", agentId: "AG-001", container: "sutazai-ag-001", attempt: 2, reason: "unhealthy: /health timed out" },
      },
    },
    {
      atMs: at - 180_000,
      event: { kind: "flapping", detail: { kind: "flapping", agentId: "AG-001", container: "sutazai-ag-001-2", restarts: 5 } },
    },
    {
      atMs: at - 240_000,
      event: {
        kind: "replaced",
        detail: { kind: "replaced", agentId: "AG-001", container: "sutazai-ag-001", reason: "its manifest changed" },
      },
    },
    {
      atMs: at - 7_200_000,
      event: {
        kind: "deployed",
        detail: { kind: "deployed", agentId: "AG-001", container: "sutazai-ag-001", stage: "healthy", reason: null },
      },
    },
  ];

  it("shows one line per event, newest first, with its age", async () => {
    const history = historyAt(Date.now() - 5000);
    backend(invoke, answers({ agent_history: ({ agentId }: Record<string, unknown>) => (agentId === "AG-001" ? history : []) }));
    const detail = await open("AG-001");
    const list = within(detail).getByTestId("agent-history");
    await waitFor(() => expect(within(list).getAllByTestId("history-entry")).toHaveLength(6));
    const lines = within(list)
      .getAllByTestId("history-entry")
      .map((e) => [e.querySelector(".history-line")!.textContent, e.querySelector(".muted")!.textContent]);
    expect(lines).toEqual([
      ["scaled to 3 instances", "5 s ago"],
      ["stopped by you", "1 min ago"],
      ["restarted by self-healing (attempt 2): unhealthy: /health timed out", "2 min ago"],
      ["left stopped: died 5 times in a short time (flapping)", "3 min ago"],
      ["container replaced: its manifest changed", "4 min ago"],
      ["deployed: healthy", "2 h ago"],
    ]);
    expect(within(list).getAllByTestId("history-entry")[3]!.title).toContain("sutazai-ag-001-2");
  });

  it("shows at most 50 entries", async () => {
    const many: HistoryEntry[] = Array.from({ length: 80 }, (_, i) => ({
      atMs: Date.now() - i * 1000,
      event: { kind: "acted", detail: { kind: "acted", agentId: "AG-001", action: "restart" } },
    }));
    backend(invoke, answers({ agent_history: many }));
    const detail = await open("AG-001");
    await waitFor(() => expect(within(detail).getAllByTestId("history-entry")).toHaveLength(50));
    expect(within(detail).getByTestId("agent-history").textContent).toContain("The latest 50 of 80 entries.");
  });

  it("says when there is none yet, and reads it again after the agent's fleet events", async () => {
    let history: HistoryEntry[] = [];
    backend(invoke, answers({ agent_history: () => history }));
    const detail = await open("AG-060");
    await waitFor(() => expect(within(detail).getByTestId("agent-history").textContent).toBe("No history yet."));
    expect(callsOf(invoke, "agent_history")).toEqual([{ agentId: "AG-060" }]);

    // Another agent's event does not concern this panel.
    act(() => bus.emit("fleet-event", { kind: "scaled", agentId: "AG-001", instances: 2 }));
    await act(async () => {});
    expect(callsOf(invoke, "agent_history")).toHaveLength(1);

    history = [
      {
        atMs: Date.now(),
        event: {
          kind: "deployed",
          detail: { kind: "deployed", agentId: "AG-060", container: "sutazai-ag-060", stage: "failed", reason: "image missing" },
        },
      },
    ];
    act(() =>
      bus.emit("fleet-event", {
        kind: "deployed",
        agentId: "AG-060",
        container: "sutazai-ag-060",
        stage: "failed",
        reason: "image missing",
      }),
    );
    await waitFor(() => expect(within(detail).getAllByTestId("history-entry")).toHaveLength(1));
    expect(within(detail).getByTestId("history-entry").textContent).toContain("deploy failed: image missing");
  });
});
