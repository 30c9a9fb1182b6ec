// The run's steps on one time axis (a Gantt chart), idle stretches such as
// a wait for approval cut short and marked, so the work stays readable.
import { useNow } from "../../components/time";
import type { RunStep } from "../../ipc";
import { elapsed } from "../tasks/format";
import { timeline } from "./runView";

type Props = { steps: RunStep[]; selected: string | null; onSelect: (step: string) => void };

export function Timeline({ steps, selected, onSelect }: Props) {
  const now = useNow(1000);
  const t = timeline(steps, now);
  if (t.bars.length === 0) return null;
  const span = Math.max(t.span, 1);
  const pct = (ms: number) => `${(ms / span) * 100}%`;
  return (
    <div className="timeline" data-testid="run-timeline" aria-label="Timeline">
      <div className="timeline-axis muted small">
        <span>0</span>
        <span>
          {elapsed(t.span)}
          {t.gaps.length > 0 && ` of work (${t.gaps.length} idle stretch${t.gaps.length === 1 ? "" : "es"} cut)`}
        </span>
      </div>
      <div className="timeline-rows">
        <div className="timeline-gaps">
          {t.gaps.map((g, i) => (
            <div key={i} className="timeline-gap" style={{ left: pct(g.at) }} title={`idle ${elapsed(g.ms)}`}>
              <span>{elapsed(g.ms)} idle</span>
            </div>
          ))}
        </div>
        {t.bars.map((b) => (
          <button
            type="button"
            key={b.id}
            className={b.id === selected ? "timeline-row selected" : "timeline-row"}
            data-testid={`timeline-${b.id}`}
            onClick={() => onSelect(b.id)}
          >
            <span className="timeline-label">{b.id}</span>
            <span className="timeline-track">
              <span
                className={`timeline-bar status-${b.status}`}
                style={{ left: pct(b.from), width: `max(2px, ${pct(b.to - b.from)})` }}
                title={`${b.id}: ${elapsed(b.ms)}`}
              />
            </span>
          </button>
        ))}
      </div>
    </div>
  );
}
