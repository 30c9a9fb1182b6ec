// The detail panel's resource block: the agent's CPU, memory and network
// now, and sparklines of its last five minutes from the metrics history.
import { useEffect, useMemo } from "react";
import { Fact } from "../../components/Fact";
import type { AgentRow } from "../../ipc";
import { usageByAgent, useStatsStore, WINDOW_MS, type Series } from "../../stores/stats";
import { bytes, isRunning, memory, percent, rate } from "./format";
import { Sparkline } from "./Sparkline";

const NO_SERIES: Omit<Series, "agentId"> = { cpu: [], memory: [] };

function orDash<T>(value: T | null | undefined, show: (v: T) => string): string {
  return value === null || value === undefined ? "—" : show(value);
}

export function AgentStats({ row }: { row: AgentRow }) {
  const samples = useStatsStore((s) => s.samples);
  const error = useStatsStore((s) => s.error);
  const watch = useStatsStore((s) => s.watch);
  const unwatch = useStatsStore((s) => s.unwatch);
  const running = isRunning(row.status);

  const mine = useMemo(
    () => samples.filter((s) => s.agentId === row.id).sort((a, b) => a.instance - b.instance),
    [samples, row.id],
  );
  const usage = useMemo(() => usageByAgent(mine).get(row.id), [mine, row.id]);
  // The sparklines draw the agent (its instances summed) from the history.
  const watched = running ? row.id : null;
  const series = useStatsStore((s) => (watched && s.series?.agentId === watched ? s.series : NO_SERIES));

  useEffect(() => {
    if (!watched) return;
    void watch(watched);
    return () => unwatch(watched);
  }, [watched, watch, unwatch]);

  let body;
  if (!running) {
    body = <p className="muted">Not running, so there are no resource figures.</p>;
  } else if (error) {
    body = <p className="muted">{`Resource figures are unavailable: ${error.message}`}</p>;
  } else if (!usage) {
    body = <p className="muted">Measuring…</p>;
  } else {
    const scaled = usage.instances > 1;
    body = (
      <>
        {scaled && (
          <p className="muted small stats-note">{`Summed over ${usage.instances} instances.`}</p>
        )}
        <dl className="facts">
          <Fact label="CPU" value={orDash(usage.cpuPercent, percent)} testId="agent-stats-cpu" />
          <Fact label="Memory" value={memory(usage.memoryBytes, usage.memoryLimitBytes)} testId="agent-stats-mem" />
          <Fact
            label="Network"
            value={`in ${orDash(usage.netRxPerS, rate)} · out ${orDash(usage.netTxPerS, rate)}`}
            testId="agent-stats-net"
          />
        </dl>
        {scaled && (
          <ul className="stats-instances small">
            {mine.map((s) => (
              <li key={s.container} data-testid={`agent-stats-instance-${s.instance}`}>
                <code>{s.container}</code>
                <span>{`${orDash(s.cpuPercent, percent)} · ${memory(s.memoryBytes, s.memoryLimitBytes)}`}</span>
              </li>
            ))}
          </ul>
        )}
        <div className="sparklines">
          <figure>
            <figcaption className="muted small">CPU · 5 min</figcaption>
            <Sparkline
              points={series.cpu}
              windowMs={WINDOW_MS}
              label={`CPU over the last 5 minutes, now ${orDash(usage.cpuPercent, percent)}`}
              testId="agent-sparkline-cpu"
            />
          </figure>
          <figure>
            <figcaption className="muted small">Memory · 5 min</figcaption>
            <Sparkline
              points={series.memory}
              windowMs={WINDOW_MS}
              max={usage.memoryLimitBytes}
              label={`Memory over the last 5 minutes, now ${bytes(usage.memoryBytes)}${
                usage.memoryLimitBytes ? ` of ${bytes(usage.memoryLimitBytes)}` : ""
              }`}
              testId="agent-sparkline-mem"
            />
          </figure>
        </div>
      </>
    );
  }

  return (
    <section className="agent-stats" data-testid="agent-stats" aria-label="Resource use">
      <h3>Resources</h3>
      {body}
    </section>
  );
}
