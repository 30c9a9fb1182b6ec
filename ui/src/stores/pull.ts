// A model pull as the models store keeps it: the current layer and the
// measured speed, folded from Ollama's progress lines; and the model-name
// rule checked before a pull starts. Pure.
import type { PullProgress } from "../ipc";

/** The same checks as the engine's `validate_model_name`; null when fine. */
export function modelNameProblem(name: string): string | null {
  if (name.length === 0) return "Enter a model name, e.g. llama3.2:1b";
  if (name.length > 200) return "The name is longer than 200 characters";
  if (/\s/.test(name)) return "The name must not contain spaces";
  if (name.includes("..")) return "The name must not contain ..";
  if (name.startsWith("/")) return "The name must not start with /";
  const bad = [...name].find((c) => !/[A-Za-z0-9._:/-]/.test(c));
  if (bad !== undefined) return `The name must not contain ${JSON.stringify(bad)}; only letters, digits and ._:/- are allowed`;
  return null;
}

/** A pull as the view shows it: the current layer and the measured speed. */
export type PullState = {
  name: string;
  status: string;
  completed: number;
  total: number;
  /** Bytes per second, smoothed; null before two samples. */
  speed: number | null;
  /** When the last sample was taken (ms). */
  sampledAt: number;
  digest: string | null;
};

export function startPull(name: string, now: number): PullState {
  return { name, status: "starting", completed: 0, total: 0, speed: null, sampledAt: now, digest: null };
}

/** Folds one progress line into the pull state. */
export function advance(state: PullState, line: PullProgress, now: number): PullState {
  const digest = line.digest ?? null;
  const completed = line.completed ?? (digest === state.digest ? state.completed : 0);
  const total = line.total ?? (digest === state.digest ? state.total : 0);
  let speed = state.speed;
  const elapsed = (now - state.sampledAt) / 1000;
  if (digest !== null && digest === state.digest && elapsed > 0 && completed >= state.completed) {
    const sample = (completed - state.completed) / elapsed;
    speed = speed === null ? sample : speed * 0.7 + sample * 0.3;
  } else if (digest !== state.digest) {
    speed = null;
  }
  return { name: state.name, status: line.status, completed, total, speed, sampledAt: now, digest };
}

/** 0..100, or null when the size is not known yet. */
export function percent(state: PullState): number | null {
  return state.total > 0 ? Math.min(100, Math.round((state.completed / state.total) * 100)) : null;
}
