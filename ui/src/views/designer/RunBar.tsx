// The bar over a run drawn on the canvas: its state and time (ticking
// here, not in the whole designer), what a re-run reused, pause, cancel,
// and the way back to editing.
import { useNow } from "../../components/time";
import type { Run } from "../../ipc";
import { useDesignerRunStore } from "../../stores/designerRun";
import { elapsed } from "../tasks/format";
import { RUN_BADGE, underWay } from "../workflows/format";

export function RunBar({ run }: { run: Run }) {
  const now = useNow(1000);
  const pause = useDesignerRunStore((s) => s.pause);
  const cancel = useDesignerRunStore((s) => s.cancel);
  const show = useDesignerRunStore((s) => s.show);
  return (
    <div className="designer-runbar" data-testid="designer-runbar">
      <span className={`badge ${RUN_BADGE[run.status]}`} data-testid="designer-run-status">
        {run.status}
      </span>
      <span className="muted">{elapsed((run.finishedMs ?? now) - run.createdMs)}</span>
      {run.saved && run.saved.steps > 0 && (
        <span className="muted" data-testid="designer-run-saved">
          reused {run.saved.steps} step{run.saved.steps === 1 ? "" : "s"}: saved {elapsed(run.saved.ms)} and{" "}
          {run.saved.tokens} tokens
        </span>
      )}
      {underWay(run.status) && (
        <button type="button" className="btn-sm" data-testid="designer-run-pause" onClick={() => void pause(run.status !== "paused")}>
          {run.status === "paused" ? "Resume" : "Pause"}
        </button>
      )}
      {underWay(run.status) && (
        <button type="button" className="btn-sm danger" data-testid="designer-run-cancel" onClick={() => void cancel()}>
          Cancel run
        </button>
      )}
      <button type="button" className="btn-sm" data-testid="designer-run-leave" onClick={() => void show(null)}>
        Back to editing
      </button>
    </div>
  );
}
