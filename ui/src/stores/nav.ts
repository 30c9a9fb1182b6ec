// Where the person is: the view shown and the Security view's tab. Kept in
// a store so that a toast, the alert bell, the Overview and the tray menu
// (the `open-view` event) can all take the person somewhere.
import { create } from "zustand";
import { events, onEvent } from "../ipc";

/** Every view the product has, in navigation order (the registry gives
 * each its label and component). */
export const VIEW_IDS = [
  "overview",
  "agents",
  "deploy",
  "workflows",
  "tasks",
  "messages",
  "models",
  "metrics",
  "security",
  "settings",
] as const;

export type ViewId = (typeof VIEW_IDS)[number];

export type SecurityTab = "alerts" | "threats" | "containers" | "rules" | "audit" | "keys" | "rates";

/** Whether `name` (from the backend) names a view. */
export function isViewId(name: string): name is ViewId {
  return (VIEW_IDS as readonly string[]).includes(name);
}

type NavState = {
  view: ViewId;
  securityTab: SecurityTab;
  open: (view: ViewId) => void;
  /** Shows the Security view on `tab`. */
  openSecurity: (tab: SecurityTab) => void;
  setSecurityTab: (tab: SecurityTab) => void;
  /** Follows `open-view` (the tray menu, a click on a desktop
   * notification); an unknown view is ignored, and the alerts it names go
   * to `reveal`. Returns the function that stops following. */
  follow: (reveal?: (alerts: string[]) => void) => () => void;
};

export const useNavStore = create<NavState>((set, get) => ({
  view: "overview",
  securityTab: "alerts",
  open: (view) => set({ view }),
  openSecurity: (tab) => set({ view: "security", securityTab: tab }),
  setSecurityTab: (tab) => set({ securityTab: tab }),
  follow: (reveal) => {
    const unlisten = onEvent(events.openView, ({ view, alerts }) => {
      if (view === "security" && alerts.length > 0 && reveal) reveal(alerts);
      else if (isViewId(view)) get().open(view);
    });
    return () => {
      void unlisten.then((stop) => stop());
    };
  },
}));
