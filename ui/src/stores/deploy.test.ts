import { beforeEach, describe, expect, it, vi } from "vitest";

const unlisten = vi.fn();
const listen = vi.fn<(name: string, handler: unknown) => Promise<() => void>>(() => Promise.resolve(unlisten));
vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/event", () => ({ listen: (name: string, handler: unknown) => listen(name, handler) }));

const { doneCount, IDLE_RUN, summaryText, useDeployStore } = await import("./deploy");

beforeEach(() => {
  listen.mockClear();
  unlisten.mockClear();
  useDeployStore.setState({ phases: {} });
});

describe("deploy store", () => {
  it("subscribes once however many follow, and stops with the last", async () => {
    const stopApp = useDeployStore.getState().follow();
    const stopView = useDeployStore.getState().follow();
    expect(listen).toHaveBeenCalledTimes(1);
    expect(listen.mock.calls[0]![0]).toBe("deploy-progress");
    stopView();
    stopView(); // twice is harmless
    await Promise.resolve();
    expect(unlisten).not.toHaveBeenCalled();
    stopApp();
    await vi.waitFor(() => expect(unlisten).toHaveBeenCalledTimes(1));
  });

  it("counts an agent done once healthy, unchanged, failed or rolled back", () => {
    const { apply } = useDeployStore.getState();
    apply({ kind: "started", phase: 2, agents: ["a", "b", "c", "d", "e"], memoryNeededMb: 1, memoryAvailableMb: 1, warning: null });
    const stages = ["healthy", "unchanged", "failed", "rolled_back", "starting"] as const;
    ["a", "b", "c", "d", "e"].forEach((agentId, i) =>
      apply({ kind: "agent", phase: 2, agentId, stage: stages[i]!, reason: null, elapsedMs: 1 }),
    );
    const run = useDeployStore.getState().phases[2]!;
    expect(run.running).toBe(true);
    expect(doneCount(run)).toBe(4);
    expect(doneCount(IDLE_RUN)).toBe(0);
  });

  it("writes the summary line", () => {
    const base = { phase: 1, total: 20, healthy: 20, unchanged: 0, failed: [], rolledBack: false, elapsedMs: 5300 };
    expect(summaryText(base)).toBe("20/20 healthy in 5.3 s");
    expect(summaryText({ ...base, unchanged: 3, elapsedMs: 940 })).toBe("20/20 healthy in 0.9 s · 3 unchanged");
    const failed = [
      { agentId: "AG-001", reason: "x" },
      { agentId: "AG-002", reason: "y" },
    ];
    expect(summaryText({ ...base, healthy: 0, failed, rolledBack: true, elapsedMs: 61000 })).toBe(
      "0/20 healthy in 61.0 s · 2 failed · rolled back",
    );
  });
});
