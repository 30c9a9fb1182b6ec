// An agent's auto-scaling policy: off unless set; between a minimum and a
// maximum of instances from one signal over a window, with a cooldown.
// Each change the engine makes lands in the agent's history with its figures.
import { useEffect, useState } from "react";
import { commands, type AutoscalePolicy, type Signal } from "../../ipc";
import { toIpcError } from "../../ipc/call";

export const SIGNALS: { value: Signal; label: string; unit: string }[] = [
  { value: "tasks", label: "Tasks in flight per instance", unit: "tasks" },
  { value: "latencyP95Ms", label: "Task latency p95", unit: "ms" },
  { value: "cpu", label: "CPU per instance", unit: "% of a core" },
];

export const DEFAULT_POLICY: AutoscalePolicy = {
  min: 1,
  max: 3,
  signal: "tasks",
  scaleUpAbove: 2,
  scaleDownBelow: 0.5,
  windowS: 60,
  cooldownS: 120,
};

type Numeric = Exclude<keyof AutoscalePolicy, "signal">;

const FIELDS: { key: Numeric; label: string; step: number }[] = [
  { key: "min", label: "Min", step: 1 },
  { key: "max", label: "Max", step: 1 },
  { key: "scaleUpAbove", label: "Up above", step: 0.1 },
  { key: "scaleDownBelow", label: "Down below", step: 0.1 },
  { key: "windowS", label: "Window (s)", step: 1 },
  { key: "cooldownS", label: "Cooldown (s)", step: 1 },
];

export function AutoscaleControl({ agentId }: { agentId: string }) {
  /** The stored policy (null: off); undefined while loading. */
  const [stored, setStored] = useState<AutoscalePolicy | null | undefined>(undefined);
  const [draft, setDraft] = useState<AutoscalePolicy>(DEFAULT_POLICY);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    commands.autoscalePolicy(agentId).then(
      (policy) => {
        if (!live) return;
        setStored(policy);
        if (policy) setDraft(policy);
      },
      (err: unknown) => live && setError(toIpcError(err).message),
    );
    return () => {
      live = false;
    };
  }, [agentId]);

  async function save(policy: AutoscalePolicy | null) {
    setError(null);
    setSaved(null);
    try {
      await commands.setAutoscalePolicy(agentId, policy);
      setStored(policy);
      setSaved(policy ? "Auto-scaling on" : "Auto-scaling off");
    } catch (err) {
      setError(toIpcError(err).message);
    }
  }

  const unit = SIGNALS.find((s) => s.value === draft.signal)?.unit ?? "";
  return (
    <section className="autoscale" aria-label="Auto-scaling" data-testid="autoscale">
      <h3>
        Auto-scaling <span className="muted small">{stored ? "on" : stored === null ? "off" : ""}</span>
      </h3>
      <form
        className="autoscale-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save(draft);
        }}
      >
        <label>
          Signal
          <select
            data-testid="autoscale-signal"
            value={draft.signal}
            onChange={(e) => setDraft({ ...draft, signal: e.target.value as Signal })}
          >
            {SIGNALS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </label>
        {FIELDS.map((f) => (
          <label key={f.key}>
            {f.label}
            <input
              type="number"
              step={f.step}
              data-testid={`autoscale-${f.key}`}
              value={draft[f.key]}
              onChange={(e) => setDraft({ ...draft, [f.key]: Number(e.target.value) })}
            />
          </label>
        ))}
        <p className="muted small">{`Thresholds in ${unit}, averaged over the window.`}</p>
        <div className="autoscale-actions">
          <button type="submit" className="btn-sm" data-testid="autoscale-save">
            {stored ? "Save policy" : "Turn on"}
          </button>
          {stored && (
            <button type="button" className="btn-sm" data-testid="autoscale-off" onClick={() => void save(null)}>
              Turn off
            </button>
          )}
        </div>
      </form>
      {saved && (
        <p className="muted small" data-testid="autoscale-saved">
          {saved}
        </p>
      )}
      {error && (
        <p className="problem" role="alert" data-testid="autoscale-error">
          {error}
        </p>
      )}
    </section>
  );
}
