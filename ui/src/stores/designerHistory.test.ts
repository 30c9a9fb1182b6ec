import { beforeEach, describe, expect, it, vi } from "vitest";
import type { Workflow } from "../ipc";
import { definition } from "../ipc/fixtures";
import { canonical, forgetHistory, keepHistory, takeHistory } from "./designerHistory";

const base = definition("demo").workflow!;
const named = (name: string): Workflow => ({ ...base, name });

beforeEach(() => localStorage.clear());

describe("the undo history across restarts", () => {
  it("writes each state once, however long the history grows", () => {
    const setItem = vi.spyOn(Storage.prototype, "setItem");
    const [a, b, c] = [named("a"), named("b"), named("c")];
    keepHistory("demo", [a], 0);
    keepHistory("demo", [a, b], 1);
    keepHistory("demo", [a, b, c], 2);
    keepHistory("demo", [a, b, c], 1); // an undo: only the index changes
    const snapshots = setItem.mock.calls.filter(([key]) => /\.\d+$/.test(key));
    expect(snapshots).toHaveLength(3);
    setItem.mockRestore();

    const kept = takeHistory("demo", structuredClone(b))!;
    expect(kept.past.map((w) => w.name)).toEqual(["a"]);
    expect(kept.future.map((w) => w.name)).toEqual(["c"]);
  });

  it("is taken back only for the workflow it leads to, whatever its keys' order", () => {
    keepHistory("demo", [named("a"), named("b")], 1);
    const reordered = Object.fromEntries(Object.entries(named("b")).reverse()) as Workflow;
    expect(canonical(reordered)).toBe(canonical(named("b")));
    expect(takeHistory("demo", reordered)).not.toBeNull();
    expect(takeHistory("demo", named("edited elsewhere"))).toBeNull();
    expect(takeHistory("other", named("b"))).toBeNull();
  });

  it("drops what a new edit after undo cut off, and forgets on request", () => {
    const [a, b, c, d] = [named("a"), named("b"), named("c"), named("d")];
    keepHistory("demo", [a, b, c], 2);
    keepHistory("demo", [a, d], 1); // undo twice, then a new edit
    expect(Object.keys(localStorage).filter((k) => k.startsWith("sutazai.designer.history.demo.")).length).toBe(2);
    forgetHistory("demo");
    expect(localStorage.length).toBe(0);
  });
});
