// The agents that get charts of their own: picked from the catalog, shown
// as chips, remembered by the store while the app runs.
import { MAX_AGENTS, useMetricsStore } from "../../stores/metrics";

export function AgentPicker() {
  const catalog = useMetricsStore((s) => s.catalog);
  const agents = useMetricsStore((s) => s.agents);
  const addAgent = useMetricsStore((s) => s.addAgent);
  const removeAgent = useMetricsStore((s) => s.removeAgent);
  const offered = (catalog?.agents ?? []).filter((a) => !agents.includes(a));
  const full = agents.length >= MAX_AGENTS;
  return (
    <div className="agent-picker" data-testid="agent-picker">
      <select
        aria-label="Add an agent"
        data-testid="agent-pick"
        value=""
        disabled={!catalog || full || offered.length === 0}
        onChange={(e) => e.target.value && addAgent(e.target.value)}
      >
        <option value="">{full ? `At most ${MAX_AGENTS} agents` : "Add an agent…"}</option>
        {offered.map((a) => (
          <option key={a} value={a}>
            {a}
          </option>
        ))}
      </select>
      {agents.map((a) => (
        <span key={a} className="agent-chip" data-testid={`agent-chip-${a}`}>
          {a}
          <button
            type="button"
            className="chip-remove"
            aria-label={`Remove ${a}`}
            title={`Remove ${a}'s charts`}
            data-testid={`agent-remove-${a}`}
            onClick={() => removeAgent(a)}
          >
            ×
          </button>
        </span>
      ))}
    </div>
  );
}
