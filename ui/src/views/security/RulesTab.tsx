// The Rules tab: every alert rule, what it watches and when it fires, an
// enabled toggle, an inline editor, and a reset for a rule changed from its
// default.
import { useEffect, useState } from "react";
import { SEVERITY_BADGE } from "../../components/severity";
import type { Rule } from "../../ipc";
import { sameValue, useRulesStore } from "../../stores/alertRules";
import { conditionText, isEventRule, seconds, signalText } from "./format";
import { RuleForm } from "./RuleForm";

type RowProps = {
  rule: Rule;
  /** Its default; null for a rule without one. */
  fallback: Rule | null;
  /** Its form is open (and shows the refusal). */
  editing: boolean;
  onEdit: () => void;
};

function RuleRow({ rule, fallback, editing, onEdit }: RowProps) {
  const save = useRulesStore((s) => s.save);
  const reset = useRulesStore((s) => s.reset);
  const refusal = useRulesStore((s) => s.refusals[rule.id] ?? null);
  const changed = fallback !== null && !sameValue(rule, fallback);
  const event = isEventRule(rule);
  return (
    <tr data-testid={`rule-row-${rule.id}`} className={rule.enabled ? undefined : "rule-off"}>
      <td className="name-cell">
        <div>{rule.name}</div>
        <div className="muted small">
          {rule.id} · {rule.scope === "eachAgent" ? "each agent" : "fleet"}
        </div>
      </td>
      <td>
        <span className={`badge ${SEVERITY_BADGE[rule.severity]}`} data-testid={`rule-severity-${rule.id}`}>
          {rule.severity}
        </span>
      </td>
      <td data-testid={`rule-signal-${rule.id}`}>
        <code>{signalText(rule)}</code>
        {!event && <div className="small">{conditionText(rule)}</div>}
      </td>
      <td className="nowrap">{event ? "—" : seconds(rule.windowS)}</td>
      <td className="nowrap">{event ? "at once" : seconds(rule.threshold.forS)}</td>
      <td className="nowrap">{seconds(rule.threshold.keepFiringS)}</td>
      <td>
        <input
          type="checkbox"
          aria-label={`${rule.name} enabled`}
          data-testid={`rule-enabled-${rule.id}`}
          checked={rule.enabled}
          onChange={(e) => void save({ ...rule, enabled: e.target.checked })}
        />
      </td>
      <td className="nowrap">
        <button type="button" className="btn-sm" data-testid={`rule-edit-${rule.id}`} onClick={onEdit}>
          Edit
        </button>{" "}
        {changed && (
          <>
            <span className="chip" data-testid={`rule-changed-${rule.id}`} title="Differs from its default">
              changed
            </span>{" "}
            <button
              type="button"
              className="btn-sm"
              data-testid={`rule-reset-${rule.id}`}
              onClick={() => void reset(rule.id)}
            >
              Reset
            </button>
          </>
        )}
        {refusal && !editing && (
          <div className="rule-error" data-testid={`rule-refused-${rule.id}`}>
            {refusal}
          </div>
        )}
      </td>
    </tr>
  );
}

export function RulesTab() {
  const rules = useRulesStore((s) => s.rules);
  const defaults = useRulesStore((s) => s.defaults);
  const error = useRulesStore((s) => s.error);
  const load = useRulesStore((s) => s.load);
  const dismiss = useRulesStore((s) => s.dismiss);
  const [editing, setEditing] = useState<string | null>(null);

  useEffect(() => {
    void load();
  }, [load]);

  function close(id: string) {
    dismiss(id);
    setEditing(null);
  }

  return (
    <div className="rules-tab">
      {error && (
        <p className="problem" role="alert" data-testid="rules-error">
          {error.message}
        </p>
      )}
      {rules && (
        <div className="card table-scroll">
          <table className="table table-compact" data-testid="rules-table">
            <thead>
              <tr>
                <th>Rule</th>
                <th>Severity</th>
                <th>Watches</th>
                <th>Window</th>
                <th>For</th>
                <th>Keep firing</th>
                <th>Enabled</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rules.flatMap((rule) => {
                const row = (
                  <RuleRow
                    key={rule.id}
                    rule={rule}
                    fallback={defaults.find((d) => d.id === rule.id) ?? null}
                    editing={editing === rule.id}
                    onEdit={() => {
                      dismiss(rule.id);
                      setEditing(rule.id);
                    }}
                  />
                );
                if (editing !== rule.id) return [row];
                return [
                  row,
                  <tr key={`${rule.id}-form`} className="rule-form-row">
                    <td colSpan={8}>
                      <RuleForm rule={rule} onDone={() => close(rule.id)} />
                    </td>
                  </tr>,
                ];
              })}
            </tbody>
          </table>
        </div>
      )}
      {!rules && !error && <p className="muted">Loading the rules…</p>}
    </div>
  );
}
