// The selected step's settings: its title, the task type (only those its
// agent or capability offers), the input template, retry, timeout, `when`
// and what a failure means; and the engine's problems with it. The input
// and `when` offer the names a template may read while they are typed.
import { useState } from "react";
import type { CapabilityInfo, OnError, Step, Workflow } from "../../ipc";
import { CompletingField } from "./Completion";
import { completions } from "./completions";

type Props = {
  step: Step;
  problems: string[];
  capabilities: CapabilityInfo[];
  /** The workflow and the canvas's needs: what the templates may name. */
  workflow: Workflow;
  edges: { source: string; target: string }[];
  onChange: (change: Partial<Step>) => void;
};

/** The task types the step's agent or capability offers. */
function offered(step: Step, capabilities: CapabilityInfo[]): string[] {
  if (step.agent) {
    for (const c of capabilities) {
      const agent = c.agents.find((a) => a.id === step.agent);
      if (agent) return agent.taskTypes;
    }
    return [];
  }
  return capabilities.find((c) => c.capability === step.capability)?.taskTypes ?? [];
}

function onErrorValue(onError: OnError): string {
  return typeof onError === "string" ? onError : "fallback";
}

export function StepPanel({ step, problems, capabilities, workflow, edges, onChange }: Props) {
  const [input, setInput] = useState(() => JSON.stringify(step.input, null, 2));
  const [inputError, setInputError] = useState<string | null>(null);
  const types = offered(step, capabilities);
  const runsTasks = step.kind.type !== "approval";
  const offer = (before: string) => completions(workflow, edges, step.id, before);

  function applyInput() {
    try {
      onChange({ input: JSON.parse(input) as unknown });
      setInputError(null);
    } catch (err) {
      setInputError(err instanceof Error ? err.message : String(err));
    }
  }

  return (
    <aside className="step-panel" data-testid="step-panel" aria-label={`Step ${step.id}`}>
      <h3>
        <code>{step.id}</code>
      </h3>
      {problems.length > 0 && (
        <ul className="problem" data-testid="step-panel-problems">
          {problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
      <label>
        Title
        <input value={step.title} data-testid="step-title" onChange={(e) => onChange({ title: e.target.value })} />
      </label>
      {runsTasks && (
        <label>
          {step.agent ? `Task type (${step.agent})` : `Task type (any ${step.capability ?? "agent"})`}
          <select
            value={step.taskType ?? ""}
            data-testid="step-task-type"
            onChange={(e) => onChange({ taskType: e.target.value })}
          >
            {!types.includes(step.taskType ?? "") && <option value={step.taskType ?? ""}>{step.taskType ?? "—"}</option>}
            {types.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      )}
      {runsTasks && (
        <label>
          Input (a template over <code>inputs.*</code> and <code>steps.&lt;id&gt;.output</code>)
          <CompletingField
            multiline
            rows={6}
            value={input}
            data-testid="step-input"
            offer={offer}
            onValue={setInput}
            onBlur={applyInput}
          />
          {inputError && <span className="field-error">{inputError}</span>}
        </label>
      )}
      <label>
        When (runs only if this holds)
        <CompletingField
          value={step.when ?? ""}
          placeholder="e.g. steps.scan.output is defined"
          data-testid="step-when"
          offer={offer}
          onValue={(when) => onChange({ when: when || undefined })}
        />
      </label>
      <div className="step-panel-row">
        <label>
          On error
          <select
            value={onErrorValue(step.onError)}
            data-testid="step-on-error"
            onChange={(e) => onChange({ onError: e.target.value as "stop" | "continue" })}
          >
            <option value="stop">stop the run</option>
            <option value="continue">continue</option>
            {typeof step.onError !== "string" && <option value="fallback">fallback: {step.onError.fallback}</option>}
          </select>
        </label>
        {runsTasks && (
          <label>
            Attempts
            <input
              type="number"
              min={1}
              max={10}
              value={step.retry?.attempts ?? ""}
              placeholder="default"
              data-testid="step-attempts"
              onChange={(e) =>
                onChange({
                  retry: e.target.value
                    ? { attempts: Number(e.target.value), backoffMs: step.retry?.backoffMs ?? 0 }
                    : undefined,
                })
              }
            />
          </label>
        )}
        {runsTasks && (
          <label>
            Timeout (ms)
            <input
              type="number"
              min={1}
              value={step.timeoutMs ?? ""}
              placeholder="default"
              data-testid="step-timeout"
              onChange={(e) => onChange({ timeoutMs: e.target.value ? Number(e.target.value) : undefined })}
            />
          </label>
        )}
      </div>
    </aside>
  );
}
