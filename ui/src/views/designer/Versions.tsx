// Every saved version of the workflow: compare two side by side (steps
// added, removed, changed), restore one as the newest.
import { useEffect, useState } from "react";
import { dateTime } from "../../components/time";
import { commands, type IpcError, type VersionInfo } from "../../ipc";
import { compare, type StepChanges } from "./versions";

type Props = { workflowId: string; onRestored: () => void };

export function Versions({ workflowId, onRestored }: Props) {
  const [versions, setVersions] = useState<VersionInfo[] | null>(null);
  const [pair, setPair] = useState<[number, number] | null>(null);
  const [changes, setChanges] = useState<StepChanges | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    commands.workflowVersions(workflowId).then(
      (found) => {
        setVersions(found);
        if (found.length >= 2) setPair([found[1]!.version, found[0]!.version]);
      },
      (err: IpcError) => setError(err.message),
    );
  }, [workflowId]);

  useEffect(() => {
    if (!pair) return;
    let current = true;
    Promise.all([commands.workflowVersion(workflowId, pair[0]), commands.workflowVersion(workflowId, pair[1])]).then(
      ([from, to]) => current && setChanges(compare(from, to)),
      (err: IpcError) => current && setError(err.message),
    );
    return () => {
      current = false;
    };
  }, [workflowId, pair]);

  async function restore(version: number) {
    setError(null);
    try {
      await commands.restoreWorkflow(workflowId, version);
      onRestored();
    } catch (err) {
      setError((err as IpcError).message);
    }
  }

  const list = (ids: string[], what: string) =>
    ids.length > 0 && (
      <p data-testid={`version-${what}`}>
        {what}: {ids.map((id) => <code key={id}>{id} </code>)}
      </p>
    );
  const none =
    changes && changes.added.length + changes.removed.length + changes.changed.length + changes.fields.length === 0;

  return (
    <aside className="step-panel versions-panel" data-testid="designer-versions" aria-label="Versions">
      <h3>Versions</h3>
      {error && (
        <p className="problem" role="alert">
          {error}
        </p>
      )}
      <table className="table table-compact">
        <thead>
          <tr>
            <th>From</th>
            <th>To</th>
            <th>Version</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {versions?.map((v) => (
            <tr key={v.version} data-testid={`version-${v.version}`}>
              <td>
                <input
                  type="radio"
                  name="from"
                  aria-label={`compare from ${v.version}`}
                  checked={pair?.[0] === v.version}
                  onChange={() => setPair([v.version, pair?.[1] ?? v.version])}
                />
              </td>
              <td>
                <input
                  type="radio"
                  name="to"
                  aria-label={`compare to ${v.version}`}
                  checked={pair?.[1] === v.version}
                  onChange={() => setPair([pair?.[0] ?? v.version, v.version])}
                />
              </td>
              <td title={dateTime(v.savedMs)}>
                v{v.version} <span className="muted">{v.savedBy}</span>
              </td>
              <td>
                <button type="button" className="btn-sm" data-testid={`version-restore-${v.version}`} onClick={() => void restore(v.version)}>
                  Restore
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {pair && changes && (
        <div className="version-changes" data-testid="version-changes">
          <strong>
            v{pair[0]} → v{pair[1]}
          </strong>
          {list(changes.added, "added")}
          {list(changes.removed, "removed")}
          {none && <p className="muted">no difference</p>}
          {(changes.fields.length > 0 || changes.changed.length > 0) && (
            <table className="table table-compact version-diff" data-testid="version-diff">
              <thead>
                <tr>
                  <th>What</th>
                  <th>v{pair[0]}</th>
                  <th>v{pair[1]}</th>
                </tr>
              </thead>
              <tbody>
                {changes.fields.map((f) => (
                  <tr key={`workflow ${f.field}`}>
                    <td>{f.field}</td>
                    <td className="before">{f.before}</td>
                    <td className="after">{f.after}</td>
                  </tr>
                ))}
                {changes.changed.flatMap((c) =>
                  c.fields.map((f) => (
                    <tr key={`${c.id} ${f.field}`} data-testid={`version-changed-${c.id}`}>
                      <td>
                        <code>{c.id}</code> {f.field}
                      </td>
                      <td className="before">{f.before}</td>
                      <td className="after">{f.after}</td>
                    </tr>
                  )),
                )}
              </tbody>
            </table>
          )}
        </div>
      )}
    </aside>
  );
}
