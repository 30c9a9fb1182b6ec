// The Threats tab: the inputs the threat gate stopped or forwarded, newest
// first, filtered by what was done; held ones are approved or rejected here.
// Reloads when shown and on each `threat_found` alert change.
import { useEffect } from "react";
import { filterThreats, THREAT_FILTERS, THREAT_LIMIT, useThreatsStore, type ThreatFilter } from "../../stores/threats";
import { ThreatRow } from "./ThreatRow";

const FILTER_LABEL: Record<ThreatFilter, string> = {
  all: "all",
  held: "held for approval",
  blocked: "blocked",
  forwarded: "forwarded",
  decided: "decided (approved or rejected)",
};

export function ThreatsTab() {
  const threats = useThreatsStore((s) => s.threats);
  const error = useThreatsStore((s) => s.error);
  const filter = useThreatsStore((s) => s.filter);
  const setFilter = useThreatsStore((s) => s.setFilter);
  const load = useThreatsStore((s) => s.load);
  const follow = useThreatsStore((s) => s.follow);

  useEffect(() => {
    void load();
    return follow();
  }, [load, follow]);

  const all = threats ?? [];
  const shown = filterThreats(all, filter);
  return (
    <div className="threats-tab">
      <p className="muted small threats-help" data-testid="threats-help">
        Every task and workflow input is scored for prompt injection: above 0.8 it is blocked, between 0.5 and 0.8
        it is held until someone approves it. Forwarded inputs are material to analyse (a security agent's task, a
        workflow input declared untrusted): let in, and recorded here.
      </p>
      <div className="filters">
        <label>
          <span className="muted small">Action</span>
          <select data-testid="threats-filter" value={filter} onChange={(e) => setFilter(e.target.value as ThreatFilter)}>
            {THREAT_FILTERS.map((f) => (
              <option key={f} value={f}>
                {FILTER_LABEL[f]}
              </option>
            ))}
          </select>
        </label>
        <span className="muted count" data-testid="threats-count">
          {all.length >= THREAT_LIMIT ? `${shown.length} of the newest ${all.length}` : `${shown.length} of ${all.length}`}
        </span>
      </div>
      {error && (
        <p className="problem" role="alert" data-testid="threats-error">
          {error.message}
        </p>
      )}
      {threats ? (
        <div className="table-scroll card">
          <table className="table table-compact" data-testid="threats-table">
            <thead>
              <tr>
                <th>Time</th>
                <th>Source</th>
                <th>By</th>
                <th>Input</th>
                <th className="num">Score</th>
                <th>Patterns</th>
                <th>Done</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {shown.map((t) => (
                <ThreatRow key={t.id} threat={t} />
              ))}
              {shown.length === 0 && (
                <tr>
                  <td colSpan={8} className="muted" data-testid="threats-none">
                    {all.length === 0 ? "The gate has stopped nothing yet." : "No input matches this filter."}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      ) : (
        !error && <p className="muted">Loading the threats…</p>
      )}
    </div>
  );
}
