// One agent in detail: its facts, resource use, scale, live logs and history.
// Mounted per agent (keyed by id), so nothing of one agent leaks to the next.
import { useEffect, useRef, useState } from "react";
import { Fact } from "../../components/Fact";
import { events, onEvent, type AgentRow, type FleetEvent } from "../../ipc";
import { capabilityLabel, isRunning } from "./format";
import { AgentHistory } from "./History";
import { AgentLogs } from "./Logs";
import { AutoscaleControl } from "./Autoscale";
import { ScaleControl } from "./Scale";
import { AgentStats } from "./Stats";
import { StatusBadge } from "./Table";

/** Events after which the agent's container (re)started: its log stream
 * ended, so following starts over. */
function restartsLogs(event: FleetEvent): boolean {
  switch (event.kind) {
    case "restarted":
    case "deployed":
    case "replaced":
      return true;
    case "acted":
      return event.action === "start" || event.action === "restart";
    default:
      return false;
  }
}

type Mode = "absent" | "stopped" | "running";

function modeOf(row: AgentRow): Mode {
  if (row.status === "not_deployed" || row.status === "unknown") return "absent";
  return isRunning(row.status) ? "running" : "stopped";
}

type DetailProps = {
  row: AgentRow;
  now: number;
  onClose: () => void;
  /** Asks for the registry to be read again (after a scale). */
  onChanged: () => void;
};

export function Detail({ row, now, onClose, onChanged }: DetailProps) {
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    panel.current?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
  }, []);

  const [logsRestart, setLogsRestart] = useState(0);
  const [historyReload, setHistoryReload] = useState(0);

  // A container that came (back) up writes a new log stream: follow it. The
  // fleet events say so at once; the status catches what they miss.
  const mode = modeOf(row);
  const [seenMode, setSeenMode] = useState(mode);
  if (mode !== seenMode) {
    setSeenMode(mode);
    if (mode === "running" || (mode === "stopped" && seenMode === "absent")) setLogsRestart((n) => n + 1);
  }

  useEffect(() => {
    const unlisten = onEvent(events.fleetEvent, (event) => {
      if (event.agentId !== row.id) return;
      setHistoryReload((n) => n + 1);
      if (restartsLogs(event)) setLogsRestart((n) => n + 1);
    });
    return () => {
      void unlisten.then((stop) => stop());
    };
  }, [row.id]);

  return (
    <section className="card agent-detail" data-testid="agent-detail" ref={panel} aria-label={`Agent ${row.id}`}>
      <header className="card-header">
        <h2>
          <code>{row.id}</code> {row.name}
        </h2>
        <span className="detail-header-right">
          <StatusBadge row={row} />
          <button type="button" className="btn-sm" data-testid="agent-detail-close" onClick={onClose}>
            Close
          </button>
        </span>
      </header>
      <dl className="facts">
        <Fact label="Title" value={row.title} testId="agent-detail-title" />
        <Fact label="Kind" value={row.kind} />
        <Fact label="Phase · port" value={`${row.phase} · ${row.port}`} />
        <Fact label="Capabilities" value={row.capabilities.map(capabilityLabel).join(", ")} />
        <Fact label="Container" value={row.containerId ? <code>{row.containerId.slice(0, 12)}</code> : "—"} />
        <Fact label="Instances" value={row.instances} testId="agent-detail-instances" />
        <Fact label="Restarts" value={row.restarts} />
        {row.reason && <Fact label="Reason" value={row.reason} testId="agent-detail-reason" />}
      </dl>
      <AgentStats row={row} />
      <ScaleControl row={row} onScaled={onChanged} />
      <AutoscaleControl agentId={row.id} />
      <AgentLogs
        agentId={row.id}
        deployed={mode !== "absent"}
        running={mode === "running"}
        absent={
          row.status === "unknown"
            ? "Docker is not reachable, so the logs cannot be read."
            : "This agent is not deployed, so it has no logs."
        }
        restart={logsRestart}
        onRefresh={() => setLogsRestart((n) => n + 1)}
      />
      <AgentHistory agentId={row.id} reload={historyReload} now={now} />
    </section>
  );
}
