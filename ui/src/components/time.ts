// Relative time for people, and a clock that re-renders.
import { useEffect, useState } from "react";

/** The current time, updated every `intervalMs`. */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** "just now", "12 s ago", "3 min ago", "2 h ago". */
export function ago(ms: number, now: number): string {
  const seconds = Math.max(0, Math.round((now - ms) / 1000));
  if (seconds < 2) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return `${Math.floor(seconds / 3600)} h ago`;
}

// Formatters are made once: `Date.prototype.toLocaleString` builds a new
// ICU formatter on every call, and a view that re-renders every second
// would leave one behind per call until the web process collects garbage.
const WHEN = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "short", timeStyle: "medium" });
const TIME_OF_DAY = new Intl.DateTimeFormat(undefined, { timeStyle: "medium" });

/** `format` of a moment, or "–" for none (`Intl` throws on NaN). */
function formatted(format: Intl.DateTimeFormat, ms: number): string {
  return Number.isFinite(ms) ? format.format(ms) : "–";
}

/** A date and time for people, in the local zone ("Dec 5, 02:14:09"). */
export function when(ms: number): string {
  return formatted(WHEN, ms);
}

/** A full date and time for people, in the local zone. */
export function dateTime(ms: number): string {
  return formatted(DATE_TIME, ms);
}

/** The time of day for people, in the local zone. */
export function timeOfDay(ms: number): string {
  return formatted(TIME_OF_DAY, ms);
}
