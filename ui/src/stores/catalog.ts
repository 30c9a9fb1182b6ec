// What the UI reads from the agent catalog: loaded once, reloaded on every
// catalog change. One store per answer, all made the same way.
import { create } from "zustand";
import { commands, events, IpcError, onEvent } from "../ipc";
import { toIpcError } from "../ipc/call";

type CatalogView<T> = {
  data: T | null;
  error: IpcError | null;
  load: () => Promise<void>;
  /** Reloads after each catalog change; returns the function that stops following. */
  follow: () => () => void;
};

function catalogView<T>(fetch: () => Promise<T>) {
  return create<CatalogView<T>>((set, get) => ({
    data: null,
    error: null,
    load: async () => {
      try {
        set({ data: await fetch(), error: null });
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
}

/** The catalog summary (agents by phase, files with problems). */
export const useCatalogStore = catalogView(() => commands.catalogSummary());

/** Capabilities with the agents that have them and the task types they
 *  know, for the task submit form. */
export const useCapabilitiesStore = catalogView(() => commands.listCapabilities());
