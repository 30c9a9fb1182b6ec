// One step on the canvas: what it is, who runs it, its problems. Declared
// once at module scope and memoised, as xyflow asks.
import { Handle, Position, type NodeProps } from "@xyflow/react";
import { memo } from "react";
import { elapsed } from "../tasks/format";
import { STEP_BADGE, stepKindText, workerText } from "../workflows/format";
import type { StepNode as StepNodeType } from "./mapping";

function StepNodeView({ data, selected }: NodeProps<StepNodeType>) {
  const { step, problems, run } = data;
  const classes = ["step-node", `kind-${step.kind.type}`];
  if (run) classes.push(`status-${run.status}`);
  if (selected) classes.push("selected");
  if (problems.length > 0) classes.push("has-problems");
  return (
    <div className={classes.join(" ")} data-testid={`node-${step.id}`} title={problems.join("\n")}>
      <Handle type="target" position={Position.Left} data-testid={`node-in-${step.id}`} />
      <div className="step-node-title">{step.title || step.id}</div>
      <div className="step-node-kind">{stepKindText(step)}</div>
      <div className="step-node-who">{workerText(step)}</div>
      {run && (
        <div className="step-node-run" data-testid={`node-status-${step.id}`}>
          <span className={`badge ${STEP_BADGE[run.status]}`}>{run.status}</span>
          {run.reusedFrom && <span className="muted" title={`output reused from run ${run.reusedFrom}`}> reused</span>}
          {run.held && (
            <span className="muted" title={run.held} data-testid={`node-held-${step.id}`}>
              {" "}
              waiting for a healthy agent
            </span>
          )}
          {run.tasks.length > 0 && (
            <span>
              {" "}
              {[...new Set(run.tasks.map((t) => t.agent).filter(Boolean))].join(", ")}
              {run.startedMs !== null && run.finishedMs !== null && ` · ${elapsed(run.finishedMs - run.startedMs)}`}
              {` · ${run.tasks.reduce((sum, t) => sum + t.tokens, 0)} tokens`}
            </span>
          )}
        </div>
      )}
      {problems.length > 0 && (
        <div className="step-node-problems" data-testid={`node-problems-${step.id}`}>
          {problems.length} problem{problems.length === 1 ? "" : "s"}
        </div>
      )}
      <Handle type="source" position={Position.Right} data-testid={`node-out-${step.id}`} />
    </div>
  );
}

export const StepNode = memo(StepNodeView);
