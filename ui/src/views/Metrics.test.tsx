import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChartRequest, MetricsReading } from "../ipc";
import { chart, column, METRICS_CATALOG, reading } from "../ipc/fixtures";
import { backend, callsOf, type Answers } from "../ipc/testing";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { useMetricsStore } = await import("../stores/metrics");
const { Metrics } = await import("./Metrics");
const { sanitizeSvg } = await import("./metrics/svg");

const NOW = new Date(2026, 10, 20, 10, 30, 0).getTime();
const HOUR = 3_600_000;

/** Every chart drawn from `figures` of the window it asks for (the fake
 * engine's SVG names the chart's title, so tests can find it). */
function charts(figures: (from: number, to: number, keys: string[]) => MetricsReading = (f, t) => reading(f, t, {})): Answers {
  return {
    metrics_catalog: METRICS_CATALOG,
    metrics_chart: ({ request }) =>
      chart(figures(request.query.fromMs, request.query.toMs, request.query.series), request.spec.width, request.spec.title),
  };
}

/** The windows of the throughput chart's drawings so far. */
function throughputWindows() {
  return callsOf(invoke, "metrics_chart")
    .map((c) => (c.request as ChartRequest).query)
    .filter((q) => q.series[0] === "tasks_succeeded")
    .map((q) => [q.fromMs, q.toMs]);
}

async function settle(ms = 0) {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
  invoke.mockReset();
  useMetricsStore.setState({ range: "5m", custom: null, agents: [], slots: {}, exports: {}, drawnAtMs: 0, catalog: null });
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe("Metrics", () => {
  it("shows every fleet chart's SVG inline, sized to its card", async () => {
    backend(invoke, charts());
    render(<Metrics />);
    await settle();
    expect(screen.getByTestId("chart-svg-throughput").textContent).toBe("Throughput (tasks/s)");
    expect(screen.getByTestId("chart-svg-latency").querySelector("svg")).toBeTruthy();
    const latency = callsOf(invoke, "metrics_chart")
      .map((c) => c.request as ChartRequest)
      .find((r) => r.spec.title === "Task latency");
    expect(latency?.query.series).toEqual(["task_latency_ms:p50", "task_latency_ms:p95", "task_latency_ms:p99"]);
    expect(latency?.spec.width).toBeGreaterThan(0);
    // Nothing measured yet: each chart says what to do.
    expect(screen.getByTestId("chart-empty-healthy-agents").textContent).toContain("Deploy a phase");
    expect(screen.getByTestId("metrics-no-agents")).toBeTruthy();
    expect(screen.getByTestId("agents-none")).toBeTruthy();
  });

  it("asks for the chosen range's window and redraws live until unmounted", async () => {
    backend(invoke, charts());
    const view = render(<Metrics />);
    await settle();
    expect(throughputWindows()).toEqual([[NOW - 300_000, NOW]]);
    expect(screen.getByTestId("range-live").textContent).toBe("Live: redrawn every second.");

    await settle(2000);
    expect(throughputWindows().at(-1)).toEqual([NOW + 2000 - 300_000, NOW + 2000]);
    const live = throughputWindows().length;
    expect(live).toBe(3);

    fireEvent.click(screen.getByTestId("range-1h"));
    await settle();
    expect(throughputWindows().at(-1)).toEqual([NOW + 2000 - HOUR, NOW + 2000]);
    expect(screen.getByTestId("range-1h").getAttribute("aria-pressed")).toBe("true");

    fireEvent.click(screen.getByTestId("range-24h"));
    await settle();
    expect(throughputWindows().at(-1)).toEqual([NOW + 2000 - 24 * HOUR, NOW + 2000]);
    expect(screen.getByTestId("range-live").textContent).toBe("Live: redrawn every 30 s.");

    const drawn = callsOf(invoke, "metrics_chart").length;
    view.unmount();
    await settle(120_000);
    expect(callsOf(invoke, "metrics_chart")).toHaveLength(drawn);
  });

  it("takes a custom window from its two fields", async () => {
    backend(invoke, charts());
    render(<Metrics />);
    await settle();
    fireEvent.click(screen.getByTestId("range-custom"));
    fireEvent.change(screen.getByTestId("range-from"), { target: { value: "2026-11-20T08:00" } });
    fireEvent.change(screen.getByTestId("range-to"), { target: { value: "2026-11-20T09:15" } });
    await settle();
    const from = new Date(2026, 10, 20, 8, 0).getTime();
    const to = new Date(2026, 10, 20, 9, 15).getTime();
    expect(throughputWindows().at(-1)).toEqual([from, to]);
    expect(screen.getByTestId("range-live").textContent).toBe("A fixed window: not redrawn.");

    fireEvent.change(screen.getByTestId("range-to"), { target: { value: "2026-11-20T07:00" } });
    expect(screen.getByTestId("range-invalid").textContent).toBe("From must be before To.");
    await settle();
    expect(throughputWindows().at(-1)).toEqual([from, to]);
  });

  it("reads the nearest column of each series under the pointer, and hides on leave", async () => {
    const from = NOW - 300_000;
    backend(
      invoke,
      charts((f, t, keys) =>
        keys[0] === "tasks_succeeded"
          ? reading(f, t, {
              tasks_succeeded: [column(from + 100_000, 2), column(from + 150_000, 4.5)],
              tasks_failed: [column(from + 150_000, 0.25)],
            })
          : reading(f, t, {}),
      ),
    );
    render(<Metrics />);
    await settle();
    // The fake's plot: 50 px from the left, 420 px wide for 300 s (the
    // card's width falls back to 480 px in jsdom).
    const plot = screen.getByTestId("chart-plot-throughput");
    const xAt = (ms: number) => 50 + ((ms - from) / 300_000) * 420;
    fireEvent.mouseMove(plot, { clientX: xAt(from + 148_000) });
    expect(screen.getByTestId("crosshair-throughput")).toBeTruthy();
    // Each row in the engine's words and colour for its series (the legend).
    expect(screen.getByTestId("readout-throughput-0").textContent).toBe("label of tasks_succeeded 4.5/s");
    expect(screen.getByTestId("readout-throughput-1").textContent).toBe("label of tasks_failed 0.25/s");
    const swatch = screen.getByTestId("readout-throughput-1").querySelector(".swatch") as HTMLElement;
    expect(swatch.style.background).toBe("rgb(245, 158, 11)");
    expect(screen.getByTestId("readout-throughput").textContent).toContain("10:27:28");

    // Nearer the first column; failed has none near there.
    fireEvent.mouseMove(plot, { clientX: xAt(from + 103_000) });
    expect(screen.getByTestId("readout-throughput-0").textContent).toBe("label of tasks_succeeded 2/s");
    expect(screen.getByTestId("readout-throughput-1").textContent).toBe("label of tasks_failed –");

    // Left of the plot (over the axis) and after leaving: no crosshair.
    fireEvent.mouseMove(plot, { clientX: 20 });
    expect(screen.queryByTestId("crosshair-throughput")).toBeNull();
    fireEvent.mouseMove(plot, { clientX: xAt(from + 148_000) });
    fireEvent.mouseLeave(plot);
    expect(screen.queryByTestId("crosshair-throughput")).toBeNull();
    expect(screen.queryByTestId("readout-throughput")).toBeNull();
  });

  it("says where the app was not running", async () => {
    const gapFrom = new Date(2026, 10, 20, 10, 2).getTime();
    const gapTo = new Date(2026, 10, 20, 10, 40).getTime();
    useMetricsStore.setState({ range: "24h" });
    backend(invoke, charts((f, t) => reading(f, t, {}, { gaps: [{ fromMs: gapFrom, toMs: gapTo }] })));
    render(<Metrics />);
    await settle();
    expect(screen.getByTestId("chart-gaps-throughput").textContent).toBe(
      "No data 10:02–10:40: the app was not running.",
    );
  });

  it("exports a chart as PNG and shows where it went; a cancel shows nothing", async () => {
    backend(invoke, { ...charts(), export_metrics_chart: "/home/u/sutazai-latency-2026-11-20.png" });
    render(<Metrics />);
    await settle();
    fireEvent.click(screen.getByTestId("export-latency"));
    await settle();
    expect(screen.getByTestId("export-path-latency").textContent).toBe("Saved to /home/u/sutazai-latency-2026-11-20.png");
    const call = callsOf(invoke, "export_metrics_chart")[0];
    expect(call?.fileName).toBe("sutazai-latency-2026-11-20.png");
    expect((call?.request as ChartRequest).query.series).toEqual([
      "task_latency_ms:p50",
      "task_latency_ms:p95",
      "task_latency_ms:p99",
    ]);

    backend(invoke, { ...charts(), export_metrics_chart: null });
    fireEvent.click(screen.getByTestId("export-latency"));
    await settle();
    expect(screen.queryByTestId("export-path-latency")).toBeNull();
    expect(screen.queryByTestId("export-error-latency")).toBeNull();

    backend(invoke, {
      ...charts(),
      export_metrics_chart: () => Promise.reject({ code: "store", message: "cannot draw the chart: disk full" }),
    });
    fireEvent.click(screen.getByTestId("export-latency"));
    await settle();
    const error = screen.getByTestId("export-error-latency");
    expect(error.getAttribute("data-code")).toBe("store");
    expect(error.textContent).toContain("Choose a folder you can write to");
  });

  it("shows an error by its code, with what to do", async () => {
    backend(invoke, {
      metrics_catalog: METRICS_CATALOG,
      metrics_chart: () => Promise.reject({ code: "engine_unavailable", message: "the metrics history has stopped" }),
    });
    render(<Metrics />);
    await settle();
    const error = screen.getByTestId("chart-error-throughput");
    expect(error.getAttribute("data-code")).toBe("engine_unavailable");
    expect(error.textContent).toContain("the metrics history has stopped");
    expect(error.textContent).toContain("Restart the app");
    expect(screen.queryByTestId("chart-svg-throughput")).toBeNull();
  });

  it("charts the agents picked, remembered when the view comes back", async () => {
    backend(invoke, charts());
    const view = render(<Metrics />);
    await settle();
    fireEvent.change(screen.getByTestId("agent-pick"), { target: { value: "AG-017" } });
    await settle();
    expect(screen.getByTestId("agent-chip-AG-017")).toBeTruthy();
    for (const id of ["ag-017-cpu", "ag-017-memory", "ag-017-tasks", "ag-017-latency"]) {
      expect(screen.getByTestId(`chart-svg-${id}`)).toBeTruthy();
    }
    const keys = callsOf(invoke, "metrics_chart").flatMap((c) => (c.request as ChartRequest).query.series);
    expect(keys).toEqual(
      expect.arrayContaining(["cpu_percent{AG-017}", "memory_bytes{AG-017}", "tasks_succeeded{AG-017}", "task_latency_ms:p95{AG-017}"]),
    );
    // AG-017 is no longer offered.
    expect(screen.getByTestId("agent-pick").querySelector('option[value="AG-017"]')).toBeNull();

    view.unmount();
    render(<Metrics />);
    await settle();
    expect(screen.getByTestId("chart-svg-ag-017-cpu")).toBeTruthy();
    fireEvent.click(screen.getByTestId("agent-remove-AG-017"));
    expect(screen.queryByTestId("agent-charts-AG-017")).toBeNull();
    expect(screen.getByTestId("agents-none")).toBeTruthy();
  });
});

describe("sanitizeSvg", () => {
  it("keeps the drawing and drops what could run or load", () => {
    const svg = sanitizeSvg(
      '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)" width="10" height="10">' +
        '<script>alert(2)</script><text x="1" y="9" onclick="alert(3)">ok</text>' +
        '<a href="https://example.com"><rect width="1" height="1"/></a>' +
        '<rect width="2" height="2" fill="url(https://example.com/x)"/><rect fill="url(#grad)"/></svg>',
    );
    expect(svg).not.toBeNull();
    expect(svg).toContain(">ok</text>");
    expect(svg).toContain('fill="url(#grad)"');
    for (const gone of ["onload", "onclick", "<script", "example.com"]) expect(svg).not.toContain(gone);
    expect(sanitizeSvg("<html>no</html>")).toBeNull();
  });
});
