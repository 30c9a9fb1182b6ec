// The pointer's crosshair over a chart: the time under the pointer and each
// series' value there, read from the figures the chart was drawn from.
import type { Chart, Column, Tier } from "../../ipc";
import { formatValue } from "./format";

/** How far apart a tier's stored points are. */
const STEP_MS: Record<Tier, number> = { second: 1000, minute: 60_000, hour: 3_600_000 };

export type ReadoutRow = { key: string; label: string; color: string; value: string | null };
export type Readout = { atMs: number; rows: ReadoutRow[] };

/** The column of `columns` (sorted by time) whose middle is nearest `atMs`. */
export function nearestColumn(columns: Column[], atMs: number, columnMs: number): Column | null {
  if (columns.length === 0) return null;
  let lo = 0;
  let hi = columns.length - 1;
  // The first column starting after `atMs`, or the last.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (columns[mid]!.atMs <= atMs) lo = mid + 1;
    else hi = mid;
  }
  const distance = (c: Column) => Math.abs(c.atMs + columnMs / 2 - atMs);
  const candidates = [columns[lo - 1], columns[lo]].filter((c): c is Column => c !== undefined);
  return candidates.reduce((best, c) => (distance(c) < distance(best) ? c : best));
}

/** What the crosshair reads at `x` (in the SVG's pixels); null outside the
 * plot. A series with no column near enough (the app was not running, or
 * nothing was measured) reads null. */
export function readoutAt(chart: Chart, x: number): Readout | null {
  const { plot, reading } = chart;
  if (plot.width <= 0 || x < plot.left || x > plot.left + plot.width) return null;
  const span = reading.toMs - reading.fromMs;
  const atMs = reading.fromMs + ((x - plot.left) / plot.width) * span;
  const columnMs = span / Math.max(1, reading.width);
  const tolerance = Math.max(2 * columnMs, 1.5 * STEP_MS[reading.tier]);
  const rows = reading.series.map((s, i) => {
    const column = nearestColumn(s.columns, atMs, columnMs);
    const near = column !== null && Math.abs(column.atMs + columnMs / 2 - atMs) <= tolerance;
    return {
      key: s.key,
      label: chart.legend[i]?.label ?? s.key,
      color: chart.legend[i]?.color ?? "currentColor",
      value: near ? formatValue(s.unit, column.mean) : null,
    };
  });
  return { atMs, rows };
}

/** Whether a chart has nothing to show: no series has a single column. */
export function isEmpty(chart: Chart): boolean {
  return chart.reading.series.every((s) => s.columns.length === 0);
}
