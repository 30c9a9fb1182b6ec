// The agent registry: every catalog agent with its live status and resource
// use, filters, lifecycle actions, and one agent in detail.
import { useEffect, useMemo, useState } from "react";
import { useNow } from "../components/time";
import { commands, type AgentAction, type AgentRow } from "../ipc";
import { toIpcError } from "../ipc/call";
import { useAgentsStore } from "../stores/agents";
import { usageByAgent, useStatsStore } from "../stores/stats";
import { useStraysStore } from "../stores/strays";
import { Detail } from "./agents/Detail";
import { capabilityLabel, STATUSES, statusLabel } from "./agents/format";
import { DockerDown, Strays } from "./agents/Notices";
import { AgentsTable } from "./agents/Table";
import "./Agents.css";

function matches(row: AgentRow, search: string): boolean {
  if (!search) return true;
  const hay = [row.id, row.name, row.title, ...row.capabilities, ...row.capabilities.map(capabilityLabel)];
  return hay.some((s) => s.toLowerCase().includes(search));
}

export function Agents() {
  const rows = useAgentsStore((s) => s.rows);
  const error = useAgentsStore((s) => s.error);
  const load = useAgentsStore((s) => s.load);
  const follow = useAgentsStore((s) => s.follow);
  const samples = useStatsStore((s) => s.samples);
  const pollStats = useStatsStore((s) => s.poll);
  const strays = useStraysStore((s) => s.strays);
  const loadStrays = useStraysStore((s) => s.load);
  const followStrays = useStraysStore((s) => s.follow);
  const now = useNow(1000);

  const [phase, setPhase] = useState("");
  const [status, setStatus] = useState("");
  const [capability, setCapability] = useState("");
  const [search, setSearch] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const [busy, setBusy] = useState<Set<string>>(() => new Set());
  const [actionError, setActionError] = useState<string | null>(null);

  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 3000);
    const unfollow = follow();
    return () => {
      clearInterval(timer);
      unfollow();
    };
  }, [load, follow]);
  // Resource use is sampled only while this view is shown.
  useEffect(() => pollStats(), [pollStats]);
  useEffect(() => {
    void loadStrays();
    return followStrays();
  }, [loadStrays, followStrays]);

  const usage = useMemo(() => usageByAgent(samples), [samples]);
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
      <DockerDown rows={rows} />
      <Strays strays={strays} />
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
          <AgentsTable
            rows={shown}
            usage={usage}
            selected={selected}
            busy={busy}
            now={now}
            onOpen={(row) => setSelected(row.id)}
            onAction={(row, action) => void act(row, action)}
          />
        </div>
        {detail && (
          <Detail
            key={detail.id}
            row={detail}
            now={now}
            onClose={() => setSelected(null)}
            onChanged={() => void load()}
          />
        )}
      </div>
    </div>
  );
}
