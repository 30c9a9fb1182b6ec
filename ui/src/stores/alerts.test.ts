import { act } from "@testing-library/react";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { alert } from "../ipc/fixtures";
import { backend, callsOf, fakeEvents } from "../ipc/testing";

const invoke = vi.fn();
const bus = fakeEvents();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({
  listen: (name: string, handler: (event: { payload: unknown }) => void) => bus.listen(name, handler),
}));

const { ANY_ALERT, queryOf, silenceOf, showAlerts, showOpenAlerts, useAlertsStore } = await import("./alerts");
const { useNavStore } = await import("./nav");
const { useOpenAlertsStore } = await import("./openAlerts");

const CHANGED = {
  fingerprint: "agent_down:AG-001",
  rule: "agent_down",
  name: "Agent down",
  subject: "AG-001",
  severity: "critical",
  detail: null,
  fired: true,
};

beforeEach(() => {
  invoke.mockReset();
  useAlertsStore.setState(useAlertsStore.getInitialState(), true);
  useOpenAlertsStore.setState(useOpenAlertsStore.getInitialState(), true);
  useNavStore.setState(useNavStore.getInitialState(), true);
});

describe("alerts store", () => {
  it.each([
    [ANY_ALERT, { state: null, severity: null, subject: null, text: null, limit: 500 }],
    [
      { state: "open", severity: "critical", subject: " AG-017 ", text: "memory  " },
      { state: "open", severity: "critical", subject: "AG-017", text: "memory", limit: 500 },
    ],
    [
      { state: "unacknowledged", severity: null, subject: "   ", text: "" },
      { state: "unacknowledged", severity: null, subject: null, text: null, limit: 500 },
    ],
    [
      { state: "resolved", severity: "info", subject: "", text: "disk low" },
      { state: "resolved", severity: "info", subject: null, text: "disk low", limit: 500 },
    ],
  ] as const)("builds the list query of %o", (filter, query) => {
    expect(queryOf(filter)).toEqual(query);
  });

  it("finds the silence in force on a fingerprint", () => {
    const silences = [
      { fingerprint: "a", untilMs: 1000, by: "desktop", atMs: 0 },
      { fingerprint: "b", untilMs: 5000, by: "desktop", atMs: 0 },
    ];
    expect(silenceOf(silences, "a", 999)?.untilMs).toBe(1000);
    expect(silenceOf(silences, "a", 1000)).toBeNull();
    expect(silenceOf(silences, "b", 2000)?.fingerprint).toBe("b");
    expect(silenceOf(silences, "c", 0)).toBeNull();
  });

  it("asks again with each filter change and on every alert-changed", async () => {
    let alerts = [alert(1)];
    backend(invoke, { list_alerts: () => alerts, alert_silences: [], alert_notices: [] });
    const stop = useAlertsStore.getState().follow();
    await useAlertsStore.getState().load();
    expect(useAlertsStore.getState().alerts?.map((a) => a.id)).toEqual([1]);

    useAlertsStore.getState().setFilter({ state: "open", subject: "AG-001" });
    await vi.waitFor(() =>
      expect(callsOf(invoke, "list_alerts").at(-1)).toEqual({
        query: { state: "open", severity: null, subject: "AG-001", text: null, limit: 500 },
      }),
    );

    alerts = [alert(2), alert(1)];
    act(() => bus.emit("alert-changed", CHANGED));
    await vi.waitFor(() => expect(useAlertsStore.getState().alerts?.map((a) => a.id)).toEqual([2, 1]));
    act(() => bus.emit("alert-notice", { title: "t", body: "b", severity: "info", fingerprints: [] }));
    await vi.waitFor(() => expect(callsOf(invoke, "alert_notices")).toEqual([{ limit: 100 }]));

    stop();
    await vi.waitFor(() => expect(bus.count("alert-changed")).toBe(0));
    const reads = callsOf(invoke, "list_alerts").length;
    act(() => bus.emit("alert-changed", CHANGED));
    expect(callsOf(invoke, "list_alerts")).toHaveLength(reads);
  });

  it("keeps the list and says why when an action is refused", async () => {
    backend(invoke, {
      list_alerts: [alert(1)],
      alert_silences: [],
      silence_alert: () => {
        throw { code: "invalid_request", message: "minutes: 1 to 10080, not 0" };
      },
    });
    await useAlertsStore.getState().silence("agent_down:AG-001", 0);
    expect(useAlertsStore.getState().actionError?.message).toBe("minutes: 1 to 10080, not 0");
    expect(useAlertsStore.getState().alerts).toHaveLength(1);
  });

  it("opens the Security view's alerts with the picked ones highlighted, listing every alert", () => {
    backend(invoke, { list_alerts: [], alert_silences: [] });
    useAlertsStore.setState({ filter: { ...ANY_ALERT, state: "resolved", text: "disk" } });
    useNavStore.setState({ securityTab: "audit" });
    showAlerts(["agent_down:AG-001"]);
    expect(useNavStore.getState()).toMatchObject({ view: "security", securityTab: "alerts" });
    expect(useAlertsStore.getState().selected).toEqual(["agent_down:AG-001"]);
    expect(useAlertsStore.getState().filter).toEqual(ANY_ALERT);

    showOpenAlerts();
    expect(useAlertsStore.getState().selected).toEqual([]);
    expect(useAlertsStore.getState().filter.state).toBe("open");
  });

  it("switches view on open-view, ignoring a view that does not exist", () => {
    const stop = useNavStore.getState().follow();
    act(() => bus.emit("open-view", { view: "security", alerts: [] }));
    expect(useNavStore.getState().view).toBe("security");
    act(() => bus.emit("open-view", { view: "nowhere", alerts: [] }));
    expect(useNavStore.getState().view).toBe("security");
    stop();
  });
});

describe("open alerts store", () => {
  it("listens once however many follow it, until the last one stops", async () => {
    let open = [alert(1)];
    backend(invoke, { list_alerts: () => open });
    const stopBell = useOpenAlertsStore.getState().follow();
    const stopOverview = useOpenAlertsStore.getState().follow();
    expect(bus.count("alert-changed")).toBe(1);
    await useOpenAlertsStore.getState().load();
    expect(callsOf(invoke, "list_alerts")[0]).toEqual({
      query: { state: "open", severity: null, subject: null, text: null, limit: 500 },
    });

    open = [alert(2), alert(1)];
    act(() => bus.emit("alert-changed", CHANGED));
    await vi.waitFor(() => expect(useOpenAlertsStore.getState().alerts).toHaveLength(2));
    stopOverview();
    stopOverview();
    await Promise.resolve();
    expect(bus.count("alert-changed")).toBe(1);
    stopBell();
    await vi.waitFor(() => expect(bus.count("alert-changed")).toBe(0));
  });
});
