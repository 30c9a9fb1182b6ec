// Run, from the designer: the inputs form built from the workflow's inputs.
// A run starts from a saved version, so an unsaved edit is saved first.
import { useState } from "react";
import type { Workflow, WorkflowProblem } from "../../ipc";
import { RunForm } from "../workflows/WorkflowPanel";

type Props = {
  workflow: Workflow;
  problems: WorkflowProblem[];
  /** Whether the edit on the canvas is not a saved version yet. */
  unsaved: boolean;
  onRun: (inputs: Record<string, unknown>) => Promise<unknown>;
};

export function RunLauncher({ workflow, problems, unsaved, onRun }: Props) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="btn-sm primary" data-testid="designer-run-open" onClick={() => setOpen((o) => !o)}>
        Run…
      </button>
      {open && (
        <div className="run-launcher" data-testid="designer-run-form" role="dialog" aria-label="Run the workflow">
          <strong>Run {workflow.name}</strong>
          {unsaved && <p className="muted small">Your edit is saved as a new version first; the run uses that version.</p>}
          <RunForm
            definition={{ file: "", workflow, problems, needs: [] }}
            onRun={async (inputs) => {
              await onRun(inputs);
              setOpen(false);
            }}
          />
          <button type="button" className="btn-sm" onClick={() => setOpen(false)}>
            Close
          </button>
        </div>
      )}
    </>
  );
}
