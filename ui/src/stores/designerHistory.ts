// The designer's undo history kept across restarts, in the web view's local
// storage: per workflow, a log of snapshots (each state written once, when
// it first appears, so an edit costs one workflow's JSON however long the
// history) and an index of which snapshots make the history and where the
// present is. A history is taken back only when the workflow opened is the
// one it leads to (an edit made elsewhere meanwhile starts afresh).
import type { Workflow } from "../ipc";

/** States kept each way of the present (the in-memory history may hold more). */
export const HISTORY_KEPT = 100;

const indexKey = (id: string) => `sutazai.designer.history.${id}`;
const snapshotKey = (id: string, n: number) => `sutazai.designer.history.${id}.${n}`;

type Index = { snapshots: number[]; at: number; next: number };

/** JSON with sorted keys and no null fields: the same workflow reads the
 * same whichever way its objects were built. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => {
    if (v === null) return undefined;
    if (typeof v !== "object" || Array.isArray(v)) return v;
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
  });
}

/** The snapshot number each state object was written under, per workflow. */
const written = new Map<string, WeakMap<Workflow, number>>();

function readIndex(id: string): Index | null {
  try {
    const index = JSON.parse(localStorage.getItem(indexKey(id)) ?? "null") as Index | null;
    return index && Array.isArray(index.snapshots) ? index : null;
  } catch {
    return null;
  }
}

/** Keeps `states` (the past, the present at `at`, the future) as the
 * history of `id`. */
export function keepHistory(id: string, states: Workflow[], at: number): void {
  const from = Math.max(0, at - HISTORY_KEPT);
  const kept = states.slice(from, at + HISTORY_KEPT + 1);
  const before = readIndex(id);
  let next = before?.next ?? 0;
  const numbers = written.get(id) ?? new WeakMap<Workflow, number>();
  written.set(id, numbers);
  try {
    const snapshots = kept.map((state) => {
      let n = numbers.get(state);
      if (n === undefined) {
        n = next++;
        localStorage.setItem(snapshotKey(id, n), JSON.stringify(state));
        numbers.set(state, n);
      }
      return n;
    });
    localStorage.setItem(indexKey(id), JSON.stringify({ snapshots, at: at - from, next } satisfies Index));
    const used = new Set(snapshots);
    for (const n of before?.snapshots ?? []) if (!used.has(n)) localStorage.removeItem(snapshotKey(id, n));
  } catch {
    // Over the storage's quota: this history is not kept; undo still works
    // until the app closes.
    forgetHistory(id);
  }
}

/** The history kept for `id` if it leads to `present`; else none. */
export function takeHistory(id: string, present: Workflow): { past: Workflow[]; future: Workflow[] } | null {
  const index = readIndex(id);
  if (!index) return null;
  try {
    const states = index.snapshots.map((n) => JSON.parse(localStorage.getItem(snapshotKey(id, n)) ?? "null") as Workflow);
    if (states.some((s) => s === null) || canonical(states[index.at]) !== canonical(present)) return null;
    // The snapshots stand for these states from now on: not written again.
    const numbers = new WeakMap<Workflow, number>();
    written.set(id, numbers);
    states.forEach((s, i) => numbers.set(s, index.snapshots[i]!));
    return { past: states.slice(0, index.at), future: states.slice(index.at + 1) };
  } catch {
    return null;
  }
}

/** Forgets the history of `id`. */
export function forgetHistory(id: string): void {
  try {
    for (const n of readIndex(id)?.snapshots ?? []) localStorage.removeItem(snapshotKey(id, n));
    localStorage.removeItem(indexKey(id));
  } catch {
    // nothing kept
  }
}
