// One task in detail: its facts, payload, result or error, the routing
// decision and every attempt; Cancel while it can still run, Re-queue once
// it ended without success.
import { useEffect, useRef } from "react";
import { Fact } from "../../components/Fact";
import { dateTime } from "../../components/time";
import type { IpcError, Task } from "../../ipc";
import { capabilityLabel } from "../agents/format";
import { canCancel, canRequeue, elapsed, outcomeText, pretty, resultText, score, taskDuration } from "./format";
import { RouteTable } from "./RouteTable";
import { TaskStatusBadge } from "./TaskList";

function Attempts({ task, now }: { task: Task; now: number }) {
  if (task.attemptLog.length === 0) return <p className="muted">No attempt yet.</p>;
  return (
    <table className="table table-compact" data-testid="task-attempts">
      <thead>
        <tr>
          <th>#</th>
          <th>Agent</th>
          <th>Container</th>
          <th>Score</th>
          <th>Took</th>
          <th>Outcome</th>
        </tr>
      </thead>
      <tbody>
        {task.attemptLog.map((a) => (
          <tr key={a.number} data-testid={`task-attempt-${a.number}`}>
            <td className="num">{a.number}</td>
            <td className="nowrap">{a.agentId}</td>
            <td>
              <code>{a.container}</code>
            </td>
            <td className="num">{score(a.score)}</td>
            <td className="num nowrap">{elapsed((a.finishedMs ?? now) - a.startedMs)}</td>
            <td className="history-line">{outcomeText(a.outcome)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type DetailProps = {
  task: Task;
  now: number;
  actionError: IpcError | null;
  onCancel: () => void;
  onRequeue: () => void;
  onClose: () => void;
};

export function TaskDetail({ task, now, actionError, onCancel, onRequeue, onClose }: DetailProps) {
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    panel.current?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
  }, [task.id]);

  return (
    <section className="card task-detail" data-testid="task-detail" ref={panel} aria-label={`Task ${task.id}`}>
      <header className="card-header">
        <h2>
          <code>{task.id}</code> {task.name}
        </h2>
        <span className="detail-header-right">
          <TaskStatusBadge status={task.status} testId="task-detail-status" />
          {canCancel(task.status) && (
            <button type="button" className="btn-sm danger" data-testid="task-cancel" onClick={onCancel}>
              Cancel
            </button>
          )}
          {canRequeue(task.status) && (
            <button type="button" className="btn-sm" data-testid="task-requeue" onClick={onRequeue}>
              Re-queue
            </button>
          )}
          <button type="button" className="btn-sm" data-testid="task-detail-close" onClick={onClose}>
            Close
          </button>
        </span>
      </header>
      {actionError && (
        <p className="problem" role="alert" data-testid="task-action-error">
          {actionError.message}
        </p>
      )}
      <dl className="facts">
        <Fact label="Capability" value={task.capability ? capabilityLabel(task.capability) : "—"} />
        <Fact label="Task type" value={task.taskType} />
        <Fact label="Named agent" value={task.agentId ?? "any"} />
        <Fact
          label="Held by"
          value={task.assignedAgent ? `${task.assignedAgent} (${task.assignedContainer ?? "?"})` : "—"}
          testId="task-detail-agent"
        />
        <Fact label="Attempts" value={`${task.attempts} of at most ${task.maxAttempts}`} />
        <Fact label="Priority" value={task.priority} />
        <Fact label="Duration" value={taskDuration(task, now)} testId="task-detail-duration" />
        <Fact label="Submitted" value={`${dateTime(task.createdMs)} by ${task.submittedBy}`} />
        <Fact label="Deadline" value={dateTime(task.deadlineMs)} />
        {task.parentId && <Fact label="Parent task" value={<code>{task.parentId}</code>} />}
        {task.delegationChain.length > 0 && <Fact label="Delegated by" value={task.delegationChain.join(" → ")} />}
      </dl>

      {task.error && (
        <div className="problem" data-testid="task-error">
          <p>
            <code>{task.error.code}</code> {task.error.message}
          </p>
        </div>
      )}

      <h3>Routing</h3>
      <RouteTable route={task.route} />

      <h3>Attempts</h3>
      <Attempts task={task} now={now} />

      {task.result !== null && task.result !== undefined && (
        <>
          <h3>Result</h3>
          <pre className="logs" data-testid="task-result">
            {resultText(task.result)}
          </pre>
        </>
      )}

      <h3>Payload</h3>
      <pre className="logs" data-testid="task-payload-shown">
        {pretty(task.payload)}
      </pre>
    </section>
  );
}
