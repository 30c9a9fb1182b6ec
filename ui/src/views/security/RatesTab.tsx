// Each API key's and agent's requests in the last minute against its
// limit (seed 003: 100 a minute per API key; agents have their own), read
// every few seconds while the tab is open.
import { useEffect, useState } from "react";
import { commands, type ClientRate, type IpcError } from "../../ipc";
import { toIpcError } from "../../ipc/call";
import { when } from "../../components/time";

/** How often the counters are read again. */
export const RATES_EVERY_MS = 3000;

export function RatesTab() {
  const [rates, setRates] = useState<ClientRate[] | null>(null);
  const [error, setError] = useState<IpcError | null>(null);

  useEffect(() => {
    let live = true;
    const read = async () => {
      try {
        const read = await commands.rateLimits();
        if (!live) return;
        setRates(read);
        setError(null);
      } catch (err) {
        if (live) setError(toIpcError(err));
      }
    };
    void read();
    const timer = setInterval(() => void read(), RATES_EVERY_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, []);

  return (
    <section className="card">
      <p className="muted" data-testid="rates-help">
        Each API key may make its limit of requests a minute to the local API, each agent its own to the hub and the
        LLM gateway; beyond, the caller gets 429 with Retry-After and the Alerts tab says so. Set the limits with{" "}
        <code>api_rate_per_minute</code> and <code>agent_rate_per_minute</code>.
      </p>
      {error && (
        <p className="problem" role="alert" data-testid="rates-error">
          {error.message}
        </p>
      )}
      <table className="table table-compact" data-testid="rates-table">
        <thead>
          <tr>
            <th>Client</th>
            <th>Kind</th>
            <th>Last minute</th>
            <th>Refused (minute / all)</th>
            <th>Last refused</th>
          </tr>
        </thead>
        <tbody>
          {rates?.map((r) => (
            <tr key={r.client} data-testid={`rate-row-${r.client}`}>
              <td className="nowrap">
                <code>{r.client}</code>
              </td>
              <td>{r.kind === "apiKey" ? "API key" : "agent"}</td>
              <td className="nowrap" data-testid={`rate-used-${r.client}`}>
                {r.allowedLastMinute} of {r.limitPerMinute}
              </td>
              <td className="nowrap">
                <span className={r.refusedLastMinute > 0 ? "badge badge-unreachable" : undefined}>
                  {r.refusedLastMinute}
                </span>{" "}
                / {r.refusedTotal}
              </td>
              <td className="nowrap">{r.lastRefusedMs === null ? "—" : when(r.lastRefusedMs)}</td>
            </tr>
          ))}
          {rates !== null && rates.length === 0 && (
            <tr>
              <td colSpan={5} className="muted" data-testid="rates-none">
                No API key or agent has called the local API in the last hour.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}
