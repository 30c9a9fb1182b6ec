// Metrics: live charts of the fleet (throughput, success rate, latency
// percentiles, the agents' CPU and memory, LLM tokens, healthy agents, what
// the app costs) and of the agents picked, over a chosen time range. The
// engine draws each chart (SVG); the view sizes it, adds the pointer's
// crosshair, the spans with no data and Export PNG.
import { useEffect, useMemo } from "react";
import { useMetricsStore } from "../stores/metrics";
import { AgentPicker } from "./metrics/AgentPicker";
import { ChartCard } from "./metrics/ChartCard";
import { agentCharts, FLEET_CHARTS } from "./metrics/charts";
import { MetricsProblem } from "./metrics/MetricsProblem";
import { RangeBar } from "./metrics/RangeBar";
import "./Metrics.css";

export function Metrics() {
  const loadCatalog = useMetricsStore((s) => s.loadCatalog);
  const follow = useMetricsStore((s) => s.follow);
  const catalogError = useMetricsStore((s) => s.catalogError);
  const agents = useMetricsStore((s) => s.agents);

  useEffect(() => {
    void loadCatalog();
  }, [loadCatalog]);
  // Live only while shown.
  useEffect(() => follow(), [follow]);

  return (
    <div className="metrics" data-testid="metrics-view">
      <RangeBar />
      {catalogError && <MetricsProblem error={catalogError} testId="metrics-catalog-error" />}

      <h2 className="metrics-section">The fleet</h2>
      <div className="chart-grid">
        {FLEET_CHARTS.map((shown) => (
          <ChartCard key={shown.def.id} shown={shown} />
        ))}
      </div>

      <h2 className="metrics-section">Per agent</h2>
      <NoAgentDeployed />
      <AgentPicker />
      {agents.length === 0 ? (
        <p className="muted" data-testid="agents-none">
          Pick an agent above to chart its CPU, memory, tasks and latency p95.
        </p>
      ) : (
        agents.map((agent) => <AgentCharts key={agent} agent={agent} />)
      )}
    </div>
  );
}

function AgentCharts({ agent }: { agent: string }) {
  const charts = useMemo(() => agentCharts(agent), [agent]);
  return (
    <section className="agent-charts" data-testid={`agent-charts-${agent}`}>
      <h3>{agent}</h3>
      <div className="chart-grid">
        {charts.map((shown) => (
          <ChartCard key={shown.def.id} shown={shown} />
        ))}
      </div>
    </section>
  );
}

/** Says so when the healthy-agents chart shows no agent deployed at the
 * end of its window (so per-agent charts would stay empty). */
function NoAgentDeployed() {
  const live = useMetricsStore((s) => s.range !== "custom");
  const deployed = useMetricsStore((s) => {
    const reading = s.slots["healthy-agents"]?.chart?.reading;
    if (!reading) return null;
    return reading.series.find((r) => r.key === "agents_deployed")?.columns.at(-1)?.mean ?? 0;
  });
  if (!live || deployed === null || deployed > 0) return null;
  return (
    <p className="notice" data-testid="metrics-no-agents">
      No agent is deployed right now. Deploy a phase (Deploy view) to see agent metrics.
    </p>
  );
}
