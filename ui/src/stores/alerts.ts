// Alerts for the Security view: the list under the current filters with the
// silences in force, the notifications sent, and the alerts picked from
// outside (a toast, the bell, the Overview) to show highlighted. The list
// reloads on `alert-changed`, the notifications on `alert-notice`.
import { create } from "zustand";
import {
  commands,
  events,
  IpcError,
  onEvent,
  type Alert,
  type AlertNotice,
  type AlertQuery,
  type AlertState,
  type Severity,
  type Silence,
} from "../ipc";
import { toIpcError } from "../ipc/call";
import { useNavStore } from "./nav";
import { coalesced } from "./reload";

/** How many alerts the list shows (newest first). */
export const ALERT_LIMIT = 500;
/** How many sent notifications are shown. */
export const NOTICE_LIMIT = 100;
/** The silences on offer, in minutes. */
export const SILENCE_MINUTES = [60, 480, 1440] as const;

export type AlertFilter = {
  state: AlertState | "all";
  severity: Severity | null;
  /** The agent (or other subject) it is about; empty for any. */
  subject: string;
  /** Words in its name, rule, subject or detail; empty for any. */
  text: string;
};

export const ANY_ALERT: AlertFilter = { state: "all", severity: null, subject: "", text: "" };

/** The list query for a filter. */
export function queryOf(filter: AlertFilter): AlertQuery {
  return {
    state: filter.state === "all" ? null : filter.state,
    severity: filter.severity,
    subject: filter.subject.trim() || null,
    text: filter.text.trim() || null,
    limit: ALERT_LIMIT,
  };
}

/** The silence in force on `fingerprint` at `nowMs`, if any. */
export function silenceOf(silences: Silence[], fingerprint: string, nowMs: number): Silence | null {
  return silences.find((s) => s.fingerprint === fingerprint && s.untilMs > nowMs) ?? null;
}

type AlertsState = {
  filter: AlertFilter;
  alerts: Alert[] | null;
  silences: Silence[];
  /** Why the last load failed (the list before stays shown). */
  error: IpcError | null;
  loading: boolean;
  notices: AlertNotice[] | null;
  noticesError: IpcError | null;
  /** Why the last acknowledge, silence or unsilence was refused. */
  actionError: IpcError | null;
  /** Fingerprints of the alerts to highlight. */
  selected: string[];
  setFilter: (change: Partial<AlertFilter>) => void;
  load: () => Promise<void>;
  loadNotices: () => Promise<void>;
  ack: (id: number) => Promise<void>;
  silence: (fingerprint: string, minutes: number) => Promise<void>;
  unsilence: (fingerprint: string) => Promise<void>;
  select: (fingerprints: string[]) => void;
  /** Highlights `fingerprints` under `filter` (every alert by default, so
   * that they are listed) and reloads. */
  reveal: (fingerprints: string[], filter?: AlertFilter) => void;
  /** Reloads on every change; returns the function that stops following. */
  follow: () => () => void;
};

export const useAlertsStore = create<AlertsState>((set, get) => {
  async function act(run: () => Promise<unknown>) {
    set({ actionError: null });
    try {
      await run();
    } catch (err) {
      set({ actionError: toIpcError(err) });
    }
    await get().load();
  }

  return {
    filter: ANY_ALERT,
    alerts: null,
    silences: [],
    error: null,
    loading: false,
    notices: null,
    noticesError: null,
    actionError: null,
    selected: [],
    setFilter: (change) => {
      set({ filter: { ...get().filter, ...change } });
      void get().load();
    },
    load: coalesced(
      async () => {
        try {
          const [alerts, silences] = await Promise.all([
            commands.listAlerts(queryOf(get().filter)),
            commands.alertSilences(),
          ]);
          set({ alerts, silences, error: null });
        } catch (err) {
          set({ error: toIpcError(err) });
        }
      },
      (loading) => set({ loading }),
    ),
    loadNotices: coalesced(
      async () => {
        try {
          set({ notices: await commands.alertNotices(NOTICE_LIMIT), noticesError: null });
        } catch (err) {
          set({ noticesError: toIpcError(err) });
        }
      },
      () => {},
    ),
    ack: (id) => act(() => commands.ackAlert(id)),
    silence: (fingerprint, minutes) => act(() => commands.silenceAlert(fingerprint, minutes)),
    unsilence: (fingerprint) => act(() => commands.unsilenceAlert(fingerprint)),
    select: (fingerprints) => set({ selected: fingerprints }),
    reveal: (fingerprints, filter = ANY_ALERT) => {
      set({ selected: fingerprints, filter });
      void get().load();
    },
    follow: () => {
      const changed = onEvent(events.alertChanged, () => void get().load());
      const noticed = onEvent(events.alertNotice, () => void get().loadNotices());
      return () => {
        void changed.then((stop) => stop());
        void noticed.then((stop) => stop());
      };
    },
  };
});

/** Opens the Security view's Alerts tab with `fingerprints` highlighted. */
export function showAlerts(fingerprints: string[]) {
  useAlertsStore.getState().reveal(fingerprints);
  useNavStore.getState().openSecurity("alerts");
}

/** Opens the Security view's Alerts tab on the open alerts. */
export function showOpenAlerts() {
  useAlertsStore.getState().reveal([], { ...ANY_ALERT, state: "open" });
  useNavStore.getState().openSecurity("alerts");
}
