// Security: alerts (live, acknowledged and silenced here), the inputs the
// threat gate stopped, the CIS audit of the containers, the alert rules, the
// audit log of every control action, the local API's keys and each
// client's rate against its limit.
import { useEffect } from "react";
import { useAlertsStore } from "../stores/alerts";
import { useNavStore, type SecurityTab } from "../stores/nav";
import { AlertsTab } from "./security/AlertsTab";
import { ApiKeys } from "./security/ApiKeys";
import { AuditTab } from "./security/AuditTab";
import { ContainersTab } from "./security/ContainersTab";
import { RatesTab } from "./security/RatesTab";
import { RulesTab } from "./security/RulesTab";
import { ThreatsTab } from "./security/ThreatsTab";
import "./Security.css";

const TABS: { id: SecurityTab; label: string }[] = [
  { id: "alerts", label: "Alerts" },
  { id: "threats", label: "Threats" },
  { id: "containers", label: "Containers" },
  { id: "rules", label: "Rules" },
  { id: "audit", label: "Audit log" },
  { id: "keys", label: "API keys" },
  { id: "rates", label: "Rate limits" },
];

export function Security() {
  const tab = useNavStore((s) => s.securityTab);
  const setTab = useNavStore((s) => s.setSecurityTab);
  const load = useAlertsStore((s) => s.load);
  const loadNotices = useAlertsStore((s) => s.loadNotices);
  const follow = useAlertsStore((s) => s.follow);

  // Alerts are followed on every tab, so the Alerts tab is current when shown.
  useEffect(() => {
    void load();
    void loadNotices();
    return follow();
  }, [load, loadNotices, follow]);

  return (
    <div className="security">
      <div className="tabs" role="tablist" aria-label="Security">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={tab === t.id}
            className={tab === t.id ? "tab active" : "tab"}
            data-testid={`security-tab-${t.id}`}
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" data-testid={`security-panel-${tab}`}>
        {tab === "alerts" && <AlertsTab />}
        {tab === "threats" && <ThreatsTab />}
        {tab === "containers" && <ContainersTab />}
        {tab === "rules" && <RulesTab />}
        {tab === "audit" && <AuditTab />}
        {tab === "keys" && <ApiKeys />}
        {tab === "rates" && <RatesTab />}
      </div>
    </div>
  );
}
