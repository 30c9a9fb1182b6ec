import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import type { Alert, ClientRate, Rule, Silence } from "../ipc";
import { alert, auditEntry, containerAudit, definition, eventRule, metricRule, notice, threat } from "../ipc/fixtures";
import { when } from "../components/time";
import { backend, callsOf, fakeEvents, type Answers } from "../ipc/testing";

const invoke = vi.fn();
const bus = fakeEvents();
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({
  listen: (name: string, handler: (event: { payload: unknown }) => void) => bus.listen(name, handler),
}));

const { useAlertsStore } = await import("../stores/alerts");
const { useRulesStore } = await import("../stores/alertRules");
const { useNavStore } = await import("../stores/nav");
const { Security } = await import("./Security");

/** A backend holding `alerts` and `silences` (read on every call). */
function alertsBackend(state: { alerts: Alert[]; silences: Silence[] }, more: Answers = {}): Answers {
  return {
    list_alerts: () => state.alerts,
    alert_silences: () => state.silences,
    alert_notices: [notice(1), notice(2, { title: "Failure rate high", severity: "warning", body: "22% of tasks failed" })],
    ...more,
  };
}

function tab(id: string) {
  fireEvent.click(screen.getByTestId(`security-tab-${id}`));
}

beforeEach(() => {
  invoke.mockReset();
  useAlertsStore.setState(useAlertsStore.getInitialState(), true);
  useRulesStore.setState(useRulesStore.getInitialState(), true);
  useNavStore.setState(useNavStore.getInitialState(), true);
});
afterEach(cleanup);

describe("Security: alerts", () => {
  it("lists alerts newest first with their state, and the notifications sent", async () => {
    const state = {
      alerts: [alert(3), alert(2, { resolvedMs: Date.now(), ackedMs: Date.now(), ackedBy: "desktop", severity: "warning" })],
      silences: [],
    };
    backend(invoke, alertsBackend(state));
    render(<Security />);
    const row = await screen.findByTestId("alert-row-3");
    expect(row.getAttribute("data-fingerprint")).toBe("agent_down:AG-003");
    expect(screen.getByTestId("alert-state-3").textContent).toBe("firing");
    expect(screen.getByTestId("alert-state-2").textContent).toBe("resolved");
    expect(screen.getByTestId("alert-severity-2").textContent).toBe("warning");
    expect(screen.getByTestId("alert-acked-2").textContent).toContain("desktop");
    expect(screen.queryByTestId("alert-ack-2")).toBeNull();
    expect(within(row).getByText("exit code 137")).toBeTruthy();
    expect(screen.getByTestId("notice-row-2").textContent).toContain("22% of tasks failed");

    // Live: a new alert fires.
    state.alerts = [alert(4), ...state.alerts];
    act(() => bus.emit("alert-changed", { ...state.alerts[0], fired: true }));
    await screen.findByTestId("alert-row-4");
    const ids = screen.getAllByTestId(/^alert-row-/).map((r) => r.getAttribute("data-testid"));
    expect(ids).toEqual(["alert-row-4", "alert-row-3", "alert-row-2"]);
  });

  it("filters by state, severity, agent and words", async () => {
    backend(invoke, alertsBackend({ alerts: [], silences: [] }));
    render(<Security />);
    await screen.findByTestId("alerts-none");
    fireEvent.change(screen.getByTestId("alerts-filter-state"), { target: { value: "unacknowledged" } });
    fireEvent.change(screen.getByTestId("alerts-filter-severity"), { target: { value: "critical" } });
    fireEvent.change(screen.getByTestId("alerts-filter-subject"), { target: { value: "AG-017" } });
    fireEvent.change(screen.getByTestId("alerts-filter-text"), { target: { value: "oom" } });
    await waitFor(() =>
      expect(callsOf(invoke, "list_alerts").at(-1)).toEqual({
        query: { state: "unacknowledged", severity: "critical", subject: "AG-017", text: "oom", limit: 500 },
      }),
    );
  });

  it("acknowledges an alert, silences it for 8 h and unsilences it", async () => {
    const state: { alerts: Alert[]; silences: Silence[] } = { alerts: [alert(1)], silences: [] };
    const until = Date.now() + 8 * 3_600_000;
    backend(
      invoke,
      alertsBackend(state, {
        ack_alert: ({ id }) => {
          state.alerts = state.alerts.map((a) => (a.id === id ? { ...a, ackedMs: Date.now(), ackedBy: "desktop" } : a));
          return state.alerts[0] ?? null;
        },
        silence_alert: ({ fingerprint }) => {
          const silence = { fingerprint, untilMs: until, by: "desktop", atMs: Date.now() };
          state.silences = [silence];
          return silence;
        },
        unsilence_alert: () => {
          state.silences = [];
          return true;
        },
      }),
    );
    render(<Security />);
    fireEvent.click(await screen.findByTestId("alert-ack-1"));
    await waitFor(() => expect(screen.queryByTestId("alert-ack-1")).toBeNull());
    expect(callsOf(invoke, "ack_alert")).toEqual([{ id: 1 }]);
    expect(screen.getByTestId("alert-acked-1").textContent).toContain("desktop");

    fireEvent.change(screen.getByTestId("alert-silence-1"), { target: { value: "480" } });
    const silenced = await screen.findByTestId("alert-silenced-1");
    expect(callsOf(invoke, "silence_alert")).toEqual([{ fingerprint: "agent_down:AG-001", minutes: 480 }]);
    expect(silenced.textContent).toBe(`silenced until ${when(until)}`);

    fireEvent.click(screen.getByTestId("alert-unsilence-1"));
    await screen.findByTestId("alert-silence-1");
    expect(callsOf(invoke, "unsilence_alert")).toEqual([{ fingerprint: "agent_down:AG-001" }]);
  });

  it("highlights the alerts picked from outside and scrolls to them", async () => {
    const scrolled = vi.fn();
    const before = Element.prototype.scrollIntoView;
    Element.prototype.scrollIntoView = scrolled;
    onTestFinished(() => {
      Element.prototype.scrollIntoView = before;
    });
    backend(invoke, alertsBackend({ alerts: [alert(3), alert(2), alert(1, { subject: "AG-002" })], silences: [] }));
    useAlertsStore.setState({ selected: ["agent_down:AG-002"] });
    render(<Security />);
    const newest = await screen.findByTestId("alert-row-2");
    expect(newest.getAttribute("data-selected")).toBe("true");
    // Only the newest alert of the fingerprint.
    expect(screen.getByTestId("alert-row-1").getAttribute("data-selected")).toBeNull();
    expect(screen.getByTestId("alert-row-3").getAttribute("data-selected")).toBeNull();
    expect(scrolled).toHaveBeenCalledTimes(1);
    expect(scrolled.mock.contexts[0]).toBe(newest);
  });
});

describe("Security: rules", () => {
  function rulesBackend(rules: { current: Rule[] }, more: Answers = {}): Answers {
    return {
      ...alertsBackend({ alerts: [], silences: [] }),
      alert_rules: () => ({ rules: rules.current, defaults: [metricRule(), eventRule()] }),
      ...more,
    };
  }

  it("sets a remedy from the valid workflows, and shows the engine's refusal of one", async () => {
    const rules = { current: [metricRule(), eventRule()] };
    const refusal = "failure_rate.remedy: step `quality` of `code_review` does not wait for an approval step";
    backend(
      invoke,
      rulesBackend(rules, {
        list_workflows: [definition("incident_response"), definition("code_review")],
        set_alert_rule: ({ rule }) => {
          if (rule.remedy === "code_review") throw { code: "invalid_request", message: refusal };
          return rule;
        },
      }),
    );
    render(<Security />);
    tab("rules");
    fireEvent.click(await screen.findByTestId("rule-edit-failure_rate"));
    const form = screen.getByTestId("rule-form-failure_rate");
    const remedy = within(form).getByTestId("rule-remedy") as HTMLSelectElement;
    await waitFor(() => expect(remedy.options.length).toBe(3));
    fireEvent.change(remedy, { target: { value: "code_review" } });
    fireEvent.click(within(form).getByTestId("rule-save"));
    expect((await screen.findByTestId("rule-error-failure_rate")).textContent).toBe(refusal);
    fireEvent.change(remedy, { target: { value: "incident_response" } });
    fireEvent.click(within(form).getByTestId("rule-save"));
    await waitFor(() => expect(screen.queryByTestId("rule-form-failure_rate")).toBeNull());
    expect((callsOf(invoke, "set_alert_rule").at(-1)?.rule as Rule).remedy).toBe("incident_response");
  });

  it("describes each rule and marks one changed from its default, which Reset puts back", async () => {
    const rules = { current: [metricRule({ severity: "critical" }), eventRule()] };
    backend(
      invoke,
      rulesBackend(rules, {
        reset_alert_rule: ({ id }) => {
          rules.current = [metricRule(), eventRule()];
          return rules.current.find((r) => r.id === id)!;
        },
      }),
    );
    render(<Security />);
    tab("rules");
    await screen.findByTestId("rule-row-failure_rate");
    expect(screen.getByTestId("rule-signal-failure_rate").textContent).toBe(
      "tasks_failed / tasks_succeeded + tasks_failedabove 0.2 (clears at 0.1)",
    );
    const event = screen.getByTestId("rule-row-agent_died");
    expect(within(event).getAllByRole("cell").map((c) => c.textContent).slice(2, 6)).toEqual([
      "event agentDied",
      "—",
      "at once",
      "5 min",
    ]);
    expect(screen.queryByTestId("rule-changed-agent_died")).toBeNull();
    expect(screen.getByTestId("rule-changed-failure_rate").textContent).toBe("changed");

    fireEvent.click(screen.getByTestId("rule-reset-failure_rate"));
    await waitFor(() => expect(screen.queryByTestId("rule-changed-failure_rate")).toBeNull());
    expect(callsOf(invoke, "reset_alert_rule")).toEqual([{ id: "failure_rate" }]);
  });

  it("saves an edited rule, and shows the engine's refusal naming the field", async () => {
    const rules = { current: [metricRule(), eventRule()] };
    const refusal = "failure_rate.threshold: clear (0.5) must be on the good side of value (0.3): at or below it";
    backend(
      invoke,
      rulesBackend(rules, {
        set_alert_rule: ({ rule }) => {
          if (rule.threshold.clear > rule.threshold.value) throw { code: "invalid_request", message: refusal };
          rules.current = rules.current.map((r) => (r.id === rule.id ? rule : r));
          return rule;
        },
      }),
    );
    render(<Security />);
    tab("rules");
    fireEvent.click(await screen.findByTestId("rule-edit-failure_rate"));
    const form = screen.getByTestId("rule-form-failure_rate");
    fireEvent.change(within(form).getByTestId("rule-value"), { target: { value: "0.3" } });
    fireEvent.change(within(form).getByTestId("rule-clear"), { target: { value: "0.5" } });
    fireEvent.click(within(form).getByTestId("rule-save"));
    expect((await screen.findByTestId("rule-error-failure_rate")).textContent).toBe(refusal);
    expect(within(form).getByTestId("rule-clear").getAttribute("aria-invalid")).toBe("true");
    expect(within(form).getByTestId("rule-windowS").getAttribute("aria-invalid")).toBeNull();

    fireEvent.change(within(form).getByTestId("rule-clear"), { target: { value: "0.25" } });
    fireEvent.change(within(form).getByTestId("rule-windowS"), { target: { value: "600" } });
    fireEvent.change(within(form).getByTestId("rule-severity"), { target: { value: "critical" } });
    fireEvent.click(within(form).getByTestId("rule-save"));
    await waitFor(() => expect(screen.queryByTestId("rule-form-failure_rate")).toBeNull());
    const saved = callsOf(invoke, "set_alert_rule").at(-1)?.rule as Rule;
    expect(saved).toEqual(
      metricRule({
        severity: "critical",
        windowS: 600,
        threshold: { comparison: "above", value: 0.3, clear: 0.25, forS: 60, keepFiringS: 30 },
      }),
    );
    expect(screen.getByTestId("rule-changed-failure_rate")).toBeTruthy();
    expect(screen.queryByTestId("rule-error-failure_rate")).toBeNull();
  });

  it("offers only keep-firing for an event rule, says when a field is not a number, and toggles enabled", async () => {
    const rules = { current: [metricRule(), eventRule()] };
    backend(
      invoke,
      rulesBackend(rules, {
        set_alert_rule: ({ rule }) => {
          rules.current = rules.current.map((r) => (r.id === rule.id ? rule : r));
          return rule;
        },
      }),
    );
    render(<Security />);
    tab("rules");
    fireEvent.click(await screen.findByTestId("rule-edit-agent_died"));
    const form = screen.getByTestId("rule-form-agent_died");
    expect(within(form).queryByTestId("rule-windowS")).toBeNull();
    expect(within(form).queryByTestId("rule-value")).toBeNull();
    fireEvent.change(within(form).getByTestId("rule-keepFiringS"), { target: { value: "" } });
    fireEvent.click(within(form).getByTestId("rule-save"));
    expect(screen.getByTestId("rule-error-agent_died").textContent).toBe("Keep firing (s): a number");
    expect(callsOf(invoke, "set_alert_rule")).toEqual([]);
    fireEvent.click(within(form).getByTestId("rule-cancel"));

    fireEvent.click(screen.getByTestId("rule-enabled-agent_died"));
    await waitFor(() => expect((screen.getByTestId("rule-enabled-agent_died") as HTMLInputElement).checked).toBe(false));
    expect(callsOf(invoke, "set_alert_rule")).toEqual([{ rule: eventRule({ enabled: false }) }]);
  });
});

describe("Security: audit log", () => {
  it("filters by actor, action and result and exports the rows shown as CSV", async () => {
    backend(invoke, {
      ...alertsBackend({ alerts: [], silences: [] }),
      audit_log: [
        auditEntry(3, { actor: "key:ci", origin: "127.0.0.1:5000", action: "task.cancel", outcome: "refused: role analyst" }),
        auditEntry(2, { action: "fleet.deploy", target: "phase 1", detail: "20 agents, keep healthy" }),
        auditEntry(1),
      ],
    });
    const blobs: Blob[] = [];
    const clicked: string[] = [];
    URL.createObjectURL = vi.fn((blob: Blob) => {
      blobs.push(blob);
      return "blob:audit";
    });
    URL.revokeObjectURL = vi.fn();
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push(this.download);
    });
    render(<Security />);
    tab("audit");
    await screen.findByTestId("audit-row-3");
    expect(callsOf(invoke, "audit_log")).toEqual([{ limit: 1000 }]);
    expect(screen.getByTestId("audit-count").textContent).toBe("3 of 3 entries");

    fireEvent.change(screen.getByTestId("audit-filter-result"), { target: { value: "refused" } });
    expect(screen.getAllByTestId(/^audit-row-/).map((r) => r.dataset.testid)).toEqual(["audit-row-3"]);
    fireEvent.change(screen.getByTestId("audit-filter-result"), { target: { value: "ok" } });
    fireEvent.change(screen.getByTestId("audit-filter-actor"), { target: { value: "desktop" } });
    fireEvent.change(screen.getByTestId("audit-filter-action"), { target: { value: "fleet.deploy" } });
    expect(screen.getAllByTestId(/^audit-row-/).map((r) => r.dataset.testid)).toEqual(["audit-row-2"]);

    fireEvent.click(screen.getByTestId("audit-export"));
    expect(clicked).toHaveLength(1);
    expect(clicked[0]).toMatch(/^sutazai-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const text = await blobs[0]!.text();
    expect(text.split("\r\n")).toEqual([
      "time,actor,origin,action,target,outcome,detail",
      expect.stringMatching(/^\d{4}-.*Z,desktop,window,fleet\.deploy,phase 1,ok,"20 agents, keep healthy"$/),
      "",
    ]);
    click.mockRestore();

    fireEvent.click(screen.getByTestId("audit-reload"));
    await waitFor(() => expect(callsOf(invoke, "audit_log")).toHaveLength(2));
  });
});

describe("Security: tabs", () => {
  it("opens on the tab asked for and holds the API keys", async () => {
    backend(invoke, { ...alertsBackend({ alerts: [], silences: [] }), list_api_keys: [] });
    useNavStore.setState({ securityTab: "keys" });
    render(<Security />);
    expect(screen.getByTestId("security-tab-keys").getAttribute("aria-selected")).toBe("true");
    await screen.findByTestId("keys-none");
    tab("alerts");
    await screen.findByTestId("alerts-none");
    expect(useNavStore.getState().securityTab).toBe("alerts");
  });

  it("holds the threats and the container audit", async () => {
    backend(invoke, {
      ...alertsBackend({ alerts: [], silences: [] }),
      list_threats: [threat(1)],
      container_audit: [containerAudit("sutazai-ag-001")],
    });
    render(<Security />);
    tab("threats");
    await screen.findByTestId("threat-row-1");
    tab("containers");
    await screen.findByTestId("container-row-sutazai-ag-001");
    expect(useNavStore.getState().securityTab).toBe("containers");
  });
});

describe("Security: rate limits", () => {
  const rate = (client: string, change: Partial<ClientRate> = {}): ClientRate => ({
    client,
    kind: client.startsWith("agent:") ? "agent" : "apiKey",
    limitPerMinute: 100,
    allowedLastMinute: 0,
    refusedLastMinute: 0,
    refusedTotal: 0,
    lastRefusedMs: null,
    ...change,
  });

  it("shows each client's use of its limit and its refusals", async () => {
    backend(
      invoke,
      alertsBackend(
        { alerts: [], silences: [] },
        {
          rate_limits: [
            rate("key:3", { allowedLastMinute: 100, refusedLastMinute: 2, refusedTotal: 5, lastRefusedMs: 1_000 }),
            rate("agent:AG-001", { limitPerMinute: 1200, allowedLastMinute: 40 }),
          ],
        },
      ),
    );
    render(<Security />);
    tab("rates");
    expect((await screen.findByTestId("rate-used-key:3")).textContent).toBe("100 of 100");
    expect(screen.getByTestId("rate-row-key:3").textContent).toContain("2 / 5");
    expect(screen.getByTestId("rate-used-agent:AG-001").textContent).toBe("40 of 1200");
  });

  it("says when nobody called", async () => {
    backend(invoke, alertsBackend({ alerts: [], silences: [] }, { rate_limits: [] }));
    render(<Security />);
    tab("rates");
    await screen.findByTestId("rates-none");
  });
});
