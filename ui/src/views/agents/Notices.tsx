// What the registry says above the table: Docker is down, or some
// containers carry the app's label without belonging to any catalog agent.
import type { AgentRow, Stray } from "../../ipc";

/** One banner for the whole fleet when Docker cannot be asked (every row
 * then says "unknown" with the same reason). */
export function DockerDown({ rows }: { rows: AgentRow[] }) {
  const unknown = rows.filter((r) => r.status === "unknown");
  if (unknown.length === 0) return null;
  const reason = unknown.find((r) => r.reason)?.reason;
  return (
    <div className="problem banner" role="alert" data-testid="docker-down">
      <p>
        <strong>Docker is not reachable</strong>
        {reason ? `: ${reason}` : "."}
      </p>
      <p className="muted">
        {`The status of ${unknown.length === rows.length ? "every agent" : `${unknown.length} of ${rows.length} agents`} is unknown until it answers; retrying in the background.`}
      </p>
    </div>
  );
}

export function Strays({ strays }: { strays: Stray[] }) {
  if (strays.length === 0) return null;
  const one = strays.length === 1;
  return (
    <div className="notice banner" data-testid="strays">
      <p>
        {one
          ? "1 container carries the app's label but belongs to no catalog agent:"
          : `${strays.length} containers carry the app's label but belong to no catalog agent:`}
      </p>
      <ul>
        {strays.map((s) => (
          <li key={s.container} data-testid={`stray-${s.container}`}>
            <code>{s.container}</code> {`(${s.state}): ${s.reason}`}
          </li>
        ))}
      </ul>
      <p className="muted small">
        The app leaves them alone; remove them with <code>docker rm -f</code> when nothing needs them.
      </p>
    </div>
  );
}
