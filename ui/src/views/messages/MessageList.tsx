// The message list: filters by agent, type and delivery state, and one row
// per message with where it went and how its deliveries stand.
import type { AgentRow, DeliveryStatus, MessageSummary, MessageType } from "../../ipc";
import type { MessageFilter } from "../../stores/messages";
import { ago, dateTime } from "../../components/time";
import { countsText, DELIVERY_STATUSES, destination, MESSAGE_TYPES, PRIORITY_BADGE, words } from "./format";

type FiltersProps = {
  filter: MessageFilter;
  agents: AgentRow[];
  shown: number;
  total: number;
  onChange: (change: Partial<MessageFilter>) => void;
};

export function MessageFilters({ filter, agents, shown, total, onChange }: FiltersProps) {
  return (
    <div className="filters">
      <label>
        <span className="muted small">Agent</span>
        <select
          data-testid="messages-filter-agent"
          value={filter.agent ?? ""}
          onChange={(e) => onChange({ agent: e.target.value || null })}
        >
          <option value="">Any sender or recipient</option>
          <option value="hub">hub</option>
          {agents.map((a) => (
            <option key={a.id} value={a.id}>{`${a.id} ${a.name}`}</option>
          ))}
        </select>
      </label>
      <label>
        <span className="muted small">Type</span>
        <select
          data-testid="messages-filter-type"
          value={filter.messageType ?? ""}
          onChange={(e) => onChange({ messageType: (e.target.value || null) as MessageType | null })}
        >
          <option value="">Any type</option>
          {MESSAGE_TYPES.map((t) => (
            <option key={t} value={t}>
              {words(t)}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span className="muted small">Deliveries</span>
        <select
          data-testid="messages-filter-status"
          value={filter.status ?? ""}
          onChange={(e) => onChange({ status: (e.target.value || null) as DeliveryStatus | null })}
        >
          <option value="">Any state</option>
          {DELIVERY_STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === "dead" ? "dead (dead letters)" : s}
            </option>
          ))}
        </select>
      </label>
      <span className="muted count" data-testid="messages-count">
        {shown < total ? `newest ${shown} of ${total} messages` : `${total} ${total === 1 ? "message" : "messages"}`}
      </span>
    </div>
  );
}

type TableProps = {
  messages: MessageSummary[];
  selected: string | null;
  now: number;
  onOpen: (id: string) => void;
};

export function MessageTable({ messages, selected, now, onOpen }: TableProps) {
  return (
    <table className="table table-compact" data-testid="messages-table">
      <thead>
        <tr>
          <th>Sent</th>
          <th>From</th>
          <th>To</th>
          <th>Type</th>
          <th>Priority</th>
          <th>Deliveries</th>
        </tr>
      </thead>
      <tbody>
        {messages.map(({ message: m, deliveries }) => (
          <tr
            key={m.id}
            data-testid={`message-row-${m.id}`}
            className={m.id === selected ? "clickable selected" : "clickable"}
            tabIndex={0}
            onClick={() => onOpen(m.id)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && e.target === e.currentTarget) onOpen(m.id);
            }}
          >
            <td className="nowrap" title={dateTime(m.createdMs)}>
              {ago(m.createdMs, now)}
            </td>
            <td className="nowrap">{m.senderId}</td>
            <td className="nowrap">
              {destination(m)}
              {m.correlationId && <div className="muted small">reply</div>}
            </td>
            <td>{words(m.messageType)}</td>
            <td>
              <span className={`badge ${PRIORITY_BADGE[m.priority]}`}>{m.priority}</span>
            </td>
            <td
              className={deliveries.dead > 0 ? "nowrap dead-letter" : "nowrap"}
              data-testid={`message-deliveries-${m.id}`}
            >
              {countsText(deliveries)}
            </td>
          </tr>
        ))}
        {messages.length === 0 && (
          <tr>
            <td colSpan={6} className="muted">
              No message matches these filters.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}
