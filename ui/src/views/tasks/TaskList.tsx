// The task list: counts per status (each one a filter), filters by status
// and capability, and one row per task with its live duration.
import type { CapabilityInfo, StatusCount, TaskStatus, TaskSummary } from "../../ipc";
import type { TaskFilter } from "../../stores/tasks";
import { capabilityLabel } from "../agents/format";
import { TASK_BADGE, TASK_STATUSES, taskDuration } from "./format";

export function TaskStatusBadge({ status, testId }: { status: TaskStatus; testId: string }) {
  return (
    <span className={`badge ${TASK_BADGE[status]}`} data-testid={testId}>
      {status}
    </span>
  );
}

type ChipsProps = {
  counts: StatusCount[];
  current: TaskStatus | null;
  onPick: (status: TaskStatus | null) => void;
};

/** "all 12 · queued 2 · running 1 · succeeded 9"; clicking one filters by it. */
export function StatusChips({ counts, current, onPick }: ChipsProps) {
  const count = (s: TaskStatus) => counts.find((c) => c.status === s)?.count ?? 0;
  const total = counts.reduce((sum, c) => sum + c.count, 0);
  const chip = (key: string, label: string, n: number, status: TaskStatus | null) => (
    <button
      key={key}
      type="button"
      className={current === status ? "status-chip active" : "status-chip"}
      aria-pressed={current === status}
      data-testid={`task-count-${key}`}
      onClick={() => onPick(status)}
    >
      {label} <strong>{n}</strong>
    </button>
  );
  return (
    <div className="status-chips" role="group" aria-label="Tasks per status">
      {chip("all", "all", total, null)}
      {TASK_STATUSES.map((s) => chip(s, s, count(s), s))}
    </div>
  );
}

type FiltersProps = {
  filter: TaskFilter;
  capabilities: CapabilityInfo[];
  shown: number;
  total: number;
  onChange: (change: Partial<TaskFilter>) => void;
};

export function TaskFilters({ filter, capabilities, shown, total, onChange }: FiltersProps) {
  return (
    <div className="filters">
      <label>
        <span className="muted small">Status</span>
        <select
          data-testid="tasks-filter-status"
          value={filter.status ?? ""}
          onChange={(e) => onChange({ status: (e.target.value || null) as TaskStatus | null })}
        >
          <option value="">Any status</option>
          {TASK_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="muted small">Capability</span>
        <select
          data-testid="tasks-filter-capability"
          value={filter.capability ?? ""}
          onChange={(e) => onChange({ capability: e.target.value || null })}
        >
          <option value="">Any capability</option>
          {capabilities.map((c) => (
            <option key={c.capability} value={c.capability}>
              {capabilityLabel(c.capability)}
            </option>
          ))}
        </select>
      </label>
      <span className="muted count" data-testid="tasks-count">
        {shown < total ? `newest ${shown} of ${total} tasks` : `${total} ${total === 1 ? "task" : "tasks"}`}
      </span>
    </div>
  );
}

type TableProps = {
  tasks: TaskSummary[];
  selected: string | null;
  now: number;
  onOpen: (id: string) => void;
};

export function TaskTable({ tasks, selected, now, onOpen }: TableProps) {
  return (
    <table className="table table-compact" data-testid="tasks-table">
      <thead>
        <tr>
          <th>Task</th>
          <th>Capability · type</th>
          <th>Agent</th>
          <th>Status</th>
          <th title="Attempts so far">Attempts</th>
          <th title="From submission to the end (or now)">Duration</th>
          <th title="1 (lowest) to 10 (highest)">Priority</th>
        </tr>
      </thead>
      <tbody>
        {tasks.map((t) => (
          <tr
            key={t.id}
            data-testid={`task-row-${t.id}`}
            className={t.id === selected ? "clickable selected" : "clickable"}
            tabIndex={0}
            onClick={() => onOpen(t.id)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && e.target === e.currentTarget) onOpen(t.id);
            }}
          >
            <td className="name-cell">
              <code>{t.id}</code>
              {t.name && <div className="muted small">{t.name}</div>}
            </td>
            <td>
              <div>{t.capability ? capabilityLabel(t.capability) : "—"}</div>
              <div className="muted small">{t.taskType}</div>
            </td>
            <td className="nowrap">{t.assignedAgent ?? "—"}</td>
            <td>
              <TaskStatusBadge status={t.status} testId={`task-status-${t.id}`} />
              {t.errorCode && <div className="muted small">{t.errorCode}</div>}
            </td>
            <td className="num">{t.attempts}</td>
            <td className="num nowrap" data-testid={`task-duration-${t.id}`}>
              {taskDuration(t, now)}
            </td>
            <td className="num">{t.priority}</td>
          </tr>
        ))}
        {tasks.length === 0 && (
          <tr>
            <td colSpan={7} className="muted">
              No task matches these filters.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
