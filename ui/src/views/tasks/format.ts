// Words and figures of the Tasks view: statuses, durations, payloads,
// results and the router's figures.
import type { AttemptOutcome, BreakerState, TaskStatus } from "../../ipc";

/** Every status, in the order a task goes through them. */
export const TASK_STATUSES: TaskStatus[] = [
  "queued",
  "dispatched",
  "running",
  "succeeded",
  "failed",
  "dead",
  "cancelled",
];

export const TASK_BADGE: Record<TaskStatus, string> = {
  queued: "badge-idle",
  dispatched: "badge-checking",
  running: "badge-checking",
  succeeded: "badge-connected",
  failed: "badge-unreachable",
  dead: "badge-unreachable",
  cancelled: "badge-unknown",
};

export const BREAKER_LABELS: Record<BreakerState, string> = {
  closed: "closed",
  open: "open",
  half_open: "half-open",
};

/** Queued, dispatched or running: it can still be cancelled. */
export function canCancel(status: TaskStatus): boolean {
  return status === "queued" || status === "dispatched" || status === "running";
}

/** Failed, dead or cancelled: it can be queued again. */
export function canRequeue(status: TaskStatus): boolean {
  return status === "failed" || status === "dead" || status === "cancelled";
}

/** "850 ms", "4.2 s", "3 min 05 s", "2 h 04 min". */
export function elapsed(ms: number): string {
  const n = Math.max(0, ms);
  if (n < 1000) return `${Math.round(n)} ms`;
  if (n < 60_000) return `${(n / 1000).toFixed(1)} s`;
  const seconds = Math.floor(n / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, "0")} s`;
  const minutes = Math.floor(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** From submission to the end, or to `now` while the task is not over. */
export function taskDuration(task: { createdMs: number; finishedMs: number | null }, now: number): string {
  return elapsed((task.finishedMs ?? now) - task.createdMs);
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** The payload editor's text as JSON, or why it is not JSON. */
export function parsePayload(text: string): Parsed {
  if (text.trim() === "") return { ok: false, error: "enter a JSON value, such as {} or {\"text\": \"hello\"}" };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Pretty JSON for the detail panel. */
export function pretty(value: unknown): string {
  return typeof value === "string" ? value : (JSON.stringify(value, null, 2) ?? String(value));
}

/** What an agent's output shows: its JSON when it has one, else its text,
 * else the whole output (`{kind, text, json?, codeBlocks?}`). */
export function resultText(result: unknown): string {
  if (result === null || result === undefined) return "";
  if (typeof result === "object" && !Array.isArray(result)) {
    const r = result as Record<string, unknown>;
    if (r.json !== undefined && r.json !== null) return pretty(r.json);
    if (typeof r.text === "string") return r.text;
  }
  return pretty(result);
}

/** A router score: lower is better. */
export function score(value: number | null): string {
  return value === null ? "—" : value.toFixed(3);
}

/** "12 %" of calls failed recently. */
export function errorRate(rate: number): string {
  return `${Math.round(rate * 100)} %`;
}

/** Average latency; the router takes unknown latency as the worst (f64::MAX). */
export function latency(ms: number): string {
  if (!Number.isFinite(ms) || ms >= 1e300) return "unknown";
  return elapsed(ms);
}

/** One attempt's outcome in words. */
export function outcomeText(outcome: AttemptOutcome | null): string {
  if (outcome === null) return "running";
  switch (outcome.kind) {
    case "succeeded":
      return "succeeded";
    case "failed":
      return `failed (${outcome.failure.code}): ${outcome.failure.message}${outcome.retried ? " — retried" : ""}`;
    case "cancelled":
      return "cancelled";
    case "interrupted":
      return "interrupted by an app restart";
  }
}
