// The engine's problems with the workflow open, as a bar under the toolbar
// ("3 problems") that opens into a list. Choosing a problem about a step or
// a note selects that node on the canvas; a workflow-level one is listed
// only.
import { useState } from "react";
import type { Workflow, WorkflowProblem } from "../../ipc";
import { problemNode, problemSubject } from "./problems";
import "./Problems.css";

type Props = {
  workflow: Workflow;
  problems: WorkflowProblem[];
  /** Selects and shows the node `nodeId`. */
  onSelect: (nodeId: string) => void;
};

export function Problems({ workflow, problems, onSelect }: Props) {
  const [open, setOpen] = useState(false);
  if (problems.length === 0) return null;
  return (
    <div className="designer-problems" data-testid="designer-problems">
      <button
        type="button"
        className="designer-problems-toggle"
        data-testid="designer-problems-toggle"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
      >
        {open ? "▾" : "▸"} {problems.length} problem{problems.length === 1 ? "" : "s"}
      </button>
      {open && (
        <ul className="designer-problems-list" data-testid="designer-problems-list">
          {problems.map((problem, i) => {
            const node = problemNode(workflow, problem);
            const text = (
              <>
                <strong>{problemSubject(problem)}</strong> <code>{problem.path || "—"}</code> {problem.message}
              </>
            );
            return (
              <li key={`${i} ${problem.path}`}>
                {node ? (
                  <button type="button" data-testid={`designer-problem-${i}`} onClick={() => onSelect(node)}>
                    {text}
                  </button>
                ) : (
                  <span data-testid={`designer-problem-${i}`}>{text}</span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
