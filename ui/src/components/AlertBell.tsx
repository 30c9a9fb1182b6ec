// The bell in the sidebar: how many alerts are open (live); clicking it
// opens the Security view on the open alerts.
import { useEffect } from "react";
import { showOpenAlerts } from "../stores/alerts";
import { OPEN_LIMIT, useOpenAlertsStore } from "../stores/openAlerts";

export function AlertBell() {
  const alerts = useOpenAlertsStore((s) => s.alerts);
  const load = useOpenAlertsStore((s) => s.load);
  const follow = useOpenAlertsStore((s) => s.follow);

  useEffect(() => {
    void load();
    return follow();
  }, [load, follow]);

  const count = alerts?.length ?? 0;
  const critical = alerts?.some((a) => a.severity === "critical") ?? false;
  const label = count === 0 ? "No open alerts" : `${count} open ${count === 1 ? "alert" : "alerts"}`;
  return (
    <button
      type="button"
      className={critical ? "alert-bell critical" : count > 0 ? "alert-bell firing" : "alert-bell"}
      data-testid="alert-bell"
      title={label}
      aria-label={label}
      onClick={showOpenAlerts}
    >
      <svg viewBox="0 0 24 24" width={18} height={18} aria-hidden="true">
        <path
          fill="currentColor"
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
        />
      </svg>
      <span>Alerts</span>
      <span className="alert-bell-count" data-testid="alert-bell-count">
        {count >= OPEN_LIMIT ? `${OPEN_LIMIT}+` : count}
      </span>
    </button>
  );
}
