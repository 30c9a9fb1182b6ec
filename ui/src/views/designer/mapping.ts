// The canvas as a projection of the domain workflow (n8n's mapping): steps
// become nodes, their needs edges, and sticky notes nodes of their own (no
// handles, never connected). Every edit is a function from workflow to
// workflow; the canvas never holds state of its own that the workflow lacks.
import type { Edge, Node } from "@xyflow/react";
import type { Note, RunStep, Step, StepKind, Workflow } from "../../ipc";

export type StepData = {
  step: Step;
  /** Problems the engine found in this step. */
  problems: string[];
  /** The step in the run shown on the canvas, if one is. */
  run?: RunStep;
};

export type StepNode = Node<StepData, "step">;

export type NoteData = { note: Note };

export type NoteNode = Node<NoteData, "note">;

/** Every node the canvas draws. */
export type CanvasNode = StepNode | NoteNode;

/** A note's node id: its own namespace, so a note never shares an id with a
 * step (a step id has no `:`). */
export function noteNodeId(id: string): string {
  return `note:${id}`;
}

/** The note id of a node id, or null for a step's node. */
export function noteIdOf(nodeId: string): string | null {
  return nodeId.startsWith("note:") ? nodeId.slice("note:".length) : null;
}

/** An edge the step's own `dependsOn` makes (removable), or one its
 * templates imply (drawn dashed; change the template to remove it). */
export type NeedEdge = Edge<{ explicit: boolean }>;

/** Where a step without a position goes: a column per dependency depth. */
function fallbackPosition(index: number): { x: number; y: number } {
  return { x: 40 + (index % 4) * 260, y: 40 + Math.floor(index / 4) * 140 };
}

/** Nodes and edges for a workflow; `needs` are the engine's edges per step
 * (explicit and implied), `problems` its problems by step id. */
export function toCanvas(
  workflow: Workflow,
  needs: string[][],
  problems: Map<string, string[]> = new Map(),
  run: Map<string, RunStep> = new Map(),
): { nodes: CanvasNode[]; edges: NeedEdge[] } {
  // Notes first: drawn under the steps.
  const notes: NoteNode[] = (workflow.notes ?? []).map((note) => ({
    id: noteNodeId(note.id),
    type: "note",
    position: note.position,
    connectable: false,
    data: { note },
  }));
  const steps: StepNode[] = workflow.steps.map((step, i) => ({
    id: step.id,
    type: "step",
    position: step.position ?? fallbackPosition(i),
    data: { step, problems: problems.get(step.id) ?? [], run: run.get(step.id) },
  }));
  const nodes: CanvasNode[] = [...notes, ...steps];
  const edges: NeedEdge[] = [];
  workflow.steps.forEach((step, i) => {
    const all = new Set([...(needs[i] ?? []), ...step.dependsOn]);
    for (const source of all) {
      const explicit = step.dependsOn.includes(source);
      // Data flows along an edge once its source has succeeded in the run shown.
      const flowed = run.get(source)?.status === "succeeded";
      edges.push({
        id: `${source}->${step.id}`,
        source,
        target: step.id,
        data: { explicit },
        className: `need${explicit ? "" : " implied"}${flowed ? " flowed" : ""}`,
        animated: run.get(step.id)?.status === "running",
      });
    }
  });
  return { nodes, edges };
}

/** Whether an edge source → target would close a cycle over `edges`. */
export function wouldCycle(edges: { source: string; target: string }[], source: string, target: string): boolean {
  if (source === target) return true;
  // A cycle exists if `source` is reachable from `target`.
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.source, [...(next.get(e.source) ?? []), e.target]);
  const seen = new Set<string>();
  const todo = [target];
  while (todo.length > 0) {
    const at = todo.pop()!;
    if (at === source) return true;
    if (seen.has(at)) continue;
    seen.add(at);
    todo.push(...(next.get(at) ?? []));
  }
  return false;
}

/** Why `source → target` cannot be connected, or null when it can. */
export function refuseEdge(workflow: Workflow, edges: NeedEdge[], source: string, target: string): string | null {
  if (source === target) return "a step cannot wait for itself";
  if (edges.some((e) => e.source === source && e.target === target)) return `${target} already waits for ${source}`;
  if (wouldCycle(edges, source, target)) return `${target} → … → ${source} already: this edge would close a cycle`;
  const to = workflow.steps.find((s) => s.id === target);
  const from = workflow.steps.find((s) => s.id === source);
  if (!to || !from) return "no such step";
  return null;
}

/** The workflow with `target` waiting for `source`. */
export function connect(workflow: Workflow, source: string, target: string): Workflow {
  return {
    ...workflow,
    steps: workflow.steps.map((s) =>
      s.id === target && !s.dependsOn.includes(source) ? { ...s, dependsOn: [...s.dependsOn, source] } : s,
    ),
  };
}

/** The workflow without the explicit edge `source → target`. */
export function disconnect(workflow: Workflow, source: string, target: string): Workflow {
  return {
    ...workflow,
    steps: workflow.steps.map((s) =>
      s.id === target ? { ...s, dependsOn: s.dependsOn.filter((d) => d !== source) } : s,
    ),
  };
}

/** A step id not used yet, from a base such as an agent or capability. */
export function freshId(workflow: Workflow, base: string): string {
  const stem =
    base
      .toLowerCase()
      // No `-`: a step id is read in templates (`steps.<id>.output`).
      .replace(/[^a-z0-9_]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, 40) || "step";
  const used = new Set(workflow.steps.map((s) => s.id));
  if (!used.has(stem)) return stem;
  for (let n = 2; ; n++) if (!used.has(`${stem}_${n}`)) return `${stem}_${n}`;
}

/** What can be dropped on the canvas from the palette. */
export type Placeable =
  | { type: "agent"; agent: string; taskType: string }
  | { type: "capability"; capability: string; taskType: string }
  | { type: "kind"; kind: StepKind["type"] };

/** A new step for a palette item. */
export function newStep(workflow: Workflow, item: Placeable, position: { x: number; y: number }): Step {
  const base = { title: "", input: {}, dependsOn: [], onError: "stop" as const, position };
  switch (item.type) {
    case "agent":
      return { ...base, id: freshId(workflow, item.agent), kind: { type: "task" }, agent: item.agent, taskType: item.taskType };
    case "capability":
      return {
        ...base,
        id: freshId(workflow, item.capability),
        kind: { type: "task" },
        capability: item.capability,
        taskType: item.taskType,
      };
    case "kind":
      return { ...base, id: freshId(workflow, item.kind), kind: defaultKind(item.kind) };
  }
}

function defaultKind(kind: StepKind["type"]): StepKind {
  switch (kind) {
    case "task":
      return { type: "task" };
    case "forEach":
      return { type: "forEach", over: "inputs.items" };
    case "collaborative":
      return { type: "collaborative", agents: 2, merge: "all" };
    case "hierarchical":
      return { type: "hierarchical", maxSteps: 5, maxDepth: 1 };
    case "swarm":
      return { type: "swarm", agents: 2, rounds: 3 };
    case "approval":
      return { type: "approval", approvals: 1, timeoutMs: 86_400_000 };
  }
}

/** The workflow with one step added. */
export function addStep(workflow: Workflow, step: Step): Workflow {
  return { ...workflow, steps: [...workflow.steps, step] };
}

/** The workflow with one step changed. */
export function updateStep(workflow: Workflow, id: string, change: Partial<Step>): Workflow {
  return { ...workflow, steps: workflow.steps.map((s) => (s.id === id ? { ...s, ...change } : s)) };
}

/** The workflow without the given steps (and the explicit edges to them). */
export function removeSteps(workflow: Workflow, ids: string[]): Workflow {
  const gone = new Set(ids);
  return {
    ...workflow,
    steps: workflow.steps
      .filter((s) => !gone.has(s.id))
      .map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => !gone.has(d)) })),
  };
}

/** The workflow with steps moved to `positions`. */
export function moveSteps(workflow: Workflow, positions: Map<string, { x: number; y: number }>): Workflow {
  return {
    ...workflow,
    steps: workflow.steps.map((s) => {
      const at = positions.get(s.id);
      return at ? { ...s, position: { x: Math.round(at.x), y: Math.round(at.y) } } : s;
    }),
  };
}

/** The workflow with steps and notes moved to `positions`, by node id (a
 * drag may move both). */
export function moveNodes(workflow: Workflow, positions: Map<string, { x: number; y: number }>): Workflow {
  const moved = moveSteps(workflow, positions);
  if (!workflow.notes?.some((n) => positions.has(noteNodeId(n.id)))) return moved;
  return {
    ...moved,
    notes: workflow.notes.map((n) => {
      const at = positions.get(noteNodeId(n.id));
      return at ? { ...n, position: { x: Math.round(at.x), y: Math.round(at.y) } } : n;
    }),
  };
}

/** The workflow without the given nodes: steps (with the explicit edges to
 * them) and notes. */
export function removeNodes(workflow: Workflow, nodeIds: string[]): Workflow {
  const notes = new Set(nodeIds.flatMap((id) => noteIdOf(id) ?? []));
  const steps = nodeIds.filter((id) => noteIdOf(id) === null);
  const without = steps.length > 0 ? removeSteps(workflow, steps) : workflow;
  if (notes.size === 0) return without;
  const left = (workflow.notes ?? []).filter((n) => !notes.has(n.id));
  if (left.length > 0) return { ...without, notes: left };
  // No notes at all is written as none (the file stays as it was).
  const rest = { ...without };
  delete rest.notes;
  return rest;
}

/** A new, empty note at `position`, with an id no note has. */
export function newNote(workflow: Workflow, position: { x: number; y: number }): Note {
  const used = new Set((workflow.notes ?? []).map((n) => n.id));
  let n = 1;
  while (used.has(`note_${n}`)) n++;
  return { id: `note_${n}`, text: "", position: { x: Math.round(position.x), y: Math.round(position.y) } };
}

/** The workflow with one note added. */
export function addNote(workflow: Workflow, note: Note): Workflow {
  return { ...workflow, notes: [...(workflow.notes ?? []), note] };
}

/** The workflow with one note changed. */
export function updateNote(workflow: Workflow, id: string, change: Partial<Omit<Note, "id">>): Workflow {
  return { ...workflow, notes: (workflow.notes ?? []).map((n) => (n.id === id ? { ...n, ...change } : n)) };
}
