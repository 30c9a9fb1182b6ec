// Copy, cut and paste of steps, within a workflow and between workflows:
// a copy is the steps themselves; a paste gives them ids free in the
// target, rewires the edges and template references among them, and keeps
// an edge to a step outside the copy only when the target has that step.
import type { Step, Workflow } from "../../ipc";
import { freshId } from "./mapping";

/** What Copy keeps: the steps, in the workflow's order. */
export type Clip = { steps: Step[] };

/** The clip of the steps `ids` of `workflow` (none: null). */
export function copySteps(workflow: Workflow, ids: Iterable<string>): Clip | null {
  const chosen = new Set(ids);
  const steps = workflow.steps.filter((s) => chosen.has(s.id));
  return steps.length === 0 ? null : { steps: structuredClone(steps) };
}

const MARK = "sutazai.steps/v1";

/** The clip as text for the system clipboard. */
export function clipText(clip: Clip): string {
  return JSON.stringify({ [MARK]: clip.steps }, null, 2);
}

/** A clip read back from the system clipboard; null for any other text. */
export function parseClip(text: string): Clip | null {
  try {
    const value = JSON.parse(text) as Record<string, unknown>;
    const steps = value?.[MARK];
    if (!Array.isArray(steps) || steps.length === 0) return null;
    if (!steps.every((s) => typeof s === "object" && s !== null && typeof (s as Step).id === "string")) return null;
    return { steps: steps as Step[] };
  } catch {
    return null;
  }
}

function escape(id: string): string {
  return id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `value` with every `steps.<old>` reference renamed by `names`, in one
 * pass (so a name given to one step is never renamed again). */
function renameReferences<T>(value: T, names: Map<string, string>): T {
  if (value === undefined || names.size === 0) return value;
  const any = [...names.keys()].map(escape).join("|");
  const text = JSON.stringify(value).replace(
    new RegExp(`\\bsteps\\.(${any})\\b`, "g"),
    (_, id: string) => `steps.${names.get(id)}`,
  );
  return JSON.parse(text) as T;
}

/** `workflow` with the clip's steps added, moved by `offset`; returns the new
 * steps' ids too (to select them). */
export function pasteSteps(
  workflow: Workflow,
  clip: Clip,
  offset: { x: number; y: number } = { x: 40, y: 40 },
): { workflow: Workflow; ids: string[] } {
  const names = new Map<string, string>();
  let room = workflow;
  for (const step of clip.steps) {
    const id = freshId(room, step.id);
    names.set(step.id, id);
    // Reserve the id so the next pasted step does not take it too.
    room = { ...room, steps: [...room.steps, { ...step, id }] };
  }
  const present = new Set(workflow.steps.map((s) => s.id));
  const pasted = clip.steps.map((step, i): Step => {
    const renamed = renameReferences(step, names);
    return {
      ...renamed,
      id: names.get(step.id)!,
      dependsOn: step.dependsOn.flatMap((d) => (names.has(d) ? [names.get(d)!] : present.has(d) ? [d] : [])),
      position: {
        x: Math.round((step.position?.x ?? 40 + i * 30) + offset.x),
        y: Math.round((step.position?.y ?? 40 + i * 30) + offset.y),
      },
    };
  });
  return { workflow: { ...workflow, steps: [...workflow.steps, ...pasted] }, ids: pasted.map((s) => s.id) };
}
