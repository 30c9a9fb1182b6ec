// One message in detail: its facts, each recipient's delivery (attempts,
// next try, last error), the replies that came back, payload and metadata;
// Re-queue while it has dead or expired deliveries.
import { useEffect, useRef } from "react";
import { Fact } from "../../components/Fact";
import { ago, when } from "../../components/time";
import type { Delivery, IpcError, MessageDetail as Detail } from "../../ipc";
import { pretty } from "../tasks/format";
import { DELIVERY_BADGE, destination, PRIORITY_BADGE, words } from "./format";

function Deliveries({ deliveries, now }: { deliveries: Delivery[]; now: number }) {
  if (deliveries.length === 0) {
    return <p className="muted">Nobody received it: no agent was deployed or subscribed when it was sent.</p>;
  }
  return (
    <table className="table table-compact" data-testid="message-deliveries">
      <thead>
        <tr>
          <th>Recipient</th>
          <th>State</th>
          <th title="Attempts to hand it over so far">Attempts</th>
          <th>When</th>
          <th>Last error</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((d) => (
          <tr key={d.recipient} data-testid={`delivery-${d.recipient}`}>
            <td className="nowrap">{d.recipient}</td>
            <td>
              <span className={`badge ${DELIVERY_BADGE[d.status]}`} data-testid={`delivery-status-${d.recipient}`}>
                {d.status}
              </span>
            </td>
            <td className="num">{d.attempts}</td>
            <td className="nowrap">
              {d.finishedMs !== null
                ? ago(d.finishedMs, now)
                : d.nextAttemptMs > now
                  ? `next try in ${Math.ceil((d.nextAttemptMs - now) / 1000)} s`
                  : "due now"}
            </td>
            <td className="history-line">{d.error ?? "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

type DetailProps = {
  detail: Detail;
  now: number;
  actionError: IpcError | null;
  onRequeue: () => void;
  onOpen: (id: string) => void;
  onClose: () => void;
};

export function MessageDetail({ detail, now, actionError, onRequeue, onOpen, onClose }: DetailProps) {
  const { message: m, deliveries, replies } = detail;
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    panel.current?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
  }, [m.id]);
  const request = m.correlationId;
  const requeueable = deliveries.some((d) => d.status === "dead" || d.status === "expired");

  return (
    <section className="card task-detail" data-testid="message-detail" ref={panel} aria-label={`Message ${m.id}`}>
      <header className="card-header">
        <h2>
          <code>{m.id}</code> {words(m.messageType)}
        </h2>
        <span className="detail-header-right">
          <span className={`badge ${PRIORITY_BADGE[m.priority]}`}>{m.priority}</span>
          {requeueable && (
            <button type="button" className="btn-sm" data-testid="message-requeue" onClick={onRequeue}>
              Re-queue
            </button>
          )}
          <button type="button" className="btn-sm" data-testid="message-detail-close" onClick={onClose}>
            Close
          </button>
        </span>
      </header>
      {actionError && (
        <p className="problem" role="alert" data-testid="message-action-error">
          {actionError.message}
        </p>
      )}
      <dl className="facts">
        <Fact label="From" value={m.senderId} />
        <Fact label="To" value={destination(m)} testId="message-detail-to" />
        <Fact label="Pattern" value={words(m.pattern)} />
        <Fact label="Sent" value={when(m.createdMs)} />
        <Fact label="Expires" value={m.expiresMs === null ? "never" : when(m.expiresMs)} />
        {request && (
          <Fact
            label="Reply to"
            value={
              <button type="button" className="link" onClick={() => onOpen(request)}>
                <code>{request}</code>
              </button>
            }
          />
        )}
      </dl>

      <h3>Deliveries</h3>
      <Deliveries deliveries={deliveries} now={now} />

      {replies.length > 0 && (
        <>
          <h3>Replies</h3>
          {replies.map((r) => (
            <div key={r.id} className="message-reply" data-testid={`message-reply-${r.senderId}`}>
              <p className="muted small">
                from {r.senderId} · {ago(r.createdMs, now)} ·{" "}
                <button type="button" className="link" onClick={() => onOpen(r.id)}>
                  <code>{r.id}</code>
                </button>
              </p>
              <pre className="logs">{pretty(r.payload)}</pre>
            </div>
          ))}
        </>
      )}

      <h3>Payload</h3>
      <pre className="logs" data-testid="message-payload">
        {pretty(m.payload)}
      </pre>
      {m.metadata !== null && typeof m.metadata === "object" && Object.keys(m.metadata).length > 0 && (
        <>
          <h3>Metadata</h3>
          <pre className="logs">{pretty(m.metadata)}</pre>
        </>
      )}
    </section>
  );
}
