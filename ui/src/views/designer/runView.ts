// What the designer draws of a run beside the graph: what a re-run from a
// step would reuse, and the steps' timeline with idle gaps compressed.
// Pure functions of the run (and the graph it ran), tested on their own.
import type { RunStep } from "../../ipc";

/** The steps `step` waits for, directly or not, over `edges`. */
export function upstreamOf(edges: { source: string; target: string }[], step: string): Set<string> {
  const before = new Map<string, string[]>();
  for (const e of edges) before.set(e.target, [...(before.get(e.target) ?? []), e.source]);
  const seen = new Set<string>();
  const todo = [...(before.get(step) ?? [])];
  while (todo.length > 0) {
    const at = todo.pop()!;
    if (seen.has(at)) continue;
    seen.add(at);
    todo.push(...(before.get(at) ?? []));
  }
  return seen;
}

export type Savings = { steps: number; ms: number; tokens: number };

function tokensOf(step: RunStep): number {
  return step.tasks.reduce((sum, t) => sum + t.tokens, 0);
}

/** What a re-run from `step` keeps (as the engine does): the outputs of the
 * steps upstream of it that succeeded, their time and tokens not spent again. */
export function rerunSavings(
  steps: RunStep[],
  edges: { source: string; target: string }[],
  step: string,
): Savings {
  const upstream = upstreamOf(edges, step);
  const saved: Savings = { steps: 0, ms: 0, tokens: 0 };
  for (const s of steps) {
    if (s.parent !== null || !upstream.has(s.id) || s.status !== "succeeded") continue;
    saved.steps += 1;
    saved.ms += s.startedMs !== null && s.finishedMs !== null ? s.finishedMs - s.startedMs : 0;
    saved.tokens += tokensOf(s);
  }
  return saved;
}

/** The attempt a step is at, of how many its retry allows (the engine's
 * default when the step sets none), once it has retried. */
export function attemptText(step: RunStep, allowed: number | null): string | null {
  const attempts = Math.max(0, ...step.tasks.map((t) => t.attempts));
  if (attempts <= 1 && step.status !== "retrying") return null;
  return allowed === null ? `attempt ${attempts}` : `attempt ${attempts}/${allowed}`;
}

export type Bar = {
  id: string;
  status: RunStep["status"];
  /** Where the bar starts and ends on the compressed time axis, in ms. */
  from: number;
  to: number;
  /** The step's real duration. */
  ms: number;
};

export type Timeline = {
  bars: Bar[];
  /** The compressed axis's length in ms. */
  span: number;
  /** Idle stretches cut out: where on the axis, and how long they were. */
  gaps: { at: number; ms: number }[];
};

/** The started steps laid on one time axis, in start order, with every idle
 * stretch (no step running) longer than `maxIdleMs` cut to `maxIdleMs`. */
export function timeline(steps: RunStep[], now: number, maxIdleMs = 1000): Timeline {
  const started = steps
    .filter((s) => s.startedMs !== null && s.reusedFrom === null)
    .map((s) => ({ step: s, start: s.startedMs!, end: Math.max(s.startedMs!, s.finishedMs ?? now) }))
    .sort((a, b) => a.start - b.start || a.step.id.localeCompare(b.step.id));
  if (started.length === 0) return { bars: [], span: 0, gaps: [] };
  // Walk the starts in order: a start after everything before has ended,
  // by more than maxIdleMs, shifts all that follows left.
  const gaps: Timeline["gaps"] = [];
  let cut = 0;
  let busyUntil = started[0]!.start;
  const origin = started[0]!.start;
  const bars: Bar[] = started.map(({ step, start, end }) => {
    const idle = start - busyUntil;
    if (idle > maxIdleMs) {
      cut += idle - maxIdleMs;
      gaps.push({ at: busyUntil - origin - (cut - (idle - maxIdleMs)) + maxIdleMs / 2, ms: idle });
    }
    busyUntil = Math.max(busyUntil, end);
    return { id: step.id, status: step.status, from: start - origin - cut, to: end - origin - cut, ms: end - start };
  });
  return { bars, span: Math.max(...bars.map((b) => b.to)), gaps };
}
