import { act, cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Alert, AlertEvent, Notice } from "./ipc";
import { alert } from "./ipc/fixtures";
import { backend, callsOf, fakeEvents } from "./ipc/testing";

const invoke = vi.fn();
const bus = fakeEvents();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({
  listen: (name: string, handler: (event: { payload: unknown }) => void) => bus.listen(name, handler),
}));

const { useAlertsStore } = await import("./stores/alerts");
const { useNavStore } = await import("./stores/nav");
const { useOpenAlertsStore } = await import("./stores/openAlerts");
const { TOAST_MS } = await import("./components/Toasts");
const { App } = await import("./App");

const FIRED: AlertEvent = {
  fingerprint: "agent_down:AG-002",
  rule: "agent_down",
  name: "Agent down",
  subject: "AG-002",
  severity: "critical",
  detail: "exit code 137",
  fired: true,
};

const NOTICE: Notice = {
  title: "Agent down: AG-002",
  body: "AG-002 exited (exit code 137)",
  severity: "critical",
  fingerprints: ["agent_down:AG-002"],
};

/** The app on a backend whose open alerts are `open()`; the engine is
 * down, so the Overview asks for nothing more. */
function start(open: () => Alert[]) {
  backend(invoke, {
    engine_status: () => Promise.reject({ code: "engine_unavailable", message: "the engine is starting" }),
    list_alerts: ({ query }) => (query.state === "open" ? open() : [alert(3), ...open()]),
    alert_silences: [],
    alert_notices: [],
  });
  render(<App />);
}

beforeEach(() => {
  invoke.mockReset();
  useAlertsStore.setState(useAlertsStore.getInitialState(), true);
  useOpenAlertsStore.setState(useOpenAlertsStore.getInitialState(), true);
  useNavStore.setState(useNavStore.getInitialState(), true);
});
afterEach(cleanup);

describe("App: alert bell", () => {
  it("counts the open alerts live and opens the Security view on them", async () => {
    let open = [alert(1)];
    start(() => open);
    await waitFor(() => expect(screen.getByTestId("alert-bell-count").textContent).toBe("1"));
    open = [alert(2), alert(1)];
    act(() => bus.emit("alert-changed", FIRED));
    await waitFor(() => expect(screen.getByTestId("alert-bell-count").textContent).toBe("2"));
    expect(screen.getByTestId("alert-bell").getAttribute("aria-label")).toBe("2 open alerts");

    fireEvent.click(screen.getByTestId("alert-bell"));
    expect(screen.getByTestId("view-title").textContent).toBe("Security");
    expect((screen.getByTestId("alerts-filter-state") as HTMLSelectElement).value).toBe("open");
    await screen.findByTestId("alert-row-2");
  });

  it("switches to the view the tray asks for", async () => {
    start(() => []);
    act(() => bus.emit("open-view", { view: "security", alerts: [] }));
    expect(screen.getByTestId("view-title").textContent).toBe("Security");
    expect(screen.getByTestId("nav-security").getAttribute("aria-current")).toBe("page");
    await screen.findByTestId("security-tab-alerts");
  });

  it("opens Security on the alerts of a clicked desktop notification", async () => {
    start(() => [alert(2), alert(1)]);
    act(() => bus.emit("open-view", { view: "security", alerts: [alert(2).fingerprint] }));
    expect(screen.getByTestId("view-title").textContent).toBe("Security");
    const row = await screen.findByTestId("alert-row-2");
    await waitFor(() => expect(row.getAttribute("data-selected")).toBe("true"));
    expect(screen.getByTestId("alert-row-1").getAttribute("data-selected")).not.toBe("true");
  });
});

describe("App: toasts", () => {
  it("shows a notice; clicking it opens Security with its alert highlighted", async () => {
    start(() => [alert(2), alert(1)]);
    act(() => bus.emit("alert-notice", NOTICE));
    const toast = screen.getByTestId("toast");
    expect(toast.getAttribute("data-severity")).toBe("critical");
    expect(screen.getByTestId("toast-title").textContent).toBe("Agent down: AG-002");
    expect(screen.getByTestId("toast-body").textContent).toBe("AG-002 exited (exit code 137)");

    fireEvent.click(toast);
    expect(screen.queryByTestId("toast")).toBeNull();
    expect(screen.getByTestId("view-title").textContent).toBe("Security");
    expect(screen.getByTestId("security-tab-alerts").getAttribute("aria-selected")).toBe("true");
    const row = await screen.findByTestId("alert-row-2");
    expect(row.getAttribute("data-selected")).toBe("true");
    expect(screen.getByTestId("alert-row-1").getAttribute("data-selected")).toBeNull();
    // Every alert is listed, so the picked one is there whatever the filter was.
    expect(callsOf(invoke, "list_alerts").at(-1)).toEqual({
      query: { state: null, severity: null, subject: null, text: null, limit: 500 },
    });
  });

  it("closes a toast by its button without leaving the view, and on its own after a while", async () => {
    vi.useFakeTimers();
    try {
      start(() => []);
      act(() => bus.emit("alert-notice", NOTICE));
      act(() => bus.emit("alert-notice", { ...NOTICE, title: "Failure rate high", severity: "warning" }));
      expect(screen.getAllByTestId("toast")).toHaveLength(2);
      fireEvent.click(screen.getAllByTestId("toast-close")[0]!);
      expect(screen.getAllByTestId("toast").map((t) => t.getAttribute("data-severity"))).toEqual(["warning"]);
      expect(screen.getByTestId("view-title").textContent).toBe("Overview");

      await act(async () => {
        await vi.advanceTimersByTimeAsync(TOAST_MS - 100);
      });
      expect(screen.getAllByTestId("toast")).toHaveLength(1);
      await act(async () => {
        await vi.advanceTimersByTimeAsync(200);
      });
      expect(screen.queryByTestId("toast")).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });
});
