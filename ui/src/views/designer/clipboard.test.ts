import { describe, expect, it } from "vitest";
import type { Workflow } from "../../ipc";
import { step } from "../../ipc/fixtures";
import { clipText, copySteps, parseClip, pasteSteps } from "./clipboard";

function workflow(steps: Workflow["steps"]): Workflow {
  return { id: "w", name: "W", description: "", inputs: [], outputs: [], steps } as unknown as Workflow;
}

const source = workflow([
  step("x", { agent: "AG-001", taskType: "decompose", input: { goal: "{{ inputs.goal }}" }, position: { x: 0, y: 0 } }),
  step("x_2", {
    agent: "AG-002",
    taskType: "choose_pattern",
    dependsOn: ["x"],
    input: { task: "{{ steps.x.output }}" },
    position: { x: 200, y: 0 },
  }),
  step("outside", { agent: "AG-003", dependsOn: ["x_2"], input: { t: "{{ steps.x_2.output }}" } }),
]);

describe("copy and paste of steps", () => {
  it("pastes within the workflow under fresh ids, rewiring edges and templates among the copies", () => {
    const clip = copySteps(source, ["x", "x_2"])!;
    const { workflow: after, ids } = pasteSteps(source, clip);
    expect(ids).toEqual(["x_3", "x_2_2"]);
    const [a, b] = [after.steps[3]!, after.steps[4]!];
    expect(a.position).toEqual({ x: 40, y: 40 });
    expect(b.dependsOn).toEqual(["x_3"]);
    // `steps.x` became `steps.x_3`, and was not renamed a second time.
    expect(b.input).toEqual({ task: "{{ steps.x_3.output }}" });
    expect(after.steps.slice(0, 3)).toEqual(source.steps);
  });

  it("pastes into another workflow, keeping an edge only to a step that exists there", () => {
    const clip = copySteps(source, ["x_2", "outside"])!;
    const other = workflow([step("x", { agent: "AG-009" })]);
    const { workflow: after, ids } = pasteSteps(other, clip, { x: 0, y: 0 });
    expect(ids).toEqual(["x_2", "outside"]);
    expect(after.steps[1]!.dependsOn).toEqual(["x"]); // the target has an `x`
    expect(after.steps[2]!.dependsOn).toEqual(["x_2"]);
    const empty = workflow([]);
    expect(pasteSteps(empty, clip).workflow.steps[0]!.dependsOn).toEqual([]);
  });

  it("goes through the system clipboard as marked JSON, and ignores any other text", () => {
    const clip = copySteps(source, ["x"])!;
    expect(parseClip(clipText(clip))).toEqual(clip);
    expect(parseClip("hello")).toBeNull();
    expect(parseClip('{"steps": []}')).toBeNull();
    expect(copySteps(source, [])).toBeNull();
  });
});
