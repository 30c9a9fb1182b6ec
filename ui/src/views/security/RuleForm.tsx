// The inline form that changes one alert rule: severity, enabled, the
// threshold, the window of a metric rule, and its remedy (a workflow the
// engine starts when it fires; it must ask a person first). The engine's
// refusal is shown beside it, and the fields it names are marked.
import { useEffect, useState } from "react";
import { SEVERITIES } from "../../components/severity";
import { commands, type Rule, type Severity } from "../../ipc";
import { useRulesStore } from "../../stores/alertRules";
import { fieldsNamed, isEventRule, type RuleField } from "./format";

type Draft = Record<RuleField, string>;

const LABELS: Record<RuleField, string> = {
  value: "Threshold",
  clear: "Clears at",
  windowS: "Window (s)",
  forS: "For (s)",
  keepFiringS: "Keep firing (s)",
};

function draftOf(rule: Rule): Draft {
  const t = rule.threshold;
  return {
    value: String(t.value),
    clear: String(t.clear),
    windowS: String(rule.windowS),
    forS: String(t.forS),
    keepFiringS: String(t.keepFiringS),
  };
}

/** The rule the draft describes, or the first field that is not a number. */
export function ruleOf(rule: Rule, severity: Severity, enabled: boolean, draft: Draft): Rule | RuleField {
  const fields: RuleField[] = isEventRule(rule) ? ["keepFiringS"] : ["value", "clear", "windowS", "forS", "keepFiringS"];
  const num: Partial<Record<RuleField, number>> = {};
  for (const f of fields) {
    const n = Number(draft[f]);
    if (draft[f].trim() === "" || !Number.isFinite(n)) return f;
    num[f] = n;
  }
  return {
    ...rule,
    severity,
    enabled,
    windowS: num.windowS ?? rule.windowS,
    threshold: {
      ...rule.threshold,
      value: num.value ?? rule.threshold.value,
      clear: num.clear ?? rule.threshold.clear,
      forS: num.forS ?? rule.threshold.forS,
      keepFiringS: num.keepFiringS ?? rule.threshold.keepFiringS,
    },
  };
}

/** The ids of the valid workflow definitions, for the remedy's choice. */
function useWorkflowIds(): string[] {
  const [ids, setIds] = useState<string[]>([]);
  useEffect(() => {
    let live = true;
    commands
      .listWorkflows()
      .then((defs) => {
        if (live) setIds(defs.flatMap((d) => (d.workflow && d.problems.length === 0 ? [d.workflow.id] : [])));
      })
      .catch(() => {
        // The list is a convenience: the engine checks the remedy on save.
      });
    return () => {
      live = false;
    };
  }, []);
  return ids;
}

export function RuleForm({ rule, onDone }: { rule: Rule; onDone: () => void }) {
  const save = useRulesStore((s) => s.save);
  const refusal = useRulesStore((s) => s.refusals[rule.id] ?? null);
  const [severity, setSeverity] = useState<Severity>(rule.severity);
  const [enabled, setEnabled] = useState(rule.enabled);
  const [draft, setDraft] = useState<Draft>(() => draftOf(rule));
  const [notNumber, setNotNumber] = useState<RuleField | null>(null);
  const [saving, setSaving] = useState(false);
  const [remedy, setRemedy] = useState(rule.remedy ?? "");
  const workflows = useWorkflowIds();
  const fields: RuleField[] = isEventRule(rule) ? ["keepFiringS"] : ["value", "clear", "windowS", "forS", "keepFiringS"];
  const named = refusal ? fieldsNamed(refusal) : new Set<RuleField>();

  async function submit() {
    const changed = ruleOf(rule, severity, enabled, draft);
    if (typeof changed === "string") {
      setNotNumber(changed);
      return;
    }
    setNotNumber(null);
    setSaving(true);
    const taken = await save({ ...changed, remedy: remedy === "" ? undefined : remedy });
    setSaving(false);
    if (taken) onDone();
  }

  return (
    <form
      className="rule-form"
      data-testid={`rule-form-${rule.id}`}
      onSubmit={(e) => {
        e.preventDefault();
        if (!saving) void submit();
      }}
    >
      <label>
        <span className="muted small">Severity</span>
        <select data-testid="rule-severity" value={severity} onChange={(e) => setSeverity(e.target.value as Severity)}>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label className="rule-enabled">
        <input
          type="checkbox"
          data-testid="rule-form-enabled"
          checked={enabled}
          onChange={(e) => setEnabled(e.target.checked)}
        />
        <span>enabled</span>
      </label>
      {fields.map((f) => (
        <label key={f}>
          <span className="muted small">{LABELS[f]}</span>
          <input
            type="number"
            step="any"
            data-testid={`rule-${f}`}
            aria-invalid={named.has(f) || notNumber === f ? "true" : undefined}
            value={draft[f]}
            onChange={(e) => setDraft({ ...draft, [f]: e.target.value })}
          />
        </label>
      ))}
      <label>
        <span className="muted small">Remedy (a workflow behind an approval)</span>
        <select data-testid="rule-remedy" value={remedy} onChange={(e) => setRemedy(e.target.value)}>
          <option value="">none</option>
          {[...new Set([...workflows, ...(remedy ? [remedy] : [])])].map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
      </label>
      <span className="rule-form-actions">
        <button type="submit" className="primary btn-sm" data-testid="rule-save" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <button type="button" className="btn-sm" data-testid="rule-cancel" onClick={onDone}>
          Cancel
        </button>
      </span>
      {notNumber && (
        <p className="rule-error" role="alert" data-testid={`rule-error-${rule.id}`}>
          {`${LABELS[notNumber]}: a number`}
        </p>
      )}
      {!notNumber && refusal && (
        <p className="rule-error" role="alert" data-testid={`rule-error-${rule.id}`}>
          {refusal}
        </p>
      )}
    </form>
  );
}
