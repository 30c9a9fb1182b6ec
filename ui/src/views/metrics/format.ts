// Pure helpers of the Metrics view: values by unit, clock times, the
// spans where the app was not running.
import type { Gap, Unit } from "../../ipc";

function trim(n: number, digits: number): string {
  return n.toFixed(digits).replace(/\.0+$/, "").replace(/(\.\d*?)0+$/, "$1");
}

/** In binary units, as the engine's chart axes label them. */
function bytes(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 2 ** 30) return `${trim(n / 2 ** 30, 2)} GiB`;
  if (abs >= 2 ** 20) return `${trim(n / 2 ** 20, 1)} MiB`;
  if (abs >= 2 ** 10) return `${trim(n / 2 ** 10, 1)} KiB`;
  return `${Math.round(n)} B`;
}

/** A value in its metric's unit, for people: `12.5%`, `84.2 MiB`, `3.2/s`,
 * `120 ms`, `97%`. */
export function formatValue(unit: Unit, value: number): string {
  switch (unit) {
    case "percent":
      return `${trim(value, value < 10 ? 2 : 1)}%`;
    case "bytes":
      return bytes(value);
    case "bytesPerSecond":
      return `${bytes(value)}/s`;
    case "perSecond":
      return `${trim(value, value < 10 ? 2 : 1)}/s`;
    case "count":
      return trim(value, 1);
    case "milliseconds":
      return value >= 1000 ? `${trim(value / 1000, 2)} s` : `${trim(value, value < 10 ? 1 : 0)} ms`;
    case "ratio":
      return `${trim(value * 100, 1)}%`;
  }
}

const pad = (n: number) => String(n).padStart(2, "0");
const DAY = 86_400_000;
const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** A local clock time precise enough for a window of `spanMs`: seconds
 * within an hour, minutes beyond; the day too ("Fri 04 12:43", as the
 * charts' axes name days) when it is not the day of `refMs` (the window's
 * end) or the window spans more than two days. */
export function formatClock(ms: number, spanMs: number, refMs: number = ms): string {
  const d = new Date(ms);
  const ref = new Date(refMs);
  const time = spanMs <= 3_600_000 ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}` : `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const sameDay = d.getFullYear() === ref.getFullYear() && d.getMonth() === ref.getMonth() && d.getDate() === ref.getDate();
  return sameDay && spanMs <= 2 * DAY ? time : `${WEEKDAYS[d.getDay()]} ${pad(d.getDate())} ${time}`;
}

/** Shown at most; the rest are counted. */
const GAPS_SHOWN = 3;

/** "No data 10:02–10:40: the app was not running." for a chart's gaps in
 * a window of `spanMs` ending at `endMs`; null when there are none. */
export function gapsNote(gaps: Gap[], spanMs: number, endMs: number): string | null {
  if (gaps.length === 0) return null;
  const spans = gaps
    .slice(0, GAPS_SHOWN)
    .map((g) => `${formatClock(g.fromMs, spanMs, endMs)}–${formatClock(g.toMs, spanMs, endMs)}`);
  const more = gaps.length > GAPS_SHOWN ? ` and ${gaps.length - GAPS_SHOWN} more` : "";
  return `No data ${spans.join(", ")}${more}: the app was not running.`;
}

/** A datetime-local input's value for `ms` (local time, to the minute). */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The time a datetime-local input's value names; null when it names none. */
export function fromLocalInput(value: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}
