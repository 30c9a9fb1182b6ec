// The registry table: one row per catalog agent with its status, health,
// restarts, resource use and the actions that fit its status.
import { ago } from "../../components/time";
import type { AgentAction, AgentRow } from "../../ipc";
import type { Usage } from "../../stores/stats";
import { BADGE, capabilityLabel, isRunning, memory, percent, statusLabel } from "./format";

export function StatusBadge({ row }: { row: AgentRow }) {
  return (
    <span className={`badge ${BADGE[row.status]}`} data-testid={`agent-status-${row.id}`} title={row.reason ?? undefined}>
      {statusLabel(row.status)}
    </span>
  );
}

/** "×3" when the agent runs as more than one container. */
export function InstancesChip({ row }: { row: AgentRow }) {
  if (row.instances <= 1) return null;
  return (
    <span className="chip instances-chip" data-testid={`agent-instances-${row.id}`} title={`${row.instances} containers run this agent`}>
      {`×${row.instances}`}
    </span>
  );
}

function Capabilities({ list }: { list: string[] }) {
  const shown = list.slice(0, 2);
  const rest = list.length - shown.length;
  return (
    <span className="chips" title={list.map(capabilityLabel).join(", ")}>
      {shown.map((c) => (
        <span key={c} className="chip">
          {capabilityLabel(c)}
        </span>
      ))}
      {rest > 0 && <span className="muted small">{`+${rest}`}</span>}
    </span>
  );
}

type RowActionsProps = {
  row: AgentRow;
  busy: boolean;
  onAction: (row: AgentRow, action: AgentAction) => void;
  onLogs: (row: AgentRow) => void;
};

function RowActions({ row, busy, onAction, onLogs }: RowActionsProps) {
  const running = isRunning(row.status);
  const button = (testId: string, label: string, run: () => void) => (
    <button
      type="button"
      className="btn-sm"
      data-testid={`${testId}-${row.id}`}
      disabled={busy}
      onClick={(e) => {
        e.stopPropagation();
        run();
      }}
    >
      {label}
    </button>
  );
  // With Docker unreachable ("unknown") there is nothing an action could do.
  return (
    <span className="row-actions">
      {(row.status === "stopped" || row.status === "flapping") &&
        button("action-start", "Start", () => onAction(row, "start"))}
      {running && button("action-stop", "Stop", () => onAction(row, "stop"))}
      {running && button("action-restart", "Restart", () => onAction(row, "restart"))}
      {row.status !== "not_deployed" && row.status !== "unknown" && button("action-logs", "Logs", () => onLogs(row))}
    </span>
  );
}

/** Says whether the figures are one container's or several summed. */
function usageTitle(what: string, usage: Usage | undefined): string {
  return usage && usage.instances > 1 ? `${what}, summed over ${usage.instances} instances` : what;
}

function Cpu({ row, usage }: { row: AgentRow; usage: Usage | undefined }) {
  const running = isRunning(row.status);
  const value = !running ? "—" : usage?.cpuPercent == null ? "…" : percent(usage.cpuPercent);
  return (
    <td
      className="num nowrap"
      data-testid={`agent-cpu-${row.id}`}
      title={running ? usageTitle("CPU, percent of one core", usage) : undefined}
    >
      {value}
    </td>
  );
}

function Memory({ row, usage }: { row: AgentRow; usage: Usage | undefined }) {
  const running = isRunning(row.status);
  const value = !running ? "—" : usage ? memory(usage.memoryBytes, usage.memoryLimitBytes) : "…";
  return (
    <td
      className="num nowrap"
      data-testid={`agent-mem-${row.id}`}
      title={running ? usageTitle("Memory in use / limit", usage) : undefined}
    >
      {value}
    </td>
  );
}

type TableProps = {
  rows: AgentRow[];
  usage: Map<string, Usage>;
  selected: string | null;
  busy: Set<string>;
  now: number;
  onOpen: (row: AgentRow) => void;
  onAction: (row: AgentRow, action: AgentAction) => void;
};

export function AgentsTable({ rows, usage, selected, busy, now, onOpen, onAction }: TableProps) {
  return (
    <table className="table table-compact" data-testid="agents-table">
      <thead>
        <tr>
          <th>ID</th>
          <th>Name</th>
          <th>Phase</th>
          <th className="col-capabilities">Capabilities</th>
          <th>Status</th>
          <th>Health</th>
          <th title="Restarts">Restarts</th>
          <th title="CPU, percent of one core">CPU</th>
          <th>Memory</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr
            key={row.id}
            data-testid={`agent-row-${row.id}`}
            className={row.id === selected ? "clickable selected" : "clickable"}
            tabIndex={0}
            onClick={() => onOpen(row)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && e.target === e.currentTarget) onOpen(row);
            }}
          >
            <td className="id-cell">
              <code>{row.id}</code>
            </td>
            <td className="name-cell">
              <div>{row.name}</div>
              <div className="muted small">{row.title}</div>
            </td>
            <td className="num">{row.phase}</td>
            <td className="col-capabilities">
              <Capabilities list={row.capabilities} />
            </td>
            <td>
              <span className="status-cell">
                <StatusBadge row={row} />
                <InstancesChip row={row} />
              </span>
            </td>
            <td className="nowrap muted">{row.healthyAtMs === null ? "—" : ago(row.healthyAtMs, now)}</td>
            <td className="num">{row.restarts}</td>
            <Cpu row={row} usage={usage.get(row.id)} />
            <Memory row={row} usage={usage.get(row.id)} />
            <td>
              <RowActions row={row} busy={busy.has(row.id)} onAction={onAction} onLogs={onOpen} />
            </td>
          </tr>
        ))}
        {rows.length === 0 && (
          <tr>
            <td colSpan={10} className="muted">
              No agent matches these filters.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
