// Words and figures of the Agents view: statuses, resource use, history.
import type { AgentAction, AgentStatus, DeployStage, HistoryEntry } from "../../ipc";
import { STAGE_LABELS } from "../../components/stages";

/** Every status, in the order the filter offers them. */
export const STATUSES: AgentStatus[] = [
  "unknown",
  "not_deployed",
  "starting",
  "healthy",
  "unhealthy",
  "stopped",
  "flapping",
];

export const BADGE: Record<AgentStatus, string> = {
  unknown: "badge-unknown",
  not_deployed: "badge-idle",
  starting: "badge-checking",
  healthy: "badge-connected",
  unhealthy: "badge-unreachable",
  stopped: "badge-unreachable",
  flapping: "badge-unreachable",
};

/** "not deployed", "healthy", … */
export function statusLabel(status: AgentStatus): string {
  return status.replace(/_/g, " ");
}

export function capabilityLabel(capability: string): string {
  return capability.replace(/_/g, " ");
}

/** Whether the agent has a running container (so logs follow and figures exist). */
export function isRunning(status: AgentStatus): boolean {
  return status === "healthy" || status === "unhealthy" || status === "starting";
}

function short(value: number): string {
  return value >= 100 ? String(Math.round(value)) : String(Number(value.toFixed(1)));
}

/** "512 B", "12.4 MB", "1.5 GB". Binary units with the names the app uses
 * elsewhere (a manifest's `memory_mb = 64` is 64 × 1024² bytes, shown "64 MB"). */
export function bytes(n: number): string {
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${short(value)} ${units[unit]}`;
}

/** "3.2 %" (of one core). */
export function percent(value: number): string {
  return `${value.toFixed(1)} %`;
}

/** "1.2 KB/s". */
export function rate(perSecond: number): string {
  return `${bytes(perSecond)}/s`;
}

/** "12.4 MB / 64 MB", or just the use when there is no limit. */
export function memory(used: number, limit: number | null): string {
  return limit === null ? bytes(used) : `${bytes(used)} / ${bytes(limit)}`;
}

const ACTED: Record<AgentAction, string> = {
  start: "started by you",
  stop: "stopped by you",
  restart: "restarted by you",
  remove: "removed by you",
};


function text(detail: Record<string, unknown>, key: string): string | null {
  const value = detail[key];
  return typeof value === "string" && value !== "" ? value : null;
}

function count(detail: Record<string, unknown>, key: string): number | null {
  const value = detail[key];
  return typeof value === "number" ? value : null;
}

function withReason(line: string, reason: string | null): string {
  return reason ? `${line}: ${reason}` : line;
}

/** One readable line per history entry. The detail is whatever the version
 * that wrote it stored, so every field is read as possibly missing. */
export function historyLine({ event }: HistoryEntry): string {
  const d = event.detail;
  switch (event.kind) {
    case "restarted": {
      const attempt = count(d, "attempt");
      return withReason(`restarted by self-healing${attempt === null ? "" : ` (attempt ${attempt})`}`, text(d, "reason"));
    }
    case "flapping": {
      const restarts = count(d, "restarts");
      return restarts === null
        ? "left stopped: it kept dying (flapping)"
        : `left stopped: died ${restarts} ${restarts === 1 ? "time" : "times"} in a short time (flapping)`;
    }
    case "deployed": {
      const stage = text(d, "stage");
      const label = stage && stage in STAGE_LABELS ? STAGE_LABELS[stage as DeployStage] : (stage ?? "done");
      return withReason(stage === "failed" ? "deploy failed" : `deployed: ${label}`, text(d, "reason"));
    }
    case "acted": {
      const action = text(d, "action");
      return action && action in ACTED ? ACTED[action as AgentAction] : `${action ?? "acted on"} by you`;
    }
    case "scaled": {
      const n = count(d, "instances");
      return n === null ? "scaled" : `scaled to ${n} ${n === 1 ? "instance" : "instances"}`;
    }
    case "replaced":
      return withReason("container replaced", text(d, "reason"));
    case "autoscaled":
      return autoscaledLine(d);
    default:
      return `${event.kind}: ${JSON.stringify(d)}`;
  }
}

/** "auto-scaled 1 → 2: tasks 3.5 per instance over 60 s, above 2". */
function autoscaledLine(d: Record<string, unknown>): string {
  const decision = (d.decision ?? {}) as Record<string, unknown>;
  const from = count(decision, "from");
  const to = count(decision, "to");
  const value = typeof decision.value === "number" ? decision.value : null;
  const threshold = typeof decision.threshold === "number" ? decision.threshold : null;
  const signal = text(decision, "signal") ?? "signal";
  const window = count(decision, "windowS");
  const dir = from !== null && to !== null && to > from ? "above" : "below";
  const figures =
    value === null || threshold === null
      ? ""
      : `: ${signal} ${value.toFixed(2)} over ${window ?? "?"} s, ${dir} ${threshold}`;
  return withReason(`auto-scaled ${from ?? "?"} → ${to ?? "?"}${figures}`, text(d, "failed"));
}

/** The container an entry is about, when it names one. */
export function historyContainer({ event }: HistoryEntry): string | null {
  return text(event.detail, "container");
}
