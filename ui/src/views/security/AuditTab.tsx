// The Audit log tab: the newest 1000 control actions, filtered by actor,
// action and result, and exported as CSV (the filtered rows).
import { useEffect, useState } from "react";
import { when } from "../../components/time";
import { commands, IpcError, type AuditEntry } from "../../ipc";
import { toIpcError } from "../../ipc/call";
import { auditCsv, auditFileName, download } from "./csv";

/** How many entries are read. */
export const AUDIT_LIMIT = 1000;

export type AuditResult = "ok" | "refused" | "failed";
export type AuditFilter = { actor: string; action: string; result: AuditResult | "" };

/** The entries `filter` keeps (an empty field keeps all). */
export function filterAudit(entries: AuditEntry[], filter: AuditFilter): AuditEntry[] {
  return entries.filter(
    (e) =>
      (!filter.actor || e.actor === filter.actor) &&
      (!filter.action || e.action === filter.action) &&
      (!filter.result || e.outcome.startsWith(filter.result)),
  );
}

const distinct = (values: string[]) => [...new Set(values)].sort();

function Choice(props: { label: string; testId: string; value: string; any: string; options: string[]; onChange: (v: string) => void }) {
  return (
    <label>
      <span className="muted small">{props.label}</span>
      <select data-testid={props.testId} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">{props.any}</option>
        {props.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </label>
  );
}

export function AuditTab() {
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [error, setError] = useState<IpcError | null>(null);
  const [filter, setFilter] = useState<AuditFilter>({ actor: "", action: "", result: "" });

  const [reads, setReads] = useState(0);

  useEffect(() => {
    commands.auditLog(AUDIT_LIMIT).then(
      (read) => {
        setEntries(read);
        setError(null);
      },
      (err: unknown) => setError(toIpcError(err)),
    );
  }, [reads]);

  const all = entries ?? [];
  const shown = filterAudit(all, filter);
  return (
    <div className="audit-tab">
      <div className="filters">
        <Choice
          label="Actor"
          testId="audit-filter-actor"
          value={filter.actor}
          any="Anyone"
          options={distinct(all.map((e) => e.actor))}
          onChange={(actor) => setFilter({ ...filter, actor })}
        />
        <Choice
          label="Action"
          testId="audit-filter-action"
          value={filter.action}
          any="Any action"
          options={distinct(all.map((e) => e.action))}
          onChange={(action) => setFilter({ ...filter, action })}
        />
        <Choice
          label="Result"
          testId="audit-filter-result"
          value={filter.result}
          any="Any result"
          options={["ok", "refused", "failed"]}
          onChange={(result) => setFilter({ ...filter, result: result as AuditResult | "" })}
        />
        <button
          type="button"
          data-testid="audit-export"
          disabled={shown.length === 0}
          onClick={() => download(auditFileName(Date.now()), auditCsv(shown))}
        >
          Export CSV
        </button>
        <button type="button" data-testid="audit-reload" onClick={() => setReads(reads + 1)}>
          Reload
        </button>
        <span className="muted count" data-testid="audit-count">
          {`${shown.length} of ${all.length} entries`}
        </span>
      </div>
      {error && (
        <p className="problem" role="alert" data-testid="audit-error">
          {error.message}
        </p>
      )}
      {entries && (
        <div className="table-scroll card">
          <table className="table table-compact" data-testid="audit-table">
            <thead>
              <tr>
                <th>Time</th>
                <th>Actor</th>
                <th>Origin</th>
                <th>Action</th>
                <th>Target</th>
                <th>Outcome</th>
                <th>Detail</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.id} data-testid={`audit-row-${e.id}`}>
                  <td className="nowrap">{when(e.atMs)}</td>
                  <td className="nowrap">{e.actor}</td>
                  <td className="nowrap muted">{e.origin}</td>
                  <td className="nowrap">
                    <code>{e.action}</code>
                  </td>
                  <td>{e.target}</td>
                  <td className={e.outcome.startsWith("ok") ? "audit-ok" : "audit-bad"}>{e.outcome}</td>
                  <td className="audit-detail">{e.detail}</td>
                </tr>
              ))}
              {shown.length === 0 && (
                <tr>
                  <td colSpan={7} className="muted" data-testid="audit-none">
                    {all.length === 0 ? "Nothing recorded yet." : "No entry matches these filters."}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {!entries && !error && <p className="muted">Loading the audit log…</p>}
    </div>
  );
}
