import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChartRequest } from "../ipc";
import { chart, column, reading } from "../ipc/fixtures";
import { backend, callsOf } from "../ipc/testing";

const invoke = vi.fn();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));

const { exportName, fleetNowOf, refreshOf, useMetricsStore, windowOf } = await import("./metrics");

const NOW = new Date(2026, 10, 20, 10, 30, 0).getTime();
const HOUR = 3_600_000;
const DEF = { id: "throughput", title: "Throughput", series: ["tasks_succeeded"] };

/** The window of each metrics_chart call so far. */
function windows() {
  return callsOf(invoke, "metrics_chart").map((c) => {
    const { query } = c.request as ChartRequest;
    return [query.fromMs, query.toMs];
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
  invoke.mockReset();
  useMetricsStore.setState({ range: "5m", custom: null, agents: [], slots: {}, exports: {}, drawnAtMs: 0 });
  backend(invoke, {
    metrics_chart: ({ request }) => chart(reading(request.query.fromMs, request.query.toMs, {}), request.spec.width),
  });
});

afterEach(() => {
  vi.useRealTimers();
});

describe("metrics store", () => {
  it("asks for the window of the chosen range, ending now", async () => {
    const store = useMetricsStore.getState();
    store.place(DEF, 640, 220);
    await vi.advanceTimersByTimeAsync(0);
    expect(windows()).toEqual([[NOW - 5 * 60_000, NOW]]);
    const first = callsOf(invoke, "metrics_chart")[0]?.request as ChartRequest;
    expect(first.query).toEqual({ series: ["tasks_succeeded"], fromMs: NOW - 300_000, toMs: NOW, width: 640 });
    expect(first.spec).toMatchObject({ title: "Throughput", width: 640, height: 220 });

    vi.setSystemTime(NOW + 2000);
    store.setRange("1h");
    store.setRange("24h");
    store.setRange("30d");
    await vi.advanceTimersByTimeAsync(0);
    expect(windows().slice(1)).toEqual([
      [NOW + 2000 - HOUR, NOW + 2000],
      [NOW + 2000 - 24 * HOUR, NOW + 2000],
      [NOW + 2000 - 30 * 24 * HOUR, NOW + 2000],
    ]);
    // The slot keeps only the latest drawing's answer.
    expect(useMetricsStore.getState().slots.throughput?.chart?.reading.fromMs).toBe(NOW + 2000 - 30 * 24 * HOUR);

    useMetricsStore.getState().setCustom({ fromMs: NOW - 2 * HOUR, toMs: NOW - HOUR });
    await vi.advanceTimersByTimeAsync(0);
    expect(windows().at(-1)).toEqual([NOW - 2 * HOUR, NOW - HOUR]);
    expect(useMetricsStore.getState().range).toBe("custom");
    // A window that ends before it starts is not taken.
    useMetricsStore.getState().setCustom({ fromMs: NOW, toMs: NOW - HOUR });
    expect(useMetricsStore.getState().custom).toEqual({ fromMs: NOW - 2 * HOUR, toMs: NOW - HOUR });
  });

  it("starts a custom window from the range shown so far", () => {
    useMetricsStore.getState().setRange("1h");
    useMetricsStore.getState().setRange("custom");
    expect(useMetricsStore.getState().custom).toEqual({ fromMs: NOW - HOUR, toMs: NOW });
    expect(windowOf("custom", null, NOW)).toEqual({ fromMs: NOW - HOUR, toMs: NOW });
    // A custom window is redrawn only while its end is still to come.
    expect(refreshOf("custom", { fromMs: NOW - HOUR, toMs: NOW }, NOW)).toBeNull();
    expect(refreshOf("custom", { fromMs: NOW - HOUR, toMs: NOW + HOUR }, NOW)).toBe(30_000);
    expect(refreshOf("1h", null, NOW)).toBe(1000);
    expect(refreshOf("7d", null, NOW)).toBe(30_000);
  });

  it("redraws every second for short ranges, every 30 s for long ones, and stops", async () => {
    const store = useMetricsStore.getState();
    store.place(DEF, 640, 220);
    const stop = store.follow();
    await vi.advanceTimersByTimeAsync(3000);
    expect(windows()).toHaveLength(4);
    // The window's end follows now.
    expect(windows().at(-1)).toEqual([NOW + 3000 - 300_000, NOW + 3000]);

    store.setRange("24h");
    await vi.advanceTimersByTimeAsync(0);
    const before = windows().length;
    await vi.advanceTimersByTimeAsync(20_000);
    expect(windows()).toHaveLength(before);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(windows()).toHaveLength(before + 1);

    stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(windows()).toHaveLength(before + 1);
  });

  it("keeps the error by code, and forgets a chart no longer shown", async () => {
    backend(invoke, { metrics_chart: () => Promise.reject({ code: "store", message: "cannot draw the chart: x" }) });
    useMetricsStore.getState().place(DEF, 640, 220);
    await vi.advanceTimersByTimeAsync(0);
    const slot = useMetricsStore.getState().slots.throughput;
    expect(slot?.error?.code).toBe("store");
    expect(slot?.chart).toBeNull();
    useMetricsStore.getState().forget("throughput");
    expect(useMetricsStore.getState().slots.throughput).toBeUndefined();
  });

  it("exports a PNG under a dated name; a cancel leaves no path", async () => {
    useMetricsStore.getState().place(DEF, 640, 220);
    await vi.advanceTimersByTimeAsync(0);
    backend(invoke, { export_metrics_chart: "/home/u/sutazai-throughput-2026-11-20.png" });
    await useMetricsStore.getState().exportChart("throughput");
    expect(useMetricsStore.getState().exports.throughput).toEqual({
      busy: false,
      path: "/home/u/sutazai-throughput-2026-11-20.png",
      error: null,
    });
    const call = callsOf(invoke, "export_metrics_chart")[0];
    expect(call?.fileName).toBe("sutazai-throughput-2026-11-20.png");
    expect((call?.request as ChartRequest).query.fromMs).toBe(NOW - 300_000);

    backend(invoke, { export_metrics_chart: null });
    await useMetricsStore.getState().exportChart("throughput");
    expect(useMetricsStore.getState().exports.throughput?.path).toBeNull();
    expect(exportName("AG-001-cpu", NOW)).toBe("sutazai-ag-001-cpu-2026-11-20.png");
  });

  it("reads Fleet now from the last minute", () => {
    const from = NOW - 60_000;
    const now = fleetNowOf(
      reading(
        from,
        NOW,
        {
          agents_healthy: [column(NOW - 2000, 19), column(NOW - 1000, 20)],
          agents_deployed: [column(NOW - 1000, 20)],
          // 30 tasks succeeded and 6 failed within the minute.
          tasks_succeeded: [column(from, 10), column(from + 1000, 20)],
          tasks_failed: [column(from + 5000, 6)],
          success_rate: [column(NOW - 1000, 0.8333)],
          runs_active: [],
        },
        { width: 60 },
      ),
    );
    expect(now).toEqual({ healthy: 20, deployed: 20, throughput: 36 / 60, successRate: 0.8333, runsActive: null });
  });
});
