// Containers with the app's label that no catalog agent accounts for:
// loaded when the Agents view opens and again after every fleet change.
import { create } from "zustand";
import { commands, events, IpcError, onEvent, type Stray } from "../ipc";
import { toIpcError } from "../ipc/call";
import { coalesced } from "./reload";

type StraysState = {
  strays: Stray[];
  /** Why the last load failed (e.g. Docker is down); the list is then empty. */
  error: IpcError | null;
  loading: boolean;
  load: () => Promise<void>;
  /** Reloads after every fleet event; returns the function that stops following. */
  follow: () => () => void;
};

export const useStraysStore = create<StraysState>((set, get) => ({
  strays: [],
  error: null,
  loading: false,
  load: coalesced(
    async () => {
      try {
        set({ strays: await commands.fleetStrays(), error: null });
      } catch (err) {
        set({ strays: [], error: toIpcError(err) });
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
