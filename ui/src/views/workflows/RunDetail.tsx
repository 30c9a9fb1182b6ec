// One run in detail: its status and actions (Cancel, Pause/Resume), what
// it produced or why it failed, what a re-run saved, and every step with
// its agent, timings, tokens and I/O; Approve/Reject on a step that waits,
// Re-run from a step once the run has ended.
import { useState } from "react";
import { timeOfDay } from "../../components/time";
import type { IpcError, Run, RunStep } from "../../ipc";
import { elapsed, pretty } from "../tasks/format";
import { RUN_BADGE, STEP_BADGE, underWay } from "./format";

type Props = {
  run: Run;
  now: number;
  actionError: IpcError | null;
  onCancel: () => void;
  onPause: (pause: boolean) => void;
  onRerun: (step: string) => void;
  onDecide: (step: string, approve: boolean, note: string) => void;
  onClose: () => void;
};

function took(step: RunStep, now: number): string {
  if (step.startedMs === null) return "—";
  return elapsed((step.finishedMs ?? now) - step.startedMs);
}

function agents(step: RunStep): string {
  const names = [...new Set(step.tasks.map((t) => t.agent).filter((a): a is string => a !== null))];
  return names.length === 0 ? "—" : names.join(", ");
}

export function Approval({ step, onDecide }: { step: RunStep; onDecide: Props["onDecide"] }) {
  const [note, setNote] = useState("");
  return (
    <div className="approval" data-testid={`step-approval-${step.id}`}>
      <span>
        {step.decisions.filter((d) => d.approve).length} of {step.approvals} approvals
      </span>
      <input
        aria-label="Note"
        placeholder="note (optional)"
        value={note}
        data-testid={`step-note-${step.id}`}
        onChange={(e) => setNote(e.target.value)}
      />
      <button type="button" className="btn-sm primary" data-testid={`step-approve-${step.id}`} onClick={() => onDecide(step.id, true, note)}>
        Approve
      </button>
      <button type="button" className="btn-sm danger" data-testid={`step-reject-${step.id}`} onClick={() => onDecide(step.id, false, note)}>
        Reject
      </button>
    </div>
  );
}

export function StepIo({ step }: { step: RunStep }) {
  return (
    <div className="step-io" data-testid={`step-io-${step.id}`}>
      {step.error && (
        <p className="problem" data-testid={`step-error-${step.id}`}>
          <code>{step.error.code}</code> {step.error.message}
        </p>
      )}
      {step.held && (
        <p className="problem" role="status" data-testid={`step-held-${step.id}`}>
          Waiting: {step.held}
        </p>
      )}
      {step.reusedFrom && (
        <p className="muted">
          Output reused from run <code>{step.reusedFrom}</code>: no task ran again.
        </p>
      )}
      <div className="step-io-grid">
        <div>
          <h4>Input</h4>
          <pre data-testid={`step-input-${step.id}`}>{step.input === null ? "—" : pretty(step.input)}</pre>
        </div>
        <div>
          <h4>Output</h4>
          <pre data-testid={`step-output-${step.id}`}>{step.output === null ? "—" : pretty(step.output)}</pre>
        </div>
      </div>
      {step.tasks.length > 0 && (
        <table className="table table-compact">
          <thead>
            <tr>
              <th>Item</th>
              <th>Task</th>
              <th>Agent and why</th>
              <th>Attempts</th>
              <th>Tokens</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {step.tasks.map((t) => (
              <tr key={t.taskId}>
                <td>{t.item ?? "—"}</td>
                <td>
                  <code>{t.taskId}</code>
                </td>
                <td>{t.why ?? t.agent ?? "—"}</td>
                <td className="num">{t.attempts}</td>
                <td className="num">{t.tokens}</td>
                <td>{t.outcome ?? "running"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {step.decisions.length > 0 && (
        <ul className="decisions">
          {step.decisions.map((d, i) => (
            <li key={i}>
              {d.approve ? "Approved" : "Rejected"} by {d.by} at {timeOfDay(d.atMs)}
              {d.note && `: ${d.note}`}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function RunDetail({ run, now, actionError, onCancel, onPause, onRerun, onDecide, onClose }: Props) {
  const [openStep, setOpenStep] = useState<string | null>(null);
  const ended = !underWay(run.status);
  return (
    <section className="card run-detail" data-testid="run-detail" aria-label={`Run ${run.id}`}>
      <header className="card-header">
        <h2>
          <code>{run.id}</code> {run.workflowName} <span className="muted">v{run.version}</span>
        </h2>
        <span className="detail-header-right">
          <span className={`badge ${RUN_BADGE[run.status]}`} data-testid="run-status">
            {run.status}
          </span>
          {underWay(run.status) && (
            <button type="button" className="btn-sm" data-testid="run-pause" onClick={() => onPause(run.status !== "paused")}>
              {run.status === "paused" ? "Resume" : "Pause"}
            </button>
          )}
          {underWay(run.status) && (
            <button type="button" className="btn-sm danger" data-testid="run-cancel" onClick={onCancel}>
              Cancel
            </button>
          )}
          <button type="button" className="btn-sm" data-testid="run-close" onClick={onClose}>
            Close
          </button>
        </span>
      </header>
      {actionError && (
        <p className="problem" role="alert" data-testid="run-action-error">
          {actionError.message}
        </p>
      )}
      <p className="muted" data-testid="run-facts">
        Started by {run.startedBy} · {elapsed((run.finishedMs ?? now) - run.createdMs)}
        {run.rerunOf && (
          <>
            {" "}
            · re-run of <code>{run.rerunOf}</code> from <code>{run.fromStep}</code>
          </>
        )}
        {run.saved && run.saved.steps > 0 && (
          <span data-testid="run-saved">
            {" "}
            · reused {run.saved.steps} step{run.saved.steps === 1 ? "" : "s"}: saved {elapsed(run.saved.ms)} and{" "}
            {run.saved.tokens} tokens
          </span>
        )}
      </p>
      {run.error && (
        <p className="problem" data-testid="run-error">
          <code>{run.error.code}</code> {run.error.message}
        </p>
      )}
      {run.outputs && Object.keys(run.outputs).length > 0 && (
        <details className="run-outputs" data-testid="run-outputs">
          <summary>Outputs</summary>
          <pre>{pretty(run.outputs)}</pre>
        </details>
      )}
      <table className="table table-compact run-steps" data-testid="run-steps">
        <thead>
          <tr>
            <th>Step</th>
            <th>Kind</th>
            <th>Status</th>
            <th>Agent</th>
            <th className="num">Took</th>
            <th className="num">Tokens</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {run.steps.map((step) => {
            const open = openStep === step.id;
            return [
              <tr
                key={step.id}
                className={open ? "clickable selected" : "clickable"}
                data-testid={`run-step-${step.id}`}
                onClick={() => setOpenStep(open ? null : step.id)}
              >
                <td className={step.parent ? "planned" : undefined}>
                  <strong>{step.title || step.id}</strong>
                  {step.title && <div className="muted">{step.id}</div>}
                </td>
                <td>{step.kind}</td>
                <td>
                  <span className={`badge ${STEP_BADGE[step.status]}`} data-testid={`step-status-${step.id}`}>
                    {step.status}
                  </span>
                </td>
                <td>{agents(step)}</td>
                <td className="num nowrap">{took(step, now)}</td>
                <td className="num">{step.tasks.reduce((sum, t) => sum + t.tokens, 0)}</td>
                <td onClick={(e) => e.stopPropagation()}>
                  {ended && !step.parent && (
                    <button type="button" className="btn-sm" data-testid={`step-rerun-${step.id}`} onClick={() => onRerun(step.id)}>
                      Re-run from here
                    </button>
                  )}
                  {step.status === "waiting" && <Approval step={step} onDecide={onDecide} />}
                </td>
              </tr>,
              open && (
                <tr key={`${step.id}-io`} className="step-io-row">
                  <td colSpan={7}>
                    <StepIo step={step} />
                  </td>
                </tr>
              ),
            ];
          })}
        </tbody>
      </table>
    </section>
  );
}
