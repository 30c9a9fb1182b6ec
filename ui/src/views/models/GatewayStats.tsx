// The LLM gateway's statistics, per model or per agent (the engine sums the
// per-caller-and-model rows, latencies from merged histograms). Read every
// few seconds while shown.
import { useEffect, useState } from "react";
import type { UsageTotal } from "../../ipc";
import { useGatewayStore } from "../../stores/gateway";
import { formatCount, formatLatency, formatRate } from "./format";

/** How often the table is read again while it is shown. */
const STATS_REFRESH_MS = 3000;

type Grouping = "model" | "caller";

export function GatewayStatsCard() {
  const stats = useGatewayStore((s) => s.stats);
  const error = useGatewayStore((s) => s.error);
  const load = useGatewayStore((s) => s.load);
  const [grouping, setGrouping] = useState<Grouping>("model");

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), STATS_REFRESH_MS);
    return () => clearInterval(timer);
  }, [load]);

  const rows = stats ? (grouping === "model" ? stats.byModel : stats.byCaller) : [];
  return (
    <section className="card" data-testid="gateway-stats">
      <div className="card-header">
        <h2>LLM gateway</h2>
        <div className="segmented" role="group" aria-label="Group the statistics">
          <button
            type="button"
            className="btn-sm"
            aria-pressed={grouping === "model"}
            data-testid="gateway-by-model"
            onClick={() => setGrouping("model")}
          >
            Per model
          </button>
          <button
            type="button"
            className="btn-sm"
            aria-pressed={grouping === "caller"}
            data-testid="gateway-by-caller"
            onClick={() => setGrouping("caller")}
          >
            Per agent
          </button>
        </div>
      </div>
      {error && (
        <p className="problem small" role="alert" data-testid="gateway-error">
          {error}
        </p>
      )}
      {!stats ? (
        !error && <p className="muted">Reading the gateway's statistics…</p>
      ) : rows.length === 0 ? (
        <p className="muted" data-testid="gateway-empty">
          No LLM calls yet. Agents' calls through the gateway are counted here (since the app started).
        </p>
      ) : (
        <UsageTable rows={rows} grouping={grouping} />
      )}
    </section>
  );
}

function UsageTable({ rows, grouping }: { rows: UsageTotal[]; grouping: Grouping }) {
  return (
    <div className="table-scroll">
      <table className="table table-compact" data-testid="gateway-table">
        <thead>
          <tr>
            <th>{grouping === "model" ? "Model" : "Agent"}</th>
            <th className="num">Calls</th>
            <th className="num">Tokens in</th>
            <th className="num">Tokens out</th>
            <th className="num">p95 latency</th>
            <th className="num">Cache hit rate</th>
            <th className="num">Errors</th>
            <th className="num">Fallbacks</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.name} data-testid={`gateway-row-${row.name}`}>
              <td>{grouping === "model" ? <code>{row.name}</code> : row.name}</td>
              <td className="num">{row.calls}</td>
              <td className="num">{formatCount(row.tokensIn)}</td>
              <td className="num">{formatCount(row.tokensOut)}</td>
              <td className="num">{formatLatency(row.latencyP95Ms)}</td>
              <td className="num">{formatRate(row.cacheHitRate)}</td>
              <td className="num">{row.errors}</td>
              <td className="num">{row.fallbacks}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
