// What changed between two versions of a workflow, in a person's terms:
// steps added, removed and changed (by id, with each changed field's value
// before and after, side by side), and the workflow's own fields.
import type { Step, Workflow } from "../../ipc";

export type FieldChange = { field: string; before: string; after: string };

export type StepChanges = {
  added: string[];
  removed: string[];
  /** Changed steps, each with the fields that differ. */
  changed: { id: string; fields: FieldChange[] }[];
  /** The workflow's own fields that differ (name, inputs, outputs, …). */
  fields: FieldChange[];
};

const text = (value: unknown): string => (value === undefined ? "—" : JSON.stringify(value));

function fieldChanges<T extends object>(from: T, to: T, ignore: string[] = []): FieldChange[] {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].filter((k) => !ignore.includes(k)).sort();
  return keys
    .map((field) => ({
      field,
      before: text((from as Record<string, unknown>)[field]),
      after: text((to as Record<string, unknown>)[field]),
    }))
    .filter((c) => c.before !== c.after);
}

export function compare(from: Workflow, to: Workflow): StepChanges {
  const before = new Map<string, Step>(from.steps.map((s) => [s.id, s]));
  const after = new Map<string, Step>(to.steps.map((s) => [s.id, s]));
  return {
    added: [...after.keys()].filter((id) => !before.has(id)),
    removed: [...before.keys()].filter((id) => !after.has(id)),
    changed: [...after.entries()]
      .filter(([id]) => before.has(id))
      .map(([id, step]) => ({ id, fields: fieldChanges(before.get(id)!, step) }))
      .filter((c) => c.fields.length > 0),
    fields: fieldChanges(from, to, ["steps"]),
  };
}
