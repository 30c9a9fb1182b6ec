import { describe, expect, it } from "vitest";
import type { Workflow } from "../ipc";
import { definition, step } from "../ipc/fixtures";
import { merge } from "./workflowMerge";

const base: Workflow = {
  ...definition("demo").workflow!,
  name: "Base",
  steps: [step("a", { title: "A" }), step("b", { title: "B" }), step("c", { title: "C" })],
};
const ids = (w: Workflow) => w.steps.map((s) => `${s.id}:${s.title}`);

describe("merging an edit with a version saved elsewhere", () => {
  it("takes what each side changed alone", () => {
    const mine = { ...base, steps: [{ ...base.steps[0]!, title: "A mine" }, base.steps[1]!, base.steps[2]!, step("d", { title: "D" })] };
    const theirs = { ...base, name: "Renamed there", steps: [base.steps[0]!, { ...base.steps[1]!, title: "B theirs" }, step("e", { title: "E" })] };
    const { workflow, clashes } = merge(base, mine, theirs);
    // c removed there (unchanged here): gone; d added here, e added there.
    expect(ids(workflow)).toEqual(["a:A mine", "b:B theirs", "d:D", "e:E"]);
    expect(workflow.name).toBe("Renamed there");
    expect(clashes).toEqual([]);
  });

  it("keeps the edit here where both changed the same thing, and names the clash", () => {
    const mine = { ...base, name: "Mine", steps: [{ ...base.steps[0]!, title: "A mine" }, base.steps[1]!] };
    const theirs = { ...base, name: "Theirs", steps: [{ ...base.steps[0]!, title: "A theirs" }, base.steps[1]!, { ...base.steps[2]!, title: "C theirs" }] };
    const { workflow, clashes } = merge(base, mine, theirs);
    // c removed here but changed there: the change is kept.
    expect(ids(workflow)).toEqual(["a:A mine", "b:B", "c:C theirs"]);
    expect(workflow.name).toBe("Mine");
    expect(clashes).toEqual(["name", "steps.a", "steps.c"]);
  });

  it("changes nothing when the other side did not change", () => {
    const mine = { ...base, steps: [...base.steps, step("d")] };
    expect(merge(base, mine, structuredClone(base))).toEqual({ workflow: mine, clashes: [] });
  });
});
