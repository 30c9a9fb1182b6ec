// The agent catalog summary: loaded once, reloaded on every catalog change.
import { create } from "zustand";
import { commands, events, IpcError, onEvent, type CatalogSummary } from "../ipc";
import { toIpcError } from "../ipc/call";

type CatalogState = {
  summary: CatalogSummary | null;
  error: IpcError | null;
  load: () => Promise<void>;
  /** Reloads after each change; returns the function that stops following. */
  follow: () => () => void;
};

export const useCatalogStore = create<CatalogState>((set, get) => ({
  summary: null,
  error: null,
  load: async () => {
    try {
      set({ summary: await commands.catalogSummary(), error: null });
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
