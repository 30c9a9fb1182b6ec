// A three-way merge of the designer's edit with a version saved elsewhere
// (another window, the API, the file edited by hand), both made from the
// same base: what only one side changed is taken from it; where both
// changed the same step or field differently, the edit here is kept and
// the clash is named. Steps are matched by id.
import { canonical } from "./designerHistory";
import type { Step, Workflow } from "../ipc";

export type Merged = {
  workflow: Workflow;
  /** What both sides changed differently (`steps.<id>` or a field name). */
  clashes: string[];
};

const same = (a: unknown, b: unknown) => canonical(a) === canonical(b);

/** The side's value that changed from `base`; `mine` when both did. */
function pick<T>(base: T, mine: T, theirs: T, what: string, clashes: string[]): T {
  if (same(mine, base)) return theirs;
  if (same(theirs, base) || same(mine, theirs)) return mine;
  clashes.push(what);
  return mine;
}

export function merge(base: Workflow, mine: Workflow, theirs: Workflow): Merged {
  const clashes: string[] = [];
  const fields = new Set([...Object.keys(base), ...Object.keys(mine), ...Object.keys(theirs)]);
  fields.delete("steps");
  const merged: Record<string, unknown> = {};
  for (const field of [...fields].sort()) {
    const value = pick(
      (base as Record<string, unknown>)[field],
      (mine as Record<string, unknown>)[field],
      (theirs as Record<string, unknown>)[field],
      field,
      clashes,
    );
    if (value !== undefined) merged[field] = value;
  }
  const byId = (w: Workflow) => new Map(w.steps.map((s) => [s.id, s]));
  const [b, m, t] = [byId(base), byId(mine), byId(theirs)];
  // Mine's order, then the steps only theirs added, in their order.
  const ids = [...mine.steps.map((s) => s.id), ...theirs.steps.map((s) => s.id).filter((id) => !m.has(id))];
  const seen = new Set<string>();
  const steps: Step[] = [];
  for (const id of ids) {
    if (seen.has(id)) continue;
    seen.add(id);
    let step = pick(b.get(id), m.get(id), t.get(id), `steps.${id}`, clashes);
    // Removed here, changed there: the change is kept, as it is work.
    if (step === undefined && m.get(id) === undefined && t.get(id) !== undefined && b.has(id) && !same(t.get(id), b.get(id))) {
      step = t.get(id);
    }
    if (step) steps.push(step);
  }
  // Also the steps only theirs added (not in mine): already in `ids`.
  return { workflow: { ...(merged as unknown as Workflow), steps }, clashes };
}
