// Capabilities with the agents that have them and the task types they
// know, for the task submit form: loaded once, reloaded on catalog changes.
import { create } from "zustand";
import { commands, events, IpcError, onEvent, type CapabilityInfo } from "../ipc";
import { toIpcError } from "../ipc/call";

type CapabilitiesState = {
  capabilities: CapabilityInfo[] | null;
  error: IpcError | null;
  load: () => Promise<void>;
  /** Reloads after each catalog change; returns the function that stops following. */
  follow: () => () => void;
};

export const useCapabilitiesStore = create<CapabilitiesState>((set, get) => ({
  capabilities: null,
  error: null,
  load: async () => {
    try {
      set({ capabilities: await commands.listCapabilities(), error: null });
    } catch (err) {
      set({ error: toIpcError(err) });
    }
  },
  follow: () => {
    const unlisten = onEvent(events.catalogChanged, () => void get().load());
    return () => {
      void unlisten.then((stop) => stop());
    };
  },
}));
