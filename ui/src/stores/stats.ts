// Resource use of the running agent containers: the latest sample of each,
// polled once a second while the Agents view is shown, plus the last few
// minutes of the agent the detail panel draws, read from the metrics
// history (its instances summed, as the engine stores them).
import { create } from "zustand";
import { commands, IpcError, type ContainerStats, type MetricsReading } from "../ipc";
import { toIpcError } from "../ipc/call";

/** How often the view asks (the engine serves samples younger than 500 ms from its cache). */
export const POLL_MS = 1000;
/** How far back the sparklines reach. */
export const WINDOW_MS = 5 * 60 * 1000;

/** A point of a sparkline (no value: nothing was measured then). */
export type Point = { atMs: number; value: number | null };

/** One agent's recent CPU and memory, oldest first. */
export type Series = { agentId: string; cpu: Point[]; memory: Point[] };

type StatsState = {
  /** The latest sample of every running agent container. */
  samples: ContainerStats[];
  /** Why the last poll failed (the samples are then empty). */
  error: IpcError | null;
  /** The agent whose history is drawn, read again at every poll. */
  series: Series | null;
  /** A poll is under way; another asked for meanwhile is dropped (the next tick comes soon). */
  loading: boolean;
  load: () => Promise<void>;
  /** Polls every `POLL_MS`; returns the function that stops (and forgets the samples). */
  poll: () => () => void;
  /** Draws `agentId`'s last five minutes from the metrics history. */
  watch: (agentId: string) => Promise<void>;
  /** Stops drawing `agentId`'s history (a no-op when another one is watched). */
  unwatch: (agentId: string) => void;
};

/** The series of a reading as sparkline points (one per second). */
function points(reading: MetricsReading, index: number): Point[] {
  return (reading.series[index]?.columns ?? []).map((c) => ({ atMs: c.atMs, value: c.mean }));
}

/** `agentId`'s last five minutes of CPU and memory, one point a second. */
async function readSeries(agentId: string): Promise<Series> {
  const now = Date.now();
  const reading = await commands.queryMetrics({
    series: [`cpu_percent{${agentId}}`, `memory_bytes{${agentId}}`],
    fromMs: now - WINDOW_MS,
    toMs: now,
    width: WINDOW_MS / 1000,
    tier: "second",
  });
  return { agentId, cpu: points(reading, 0), memory: points(reading, 1) };
}

export const useStatsStore = create<StatsState>((set, get) => ({
  samples: [],
  error: null,
  series: null,
  loading: false,
  load: async () => {
    if (get().loading) return;
    set({ loading: true });
    try {
      const samples = await commands.fleetStats();
      set({ samples, error: null });
      const watched = get().series?.agentId;
      if (watched) await get().watch(watched);
    } catch (err) {
      set({ samples: [], error: toIpcError(err) });
    } finally {
      set({ loading: false });
    }
  },
  poll: () => {
    void get().load();
    const timer = setInterval(() => void get().load(), POLL_MS);
    return () => {
      clearInterval(timer);
      set({ samples: [], error: null });
    };
  },
  watch: async (agentId) => {
    if (get().series?.agentId !== agentId) set({ series: { agentId, cpu: [], memory: [] } });
    try {
      const series = await readSeries(agentId);
      if (get().series?.agentId === agentId) set({ series });
    } catch {
      // The sparklines keep what they had; the next poll tries again.
    }
  },
  unwatch: (agentId) => {
    if (get().series?.agentId === agentId) set({ series: null });
  },
}));

/** What one agent uses, over all its running instances. */
export type Usage = {
  instances: number;
  /** Percent of one core; none until the engine has two samples. */
  cpuPercent: number | null;
  memoryBytes: number;
  /** None when any instance runs without a limit. */
  memoryLimitBytes: number | null;
  netRxPerS: number | null;
  netTxPerS: number | null;
};

function total(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : known.reduce((a, b) => a + b, 0);
}

/** Each agent's use, summed over its instances' latest samples. */
export function usageByAgent(samples: ContainerStats[]): Map<string, Usage> {
  const groups = new Map<string, ContainerStats[]>();
  for (const s of samples) groups.set(s.agentId, [...(groups.get(s.agentId) ?? []), s]);
  const usage = new Map<string, Usage>();
  for (const [agentId, mine] of groups) {
    const limits = mine.map((s) => s.memoryLimitBytes);
    usage.set(agentId, {
      instances: mine.length,
      cpuPercent: total(mine.map((s) => s.cpuPercent)),
      memoryBytes: mine.reduce((a, s) => a + s.memoryBytes, 0),
      memoryLimitBytes: limits.includes(null) ? null : total(limits),
      netRxPerS: total(mine.map((s) => s.netRxPerS)),
      netTxPerS: total(mine.map((s) => s.netTxPerS)),
    });
  }
  return usage;
}
