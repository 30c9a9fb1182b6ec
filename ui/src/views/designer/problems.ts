// Where on the canvas the engine's problems are: a problem names its step,
// or, for a note, a path `notes[<i>]…`; a workflow-level one names neither.
import type { Workflow, WorkflowProblem } from "../../ipc";
import { noteNodeId } from "./mapping";

/** The node a problem is about, or null when it is about the workflow as a
 * whole (or a step or note no longer there). */
export function problemNode(workflow: Workflow, problem: WorkflowProblem): string | null {
  if (problem.step) return workflow.steps.some((s) => s.id === problem.step) ? problem.step : null;
  const note = /^notes\[(\d+)\]/.exec(problem.path);
  const at = note ? workflow.notes?.[Number(note[1])] : undefined;
  return at ? noteNodeId(at.id) : null;
}

/** Who a problem is about, for the list: the step, a note, or the workflow. */
export function problemSubject(problem: WorkflowProblem): string {
  if (problem.step) return problem.step;
  if (problem.path.startsWith("notes[")) return "note";
  return "workflow";
}
