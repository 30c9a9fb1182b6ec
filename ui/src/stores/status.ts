// The engine status store: the latest status, pushed by the backend after
// every check, plus a manual "check now".
import { create } from "zustand";
import { commands, events, IpcError, onEvent, type EngineStatus } from "../ipc";
import { toIpcError } from "../ipc/call";

type StatusState = {
  status: EngineStatus | null;
  /** Why the engine is unavailable (e.g. the data dir cannot be created). */
  error: IpcError | null;
  refreshing: boolean;
  load: () => Promise<void>;
  refresh: () => Promise<void>;
  /** Follows pushed updates; returns the function that stops following. */
  follow: () => () => void;
};

export const useStatusStore = create<StatusState>((set) => ({
  status: null,
  error: null,
  refreshing: false,
  load: async () => {
    try {
      set({ status: await commands.engineStatus(), error: null });
    } catch (err) {
      set({ error: toIpcError(err) });
    }
  },
  refresh: async () => {
    set({ refreshing: true });
    try {
      set({ status: await commands.refreshStatus(), error: null });
    } catch (err) {
      set({ error: toIpcError(err) });
    } finally {
      set({ refreshing: false });
    }
  },
  follow: () => {
    const unlisten = onEvent(events.statusChanged, (status) => set({ status }));
    return () => {
      void unlisten.then((stop) => stop());
    };
  },
}));
