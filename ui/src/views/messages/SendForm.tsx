// Send a message on the bus: a pattern, its recipient (an agent or the
// hub) or topic, a type, a priority, an optional expiry and a JSON payload
// checked as it is typed. A request-response waits for the agent's reply
// and shows it; the engine's refusal is shown as it says it.
import { useState } from "react";
import type { AgentRow, MessageType, NewMessage, Pattern, Priority, Topic } from "../../ipc";
import { useMessagesStore } from "../../stores/messages";
import { parsePayload, pretty } from "../tasks/format";
import { MESSAGE_TYPES, PATTERNS, PRIORITIES, words } from "./format";

const DEFAULT_PAYLOAD = '{\n  "text": "hello"\n}';

/** A whole number in [min, max], null when it is not one, undefined when empty. */
function optionalWhole(draft: string, min: number, max: number): number | null | undefined {
  if (draft.trim() === "") return undefined;
  const n = Number(draft);
  return Number.isInteger(n) && n >= min && n <= max ? n : null;
}

type Outcome = { kind: "sent"; text: string } | { kind: "reply"; from: string; payload: unknown };

export function SendForm({ agents, topics }: { agents: AgentRow[]; topics: Topic[] }) {
  const send = useMessagesStore((s) => s.send);
  const [pattern, setPattern] = useState<Pattern>("point_to_point");
  const [recipient, setRecipient] = useState("");
  const [topic, setTopic] = useState("");
  const [messageType, setMessageType] = useState<MessageType>("coordination_message");
  const [priority, setPriority] = useState<Priority>("normal");
  const [expires, setExpires] = useState("");
  const [wait, setWait] = useState("10");
  const [payload, setPayload] = useState(DEFAULT_PAYLOAD);
  const [sending, setSending] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  const toOne = pattern === "point_to_point" || pattern === "request_response";
  const parsed = parsePayload(payload);
  const expiresS = optionalWhole(expires, 1, 86_400);
  const waitS = optionalWhole(wait, 1, 300);
  const missing = toOne && recipient === "" ? "Choose a recipient" : pattern === "publish_subscribe" && topic.trim() === "" ? "Name a topic" : null;
  const ready =
    missing === null && parsed.ok && expiresS !== null && (pattern !== "request_response" || typeof waitS === "number") && !sending;

  async function submit() {
    if (!ready || !parsed.ok || expiresS === null) return;
    const message: NewMessage = {
      senderId: null,
      recipientId: toOne ? recipient : null,
      messageType,
      pattern,
      priority,
      topic: pattern === "publish_subscribe" ? topic.trim() : null,
      payload: parsed.value,
      metadata: {},
      correlationId: null,
      expiresInMs: expiresS === undefined ? null : expiresS * 1000,
    };
    setSending(true);
    setRefusal(null);
    setOutcome(null);
    try {
      if (pattern === "request_response" && typeof waitS === "number") {
        const reply = await send(message, waitS * 1000);
        setOutcome({ kind: "reply", from: reply.senderId, payload: reply.payload });
      } else {
        const sent = await send(message);
        setOutcome({ kind: "sent", text: `Sent ${sent.id}` });
      }
    } catch (err) {
      setRefusal(err instanceof Error ? err.message : String(err));
    } finally {
      setSending(false);
    }
  }

  return (
    <section className="card task-submit" aria-label="Send a message">
      <header className="card-header">
        <h2>Send a message</h2>
      </header>
      <form
        className="task-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="task-form-fields">
          <label>
            <span className="muted small">Pattern</span>
            <select data-testid="message-pattern" value={pattern} onChange={(e) => setPattern(e.target.value as Pattern)}>
              {PATTERNS.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.label}
                </option>
              ))}
            </select>
          </label>
          {toOne && (
            <label>
              <span className="muted small">Recipient</span>
              <select data-testid="message-recipient" value={recipient} onChange={(e) => setRecipient(e.target.value)}>
                <option value="">Choose an agent…</option>
                {pattern === "point_to_point" && <option value="hub">hub (stored, delivered at once)</option>}
                {agents.map((a) => (
                  <option key={a.id} value={a.id}>{`${a.id} ${a.name} · ${a.status}`}</option>
                ))}
              </select>
            </label>
          )}
          {pattern === "publish_subscribe" && (
            <label>
              <span className="muted small">Topic</span>
              <input
                type="text"
                list="message-topics"
                data-testid="message-topic"
                value={topic}
                maxLength={64}
                placeholder="all, orchestration, code-review…"
                onChange={(e) => setTopic(e.target.value)}
              />
              <datalist id="message-topics">
                {topics.map((t) => (
                  <option key={t.name} value={t.name}>{`${t.subscribers.length} subscribers`}</option>
                ))}
              </datalist>
            </label>
          )}
          <div className="task-form-row">
            <label>
              <span className="muted small">Type</span>
              <select
                data-testid="message-type"
                value={messageType}
                onChange={(e) => setMessageType(e.target.value as MessageType)}
              >
                {MESSAGE_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {words(t)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              <span className="muted small">Priority</span>
              <select data-testid="message-priority" value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
                {PRIORITIES.map((p) => (
                  <option key={p} value={p}>
                    {p}
                  </option>
                ))}
              </select>
            </label>
            <label>
              <span className="muted small">Expires (s)</span>
              <input
                type="number"
                min={1}
                max={86400}
                data-testid="message-expires"
                placeholder="never"
                value={expires}
                aria-invalid={expiresS === null}
                title="Give up deliveries not made within this many seconds"
                onChange={(e) => setExpires(e.target.value)}
              />
            </label>
            {pattern === "request_response" && (
              <label>
                <span className="muted small">Wait (s)</span>
                <input
                  type="number"
                  min={1}
                  max={300}
                  data-testid="message-wait"
                  value={wait}
                  aria-invalid={typeof waitS !== "number"}
                  title="How long to wait for the agent's reply (1 to 300 s)"
                  onChange={(e) => setWait(e.target.value)}
                />
              </label>
            )}
          </div>
        </div>
        <label className="task-payload">
          <span className="muted small">Payload (JSON)</span>
          <textarea
            data-testid="message-payload-input"
            spellCheck={false}
            rows={6}
            value={payload}
            aria-invalid={!parsed.ok}
            onChange={(e) => setPayload(e.target.value)}
          />
          {!parsed.ok && (
            <span className="field-error" data-testid="message-payload-error">
              {parsed.error}
            </span>
          )}
        </label>
        <div className="task-form-actions">
          <button
            type="submit"
            className="primary"
            data-testid="message-send"
            disabled={!ready}
            title={missing ?? (!parsed.ok ? "The payload is not valid JSON" : undefined)}
          >
            {sending ? (pattern === "request_response" ? "Waiting for the reply…" : "Sending…") : "Send"}
          </button>
          {missing && <span className="muted small">{missing}</span>}
          {outcome?.kind === "sent" && (
            <span className="muted small" data-testid="message-sent">
              {outcome.text}
            </span>
          )}
        </div>
        {outcome?.kind === "reply" && (
          <div className="message-reply task-form-actions-wide" data-testid="message-reply">
            <p className="muted small">Reply from {outcome.from}</p>
            <pre className="logs">{pretty(outcome.payload)}</pre>
          </div>
        )}
        {refusal && (
          <p className="problem" role="alert" data-testid="message-refusal">
            {refusal}
          </p>
        )}
      </form>
    </section>
  );
}
