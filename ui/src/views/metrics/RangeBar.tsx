// The time range every chart shows: five spans ending now, or a custom
// window between two local times.
import { useState } from "react";
import { useNow } from "../../components/time";
import { RANGES, refreshOf, useMetricsStore, type TimeWindow } from "../../stores/metrics";
import { fromLocalInput, toLocalInput } from "./format";

function liveText(every: number | null): string {
  if (every === null) return "A fixed window: not redrawn.";
  return every <= 1000 ? "Live: redrawn every second." : `Live: redrawn every ${Math.round(every / 1000)} s.`;
}

export function RangeBar() {
  const range = useMetricsStore((s) => s.range);
  const custom = useMetricsStore((s) => s.custom);
  const setRange = useMetricsStore((s) => s.setRange);
  // The ranges ending now are always live; a custom one only while its end is to come.
  const now = useNow(10_000);
  const every = refreshOf(range, custom, now);
  return (
    <div className="range-bar" role="group" aria-label="Time range" data-testid="range-bar">
      {RANGES.map((r) => (
        <button
          key={r.id}
          type="button"
          className={range === r.id ? "range-button active" : "range-button"}
          aria-pressed={range === r.id}
          data-testid={`range-${r.id}`}
          onClick={() => setRange(r.id)}
        >
          {r.label}
        </button>
      ))}
      <button
        type="button"
        className={range === "custom" ? "range-button active" : "range-button"}
        aria-pressed={range === "custom"}
        data-testid="range-custom"
        onClick={() => setRange("custom")}
      >
        Custom
      </button>
      {range === "custom" && custom && <CustomRange window={custom} />}
      <span className="muted small range-live" data-testid="range-live">
        {liveText(every)}
      </span>
    </div>
  );
}

/** Two datetime-local fields; the window changes as soon as both name
 * times and From is before To. */
function CustomRange({ window }: { window: TimeWindow }) {
  const setCustom = useMetricsStore((s) => s.setCustom);
  const [from, setFrom] = useState(() => toLocalInput(window.fromMs));
  const [to, setTo] = useState(() => toLocalInput(window.toMs));
  const fromMs = fromLocalInput(from);
  const toMs = fromLocalInput(to);
  const problem =
    fromMs === null || toMs === null ? "Give both times." : fromMs >= toMs ? "From must be before To." : null;

  const change = (nextFrom: string, nextTo: string) => {
    setFrom(nextFrom);
    setTo(nextTo);
    const f = fromLocalInput(nextFrom);
    const t = fromLocalInput(nextTo);
    if (f !== null && t !== null && f < t) setCustom({ fromMs: f, toMs: t });
  };

  return (
    <span className="custom-range">
      {(
        [
          ["From", "range-from", from, (v: string) => change(v, to)],
          ["To", "range-to", to, (v: string) => change(from, v)],
        ] as const
      ).map(([label, testId, value, set]) => (
        <label key={testId}>
          <span className="muted small">{label}</span>
          <input
            type="datetime-local"
            value={value}
            aria-invalid={problem !== null}
            data-testid={testId}
            onChange={(e) => set(e.target.value)}
          />
        </label>
      ))}
      {problem && (
        <span className="problem small" role="alert" data-testid="range-invalid">
          {problem}
        </span>
      )}
    </span>
  );
}
