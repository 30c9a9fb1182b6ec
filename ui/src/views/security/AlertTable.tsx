// The alerts, newest first: each one's severity, what and whom it is about,
// when it fired and resolved, who acknowledged it, and its actions. The
// alerts picked from outside are highlighted and scrolled into view.
import { useEffect, useRef } from "react";
import { SEVERITY_BADGE } from "../../components/severity";
import { when } from "../../components/time";
import type { Alert, Silence } from "../../ipc";
import { silenceOf, SILENCE_MINUTES, useAlertsStore } from "../../stores/alerts";
import { seconds } from "./format";

function SilenceControl({ alert, silence }: { alert: Alert; silence: Silence | null }) {
  const silenceAlert = useAlertsStore((s) => s.silence);
  const unsilence = useAlertsStore((s) => s.unsilence);
  if (silence) {
    return (
      <span className="silenced">
        <span className="muted small" data-testid={`alert-silenced-${alert.id}`}>
          {`silenced until ${when(silence.untilMs)}`}
        </span>
        <button
          type="button"
          className="btn-sm"
          data-testid={`alert-unsilence-${alert.id}`}
          onClick={() => void unsilence(alert.fingerprint)}
        >
          Unsilence
        </button>
      </span>
    );
  }
  return (
    <select
      className="silence-select"
      aria-label={`Silence ${alert.name}`}
      data-testid={`alert-silence-${alert.id}`}
      value=""
      onChange={(e) => {
        const minutes = Number(e.target.value);
        if (minutes > 0) void silenceAlert(alert.fingerprint, minutes);
      }}
    >
      <option value="">Silence…</option>
      {SILENCE_MINUTES.map((m) => (
        <option key={m} value={m}>{`for ${seconds(m * 60)}`}</option>
      ))}
    </select>
  );
}

type Props = {
  alerts: Alert[];
  silences: Silence[];
  selected: string[];
  now: number;
};

export function AlertTable({ alerts, silences, selected, now }: Props) {
  const ack = useAlertsStore((s) => s.ack);
  const select = useAlertsStore((s) => s.select);
  const first = useRef<HTMLTableRowElement>(null);
  // The newest alert of each picked fingerprint is the one highlighted.
  const highlighted = new Set<number>();
  for (const fingerprint of selected) {
    const newest = alerts.find((a) => a.fingerprint === fingerprint);
    if (newest) highlighted.add(newest.id);
  }
  const firstId = alerts.find((a) => highlighted.has(a.id))?.id ?? null;

  useEffect(() => {
    if (firstId !== null) first.current?.scrollIntoView?.({ block: "center", behavior: "smooth" });
  }, [firstId]);

  return (
    <table className="table table-compact" data-testid="alerts-table">
      <thead>
        <tr>
          <th>Severity</th>
          <th>Alert</th>
          <th>Detail</th>
          <th>Fired</th>
          <th>Resolved</th>
          <th>Acknowledged</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <tr
            key={a.id}
            ref={a.id === firstId ? first : undefined}
            data-testid={`alert-row-${a.id}`}
            data-fingerprint={a.fingerprint}
            data-selected={highlighted.has(a.id) ? "true" : undefined}
            className={highlighted.has(a.id) ? "clickable selected" : "clickable"}
            onClick={() => select([a.fingerprint])}
          >
            <td>
              <span className={`badge ${SEVERITY_BADGE[a.severity]}`} data-testid={`alert-severity-${a.id}`}>
                {a.severity}
              </span>
            </td>
            <td className="name-cell">
              <div>{a.name}</div>
              <div className="muted small">
                {a.subject ?? "fleet"} · {a.rule}
              </div>
            </td>
            <td className="alert-detail">{a.detail ?? ""}</td>
            <td className="nowrap">{when(a.firedMs)}</td>
            <td className="nowrap">
              <span
                className={a.resolvedMs === null ? "badge badge-unreachable" : "badge badge-connected"}
                data-testid={`alert-state-${a.id}`}
              >
                {a.resolvedMs === null ? "firing" : "resolved"}
              </span>
              {a.resolvedMs !== null && <div className="muted small">{when(a.resolvedMs)}</div>}
            </td>
            <td data-testid={`alert-acked-${a.id}`}>
              {a.ackedMs !== null && (
                <>
                  {a.ackedBy ?? "someone"}
                  <div className="muted small nowrap">{when(a.ackedMs)}</div>
                </>
              )}
            </td>
            <td className="nowrap" onClick={(e) => e.stopPropagation()}>
              <div className="alert-actions">
                {a.ackedMs === null && (
                  <button
                    type="button"
                    className="btn-sm"
                    data-testid={`alert-ack-${a.id}`}
                    onClick={() => void ack(a.id)}
                  >
                    Acknowledge
                  </button>
                )}
                <SilenceControl alert={a} silence={silenceOf(silences, a.fingerprint, now)} />
              </div>
            </td>
          </tr>
        ))}
        {alerts.length === 0 && (
          <tr>
            <td colSpan={7} className="muted" data-testid="alerts-none">
              No alert matches these filters.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
