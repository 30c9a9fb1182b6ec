// The open (firing) alerts, newest first, for the alert bell and the
// Overview's "Latest alerts". Followed by whoever shows them: the first
// follower listens to `alert-changed`, the last one to stop ends it.
import { create } from "zustand";
import { commands, events, IpcError, onEvent } from "../ipc";
import type { Alert } from "../ipc";
import { toIpcError } from "../ipc/call";
import { coalesced } from "./reload";

/** At most this many open alerts are counted. */
export const OPEN_LIMIT = 500;

type OpenAlertsState = {
  alerts: Alert[] | null;
  error: IpcError | null;
  load: () => Promise<void>;
  /** Reloads on every change while followed; returns the function that
   * stops following. */
  follow: () => () => void;
};

export const useOpenAlertsStore = create<OpenAlertsState>((set, get) => {
  let followers = 0;
  let stop: (() => void) | null = null;

  return {
    alerts: null,
    error: null,
    load: coalesced(
      async () => {
        try {
          const alerts = await commands.listAlerts({
            state: "open",
            severity: null,
            subject: null,
            text: null,
            limit: OPEN_LIMIT,
          });
          set({ alerts, error: null });
        } catch (err) {
          set({ error: toIpcError(err) });
        }
      },
      () => {},
    ),
    follow: () => {
      followers += 1;
      if (followers === 1) {
        const unlisten = onEvent(events.alertChanged, () => void get().load());
        stop = () => void unlisten.then((end) => end());
      }
      let stopped = false;
      return () => {
        if (stopped) return;
        stopped = true;
        followers -= 1;
        if (followers === 0) {
          stop?.();
          stop = null;
        }
      };
    },
  };
});
