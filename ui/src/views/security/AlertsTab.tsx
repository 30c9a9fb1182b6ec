// The Alerts tab: filters, the alerts (live), and the notifications sent.
import { useNow } from "../../components/time";
import { SEVERITIES } from "../../components/severity";
import type { AlertState, Severity } from "../../ipc";
import { ALERT_LIMIT, useAlertsStore, type AlertFilter } from "../../stores/alerts";
import { AlertTable } from "./AlertTable";
import { Notices } from "./Notices";

const STATES: { value: AlertFilter["state"]; label: string }[] = [
  { value: "open", label: "open (firing)" },
  { value: "unacknowledged", label: "unacknowledged" },
  { value: "resolved", label: "resolved" },
  { value: "all", label: "all" },
];

function AlertFilters({ filter, shown }: { filter: AlertFilter; shown: number }) {
  const setFilter = useAlertsStore((s) => s.setFilter);
  return (
    <div className="filters">
      <label>
        <span className="muted small">State</span>
        <select
          data-testid="alerts-filter-state"
          value={filter.state}
          onChange={(e) => setFilter({ state: e.target.value as AlertState | "all" })}
        >
          {STATES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="muted small">Severity</span>
        <select
          data-testid="alerts-filter-severity"
          value={filter.severity ?? ""}
          onChange={(e) => setFilter({ severity: (e.target.value || null) as Severity | null })}
        >
          <option value="">Any severity</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="muted small">Agent</span>
        <input
          type="search"
          data-testid="alerts-filter-subject"
          placeholder="AG-001"
          value={filter.subject}
          onChange={(e) => setFilter({ subject: e.target.value })}
        />
      </label>
      <label>
        <span className="muted small">Words</span>
        <input
          type="search"
          data-testid="alerts-filter-text"
          placeholder="memory"
          value={filter.text}
          onChange={(e) => setFilter({ text: e.target.value })}
        />
      </label>
      <span className="muted count" data-testid="alerts-count">
        {shown >= ALERT_LIMIT ? `newest ${shown} alerts` : `${shown} ${shown === 1 ? "alert" : "alerts"}`}
      </span>
    </div>
  );
}

export function AlertsTab() {
  const filter = useAlertsStore((s) => s.filter);
  const alerts = useAlertsStore((s) => s.alerts);
  const silences = useAlertsStore((s) => s.silences);
  const selected = useAlertsStore((s) => s.selected);
  const error = useAlertsStore((s) => s.error);
  const actionError = useAlertsStore((s) => s.actionError);
  const now = useNow(10_000);
  return (
    <div className="alerts-tab">
      <AlertFilters filter={filter} shown={alerts?.length ?? 0} />
      {error && (
        <p className="problem" role="alert" data-testid="alerts-error">
          {error.message}
        </p>
      )}
      {actionError && (
        <p className="problem" role="alert" data-testid="alerts-action-error">
          {actionError.message}
        </p>
      )}
      <div className="table-scroll card alerts-scroll">
        {alerts ? (
          <AlertTable alerts={alerts} silences={silences} selected={selected} now={now} />
        ) : (
          !error && <p className="muted">Loading the alerts…</p>
        )}
      </div>
      <Notices />
    </div>
  );
}
