// Resource use of the running agent containers: the latest sample of each,
// polled once a second while the Agents view is shown, plus the last few
// minutes of the one container the detail panel draws.
import { create } from "zustand";
import { commands, IpcError, type ContainerStats } from "../ipc";
import { toIpcError } from "../ipc/call";

/** How often the view asks (the engine serves samples younger than 500 ms from its cache). */
export const POLL_MS = 1000;
/** How far back the sparklines reach (the engine keeps five minutes). */
export const WINDOW_MS = 5 * 60 * 1000;

/** One container's recent samples, oldest first. */
export type Series = { container: string; samples: ContainerStats[] };

type StatsState = {
  /** The latest sample of every running agent container. */
  samples: ContainerStats[];
  /** Why the last poll failed (the samples are then empty). */
  error: IpcError | null;
  /** The container whose history is kept, extended by every poll. */
  series: Series | null;
  /** A poll is under way; another asked for meanwhile is dropped (the next tick comes soon). */
  loading: boolean;
  load: () => Promise<void>;
  /** Polls every `POLL_MS`; returns the function that stops (and forgets the samples). */
  poll: () => () => void;
  /** Keeps `container`'s last five minutes: what the engine has, then each new sample. */
  watch: (container: string) => Promise<void>;
  /** Stops keeping `container`'s history (a no-op when another one is watched). */
  unwatch: (container: string) => void;
};

/** Samples of both lists, without repeats, oldest first, within the window. */
function merge(a: ContainerStats[], b: ContainerStats[]): ContainerStats[] {
  const byTime = new Map<number, ContainerStats>();
  for (const s of [...a, ...b]) byTime.set(s.atMs, s);
  const all = [...byTime.values()].sort((x, y) => x.atMs - y.atMs);
  const last = all[all.length - 1];
  return last ? all.filter((s) => s.atMs > last.atMs - WINDOW_MS) : all;
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
      const series = get().series;
      const fresh = series && samples.find((s) => s.container === series.container);
      set({
        samples,
        error: null,
        ...(series && fresh ? { series: { ...series, samples: merge(series.samples, [fresh]) } } : {}),
      });
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
  watch: async (container) => {
    if (get().series?.container !== container) set({ series: { container, samples: [] } });
    try {
      const history = await commands.statsHistory(container);
      const series = get().series;
      if (series?.container === container) set({ series: { container, samples: merge(history, series.samples) } });
    } catch {
      // The sparkline then starts from the next poll; the figures show the error.
    }
  },
  unwatch: (container) => {
    if (get().series?.container === container) set({ series: null });
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
