import { describe, expect, it } from "vitest";
import type { RunStep } from "../../ipc";
import { runStep } from "../../ipc/fixtures";
import { attemptText, rerunSavings, timeline, upstreamOf } from "./runView";

/** A run step that succeeded unless said otherwise. */
function step(id: string, fields: Partial<RunStep> = {}): RunStep {
  return runStep(id, { status: "succeeded", ...fields });
}

function task(tokens: number, attempts = 1) {
  return { item: null, taskId: "t", agent: "AG-001", why: null, attempts, outcome: "succeeded", tokens, durationMs: 1 };
}

// a → b → d, a → c → d, e alone
const edges = [
  { source: "a", target: "b" },
  { source: "a", target: "c" },
  { source: "b", target: "d" },
  { source: "c", target: "d" },
];

describe("a re-run from a step", () => {
  it("reuses what is upstream of the step, as the engine does", () => {
    expect([...upstreamOf(edges, "d")].sort()).toEqual(["a", "b", "c"]);
    expect([...upstreamOf(edges, "b")]).toEqual(["a"]);
    expect(upstreamOf(edges, "e").size).toBe(0);
  });

  it("saves the time and tokens of the upstream steps that succeeded", () => {
    const steps = [
      step("a", { startedMs: 0, finishedMs: 1000, tasks: [task(100)] }),
      step("b", { startedMs: 1000, finishedMs: 1500, tasks: [task(50)] }),
      step("c", { status: "failed", startedMs: 1000, finishedMs: 1200, tasks: [task(7)] }),
      step("d", { status: "skipped" }),
      step("e", { startedMs: 0, finishedMs: 9000, tasks: [task(999)] }),
      step("a/planned", { parent: "a", startedMs: 0, finishedMs: 10, tasks: [task(1)] }),
    ];
    expect(rerunSavings(steps, edges, "d")).toEqual({ steps: 2, ms: 1500, tokens: 150 });
    expect(rerunSavings(steps, edges, "a")).toEqual({ steps: 0, ms: 0, tokens: 0 });
  });
});

describe("a step's attempts", () => {
  it("shows the attempt only once a step has retried", () => {
    expect(attemptText(step("a", { tasks: [task(1, 1)] }), 3)).toBeNull();
    expect(attemptText(step("a", { status: "retrying", tasks: [task(1, 2)] }), 3)).toBe("attempt 2/3");
    expect(attemptText(step("a", { tasks: [task(1, 1), task(1, 4)] }), null)).toBe("attempt 4");
  });
});

describe("the run's timeline", () => {
  it("lays the steps out in start order and cuts long idle stretches", () => {
    const steps = [
      step("b", { startedMs: 10_000 + 100, finishedMs: 10_000 + 400 }),
      step("a", { startedMs: 10_000, finishedMs: 10_000 + 200 }),
      // idle from 10 400 to 70 400: one minute waiting for an approval
      step("c", { status: "running", startedMs: 70_400, finishedMs: null }),
      step("never", { status: "skipped" }),
      step("kept", { startedMs: 5, finishedMs: 6, reusedFrom: "run-1" }),
    ];
    const t = timeline(steps, 71_400, 1000);
    expect(t.bars.map((b) => [b.id, b.from, b.to, b.ms])).toEqual([
      ["a", 0, 200, 200],
      ["b", 100, 400, 300],
      ["c", 1400, 2400, 1000],
    ]);
    expect(t.span).toBe(2400);
    expect(t.gaps).toEqual([{ at: 900, ms: 60_000 }]);
  });

  it("is empty before any step started", () => {
    expect(timeline([step("a", { status: "pending" })], 0)).toEqual({ bars: [], span: 0, gaps: [] });
  });
});
