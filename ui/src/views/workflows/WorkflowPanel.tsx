// The chosen workflow: what it is, its problems, its steps as a list (the
// graph designer is the next view), and the form that runs it.
import { useState, type ReactNode } from "react";
import type { Definition, IpcError, Warning } from "../../ipc";
import { initialText, inputValue, stepKindText, workerText } from "./format";

type Props = {
  definition: Definition;
  warnings: Warning[] | null;
  onRun: (inputs: Record<string, unknown>) => Promise<unknown>;
  /** Opens the definition in the designer. */
  onDesign?: () => void;
  /** Duplicate, rename, export, delete. */
  actions?: ReactNode;
};

function Warnings({ warnings }: { warnings: Warning[] | null }) {
  if (!warnings || warnings.length === 0) return null;
  return (
    <div className="run-warnings" data-testid="run-warnings">
      <strong>Before you run</strong>
      <ul>
        {warnings.map((w, i) => (
          <li key={i}>
            {w.step && <code>{w.step}</code>} {w.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Problems({ definition }: { definition: Definition }) {
  if (definition.problems.length === 0) return null;
  return (
    <div className="problem" role="alert" data-testid="workflow-problems">
      <strong>
        {definition.problems.length} problem{definition.problems.length === 1 ? "" : "s"}: this workflow cannot run
        until {definition.problems.length === 1 ? "it is" : "they are"} fixed
      </strong>
      <ul>
        {definition.problems.map((p, i) => (
          <li key={i}>
            <code>{p.path || definition.file}</code> {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function RunForm({ definition, onRun }: Pick<Props, "definition" | "onRun">) {
  const inputs = definition.workflow?.inputs ?? [];
  const [texts, setTexts] = useState<Record<string, string>>(() =>
    Object.fromEntries(inputs.map((input) => [input.name, initialText(input)])),
  );
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const parsed = inputs.map((input) => ({ input, value: inputValue(input, texts[input.name] ?? "") }));
  const wrong = parsed.filter((p) => !p.value.ok || (p.input.required && texts[p.input.name] === ""));
  const runnable = definition.workflow !== null && definition.problems.length === 0 && wrong.length === 0;

  async function run() {
    setError(null);
    setBusy(true);
    try {
      const values: Record<string, unknown> = {};
      for (const { input, value } of parsed) if (value.ok) values[input.name] = value.value;
      await onRun(values);
    } catch (err) {
      setError((err as IpcError).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form
      className="run-form"
      data-testid="run-form"
      onSubmit={(e) => {
        e.preventDefault();
        void run();
      }}
    >
      {parsed.map(({ input, value }) => (
        <label key={input.name}>
          <span>
            {input.name}
            {input.required && <span className="muted"> (required)</span>}
            <span className="muted"> · {input.type}</span>
          </span>
          {input.type === "boolean" ? (
            <select
              data-testid={`run-input-${input.name}`}
              value={texts[input.name]}
              onChange={(e) => setTexts({ ...texts, [input.name]: e.target.value })}
            >
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          ) : (
            <textarea
              rows={input.type === "string" || input.type === "number" ? 2 : 3}
              data-testid={`run-input-${input.name}`}
              value={texts[input.name]}
              placeholder={input.description}
              onChange={(e) => setTexts({ ...texts, [input.name]: e.target.value })}
            />
          )}
          {!value.ok && <span className="field-error">expected {value.error}</span>}
        </label>
      ))}
      <div className="run-form-actions">
        <button type="submit" className="primary" data-testid="run-start" disabled={!runnable || busy}>
          {busy ? "Starting…" : "Run"}
        </button>
        {error && (
          <span className="field-error" role="alert" data-testid="run-start-error">
            {error}
          </span>
        )}
      </div>
    </form>
  );
}

export function WorkflowPanel({ definition, warnings, onRun, onDesign, actions }: Props) {
  const workflow = definition.workflow;
  return (
    <section className="card workflow-panel" data-testid="workflow-panel" aria-label="Workflow">
      <header className="card-header">
        <h2 data-testid="workflow-name">{workflow?.name ?? definition.file}</h2>
        {workflow && (
          <span className="detail-header-right">
            <code className="muted" data-testid="workflow-id">
              {workflow.id}
            </code>
            {onDesign && (
              <button type="button" className="btn-sm" data-testid="workflow-design" onClick={onDesign}>
                Design
              </button>
            )}
          </span>
        )}
      </header>
      {actions && <div className="workflow-file-bar">{actions}</div>}
      {workflow?.description && <p className="muted">{workflow.description}</p>}
      <Problems definition={definition} />
      {workflow && (
        <div className="workflow-body">
          <table className="table table-compact" data-testid="workflow-steps">
            <thead>
              <tr>
                <th>Step</th>
                <th>Does</th>
                <th>Who</th>
                <th>After</th>
              </tr>
            </thead>
            <tbody>
              {workflow.steps.map((step, i) => (
                <tr key={step.id}>
                  <td>
                    <strong>{step.title || step.id}</strong>
                    {step.title && <div className="muted">{step.id}</div>}
                  </td>
                  <td>{stepKindText(step)}</td>
                  <td>{workerText(step)}</td>
                  <td className="muted">{(definition.needs[i] ?? []).join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <div>
            <Warnings warnings={warnings} />
            <RunForm key={workflow.id} definition={definition} onRun={onRun} />
          </div>
        </div>
      )}
    </section>
  );
}
