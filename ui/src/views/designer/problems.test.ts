import { describe, expect, it } from "vitest";
import { definition } from "../../ipc/fixtures";
import { addNote } from "./mapping";
import { problemNode, problemSubject } from "./problems";

const workflow = addNote(definition("demo").workflow!, { id: "todo", text: "", position: { x: 0, y: 0 } });

describe("a problem points at its node", () => {
  it("a step's problem selects the step, a note's the note, the workflow's nothing", () => {
    const cases = [
      { step: "write", path: "steps[2].taskType", message: "no" },
      { step: null, path: "notes[0].text", message: "too long" },
      { step: null, path: "notes[7].id", message: "gone" },
      { step: "ghost", path: "steps[9].id", message: "gone" },
      { step: null, path: "name", message: "expected a name" },
    ];
    expect(cases.map((p) => [problemNode(workflow, p), problemSubject(p)])).toEqual([
      ["write", "write"],
      ["note:todo", "note"],
      [null, "note"],
      [null, "ghost"],
      [null, "workflow"],
    ]);
  });
});
