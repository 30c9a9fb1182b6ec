import { describe, expect, it } from "vitest";
import { definition, step } from "../../ipc/fixtures";
import { addStep } from "./mapping";
import { applyCompletion, completions } from "./completions";

// research, review, write (write waits for review); and a forEach step
// `fan` that `research` reads, so research cannot read fan.
const workflow = addStep(
  definition("demo").workflow!,
  step("fan", { kind: { type: "forEach", over: "inputs.items" }, share: [{ key: "lang", value: "{{ item }}" }] }),
);
const edges = [
  { source: "review", target: "write" },
  { source: "fan", target: "research" },
];
const offered = (stepId: string, before: string) => completions(workflow, edges, stepId, before)?.items.map((c) => c.text) ?? null;

describe("completions of a step's templates", () => {
  it("offers everything the step may read right after `{{`", () => {
    expect(offered("write", '{"text": "{{ ')).toEqual([
      "inputs.topic",
      "inputs.items",
      "steps.research.output",
      "steps.review.output",
      "steps.fan.output",
      "context.lang",
    ]);
    expect(offered("fan", "{{")).toEqual([
      "inputs.topic",
      "inputs.items",
      "steps.review.output",
      "steps.write.output",
      "item",
    ]);
  });

  it("leaves out the steps that would close a cycle, but never those already needed", () => {
    // research needs fan: fan may not read research, research may read fan.
    expect(offered("fan", "steps.")).not.toContain("steps.research.output");
    expect(offered("research", "steps.")).toContain("steps.fan.output");
    expect(completions(workflow, edges, "write", "steps.")!.items.find((c) => c.text === "steps.review.output")!.detail).toBe(
      "needed · review",
    );
  });

  it("filters by the word typed; asks nothing outside a template or once complete", () => {
    expect(offered("write", "{{ inputs.t")).toEqual(["inputs.topic"]);
    expect(offered("write", "steps.fan.output is defined and steps.re")).toEqual([
      "steps.research.output",
      "steps.review.output",
    ]);
    expect(offered("write", "plain text")).toBeNull();
    expect(offered("write", "{{ inputs.topic }} and more")).toBeNull();
    expect(offered("write", "{{ inputs.topic")).toBeNull();
    expect(offered("write", "{{ inputs.topic ")).toBeNull();
    expect(offered("write", "{{ nothing")).toBeNull();
  });

  it("inserts the choice at the caret, closing an open `{{`", () => {
    const value = '{"text": "{{ st"}';
    const caret = value.indexOf('"}');
    const offer = completions(workflow, edges, "write", value.slice(0, caret))!;
    expect(offer.from).toBe(caret - 2);
    const item = offer.items.find((c) => c.text === "steps.fan.output")!;
    const done = applyCompletion(value, caret, offer, item);
    expect(done).toEqual({ value: '{"text": "{{ steps.fan.output }}"}', caret: '{"text": "{{ steps.fan.output }}'.length });
    // Already closed further on: the name alone.
    const closed = "{{ in }}";
    const inner = completions(workflow, edges, "write", "{{ in")!;
    expect(applyCompletion(closed, 5, inner, inner.items[0]!).value).toBe("{{ inputs.topic }}");
  });
});
