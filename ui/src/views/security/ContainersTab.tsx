// The Containers tab: the CIS Docker Benchmark v1.6 §5 audit of every
// container on the engine, in the engine's order, with its critical and
// warning findings counted; a click shows a container's checks. The audit
// runs when the tab is shown and on "Run audit".
import { Fragment, useEffect, useState } from "react";
import { SEVERITY_BADGE } from "../../components/severity";
import type { ContainerAudit } from "../../ipc";
import { useContainersStore } from "../../stores/containers";
import { ContainerChecks } from "./ContainerChecks";

const COLUMNS = 7;

function Count({ n, severity, testId }: { n: number; severity: "critical" | "warning"; testId: string }) {
  return (
    <span className={`badge ${n > 0 ? SEVERITY_BADGE[severity] : "badge-unknown"}`} data-testid={testId} title={`${n} ${severity}`}>
      {n}
    </span>
  );
}

function ContainerRow({ audit, open, onToggle }: { audit: ContainerAudit; open: boolean; onToggle: () => void }) {
  const name = audit.container;
  return (
    <Fragment>
      <tr
        className={open ? "clickable selected" : "clickable"}
        data-testid={`container-row-${name}`}
        aria-expanded={open}
        tabIndex={0}
        onClick={onToggle}
        onKeyDown={(e) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            onToggle();
          }
        }}
      >
        <td className="name-cell">
          <div>{name}</div>
          <div className="muted small">{audit.id.slice(0, 12)}</div>
        </td>
        <td>
          <code>{audit.image}</code>
        </td>
        <td>
          <span className="chip">{audit.ours ? "ours" : "other"}</span>
        </td>
        <td className="nowrap">{audit.agentId ?? "—"}</td>
        <td className="nowrap">
          <span className={audit.running ? "badge badge-connected" : "badge badge-idle"}>
            {audit.running ? "running" : "stopped"}
          </span>
        </td>
        <td className="num">
          <Count n={audit.critical} severity="critical" testId={`container-critical-${name}`} />
        </td>
        <td className="num">
          <Count n={audit.warnings} severity="warning" testId={`container-warnings-${name}`} />
        </td>
      </tr>
      {open && (
        <tr data-testid={`container-checks-${name}`}>
          <td colSpan={COLUMNS} className="container-checks-cell">
            <ContainerChecks checks={audit.checks} />
          </td>
        </tr>
      )}
    </Fragment>
  );
}

export function ContainersTab() {
  const audits = useContainersStore((s) => s.audits);
  const error = useContainersStore((s) => s.error);
  const running = useContainersStore((s) => s.running);
  const run = useContainersStore((s) => s.run);
  const [open, setOpen] = useState<ReadonlySet<string>>(() => new Set());

  useEffect(() => {
    void run();
  }, [run]);

  function toggle(name: string) {
    const next = new Set(open);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    setOpen(next);
  }

  return (
    <div className="containers-tab">
      <div className="filters">
        <p className="muted small containers-help">
          Each container checked against the CIS Docker Benchmark v1.6, section 5 (container runtime).
        </p>
        <button type="button" data-testid="containers-audit-run" disabled={running} aria-busy={running} onClick={() => void run()}>
          {running ? "Auditing…" : "Run audit"}
        </button>
      </div>
      {error && (
        <p className="problem" role="alert" data-testid="containers-error">
          {error.message}
        </p>
      )}
      {audits ? (
        <div className="table-scroll card">
          <table className="table table-compact" data-testid="containers-table" aria-busy={running}>
            <thead>
              <tr>
                <th>Container</th>
                <th>Image</th>
                <th>Made by</th>
                <th>Agent</th>
                <th>State</th>
                <th className="num">Critical</th>
                <th className="num">Warnings</th>
              </tr>
            </thead>
            <tbody>
              {audits.map((a) => (
                <ContainerRow key={a.id} audit={a} open={open.has(a.container)} onToggle={() => toggle(a.container)} />
              ))}
              {audits.length === 0 && (
                <tr>
                  <td colSpan={COLUMNS} className="muted" data-testid="containers-none">
                    No container on this Docker engine.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      ) : (
        !error && <p className="muted">Auditing the containers…</p>
      )}
    </div>
  );
}
