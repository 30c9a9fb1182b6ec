// Run an agent as 1 to 10 containers; each new one passes the health gate.
import { useState } from "react";
import { commands, type AgentRow, type ScaleReport } from "../../ipc";
import { toIpcError } from "../../ipc/call";

const MIN = 1;
const MAX = 10;

function parse(draft: string): number | null {
  const n = Number(draft);
  return Number.isInteger(n) && n >= MIN && n <= MAX ? n : null;
}

function resultText(report: ScaleReport): string {
  return `${report.healthy}/${report.instances} ${report.instances === 1 ? "instance" : "instances"} healthy`;
}

export function ScaleControl({ row, onScaled }: { row: AgentRow; onScaled: () => void }) {
  /** What the user typed; until then the input shows the running count. */
  const [draft, setDraft] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const [report, setReport] = useState<ScaleReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  const value = draft ?? String(Math.max(MIN, row.instances));
  const instances = parse(value);
  const dockerDown = row.status === "unknown";

  async function apply(n: number) {
    setRunning(true);
    setReport(null);
    setError(null);
    try {
      setReport(await commands.scaleAgent(row.id, n));
      setDraft(null);
    } catch (err) {
      setError(toIpcError(err).message);
    } finally {
      setRunning(false);
    }
    onScaled();
  }

  return (
    <section className="scale" aria-label="Scale">
      <form
        className="scale-control"
        onSubmit={(e) => {
          e.preventDefault();
          if (instances !== null && !running) void apply(instances);
        }}
      >
        <label htmlFor={`scale-${row.id}`}>Instances</label>
        <input
          id={`scale-${row.id}`}
          type="number"
          min={MIN}
          max={MAX}
          step={1}
          data-testid="scale-input"
          value={value}
          disabled={running}
          aria-invalid={instances === null}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button
          type="submit"
          className="btn-sm"
          data-testid="scale-apply"
          disabled={running || instances === null || dockerDown}
          title={
            dockerDown
              ? "Docker is not reachable"
              : instances === null
                ? `From ${MIN} to ${MAX} instances`
                : `Run ${row.id} as ${instances} ${instances === 1 ? "container" : "containers"}`
          }
        >
          {running ? "Scaling…" : "Apply"}
        </button>
        {instances === null && <span className="muted small">{`${MIN} to ${MAX}`}</span>}
      </form>
      {report && (
        <div data-testid="scale-result">
          <p className={report.failed.length > 0 ? "summary summary-bad" : "summary summary-ok"}>
            {resultText(report)}
          </p>
          {report.failed.length > 0 && (
            <ul className="problem failed-list">
              {report.failed.map((f) => (
                <li key={f.agentId}>
                  {/* For a scale, `agentId` names the failed container. */}
                  <code>{f.agentId}</code>: {f.reason}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {error && (
        <p className="problem" role="alert" data-testid="scale-error">
          {error}
        </p>
      )}
    </section>
  );
}
