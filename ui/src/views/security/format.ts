// Words for alert rules: what each one watches and for how long.
import type { Rule } from "../../ipc";

/** "45 s", "5 min", "2 h". */
export function seconds(s: number): string {
  if (s >= 3600 && s % 3600 === 0) return `${s / 3600} h`;
  if (s >= 60 && s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

/** Whether the rule fires on an event (else on a metric). */
export function isEventRule(rule: Rule): boolean {
  return rule.signal.kind === "event";
}

/** What the rule watches: "mean of cpu_percent", "tasks_failed / tasks_succeeded + tasks_failed",
 * "event agentDied". */
export function signalText(rule: Rule): string {
  const s = rule.signal;
  switch (s.kind) {
    case "mean":
      return `mean of ${s.series}`;
    case "ratio":
      return `${s.numerator.join(" + ")} / ${s.denominator.join(" + ")}`;
    case "event":
      return `event ${s.event}`;
    case "anomaly":
      return `${s.series} against its own baseline (spreads from expected)`;
  }
}

/** "above 90 (clears at 80)" (for an anomaly rule, in spreads); empty for an event rule. */
export function conditionText(rule: Rule): string {
  if (isEventRule(rule)) return "";
  const t = rule.threshold;
  const clear = t.clear === t.value ? "" : ` (clears at ${t.clear})`;
  return `${t.comparison} ${t.value}${clear}`;
}

export type RuleField = "value" | "clear" | "forS" | "keepFiringS" | "windowS";

/** The fields an engine refusal names (its message names them). */
export function fieldsNamed(message: string): Set<RuleField> {
  const named = new Set<RuleField>();
  if (/\.windowS/.test(message)) named.add("windowS");
  if (/value and clear/.test(message)) {
    named.add("value");
    named.add("clear");
  }
  if (/clear \(/.test(message)) named.add("clear");
  if (/forS/.test(message)) named.add("forS");
  if (/keepFiringS/.test(message)) named.add("keepFiringS");
  return named;
}
