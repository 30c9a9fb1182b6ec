import { describe, expect, it } from "vitest";
import { definition } from "../../ipc/fixtures";
import { freeSpot, layout } from "./layout";
import {
  addNote,
  addStep,
  connect,
  disconnect,
  moveNodes,
  moveSteps,
  newNote,
  newStep,
  noteIdOf,
  refuseEdge,
  removeNodes,
  removeSteps,
  toCanvas,
  updateNote,
  wouldCycle,
} from "./mapping";

const demo = definition("demo");
const workflow = demo.workflow!;

describe("the canvas is a projection of the workflow", () => {
  it("draws each step as a node and each need as an edge, implied ones dashed", () => {
    const needs = [[], [], ["review", "research"]];
    const { nodes, edges } = toCanvas(workflow, needs, new Map([["write", ["taskType: no"]]]));
    expect(nodes.map((n) => [n.id, n.type, n.type === "step" && n.data.problems])).toEqual([
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

  it("draws notes as nodes of their own, under the steps, never connected", () => {
    const noted = addNote(workflow, { id: "todo", text: "ask legal", position: { x: 1, y: 2 } });
    const { nodes, edges } = toCanvas(noted, [[], [], ["review"]]);
    expect(nodes.map((n) => [n.id, n.type])).toEqual([
      ["note:todo", "note"],
      ["research", "step"],
      ["review", "step"],
      ["write", "step"],
    ]);
    expect(nodes[0]).toMatchObject({ position: { x: 1, y: 2 }, connectable: false, data: { note: { text: "ask legal" } } });
    expect(edges.every((e) => !e.source.startsWith("note:") && !e.target.startsWith("note:"))).toBe(true);
    expect([noteIdOf("note:todo"), noteIdOf("write")]).toEqual(["todo", null]);
  });

  it("adds, writes in, moves and removes notes as edits of the workflow", () => {
    const first = newNote(workflow, { x: 10.4, y: 20.6 });
    expect(first).toEqual({ id: "note_1", text: "", position: { x: 10, y: 21 } });
    const one = addNote(workflow, first);
    const two = addNote(one, newNote(one, { x: 0, y: 0 }));
    expect(two.notes!.map((n) => n.id)).toEqual(["note_1", "note_2"]);
    const written = updateNote(two, "note_2", { text: "why" });
    expect(written.notes![1]!.text).toBe("why");
    expect(written.notes![0]).toBe(two.notes![0]);

    // A drag moves steps and notes together, by node id.
    const moved = moveNodes(written, new Map([["note:note_1", { x: 5.6, y: 7 }], ["write", { x: 1, y: 2 }]]));
    expect(moved.notes![0]!.position).toEqual({ x: 6, y: 7 });
    expect(moved.notes![1]).toBe(written.notes![1]);
    expect(moved.steps[2]!.position).toEqual({ x: 1, y: 2 });
    expect(moveNodes(workflow, new Map([["write", { x: 1, y: 2 }]])).notes).toBeUndefined();

    // Delete removes what is selected, steps and notes alike.
    const gone = removeNodes(moved, ["note:note_1", "review"]);
    expect(gone.notes!.map((n) => n.id)).toEqual(["note_2"]);
    expect(gone.steps.map((s) => s.id)).toEqual(["research", "write"]);
    // The last note gone, the workflow has no notes field (its file is as before).
    expect("notes" in removeNodes(gone, ["note:note_2"])).toBe(false);
    expect(removeNodes(workflow, ["write"])).toEqual(removeSteps(workflow, ["write"]));
  });

  it("puts a new note where it covers nothing", () => {
    const size = { width: 100, height: 50 };
    expect(freeSpot([], { x: 0, y: 0 }, size)).toEqual({ x: 0, y: 0 });
    // A step where the note is wanted: the note goes below it.
    expect(freeSpot([{ x: 20, y: 10, width: 220, height: 84 }], { x: 0, y: 0 }, size)).toEqual({ x: 0, y: 132 });
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
