import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { DeployEvent, DeployReport, PhaseSummary } from "../ipc";

const invoke = vi.fn();
const listeners = new Map<string, (event: { payload: unknown }) => void>();
const listen = vi.fn((name: string, handler: (event: { payload: unknown }) => void) => {
  listeners.set(name, handler);
  return Promise.resolve(() => {
    if (listeners.get(name) === handler) listeners.delete(name);
  });
});
vi.mock("@tauri-apps/api/core", () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock("@tauri-apps/api/event", () => ({
  listen: (name: string, handler: (event: { payload: unknown }) => void) => listen(name, handler),
}));

const { useDeployStore } = await import("../stores/deploy");
const { Deploy } = await import("./Deploy");

const SUMMARIES: PhaseSummary[] = [
  { phase: 1, agents: 20, deployed: 0, healthy: 0, memoryNeededMb: 5222, memoryAvailableMb: 18637 },
  { phase: 2, agents: 25, deployed: 25, healthy: 23, memoryNeededMb: 7680, memoryAvailableMb: 18637 },
  { phase: 3, agents: 24, deployed: 0, healthy: 0, memoryNeededMb: 20480, memoryAvailableMb: 18637 },
];

type Deferred<T> = { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void };
function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

let deploy: Deferred<DeployReport>;
let summaries: PhaseSummary[];

function backend() {
  invoke.mockImplementation((command: string) => {
    switch (command) {
      case "phase_summaries":
        return Promise.resolve(summaries);
      case "deploy_phase":
        return deploy.promise;
      case "undeploy_phase":
        return Promise.resolve(25);
      default:
        return Promise.reject({ code: "engine_unavailable", message: `unexpected ${command}` });
    }
  });
}

/** Sends one `deploy-progress` event as the backend would. */
function emit(event: DeployEvent) {
  const handler = listeners.get("deploy-progress");
  if (!handler) throw new Error("nobody listens to deploy-progress");
  act(() => handler({ payload: event }));
}

const AGENTS = ["AG-001", "AG-002", "AG-003", "AG-004"];

async function shown() {
  render(<Deploy />);
  await screen.findByTestId("phase-card-1");
}

beforeEach(() => {
  invoke.mockReset();
  listen.mockClear();
  deploy = deferred<DeployReport>();
  summaries = SUMMARIES;
  backend();
  useDeployStore.setState({ summaries: null, summariesError: null, phases: {} });
});
afterEach(cleanup);

describe("Deploy", () => {
  it("shows one card per phase with its counts and memory", async () => {
    await shown();
    const card = within(screen.getByTestId("phase-card-1"));
    expect(card.getByText("Phase 1 — Critical orchestration")).toBeTruthy();
    expect(within(screen.getByTestId("phase-card-2")).getByText("Phase 2 — Specialised services")).toBeTruthy();
    expect(within(screen.getByTestId("phase-card-3")).getByText("Phase 3 — Auxiliary support")).toBeTruthy();
    expect(screen.getByTestId("phase-1-agents").textContent).toBe("20");
    expect(screen.getByTestId("phase-2-agents").textContent).toBe("25");
    expect(screen.getByTestId("phase-1-healthy").textContent).toBe("0/20 healthy");
    expect(screen.getByTestId("phase-2-healthy").textContent).toBe("23/25 healthy");
    expect(screen.getByTestId("phase-1-memory").textContent).toBe("5.1 GB of 18.2 GB available");
    expect(screen.getByTestId("phase-1-memory").className).not.toContain("warn");
    expect(screen.getByTestId("phase-3-memory").textContent).toBe("20.0 GB of 18.2 GB available");
    expect(screen.getByTestId("phase-3-memory").className).toContain("warn");

    const policy = screen.getByTestId("policy-1") as HTMLSelectElement;
    expect(policy.value).toBe("roll_back");
    expect([...policy.options].map((o) => [o.value, o.textContent])).toEqual([
      ["roll_back", "Roll the phase back"],
      ["keep_healthy", "Keep the healthy agents"],
    ]);
    expect(invoke).toHaveBeenCalledWith("phase_summaries", undefined);
  });

  it("deploys a phase and follows each agent to the summary", async () => {
    await shown();
    fireEvent.click(screen.getByTestId("deploy-1"));
    expect(invoke).toHaveBeenCalledWith("deploy_phase", { phase: 1, policy: "roll_back" });
    const deployButton = screen.getByTestId("deploy-1") as HTMLButtonElement;
    expect(deployButton.disabled).toBe(true);

    emit({
      kind: "started",
      phase: 1,
      agents: AGENTS,
      memoryNeededMb: 5222,
      memoryAvailableMb: 18637,
      warning: null,
    });
    const progress = screen.getByTestId("deploy-progress-1") as HTMLProgressElement;
    expect(progress.max).toBe(4);
    expect(progress.value).toBe(0);
    expect(screen.getByTestId("deploy-agent-AG-003").getAttribute("data-stage")).toBe("pending");
    expect((screen.getByTestId("undeploy-1") as HTMLButtonElement).disabled).toBe(true);
    expect(deployButton.disabled).toBe(true);

    const step = (agentId: string, stage: "creating" | "starting" | "healthy" | "unchanged", elapsedMs: number) =>
      emit({ kind: "agent", phase: 1, agentId, stage, reason: null, elapsedMs });
    step("AG-001", "creating", 100);
    expect(screen.getByTestId("deploy-agent-AG-001").getAttribute("data-stage")).toBe("creating");
    step("AG-001", "starting", 300);
    expect(screen.getByTestId("deploy-agent-AG-001").textContent).toContain("starting");
    expect(progress.value).toBe(0);
    step("AG-001", "healthy", 900);
    expect(screen.getByTestId("deploy-agent-AG-001").getAttribute("data-stage")).toBe("healthy");
    expect((screen.getByTestId("deploy-progress-1") as HTMLProgressElement).value).toBe(1);
    step("AG-002", "unchanged", 950);
    step("AG-003", "healthy", 1400);
    expect((screen.getByTestId("deploy-progress-1") as HTMLProgressElement).value).toBe(3);
    step("AG-004", "healthy", 5200);
    expect((screen.getByTestId("deploy-progress-1") as HTMLProgressElement).value).toBe(4);

    const report: DeployReport = {
      phase: 1,
      total: 4,
      healthy: 4,
      unchanged: 1,
      failed: [],
      rolledBack: false,
      elapsedMs: 5312,
    };
    emit({ kind: "finished", ...report });
    summaries = [{ ...SUMMARIES[0]!, deployed: 20, healthy: 20 }, SUMMARIES[1]!, SUMMARIES[2]!];
    await act(async () => deploy.resolve(report));

    expect(screen.getByTestId("deploy-summary-1").textContent).toBe("4/4 healthy in 5.3 s · 1 unchanged");
    expect(screen.queryByTestId("deploy-progress-1")).toBeNull();
    expect((screen.getByTestId("deploy-1") as HTMLButtonElement).disabled).toBe(false);
    // The summaries are read again after the deploy.
    await waitFor(() => expect(screen.getByTestId("phase-1-healthy").textContent).toBe("20/20 healthy"));
  });

  it("writes the summary as 20/20 healthy in 5.3 s", async () => {
    await shown();
    fireEvent.click(screen.getByTestId("deploy-1"));
    await act(async () =>
      deploy.resolve({ phase: 1, total: 20, healthy: 20, unchanged: 0, failed: [], rolledBack: false, elapsedMs: 5340 }),
    );
    expect(screen.getByTestId("deploy-summary-1").textContent).toBe("20/20 healthy in 5.3 s");
  });

  it("uses the chosen policy, and lists failures with their reasons", async () => {
    await shown();
    fireEvent.change(screen.getByTestId("policy-1"), { target: { value: "keep_healthy" } });
    fireEvent.click(screen.getByTestId("deploy-1"));
    expect(invoke).toHaveBeenCalledWith("deploy_phase", { phase: 1, policy: "keep_healthy" });
    emit({
      kind: "started",
      phase: 1,
      agents: AGENTS,
      memoryNeededMb: 25000,
      memoryAvailableMb: 18637,
      warning: "the phase's memory limits add up to 25000 MB but only 18637 MB are available",
    });
    expect(screen.getByTestId("deploy-warning-1").textContent).toContain("only 18637 MB are available");
    const reason = "no healthy answer within 30 s (connection refused)";
    emit({ kind: "agent", phase: 1, agentId: "AG-002", stage: "failed", reason, elapsedMs: 30100 });
    const failed = screen.getByTestId("deploy-agent-AG-002");
    expect(failed.getAttribute("data-stage")).toBe("failed");
    expect(failed.textContent).toContain(reason);
    expect((screen.getByTestId("deploy-progress-1") as HTMLProgressElement).value).toBe(1);

    await act(async () =>
      deploy.resolve({
        phase: 1,
        total: 4,
        healthy: 3,
        unchanged: 0,
        failed: [{ agentId: "AG-002", reason }],
        rolledBack: false,
        elapsedMs: 31060,
      }),
    );
    expect(screen.getByTestId("deploy-summary-1").textContent).toBe("3/4 healthy in 31.1 s · 1 failed");
    expect(screen.getByTestId("deploy-failed-AG-002").textContent).toBe(`AG-002: ${reason}`);
  });

  it("says when the phase was rolled back", async () => {
    await shown();
    fireEvent.click(screen.getByTestId("deploy-1"));
    emit({ kind: "started", phase: 1, agents: AGENTS, memoryNeededMb: 1, memoryAvailableMb: 2, warning: null });
    emit({ kind: "agent", phase: 1, agentId: "AG-001", stage: "rolled_back", reason: null, elapsedMs: 10 });
    expect(screen.getByTestId("deploy-agent-AG-001").getAttribute("data-stage")).toBe("rolled_back");
    await act(async () =>
      deploy.resolve({
        phase: 1,
        total: 4,
        healthy: 0,
        unchanged: 0,
        failed: [{ agentId: "AG-002", reason: "the container exited with code 1: boom" }],
        rolledBack: true,
        elapsedMs: 12000,
      }),
    );
    expect(screen.getByTestId("deploy-summary-1").textContent).toBe("0/4 healthy in 12.0 s · 1 failed · rolled back");
  });

  it("shows a deploy error's message in the card", async () => {
    await shown();
    fireEvent.click(screen.getByTestId("deploy-3"));
    await act(async () => deploy.reject({ code: "agent_image", message: "cannot build the agent image: no binary" }));
    expect(screen.getByTestId("deploy-error-3").textContent).toBe("cannot build the agent image: no binary");
    expect((screen.getByTestId("deploy-3") as HTMLButtonElement).disabled).toBe(false);
  });

  it("keeps the progress when the view is left and shown again", async () => {
    await shown();
    fireEvent.click(screen.getByTestId("deploy-1"));
    emit({ kind: "started", phase: 1, agents: AGENTS, memoryNeededMb: 1, memoryAvailableMb: 2, warning: null });
    // The App keeps following while the view is away.
    const stop = useDeployStore.getState().follow();
    try {
      cleanup();
      emit({ kind: "agent", phase: 1, agentId: "AG-004", stage: "healthy", reason: null, elapsedMs: 700 });
      render(<Deploy />);
      await screen.findByTestId("phase-card-1");
      expect(screen.getByTestId("deploy-agent-AG-004").getAttribute("data-stage")).toBe("healthy");
      expect((screen.getByTestId("deploy-progress-1") as HTMLProgressElement).value).toBe(1);
    } finally {
      stop();
    }
  });

  it("undeploys only after the inline confirmation", async () => {
    await shown();
    expect((screen.getByTestId("undeploy-1") as HTMLButtonElement).disabled).toBe(true); // nothing deployed

    fireEvent.click(screen.getByTestId("undeploy-2"));
    expect(within(screen.getByTestId("phase-card-2")).getByText("Undeploy 25 agents?")).toBeTruthy();
    fireEvent.click(screen.getByTestId("undeploy-cancel-2"));
    expect(screen.queryByTestId("undeploy-confirm-2")).toBeNull();
    expect(invoke).not.toHaveBeenCalledWith("undeploy_phase", expect.anything());

    fireEvent.click(screen.getByTestId("undeploy-2"));
    summaries = [SUMMARIES[0]!, { ...SUMMARIES[1]!, deployed: 0, healthy: 0 }, SUMMARIES[2]!];
    fireEvent.click(screen.getByTestId("undeploy-confirm-2"));
    expect(invoke).toHaveBeenCalledWith("undeploy_phase", { phase: 2 });
    expect((await screen.findByTestId("undeploy-result-2")).textContent).toBe("Removed 25 containers.");
    await waitFor(() => expect(screen.getByTestId("phase-2-healthy").textContent).toBe("0/25 healthy"));
  });

  it("says why the phases cannot be read", async () => {
    invoke.mockRejectedValue({ code: "docker_refused", message: "Docker at unix:///x refused the connection" });
    render(<Deploy />);
    expect((await screen.findByTestId("phases-error")).textContent).toBe("Docker at unix:///x refused the connection");
  });
});
