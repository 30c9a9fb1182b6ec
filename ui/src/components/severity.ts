// How an alert's severity looks, wherever an alert is shown.
import type { Severity } from "../ipc";

export const SEVERITIES: Severity[] = ["critical", "warning", "info"];

/** The badge class of each severity (critical red, warning amber, info grey). */
export const SEVERITY_BADGE: Record<Severity, string> = {
  critical: "badge-unreachable",
  warning: "badge-checking",
  info: "badge-idle",
};
