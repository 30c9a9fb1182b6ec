// The LLM gateway's statistics (calls, tokens, latency, cache hits), read
// while the Models view shows them.
import { create } from "zustand";
import { commands, type GatewayStats } from "../ipc";
import { toIpcError } from "../ipc/call";

type GatewayState = {
  stats: GatewayStats | null;
  /** Why the last read failed; null after a good one. */
  error: string | null;
  load: () => Promise<void>;
};

export const useGatewayStore = create<GatewayState>((set) => ({
  stats: null,
  error: null,
  load: async () => {
    try {
      set({ stats: await commands.gatewayStats(), error: null });
    } catch (err) {
      set({ error: toIpcError(err).message });
    }
  },
}));
