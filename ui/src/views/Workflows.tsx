// Workflows: every definition in the workflows folder (valid or not, with
// its problems), the chosen one's steps and a form to run it, its runs,
// and a run's steps live with their agents, timings and I/O; Design opens
// the chosen one in the drag-and-drop designer (views/designer). New (empty
// or from a template), import, duplicate, rename, export and delete are in
// workflows/ (NewWorkflow, ImportWorkflow, WorkflowActions).
import { useEffect, useState } from "react";
import { useNow } from "../components/time";
import { definitionId, useWorkflowsStore } from "../stores/workflows";
import { elapsed } from "./tasks/format";
import { Designer } from "./designer/Designer";
import { ImportWorkflow } from "./workflows/ImportWorkflow";
import { NewWorkflow } from "./workflows/NewWorkflow";
import { RunDetail } from "./workflows/RunDetail";
import { RUN_BADGE } from "./workflows/format";
import { WorkflowActions } from "./workflows/WorkflowActions";
import { WorkflowPanel } from "./workflows/WorkflowPanel";
import "./Workflows.css";

export function Workflows() {
  const definitions = useWorkflowsStore((s) => s.definitions);
  const error = useWorkflowsStore((s) => s.error);
  const selected = useWorkflowsStore((s) => s.selected);
  const runs = useWorkflowsStore((s) => s.runs);
  const runsError = useWorkflowsStore((s) => s.runsError);
  const warnings = useWorkflowsStore((s) => s.warnings);
  const openRun = useWorkflowsStore((s) => s.openRun);
  const run = useWorkflowsStore((s) => s.run);
  const runError = useWorkflowsStore((s) => s.runError);
  const actionError = useWorkflowsStore((s) => s.actionError);
  const load = useWorkflowsStore((s) => s.load);
  const follow = useWorkflowsStore((s) => s.follow);
  const select = useWorkflowsStore((s) => s.select);
  const open = useWorkflowsStore((s) => s.open);
  const start = useWorkflowsStore((s) => s.start);
  const cancel = useWorkflowsStore((s) => s.cancel);
  const pause = useWorkflowsStore((s) => s.pause);
  const rerun = useWorkflowsStore((s) => s.rerun);
  const decide = useWorkflowsStore((s) => s.decide);
  const now = useNow(1000);
  const [designing, setDesigning] = useState<string | null>(null);

  useEffect(() => {
    void load();
    return follow();
  }, [load, follow]);

  const chosen = definitions?.find((d) => definitionId(d) === selected) ?? null;
  if (designing) {
    return <Designer key={designing} workflowId={designing} onClose={() => setDesigning(null)} onOpen={setDesigning} />;
  }
  return (
    <div className="workflows">
      {error && (
        <p className="problem" role="alert" data-testid="workflows-error">
          {error.message}
        </p>
      )}
      <div className="workflows-layout">
        <nav className="card workflow-list" aria-label="Workflows" data-testid="workflow-list">
          <NewWorkflow onCreated={setDesigning} />
          <ImportWorkflow />
          {definitions === null && !error && <p className="muted">Loading the workflows…</p>}
          {definitions?.length === 0 && <p className="muted">The workflows folder holds no definition.</p>}
          {definitions?.map((d) => {
            const id = definitionId(d);
            const valid = d.workflow !== null && d.problems.length === 0;
            return (
              <button
                type="button"
                key={d.file}
                className={id === selected ? "workflow-item selected" : "workflow-item"}
                data-testid={`workflow-${id}`}
                aria-current={id === selected}
                onClick={() => select(id)}
              >
                <strong>{d.workflow?.name ?? id}</strong>
                <span className="muted">
                  {d.workflow ? `${d.workflow.steps.length} steps` : "does not parse"}
                  {!valid && (
                    <span className="badge badge-unreachable">
                      {d.problems.length} problem{d.problems.length === 1 ? "" : "s"}
                    </span>
                  )}
                </span>
              </button>
            );
          })}
        </nav>
        <div className="workflow-main">
          {chosen && <WorkflowPanel
              key={definitionId(chosen)}
              definition={chosen}
              warnings={warnings}
              onRun={start}
              onDesign={() => setDesigning(definitionId(chosen))}
              actions={<WorkflowActions definition={chosen} runs={runs?.total ?? null} />}
            />}
          {chosen && (
            <section className="card" aria-label="Runs">
              <header className="card-header">
                <h2>Runs</h2>
                <span className="muted">{runs ? `${runs.total} in all` : ""}</span>
              </header>
              {runsError && (
                <p className="problem" role="alert" data-testid="runs-error">
                  {runsError.message}
                </p>
              )}
              {runs && runs.runs.length === 0 && <p className="muted">Not run yet.</p>}
              {runs && runs.runs.length > 0 && (
                <table className="table table-compact" data-testid="run-list">
                  <thead>
                    <tr>
                      <th>Run</th>
                      <th>Status</th>
                      <th>Steps</th>
                      <th className="num">Took</th>
                      <th>By</th>
                    </tr>
                  </thead>
                  <tbody>
                    {runs.runs.map((r) => (
                      <tr
                        key={r.id}
                        className={r.id === openRun ? "clickable selected" : "clickable"}
                        data-testid={`run-row-${r.id}`}
                        onClick={() => open(r.id)}
                      >
                        <td>
                          <code>{r.id}</code> <span className="muted">v{r.version}</span>
                        </td>
                        <td>
                          <span className={`badge ${RUN_BADGE[r.status]}`}>{r.status}</span>
                          {r.errorCode && <span className="muted"> {r.errorCode}</span>}
                        </td>
                        <td>
                          {r.stepsDone} / {r.stepsTotal}
                        </td>
                        <td className="num nowrap">{elapsed((r.finishedMs ?? now) - r.createdMs)}</td>
                        <td>{r.startedBy}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          )}
          {openRun && runError && (
            <p className="problem" role="alert" data-testid="run-error-load">
              {runError.message}
            </p>
          )}
          {openRun && run && (
            <RunDetail
              run={run}
              now={now}
              actionError={actionError}
              onCancel={() => void cancel()}
              onPause={(p) => void pause(p)}
              onRerun={(step) => void rerun(step)}
              onDecide={(step, approve, note) => void decide(step, approve, note)}
              onClose={() => open(null)}
            />
          )}
        </div>
      </div>
    </div>
  );
}
