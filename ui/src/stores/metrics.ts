// Metrics: the catalog of what can be charted, the time range the charts
// show, the agents picked for per-agent charts, and each shown chart's last
// drawing (an SVG from the engine) or error. Charts are redrawn live while
// the view is shown: every second for the short ranges, whose window ends
// now, every 30 s for the long ones. The Overview's "Fleet now" figures
// come from the same history (`useFleetNowStore`).
import { create } from "zustand";
import {
  commands,
  IpcError,
  type Chart,
  type ChartRequest,
  type MetricsCatalog,
  type MetricsReading,
  type SeriesReading,
} from "../ipc";
import { toIpcError } from "../ipc/call";

export type RangeId = "5m" | "1h" | "24h" | "7d" | "30d" | "custom";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The ranges on offer, in the order the range bar shows them; `spanMs`
 * is how far back a range reaches from now, `refreshMs` how often its
 * charts are redrawn. */
export const RANGES: { id: Exclude<RangeId, "custom">; label: string; spanMs: number; refreshMs: number }[] = [
  { id: "5m", label: "5 m", spanMs: 5 * MINUTE, refreshMs: 1000 },
  { id: "1h", label: "1 h", spanMs: HOUR, refreshMs: 1000 },
  { id: "24h", label: "24 h", spanMs: DAY, refreshMs: 30_000 },
  { id: "7d", label: "7 d", spanMs: 7 * DAY, refreshMs: 30_000 },
  { id: "30d", label: "30 d", spanMs: 30 * DAY, refreshMs: 30_000 },
];

/** A custom window whose end is still to come is redrawn this often. */
export const CUSTOM_REFRESH_MS = 30_000;
/** How often the live ticker looks whether a redraw is due. */
export const TICK_MS = 1000;
/** At most this many agents get charts of their own (each adds four). */
export const MAX_AGENTS = 6;

export type TimeWindow = { fromMs: number; toMs: number };

/** The window `range` shows at `nowMs` (a custom one is fixed). */
export function windowOf(range: RangeId, custom: TimeWindow | null, nowMs: number): TimeWindow {
  if (range === "custom" && custom) return custom;
  const span = RANGES.find((r) => r.id === range)?.spanMs ?? HOUR;
  return { fromMs: nowMs - span, toMs: nowMs };
}

/** How often the charts of `range` are redrawn; null when never: a custom
 * window that has ended (or ends within the minute) does not change. */
export function refreshOf(range: RangeId, custom: TimeWindow | null, nowMs: number): number | null {
  if (range === "custom") return custom && custom.toMs > nowMs + MINUTE ? CUSTOM_REFRESH_MS : null;
  return RANGES.find((r) => r.id === range)?.refreshMs ?? null;
}

/** A chart the view shows: `id` is unique among the shown charts and
 * names the exported file (`sutazai-<id>-<date>.png`). */
export type ChartDef = {
  id: string;
  title: string;
  /** Series keys; the engine's legend names and colours them. */
  series: string[];
};

/** A shown chart: what it draws, at which size, and its last drawing. */
export type ChartSlot = {
  def: ChartDef;
  width: number;
  height: number;
  chart: Chart | null;
  /** The width `chart` was drawn at (the view may have been resized since). */
  drawnWidth: number;
  error: IpcError | null;
  /** A drawing is under way; the ticker skips the chart until it ends. */
  busy: boolean;
  /** Counts the drawings asked for: only the latest one's answer is kept. */
  seq: number;
};

export type ExportState = {
  busy: boolean;
  /** Where the PNG was written; null before, and after a cancel. */
  path: string | null;
  error: IpcError | null;
};

/** Whether the app is drawn dark (the charts follow). */
function prefersDark(): boolean {
  return typeof window !== "undefined" && typeof window.matchMedia === "function"
    ? window.matchMedia("(prefers-color-scheme: dark)").matches
    : false;
}

/** What the engine is asked to draw for `def` over `window`. */
export function requestOf(def: ChartDef, width: number, height: number, window: TimeWindow): ChartRequest {
  return {
    query: { series: def.series, fromMs: window.fromMs, toMs: window.toMs, width },
    spec: {
      title: def.title,
      width,
      height,
      utcOffsetMinutes: -new Date(window.toMs).getTimezoneOffset(),
      dark: prefersDark(),
    },
  };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** The exported file's name: `sutazai-<chart>-<yyyy-mm-dd>.png` (local date). */
export function exportName(chartId: string, nowMs: number): string {
  const d = new Date(nowMs);
  const slug = chartId.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  return `sutazai-${slug}-${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}.png`;
}

type MetricsState = {
  catalog: MetricsCatalog | null;
  catalogError: IpcError | null;
  range: RangeId;
  /** The custom window; kept when another range is chosen. */
  custom: TimeWindow | null;
  /** Agents picked for per-agent charts, in the order picked. */
  agents: string[];
  /** The shown charts, by id. */
  slots: Record<string, ChartSlot>;
  exports: Record<string, ExportState>;
  /** When the charts were last redrawn all together (the ticker's clock). */
  drawnAtMs: number;
  loadCatalog: () => Promise<void>;
  /** Shows `range` and redraws every chart at once. */
  setRange: (range: RangeId) => void;
  /** Shows the custom window `fromMs`..`toMs` (ignored unless from < to). */
  setCustom: (window: TimeWindow) => void;
  addAgent: (id: string) => void;
  removeAgent: (id: string) => void;
  /** A chart is shown at `width` × `height`: drawn now unless it already
   * is at that size. */
  place: (def: ChartDef, width: number, height: number) => void;
  /** A chart is no longer shown. */
  forget: (id: string) => void;
  /** Redraws one chart; unless `force`, not while it is being drawn. */
  draw: (id: string, force?: boolean) => Promise<void>;
  /** Redraws every shown chart. */
  redraw: (force?: boolean) => void;
  /** Redraws while the view is shown, as often as the range asks;
   * returns the function that stops. */
  follow: () => () => void;
  /** Writes `id` as a PNG where the person chooses (the native dialog). */
  exportChart: (id: string) => Promise<void>;
};

export const useMetricsStore = create<MetricsState>((set, get) => ({
  catalog: null,
  catalogError: null,
  range: "5m",
  custom: null,
  agents: [],
  slots: {},
  exports: {},
  drawnAtMs: 0,
  loadCatalog: async () => {
    try {
      set({ catalog: await commands.metricsCatalog(), catalogError: null });
    } catch (err) {
      set({ catalogError: toIpcError(err) });
    }
  },
  setRange: (range) => {
    const { custom } = get();
    if (range === "custom" && !custom) {
      // Custom starts from the window shown so far.
      const now = Date.now();
      set({ custom: windowOf(get().range, null, now) });
    }
    set({ range });
    get().redraw(true);
  },
  setCustom: (window) => {
    if (!(window.fromMs < window.toMs)) return;
    set({ custom: window, range: "custom" });
    get().redraw(true);
  },
  addAgent: (id) => {
    const { agents } = get();
    if (agents.includes(id) || agents.length >= MAX_AGENTS) return;
    set({ agents: [...agents, id] });
  },
  removeAgent: (id) => set({ agents: get().agents.filter((a) => a !== id) }),
  place: (def, width, height) => {
    const slot = get().slots[def.id];
    const same =
      slot &&
      slot.width === width &&
      slot.height === height &&
      slot.def.title === def.title &&
      slot.def.series.join() === def.series.join();
    if (same) return;
    set({
      slots: {
        ...get().slots,
        [def.id]: slot
          ? { ...slot, def, width, height }
          : { def, width, height, chart: null, drawnWidth: width, error: null, busy: false, seq: 0 },
      },
    });
    void get().draw(def.id, true);
  },
  forget: (id) => {
    const slots = { ...get().slots };
    const exports = { ...get().exports };
    delete slots[id];
    delete exports[id];
    set({ slots, exports });
  },
  draw: async (id, force = false) => {
    const slot = get().slots[id];
    if (!slot || (slot.busy && !force)) return;
    const seq = slot.seq + 1;
    const { def, width, height } = slot;
    set({ slots: { ...get().slots, [id]: { ...slot, busy: true, seq } } });
    const window = windowOf(get().range, get().custom, Date.now());
    let outcome: Pick<ChartSlot, "chart" | "error" | "drawnWidth"> | null = null;
    try {
      const chart = await commands.metricsChart(requestOf(def, width, height, window));
      outcome = { chart, error: null, drawnWidth: width };
    } catch (err) {
      outcome = { chart: null, error: toIpcError(err), drawnWidth: width };
    }
    const now = get().slots[id];
    // Forgotten meanwhile, or a later drawing was asked for: this one is stale.
    if (!now || now.seq !== seq) return;
    set({ slots: { ...get().slots, [id]: { ...now, ...outcome, busy: false } } });
  },
  redraw: (force = false) => {
    set({ drawnAtMs: Date.now() });
    for (const id of Object.keys(get().slots)) void get().draw(id, force);
  },
  follow: () => {
    set({ drawnAtMs: Date.now() });
    const timer = setInterval(() => {
      const { range, custom, drawnAtMs } = get();
      const now = Date.now();
      const every = refreshOf(range, custom, now);
      if (every !== null && now - drawnAtMs >= every - TICK_MS / 2) get().redraw();
    }, TICK_MS);
    return () => clearInterval(timer);
  },
  exportChart: async (id) => {
    const slot = get().slots[id];
    if (!slot || get().exports[id]?.busy) return;
    set({ exports: { ...get().exports, [id]: { busy: true, path: null, error: null } } });
    const now = Date.now();
    const request = requestOf(slot.def, slot.width, slot.height, windowOf(get().range, get().custom, now));
    let done: ExportState;
    try {
      done = { busy: false, path: await commands.exportMetricsChart(request, exportName(id, now)), error: null };
    } catch (err) {
      done = { busy: false, path: null, error: toIpcError(err) };
    }
    if (get().slots[id]) set({ exports: { ...get().exports, [id]: done } });
  },
}));

// ---- The Overview's "Fleet now" ----

/** How far back "now" reaches. */
export const FLEET_NOW_SPAN_MS = 60_000;
/** How often the Overview asks again while shown. */
export const FLEET_NOW_POLL_MS = 3000;
/** The series "Fleet now" reads. */
export const FLEET_NOW_SERIES = [
  "agents_healthy",
  "agents_deployed",
  "tasks_succeeded",
  "tasks_failed",
  "success_rate",
  "runs_active",
];

/** The fleet over the last minute; null where the history has nothing. */
export type FleetNow = {
  healthy: number | null;
  deployed: number | null;
  /** Tasks ended per second (succeeded and failed), over the minute. */
  throughput: number | null;
  /** 0–1, of the attempts ended in the last minute. */
  successRate: number | null;
  runsActive: number | null;
};

function latest(series: SeriesReading | undefined): number | null {
  const last = series?.columns[series.columns.length - 1];
  return last ? last.mean : null;
}

/** Events per second over the whole reading (a rate's column mean is its
 * rate over the column; a column with no sample counted nothing). */
function ratePerSecond(reading: MetricsReading, series: (SeriesReading | undefined)[]): number | null {
  if (series.every((s) => !s || s.columns.length === 0)) return null;
  const columnMs = (reading.toMs - reading.fromMs) / Math.max(1, reading.width);
  let events = 0;
  for (const s of series) for (const c of s?.columns ?? []) events += c.mean * (columnMs / 1000);
  return events / ((reading.toMs - reading.fromMs) / 1000);
}

/** "Fleet now" from a reading of `FLEET_NOW_SERIES`. */
export function fleetNowOf(reading: MetricsReading): FleetNow {
  const by = (key: string) => reading.series.find((s) => s.key === key);
  return {
    healthy: latest(by("agents_healthy")),
    deployed: latest(by("agents_deployed")),
    throughput: ratePerSecond(reading, [by("tasks_succeeded"), by("tasks_failed")]),
    successRate: latest(by("success_rate")),
    runsActive: latest(by("runs_active")),
  };
}

type FleetNowState = {
  now: FleetNow | null;
  error: IpcError | null;
  load: () => Promise<void>;
  /** Reads every `FLEET_NOW_POLL_MS`; returns the function that stops. */
  poll: () => () => void;
};

export const useFleetNowStore = create<FleetNowState>((set) => ({
  now: null,
  error: null,
  load: async () => {
    const toMs = Date.now();
    try {
      const reading = await commands.queryMetrics({
        series: FLEET_NOW_SERIES,
        fromMs: toMs - FLEET_NOW_SPAN_MS,
        toMs,
        width: FLEET_NOW_SPAN_MS / 1000,
      });
      set({ now: fleetNowOf(reading), error: null });
    } catch (err) {
      set({ error: toIpcError(err) });
    }
  },
  poll: () => {
    void useFleetNowStore.getState().load();
    const timer = setInterval(() => void useFleetNowStore.getState().load(), FLEET_NOW_POLL_MS);
    return () => clearInterval(timer);
  },
}));
