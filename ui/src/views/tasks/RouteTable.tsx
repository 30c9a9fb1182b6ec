// Why the router chose the agent it chose: every contender with the figures
// the router used, its score (lower is better) or why it was left out.
import type { RouteDecision } from "../../ipc";
import { BREAKER_LABELS, errorRate, latency, score } from "./format";

function weightsText(route: RouteDecision): string {
  const w = route.weights;
  return `score = load × ${w.load.toFixed(2)} + error rate × ${w.errorRate.toFixed(2)} + latency × ${w.latency.toFixed(2)}; lowest wins`;
}

export function RouteTable({ route }: { route: RouteDecision | null }) {
  if (!route) {
    return (
      <p className="muted" data-testid="task-route-none">
        Not routed yet: it waits for a running agent with this capability and task type.
      </p>
    );
  }
  const chosen = route.chosen;
  return (
    <div className="route" data-testid="task-route">
      <p className="muted small" data-testid="task-route-weights">
        {weightsText(route)}
      </p>
      {chosen === null && (
        <p className="notice" data-testid="task-route-nobody">
          No candidate could take the task when the router last looked; it waits in the queue.
        </p>
      )}
      <div className="route-scroll">
        <table className="table table-compact">
          <thead>
            <tr>
              <th>Agent</th>
              <th>Container</th>
              <th>Breaker</th>
              <th title="Calls in flight / concurrency limit">Load</th>
              <th>Error rate</th>
              <th title="Recent average latency">Latency</th>
              <th title="Lower is better">Score</th>
              <th>Left out because</th>
            </tr>
          </thead>
          <tbody>
            {route.candidates.map((c, i) => (
              <tr
                key={c.container}
                data-testid={`route-candidate-${c.container}`}
                className={i === chosen ? "route-chosen" : c.excluded ? "route-excluded" : undefined}
                aria-current={i === chosen ? "true" : undefined}
              >
                <td className="nowrap">
                  {c.agentId}
                  {i === chosen && <span className="chip chosen-chip">chosen</span>}
                </td>
                <td>
                  <code>{c.container}</code>
                </td>
                <td className={`breaker-${c.breaker}`}>{BREAKER_LABELS[c.breaker]}</td>
                <td className="num">{`${c.inFlight}/${c.maxConcurrency}`}</td>
                <td className="num">{errorRate(c.errorRate)}</td>
                <td className="num nowrap">{latency(c.avgLatencyMs)}</td>
                <td className="num" data-testid={`route-score-${c.container}`}>
                  {score(c.score)}
                </td>
                <td>{c.excluded ?? ""}</td>
              </tr>
            ))}
            {route.candidates.length === 0 && (
              <tr>
                <td colSpan={8} className="muted">
                  No running agent has this capability and task type.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
