import { useEffect, useState } from "react";
import { commands, type ConfigIssue, type ConfigReport, type ConfigSource, IpcError } from "../ipc";
import { toIpcError } from "../ipc/call";
import "./Settings.css";

function sourceLabel(source: ConfigSource): string {
  switch (source.kind) {
    case "default":
      return "default";
    case "file":
      return `file ${source.path}`;
    case "env":
      return `environment ${source.var}`;
  }
}

export function Settings() {
  const [report, setReport] = useState<ConfigReport | null>(null);
  const [error, setError] = useState<IpcError | null>(null);

  useEffect(() => {
    commands.configReport().then(setReport, (err: unknown) => setError(toIpcError(err)));
  }, []);

  if (error) return <p className="problem">{error.message}</p>;
  if (!report) return <p className="muted">Loading the configuration…</p>;
  return (
    <div className="settings">
      <section className="card">
        <header className="card-header">
          <h2>Effective configuration</h2>
        </header>
        <p className="muted" data-testid="config-file">
          Config file: <code>{report.file ?? "none"}</code> {report.file && !report.fileFound && "(not present)"}.
          Precedence: defaults, then the file, then environment variables.
        </p>
        <table className="table" data-testid="config-table">
          <thead>
            <tr>
              <th>Key</th>
              <th>Value</th>
              <th>From</th>
            </tr>
          </thead>
          <tbody>
            {report.values.map((v) => (
              <tr key={v.key} data-testid={`config-${v.key}`}>
                <td>
                  <code>{v.key}</code>
                  <div className="muted small">{v.help}</div>
                </td>
                <td>
                  <code>{v.value}</code>
                </td>
                <td data-testid={`config-${v.key}-source`}>{sourceLabel(v.source)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {report.warnings.length > 0 && (
        <section className="card card-warning" data-testid="config-warnings">
          <header className="card-header">
            <h2>Warnings</h2>
          </header>
          <p className="muted">These values were taken as set; make sure you mean them.</p>
          <IssueList issues={report.warnings} testId="config-warning" />
        </section>
      )}
      {report.issues.length > 0 && (
        <section className="card card-warning" data-testid="config-issues">
          <header className="card-header">
            <h2>Problems in the configuration</h2>
          </header>
          <p className="muted">Each affected key kept its default or lower-layer value.</p>
          <IssueList issues={report.issues} testId="config-issue" />
        </section>
      )}
    </div>
  );
}

/** One line per issue: where, which key, what. */
function IssueList({ issues, testId }: { issues: ConfigIssue[]; testId: string }) {
  return (
    <ul>
      {issues.map((issue, i) => (
        <li key={i} data-testid={testId}>
          <code>{issue.origin}</code>
          {issue.key && (
            <>
              {" "}
              key <code>{issue.key}</code>
            </>
          )}
          : {issue.problem}
        </li>
      ))}
    </ul>
  );
}
