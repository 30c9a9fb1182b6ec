import { describe, expect, it } from "vitest";
import { definition, step } from "../../ipc/fixtures";
import { compare } from "./versions";

describe("comparing two versions", () => {
  it("names the steps added, removed and changed, each change with its value before and after", () => {
    const from = definition("demo").workflow!;
    const to = {
      ...from,
      name: "Renamed",
      steps: [
        from.steps[0]!,
        { ...from.steps[2]!, title: "Write it up", position: { x: 5, y: 6 } },
        step("publish", { agent: "AG-001", taskType: "echo" }),
      ],
    };
    const changes = compare(from, to);
    expect(changes.added).toEqual(["publish"]);
    expect(changes.removed).toEqual(["review"]);
    expect(changes.changed.map((c) => c.id)).toEqual(["write"]);
    expect(changes.changed[0]!.fields.map((f) => [f.field, f.before, f.after])).toEqual([
      ["position", from.steps[2]!.position === undefined ? "—" : JSON.stringify(from.steps[2]!.position), '{"x":5,"y":6}'],
      ["title", '""', '"Write it up"'],
    ]);
    expect(changes.fields).toEqual([{ field: "name", before: JSON.stringify(from.name), after: '"Renamed"' }]);
    expect(compare(from, from)).toEqual({ added: [], removed: [], changed: [], fields: [] });
  });
});
