// The inputs the threat gate blocked, held or forwarded, newest first, and
// the decisions on the held ones. The list reloads on `alert-changed` of the
// rule `threat_found` (the gate raises it for every input it records).
import { create } from "zustand";
import { commands, events, IpcError, onEvent, type Threat } from "../ipc";
import { toIpcError } from "../ipc/call";
import { coalesced } from "./reload";

/** How many threats the list shows (newest first). */
export const THREAT_LIMIT = 500;
/** The alert rule the gate raises when it records an input. */
export const THREAT_RULE = "threat_found";

/** Which threats are shown: one action, or `decided` (approved or rejected). */
export type ThreatFilter = "all" | "held" | "blocked" | "forwarded" | "decided";

export const THREAT_FILTERS: ThreatFilter[] = ["all", "held", "blocked", "forwarded", "decided"];

/** The threats `filter` keeps. */
export function filterThreats(threats: Threat[], filter: ThreatFilter): Threat[] {
  if (filter === "all") return threats;
  if (filter === "decided") return threats.filter((t) => t.action === "approved" || t.action === "rejected");
  return threats.filter((t) => t.action === filter);
}

export type Decision = "approve" | "reject";

type ThreatsState = {
  threats: Threat[] | null;
  /** Why the last load failed (the list before stays shown). */
  error: IpcError | null;
  loading: boolean;
  filter: ThreatFilter;
  /** The ids being approved or rejected. */
  deciding: number[];
  /** Why the engine refused a decision, by threat id. */
  refusals: Record<number, string>;
  setFilter: (filter: ThreatFilter) => void;
  load: () => Promise<void>;
  /** Approves or rejects held threat `id`, then reloads. */
  decide: (id: number, decision: Decision) => Promise<void>;
  /** Reloads on each `threat_found` alert change; returns the function that
   * stops following. */
  follow: () => () => void;
};

export const useThreatsStore = create<ThreatsState>((set, get) => {
  function refuse(id: number, message: string | null) {
    const refusals = { ...get().refusals };
    if (message === null) delete refusals[id];
    else refusals[id] = message;
    set({ refusals });
  }

  return {
    threats: null,
    error: null,
    loading: false,
    filter: "all",
    deciding: [],
    refusals: {},
    setFilter: (filter) => set({ filter }),
    load: coalesced(
      async () => {
        try {
          set({ threats: await commands.listThreats(THREAT_LIMIT), error: null });
        } catch (err) {
          set({ error: toIpcError(err) });
        }
      },
      (loading) => set({ loading }),
    ),
    decide: async (id, decision) => {
      set({ deciding: [...get().deciding, id] });
      try {
        await (decision === "approve" ? commands.approveThreat(id) : commands.rejectThreat(id));
        refuse(id, null);
      } catch (err) {
        refuse(id, toIpcError(err).message);
      } finally {
        set({ deciding: get().deciding.filter((d) => d !== id) });
      }
      await get().load();
    },
    follow: () => {
      const changed = onEvent(events.alertChanged, (alert) => {
        if (alert.rule === THREAT_RULE) void get().load();
      });
      return () => {
        void changed.then((stop) => stop());
      };
    },
  };
});
