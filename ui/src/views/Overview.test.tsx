import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { EngineStatus, MetricsQuery } from "../ipc";
import { alert, column, reading } from "../ipc/fixtures";
import { backend, callsOf, fakeEvents } from "../ipc/testing";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
const bus = fakeEvents();
vi.mock("@tauri-apps/api/event", () => ({
  listen: (name: string, handler: (event: { payload: unknown }) => void) => bus.listen(name, handler),
}));

const { useStatusStore } = await import("../stores/status");
const { useFleetNowStore } = await import("../stores/metrics");
const { useOpenAlertsStore } = await import("../stores/openAlerts");
const { useAlertsStore } = await import("../stores/alerts");
const { useNavStore } = await import("../stores/nav");
const { Overview } = await import("./Overview");

const base: EngineStatus = {
  dockerEndpoint: "unix:///var/run/docker.sock",
  docker: { state: "checking" },
  ollamaUrl: "http://127.0.0.1:11434/",
  ollama: { state: "checking" },
  data: {
    dataDir: "/home/u/.local/share/sutazai",
    database: "/home/u/.local/share/sutazai/sutazai.db",
    schemaVersion: 1,
    logDir: "/home/u/.local/share/sutazai/logs",
    uncleanPreviousRuns: 0,
  },
  checkedAtMs: 0,
};

function show(status: EngineStatus) {
  useStatusStore.setState({ status, error: null, refreshing: false });
  render(<Overview />);
}

beforeEach(() => {
  invoke.mockReset();
  useFleetNowStore.setState({ now: null, error: null });
  useOpenAlertsStore.setState(useOpenAlertsStore.getInitialState(), true);
  useAlertsStore.setState(useAlertsStore.getInitialState(), true);
  useNavStore.setState(useNavStore.getInitialState(), true);
  backend(invoke, { query_metrics: ({ query }) => reading(query.fromMs, query.toMs, {}), list_alerts: [] });
});

afterEach(cleanup);

describe("Overview", () => {
  it("says the first check is under way", () => {
    show(base);
    expect(screen.getByTestId("docker-state").textContent).toBe("Checking…");
    expect(screen.getByTestId("checked-at").textContent).toBe("First check under way…");
  });

  it("shows what a connected Docker engine and Ollama report", () => {
    show({
      ...base,
      docker: {
        state: "connected",
        version: "20.10.24+dfsg1",
        apiVersion: "1.41",
        os: "linux",
        arch: "amd64",
        containersRunning: 3,
        containersTotal: 5,
      },
      ollama: { state: "connected", version: "0.12.6", modelCount: 4 },
      checkedAtMs: Date.now(),
    });
    expect(screen.getByTestId("docker-state").textContent).toBe("Connected");
    expect(screen.getByTestId("docker-version").textContent).toBe("20.10.24+dfsg1");
    expect(screen.getByTestId("docker-containers").textContent).toBe("3 running of 5");
    expect(screen.getByTestId("ollama-models").textContent).toBe("4");
    expect(screen.getByTestId("checked-at").textContent).toBe("Checked just now");
  });

  it("explains an unreachable service by its code", () => {
    show({
      ...base,
      docker: { state: "unreachable", code: "docker_refused", message: "Docker at unix:///x refused the connection" },
      ollama: { state: "unreachable", code: "ollama_unreachable", message: "nothing answers at http://127.0.0.1:1/" },
    });
    expect(screen.getByTestId("docker-state").textContent).toBe("Not reachable");
    expect(screen.getByTestId("docker-problem").textContent).toContain("refused the connection");
    expect(screen.getByText(/systemctl start docker/)).toBeTruthy();
    expect(screen.getByText(/ollama serve/)).toBeTruthy();
  });

  it("shows the fleet over the last minute, read again while shown", async () => {
    vi.useFakeTimers();
    try {
      const now = Date.now();
      let healthy = 19;
      backend(invoke, {
        query_metrics: ({ query }) =>
          reading(
            query.fromMs,
            query.toMs,
            {
              agents_healthy: [column(now - 1000, healthy)],
              agents_deployed: [column(now - 1000, 20)],
              tasks_succeeded: [column(now - 30_000, 27)],
              tasks_failed: [column(now - 20_000, 3)],
              success_rate: [column(now - 1000, 0.9)],
              runs_active: [column(now - 1000, 2)],
            },
            { width: 60 },
          ),
        list_alerts: [],
      });
      show(base);
      await act(async () => {
        await vi.advanceTimersByTimeAsync(0);
      });
      expect(screen.getByTestId("fleet-now-healthy").textContent).toBe("19 of 20");
      expect(screen.getByTestId("fleet-now-throughput").textContent).toBe("0.50");
      expect(screen.getByTestId("fleet-now-success").textContent).toBe("90%");
      expect(screen.getByTestId("fleet-now-runs").textContent).toBe("2");
      const query = callsOf(invoke, "query_metrics")[0]?.query as MetricsQuery;
      expect(query.toMs - query.fromMs).toBe(60_000);
      expect(query.series).toEqual(expect.arrayContaining(["agents_healthy", "runs_active", "success_rate"]));
      // Kept all the same, and no alert is open.
      expect(screen.getByTestId("docker-card")).toBeTruthy();
      expect(screen.getByTestId("alerts-none").textContent).toContain("No open alerts");

      healthy = 20;
      await act(async () => {
        await vi.advanceTimersByTimeAsync(3000);
      });
      expect(screen.getByTestId("fleet-now-healthy").textContent).toBe("20 of 20");
      const reads = callsOf(invoke, "query_metrics").length;
      cleanup();
      await act(async () => {
        await vi.advanceTimersByTimeAsync(30_000);
      });
      expect(callsOf(invoke, "query_metrics")).toHaveLength(reads);
    } finally {
      vi.useRealTimers();
    }
  });

  it("says so when no agent is deployed, and shows a failed read by its code", async () => {
    show(base);
    await vi.waitFor(() => expect(screen.getByTestId("fleet-now-idle")).toBeTruthy());
    expect(screen.getByTestId("fleet-now-healthy").textContent).toBe("–");
    cleanup();

    backend(invoke, { query_metrics: () => Promise.reject({ code: "engine_unavailable", message: "the metrics history has stopped" }) });
    useFleetNowStore.setState({ now: null, error: null });
    show(base);
    const error = await screen.findByTestId("fleet-now-error");
    expect(error.getAttribute("data-code")).toBe("engine_unavailable");
    expect(error.textContent).toContain("Restart the app");
  });

  it("lists the 5 newest open alerts live, each opening the Security view on it", async () => {
    let open = [5, 4, 3, 2, 1].map((id) => alert(id));
    backend(invoke, { query_metrics: ({ query }) => reading(query.fromMs, query.toMs, {}), list_alerts: () => open });
    show(base);
    await screen.findByTestId("latest-alert-5");
    expect(screen.queryByTestId("alerts-none")).toBeNull();
    expect(screen.getByTestId("latest-alert-5").textContent).toContain("Agent down · AG-005");

    open = [6, ...[5, 4, 3, 2, 1]].map((id) => alert(id, id === 6 ? { severity: "warning", subject: null } : {}));
    act(() =>
      bus.emit("alert-changed", {
        fingerprint: "agent_down",
        rule: "agent_down",
        name: "Agent down",
        subject: null,
        severity: "warning",
        detail: null,
        fired: true,
      }),
    );
    await screen.findByTestId("latest-alert-6");
    expect(screen.queryByTestId("latest-alert-1")).toBeNull();
    expect(screen.getAllByTestId(/^latest-alert-\d/)).toHaveLength(5);

    fireEvent.click(screen.getByTestId("latest-alert-4"));
    expect(useNavStore.getState()).toMatchObject({ view: "security", securityTab: "alerts" });
    expect(useAlertsStore.getState().selected).toEqual(["agent_down:AG-004"]);

    open = [];
    act(() =>
      bus.emit("alert-changed", {
        fingerprint: "agent_down",
        rule: "agent_down",
        name: "Agent down",
        subject: null,
        severity: "warning",
        detail: null,
        fired: false,
      }),
    );
    await screen.findByTestId("alerts-none");
  });
});
