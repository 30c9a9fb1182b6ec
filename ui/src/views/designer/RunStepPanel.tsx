// The step chosen on a run's canvas: its state, attempts, agents and
// timings, what it was given and produced, why the router chose its agent
// (with each contender's breaker), Approve/Reject while it waits, and
// Re-run from this step with what the re-run would not spend again.
import { useState } from "react";
import { commands, type RunStep, type Step, type Task } from "../../ipc";
import { toIpcError } from "../../ipc/call";
import { RouteTable } from "../tasks/RouteTable";
import { elapsed } from "../tasks/format";
import { Approval, StepIo } from "../workflows/RunDetail";
import { STEP_BADGE } from "../workflows/format";
import { attemptText, type Savings } from "./runView";

type Props = {
  step: RunStep;
  /** The step as the run's version defines it (absent for planned steps). */
  defined: Step | undefined;
  /** Whether the run has ended (a re-run starts from an ended run). */
  ended: boolean;
  savings: Savings;
  onRerun: () => void;
  onDecide: (step: string, approve: boolean, note: string) => void;
};

function Routing({ taskId }: { taskId: string }) {
  const [task, setTask] = useState<Task | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (!task && !error) {
    return (
      <button
        type="button"
        className="btn-sm"
        data-testid={`routing-${taskId}`}
        onClick={() => commands.getTask(taskId).then(setTask, (err) => setError(toIpcError(err).message))}
      >
        Why this agent
      </button>
    );
  }
  if (error) return <p className="problem">{error}</p>;
  return (
    <div data-testid={`routing-shown-${taskId}`}>
      <p className="muted small">
        Task <code>{taskId}</code>: attempt {task!.attempts} of {task!.maxAttempts}
      </p>
      <RouteTable route={task!.route} />
    </div>
  );
}

export function RunStepPanel({ step, defined, ended, savings, onRerun, onDecide }: Props) {
  const tokens = step.tasks.reduce((sum, t) => sum + t.tokens, 0);
  const attempt = attemptText(step, defined?.retry?.attempts ?? null);
  return (
    <aside className="step-panel run-step-panel" data-testid="run-step-panel" aria-label={`Step ${step.id} of the run`}>
      <h3>
        {step.title || step.id}{" "}
        <span className={`badge ${STEP_BADGE[step.status]}`} data-testid="run-step-status">
          {step.status}
        </span>
      </h3>
      <p className="muted small">
        <code>{step.id}</code> · {step.kind}
        {attempt && ` · ${attempt}`}
        {step.startedMs !== null && step.finishedMs !== null && ` · took ${elapsed(step.finishedMs - step.startedMs)}`}
        {` · ${tokens} tokens`}
      </p>
      {step.status === "waiting" && step.kind === "approval" && <Approval step={step} onDecide={onDecide} />}
      {ended && step.parent === null && (
        <div className="rerun" data-testid="run-step-rerun-box">
          <button type="button" className="btn-sm primary" data-testid="run-step-rerun" onClick={onRerun}>
            Re-run from this step
          </button>
          <span className="muted small" data-testid="run-step-savings">
            {savings.steps === 0
              ? "runs every step again"
              : `reuses ${savings.steps} step${savings.steps === 1 ? "'s" : "s'"} output: saves ${elapsed(savings.ms)} and ${savings.tokens} tokens`}
          </span>
        </div>
      )}
      <StepIo step={step} />
      {step.tasks.length > 0 && (
        <div className="routing">
          <h4>Routing</h4>
          {step.tasks.map((t) => (
            <Routing key={t.taskId} taskId={t.taskId} />
          ))}
        </div>
      )}
    </aside>
  );
}
