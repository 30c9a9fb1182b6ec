import { describe, expect, it } from "vitest";
import { definition } from "../../ipc/fixtures";
import { layout } from "./layout";
import { addStep, connect, disconnect, moveSteps, newStep, refuseEdge, removeSteps, toCanvas, wouldCycle } from "./mapping";

const demo = definition("demo");
const workflow = demo.workflow!;

describe("the canvas is a projection of the workflow", () => {
  it("draws each step as a node and each need as an edge, implied ones dashed", () => {
    const needs = [[], [], ["review", "research"]];
    const { nodes, edges } = toCanvas(workflow, needs, new Map([["write", ["taskType: no"]]]));
    expect(nodes.map((n) => [n.id, n.type, n.data.problems])).toEqual([
      ["research", "step", []],
      ["review", "step", []],
      ["write", "step", ["taskType: no"]],
    ]);
    expect(edges.map((e) => [e.id, e.data?.explicit])).toEqual([
      ["review->write", true],
      ["research->write", false],
    ]);
  });

  it("refuses a cycle, a self-edge and a duplicate, saying why", () => {
    const { edges } = toCanvas(workflow, [[], [], ["review"]]);
    expect(wouldCycle(edges, "write", "review")).toBe(true);
    expect(refuseEdge(workflow, edges, "write", "review")).toBe("review → … → write already: this edge would close a cycle");
    expect(refuseEdge(workflow, edges, "review", "review")).toBe("a step cannot wait for itself");
    expect(refuseEdge(workflow, edges, "review", "write")).toBe("write already waits for review");
    expect(refuseEdge(workflow, edges, "research", "review")).toBeNull();
  });

  it("edits are functions from workflow to workflow", () => {
    const joined = connect(workflow, "research", "review");
    expect(joined.steps[1]!.dependsOn).toEqual(["research"]);
    expect(disconnect(joined, "research", "review").steps[1]!.dependsOn).toEqual([]);
    const step = newStep(workflow, { type: "agent", agent: "AG-001", taskType: "echo" }, { x: 5, y: 6 });
    expect([step.id, step.agent, step.taskType, step.position]).toEqual(["ag_001", "AG-001", "echo", { x: 5, y: 6 }]);
    const grown = addStep(workflow, step);
    expect(newStep(grown, { type: "agent", agent: "AG-001", taskType: "echo" }, { x: 0, y: 0 }).id).toBe("ag_001_2");
    expect(newStep(grown, { type: "kind", kind: "approval" }, { x: 0, y: 0 }).kind).toEqual({
      type: "approval",
      approvals: 1,
      timeoutMs: 86_400_000,
    });
    const gone = removeSteps(grown, ["review"]);
    expect(gone.steps.map((s) => s.id)).toEqual(["research", "write", "ag_001"]);
    expect(gone.steps[1]!.dependsOn).toEqual([]);
    const moved = moveSteps(workflow, new Map([["write", { x: 10.4, y: 20.6 }]]));
    expect(moved.steps[2]!.position).toEqual({ x: 10, y: 21 });
    expect(moved.steps[0]).toBe(workflow.steps[0]);
  });

  it("lays steps out left to right along their needs", () => {
    const at = layout(
      workflow.steps.map((s) => ({ id: s.id })),
      [
        { source: "research", target: "review" },
        { source: "review", target: "write" },
      ],
    );
    expect(at.get("research")!.x).toBeLessThan(at.get("review")!.x);
    expect(at.get("review")!.x).toBeLessThan(at.get("write")!.x);
  });
});
