// Words of the Workflows view: run and step statuses, what a step does,
// and the run form's values.
import type { Input, RunStatus, Step, StepStatus } from "../../ipc";

export const RUN_BADGE: Record<RunStatus, string> = {
  queued: "badge-idle",
  running: "badge-checking",
  waiting: "badge-checking",
  paused: "badge-idle",
  succeeded: "badge-connected",
  failed: "badge-unreachable",
  cancelled: "badge-unknown",
};

export const STEP_BADGE: Record<StepStatus, string> = {
  pending: "badge-idle",
  running: "badge-checking",
  retrying: "badge-checking",
  waiting: "badge-checking",
  succeeded: "badge-connected",
  failed: "badge-unreachable",
  skipped: "badge-unknown",
  cancelled: "badge-unknown",
};

/** Queued, running, waiting or paused: the run is under way. */
export function underWay(status: RunStatus): boolean {
  return status === "queued" || status === "running" || status === "waiting" || status === "paused";
}

/** What a definition's step does, in a few words. */
export function stepKindText(step: Step): string {
  const kind = step.kind;
  switch (kind.type) {
    case "task":
      return "task";
    case "forEach":
      return `for each of ${kind.over}`;
    case "collaborative":
      return `${kind.agents} agents, merged by ${kind.merge}`;
    case "hierarchical":
      return `coordinator plans ≤ ${kind.maxSteps} steps`;
    case "swarm":
      return `swarm of ${kind.agents}, ≤ ${kind.rounds} rounds`;
    case "approval":
      return `${kind.approvals} approval${kind.approvals === 1 ? "" : "s"}`;
  }
}

/** Who runs a step: its agent, or any agent with its capability. */
export function workerText(step: Step): string {
  if (step.kind.type === "approval") return "a person";
  const who = step.agent ?? (step.capability ? `any ${step.capability}` : "—");
  return step.taskType ? `${who} · ${step.taskType}` : who;
}

/** An input's starting text in the run form. */
export function initialText(input: Input): string {
  const value = input.default;
  if (value === undefined || value === null) return input.type === "boolean" ? "false" : "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

export type InputValue = { ok: true; value: unknown } | { ok: false; error: string };

/** An input's form text as the value the run gets. */
export function inputValue(input: Input, text: string): InputValue {
  switch (input.type) {
    case "string":
      return { ok: true, value: text };
    case "boolean":
      return { ok: true, value: text === "true" };
    case "number": {
      const n = Number(text);
      return text.trim() !== "" && Number.isFinite(n) ? { ok: true, value: n } : { ok: false, error: "a number" };
    }
    default:
      try {
        return { ok: true, value: JSON.parse(text) };
      } catch {
        if (input.type === "any") return { ok: true, value: text };
        return { ok: false, error: `JSON (${input.type === "list" ? "a list, like [\"a\"]" : "an object, like {}"})` };
      }
  }
}

/** The id a name gives: lowercase words joined by `_`. */
export function idOf(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 64);
}
