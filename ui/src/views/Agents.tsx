import { useEffect, useMemo, useRef, useState } from "react";
import { Fact } from "../components/Fact";
import { ago, useNow } from "../components/time";
import { commands, type AgentAction, type AgentRow, type AgentStatus } from "../ipc";
import { toIpcError } from "../ipc/call";
import { useAgentsStore } from "../stores/agents";

const STATUSES: AgentStatus[] = ["not_deployed", "starting", "healthy", "unhealthy", "stopped", "flapping"];

const BADGE: Record<AgentStatus, string> = {
  not_deployed: "badge-idle",
  starting: "badge-checking",
  healthy: "badge-connected",
  unhealthy: "badge-unreachable",
  stopped: "badge-unreachable",
  flapping: "badge-unreachable",
};

const LOG_LINES = 200;

/** "not deployed", "healthy", … */
function statusLabel(status: AgentStatus): string {
  return status.replace(/_/g, " ");
}

function capabilityLabel(capability: string): string {
  return capability.replace(/_/g, " ");
}

function age(ms: number | null, now: number): string {
  return ms === null ? "—" : ago(ms, now);
}

function matches(row: AgentRow, search: string): boolean {
  if (!search) return true;
  const hay = [row.id, row.name, row.title, ...row.capabilities, ...row.capabilities.map(capabilityLabel)];
  return hay.some((s) => s.toLowerCase().includes(search));
}

function StatusBadge({ row }: { row: AgentRow }) {
  return (
    <span className={`badge ${BADGE[row.status]}`} data-testid={`agent-status-${row.id}`} title={row.reason ?? undefined}>
      {statusLabel(row.status)}
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
  const running = row.status === "healthy" || row.status === "unhealthy" || row.status === "starting";
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
  return (
    <span className="row-actions">
      {(row.status === "stopped" || row.status === "flapping") &&
        button("action-start", "Start", () => onAction(row, "start"))}
      {running && button("action-stop", "Stop", () => onAction(row, "stop"))}
      {running && button("action-restart", "Restart", () => onAction(row, "restart"))}
      {row.status !== "not_deployed" && button("action-logs", "Logs", () => onLogs(row))}
    </span>
  );
}

type Logs = { agentId: string; text: string | null; error: string | null; loading: boolean };

function Detail({
  row,
  logs,
  onRefresh,
  onClose,
}: {
  row: AgentRow;
  logs: Logs | null;
  onRefresh: () => void;
  onClose: () => void;
}) {
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    panel.current?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
  }, [row.id]);
  const deployed = row.status !== "not_deployed";
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
        <Fact label="Restarts" value={row.restarts} />
        {row.reason && (
          <Fact label="Reason" value={row.reason} testId="agent-detail-reason" />
        )}
      </dl>
      <div className="logs-header">
        <h3>{`Last ${LOG_LINES} log lines`}</h3>
        {deployed && (
          <button
            type="button"
            className="btn-sm"
            data-testid="agent-logs-refresh"
            disabled={logs?.loading}
            onClick={onRefresh}
          >
            {logs?.loading ? "Loading…" : "Refresh"}
          </button>
        )}
      </div>
      {!deployed ? (
        <p className="muted" data-testid="agent-no-logs">
          This agent is not deployed, so it has no logs.
        </p>
      ) : logs?.error ? (
        <p className="problem" role="alert" data-testid="agent-logs-error">
          {logs.error}
        </p>
      ) : logs?.text == null ? (
        <p className="muted">{logs?.loading ? "Loading the logs…" : "Refresh to read the logs."}</p>
      ) : (
        <pre className="logs" data-testid="agent-logs">
          {logs.text.trim() === "" ? "(no output yet)" : logs.text}
        </pre>
      )}
    </section>
  );
}

export function Agents() {
  const rows = useAgentsStore((s) => s.rows);
  const error = useAgentsStore((s) => s.error);
  const load = useAgentsStore((s) => s.load);
  const now = useNow(1000);

  const [phase, setPhase] = useState("");
  const [status, setStatus] = useState("");
  const [capability, setCapability] = useState("");
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const [logs, setLogs] = useState<Logs | null>(null);
  const [busy, setBusy] = useState<Set<string>>(() => new Set());
  const [actionError, setActionError] = useState<string | null>(null);
  /** The agent whose logs are wanted; a late answer for another is dropped. */
  const wanted = useRef<string | null>(null);

  const follow = useAgentsStore((s) => s.follow);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 3000);
    const unfollow = follow();
    return () => {
      clearInterval(timer);
      unfollow();
    };
  }, [load, follow]);

  const capabilities = useMemo(
    () => [...new Set((rows ?? []).flatMap((r) => r.capabilities))].sort(),
    [rows],
  );
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (rows ?? []).filter(
      (r) =>
        (phase === "" || String(r.phase) === phase) &&
        (status === "" || r.status === status) &&
        (capability === "" || r.capabilities.includes(capability)) &&
        matches(r, needle),
    );
  }, [rows, phase, status, capability, search]);
  const detail = selected === null ? undefined : rows?.find((r) => r.id === selected);

  async function loadLogs(agentId: string) {
    wanted.current = agentId;
    setLogs((prev) => ({
      agentId,
      text: prev?.agentId === agentId ? prev.text : null,
      error: null,
      loading: true,
    }));
    try {
      const text = await commands.agentLogs(agentId, LOG_LINES);
      if (wanted.current === agentId) setLogs({ agentId, text, error: null, loading: false });
    } catch (err) {
      if (wanted.current === agentId) setLogs({ agentId, text: null, error: toIpcError(err).message, loading: false });
    }
  }

  function open(row: AgentRow) {
    setSelected(row.id);
    if (row.status === "not_deployed") {
      wanted.current = null;
      setLogs(null);
    } else {
      void loadLogs(row.id);
    }
  }

  function close() {
    wanted.current = null;
    setSelected(null);
    setLogs(null);
  }

  async function act(row: AgentRow, action: AgentAction) {
    setBusy((b) => new Set(b).add(row.id));
    setActionError(null);
    try {
      await commands.agentAction(row.id, action);
    } catch (err) {
      setActionError(`${action} ${row.id}: ${toIpcError(err).message}`);
    } finally {
      setBusy((b) => {
        const next = new Set(b);
        next.delete(row.id);
        return next;
      });
    }
    await load();
    if (wanted.current === row.id) void loadLogs(row.id);
  }

  if (!rows) {
    return error ? (
      <p className="problem" role="alert" data-testid="agents-error">
        {error.message}
      </p>
    ) : (
      <p className="muted">Loading the agents…</p>
    );
  }

  return (
    <div className={detail ? "agents with-detail" : "agents"}>
      <div className="filters">
        <label>
          <span className="muted small">Phase</span>
          <select data-testid="filter-phase" value={phase} onChange={(e) => setPhase(e.target.value)}>
            <option value="">All phases</option>
            <option value="1">Phase 1</option>
            <option value="2">Phase 2</option>
            <option value="3">Phase 3</option>
          </select>
        </label>
        <label>
          <span className="muted small">Status</span>
          <select data-testid="filter-status" value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="muted small">Capability</span>
          <select data-testid="filter-capability" value={capability} onChange={(e) => setCapability(e.target.value)}>
            <option value="">Any capability</option>
            {capabilities.map((c) => (
              <option key={c} value={c}>
                {capabilityLabel(c)}
              </option>
            ))}
          </select>
        </label>
        <label className="search">
          <span className="muted small">Search</span>
          <input
            type="search"
            data-testid="agent-search"
            placeholder="id, name, title or capability"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
        <span className="muted count" data-testid="agents-count">
          {`${shown.length} of ${rows.length} agents`}
        </span>
      </div>

      {error && (
        <p className="problem" role="alert" data-testid="agents-error">
          {error.message}
        </p>
      )}
      {actionError && (
        <p className="problem" role="alert" data-testid="agent-action-error">
          {actionError}
        </p>
      )}

      <div className="agents-layout">
        <div className="table-scroll card">
          <table className="table table-compact" data-testid="agents-table">
            <thead>
              <tr>
                <th>ID</th>
                <th>Name</th>
                <th>Phase</th>
                <th>Capabilities</th>
                <th>Status</th>
                <th>Health</th>
                <th title="Restarts">Restarts</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((row) => (
                <tr
                  key={row.id}
                  data-testid={`agent-row-${row.id}`}
                  className={row.id === selected ? "clickable selected" : "clickable"}
                  tabIndex={0}
                  onClick={() => open(row)}
                  onKeyDown={(e) => {
                    if (e.key === "Enter" && e.target === e.currentTarget) open(row);
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
                  <td>
                    <Capabilities list={row.capabilities} />
                  </td>
                  <td>
                    <StatusBadge row={row} />
                  </td>
                  <td className="nowrap muted">{age(row.healthyAtMs, now)}</td>
                  <td className="num">{row.restarts}</td>
                  <td>
                    <RowActions row={row} busy={busy.has(row.id)} onAction={(r, a) => void act(r, a)} onLogs={open} />
                  </td>
                </tr>
              ))}
              {shown.length === 0 && (
                <tr>
                  <td colSpan={8} className="muted">
                    No agent matches these filters.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        {detail && (
          <Detail
            row={detail}
            logs={logs?.agentId === detail.id ? logs : null}
            onRefresh={() => void loadLogs(detail.id)}
            onClose={close}
          />
        )}
      </div>
    </div>
  );
}
