// Submit a task: a capability from the catalog (and, optionally, one of its
// agents), a task type those agents know, a JSON payload checked as it is
// typed, a priority and an optional timeout. The engine's refusal is shown
// as it says it.
import { useState } from "react";
import type { CapabilityInfo, NewTask } from "../../ipc";
import { useTasksStore } from "../../stores/tasks";
import { capabilityLabel } from "../agents/format";
import { parsePayload } from "./format";

const DEFAULT_PAYLOAD = '{\n  "text": "hello"\n}';

/** A whole number in [min, max], or null. */
function whole(draft: string, min: number, max: number): number | null {
  const n = Number(draft);
  return draft.trim() !== "" && Number.isInteger(n) && n >= min && n <= max ? n : null;
}

/** The task types on offer: the named agent's, or any agent's of the capability. */
export function taskTypesFor(info: CapabilityInfo | undefined, agentId: string): string[] {
  if (!info) return [];
  return info.agents.find((a) => a.id === agentId)?.taskTypes ?? info.taskTypes;
}

/** How many of the capability's agents know `taskType` (the router sends it only to those). */
function knownBy(info: CapabilityInfo, taskType: string): string {
  const n = info.agents.filter((a) => a.taskTypes.includes(taskType)).length;
  return n === info.agents.length ? `every agent with it knows ${taskType}` : `${n} of ${info.agents.length} agents know ${taskType}`;
}

export function SubmitForm({ capabilities }: { capabilities: CapabilityInfo[] }) {
  const submit = useTasksStore((s) => s.submit);
  const [capability, setCapability] = useState("");
  const [agentId, setAgentId] = useState("");
  const [taskType, setTaskType] = useState("echo");
  const [payload, setPayload] = useState(DEFAULT_PAYLOAD);
  const [priority, setPriority] = useState("5");
  const [timeout, setTimeoutDraft] = useState("");
  const [name, setName] = useState("");
  const [sending, setSending] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);
  const [submitted, setSubmitted] = useState<string | null>(null);

  const info = capabilities.find((c) => c.capability === capability);
  const types = taskTypesFor(info, agentId);
  // A type the new choice of capability or agent does not know falls back to echo.
  const type = types.includes(taskType) ? taskType : types.includes("echo") ? "echo" : (types[0] ?? "");
  const parsed = parsePayload(payload);
  const prio = whole(priority, 1, 10);
  const timeoutS = timeout.trim() === "" ? undefined : whole(timeout, 1, 86_400);
  const ready = info !== undefined && type !== "" && parsed.ok && prio !== null && timeoutS !== null && !sending;

  async function send() {
    if (!ready || !parsed.ok || prio === null || timeoutS === null) return;
    const task: NewTask = { capability, taskType: type, payload: parsed.value, priority: prio };
    if (agentId) task.agentId = agentId;
    if (timeoutS !== undefined) task.timeoutMs = timeoutS * 1000;
    if (name.trim()) task.name = name.trim();
    setSending(true);
    setRefusal(null);
    setSubmitted(null);
    try {
      setSubmitted((await submit(task)).id);
    } catch (err) {
      setRefusal(err instanceof Error ? err.message : String(err));
    } finally {
      setSending(false);
    }
  }

  return (
    <section className="card task-submit" aria-label="Submit a task">
      <header className="card-header">
        <h2>Submit a task</h2>
      </header>
      <form
        className="task-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <div className="task-form-fields">
          <label>
            <span className="muted small">Capability</span>
            <select
              data-testid="task-capability"
              value={capability}
              onChange={(e) => {
                setCapability(e.target.value);
                setAgentId("");
              }}
            >
              <option value="">Choose a capability…</option>
              {capabilities.map((c) => (
                <option key={c.capability} value={c.capability}>
                  {`${capabilityLabel(c.capability)} (${c.agents.length})`}
                </option>
              ))}
            </select>
          </label>
          <label>
            <span className="muted small">Agent</span>
            <select
              data-testid="task-agent"
              value={agentId}
              disabled={!info}
              onChange={(e) => setAgentId(e.target.value)}
            >
              <option value="">Any (the router chooses)</option>
              {info?.agents.map((a) => (
                <option key={a.id} value={a.id}>{`${a.id} ${a.name} · phase ${a.phase}`}</option>
              ))}
            </select>
          </label>
          <label>
            <span className="muted small">Task type</span>
            <select data-testid="task-type" value={type} disabled={!info} onChange={(e) => setTaskType(e.target.value)}>
              {types.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <div className="task-form-row">
            <label>
              <span className="muted small">Priority</span>
              <input
                type="number"
                min={1}
                max={10}
                step={1}
                data-testid="task-priority"
                value={priority}
                aria-invalid={prio === null}
                title="1 (lowest) to 10 (highest)"
                onChange={(e) => setPriority(e.target.value)}
              />
            </label>
            <label>
              <span className="muted small">Timeout (s)</span>
              <input
                type="number"
                min={1}
                max={86400}
                step={1}
                data-testid="task-timeout"
                placeholder="default"
                value={timeout}
                aria-invalid={timeoutS === null}
                title="Seconds from submission; empty for the configured default"
                onChange={(e) => setTimeoutDraft(e.target.value)}
              />
            </label>
            <label className="task-name">
              <span className="muted small">Name (optional)</span>
              <input
                type="text"
                data-testid="task-name"
                value={name}
                maxLength={200}
                onChange={(e) => setName(e.target.value)}
              />
            </label>
          </div>
          {info && type && (
            <p className="muted small" data-testid="task-known-by">
              {knownBy(info, type)}
            </p>
          )}
        </div>
        <label className="task-payload">
          <span className="muted small">Payload (JSON)</span>
          <textarea
            data-testid="task-payload"
            spellCheck={false}
            rows={7}
            value={payload}
            aria-invalid={!parsed.ok}
            onChange={(e) => setPayload(e.target.value)}
          />
          {!parsed.ok && (
            <span className="field-error" data-testid="task-payload-error">
              {parsed.error}
            </span>
          )}
        </label>
        <div className="task-form-actions">
          <button
            type="submit"
            className="primary"
            data-testid="tasks-submit"
            disabled={!ready}
            title={!info ? "Choose a capability first" : !parsed.ok ? "The payload is not valid JSON" : undefined}
          >
            {sending ? "Submitting…" : "Submit"}
          </button>
          {prio === null && <span className="muted small">Priority: a whole number from 1 to 10</span>}
          {timeoutS === null && <span className="muted small">Timeout: 1 to 86400 seconds, or empty</span>}
          {submitted && (
            <span className="muted small" data-testid="task-submitted">
              Submitted <code>{submitted}</code>
            </span>
          )}
        </div>
        {refusal && (
          <p className="problem" role="alert" data-testid="task-submit-error">
            {refusal}
          </p>
        )}
      </form>
    </section>
  );
}
