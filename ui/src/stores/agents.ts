// The agent registry: every catalog agent with its live status, reloaded
// on a timer by the Agents view and right after each action.
import { create } from "zustand";
import { commands, events, IpcError, onEvent, type AgentRow } from "../ipc";
import { toIpcError } from "../ipc/call";
import { coalesced } from "./reload";

type AgentsState = {
  rows: AgentRow[] | null;
  /** Why the last load failed (the rows of the load before stay shown). */
  error: IpcError | null;
  loading: boolean;
  load: () => Promise<void>;
  /** Reloads whenever self-healing restarts an agent or finds it flapping;
   * returns the function that stops following. */
  follow: () => () => void;
};

export const useAgentsStore = create<AgentsState>((set, get) => ({
  rows: null,
  error: null,
  loading: false,
  // A slow Docker must not pile up overlapping reloads, yet a reload asked
  // for after an action must see the action's effect.
  load: coalesced(
    async () => {
      try {
        set({ rows: await commands.listAgents(), error: null });
      } catch (err) {
        set({ error: toIpcError(err) });
      }
    },
    (loading) => set({ loading }),
  ),
  follow: () => {
    const unlisten = onEvent(events.fleetEvent, () => void get().load());
    return () => {
      void unlisten.then((stop) => stop());
    };
  },
}));
