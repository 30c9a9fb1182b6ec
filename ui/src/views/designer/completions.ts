// What a step's template may name, offered while it is typed: the
// workflow's inputs, the outputs of the steps this one may read (those it
// already needs, and any other that would not close a cycle), the keys
// those steps share, and `item` in a forEach step. Pure: the field's text
// before the caret in, the offer out.
import type { Workflow } from "../../ipc";
import { wouldCycle } from "./mapping";

export type Completion = {
  /** What is inserted, e.g. `steps.fetch.output`. */
  text: string;
  /** What it is, shown beside it. */
  detail: string;
};

export type Offer = {
  /** Where in the text the word being completed starts. */
  from: number;
  items: Completion[];
  /** Inside `{{` with no `}}` yet: a choice closes it. */
  inBraces: boolean;
};

/** Every name a template of step `stepId` may read; `edges` are the
 * canvas's needs (explicit and implied). */
export function vocabulary(
  workflow: Workflow,
  edges: { source: string; target: string }[],
  stepId: string,
): Completion[] {
  const step = workflow.steps.find((s) => s.id === stepId);
  const needed = new Set(edges.filter((e) => e.target === stepId).map((e) => e.source));
  const readable = workflow.steps.filter(
    (s) => s.id !== stepId && (needed.has(s.id) || !wouldCycle(edges, s.id, stepId)),
  );
  const shared = new Map<string, string>();
  for (const s of readable) for (const share of s.share ?? []) if (!shared.has(share.key)) shared.set(share.key, s.id);
  return [
    ...workflow.inputs.map((i) => ({ text: `inputs.${i.name}`, detail: `input · ${i.type}${i.required ? ", required" : ""}` })),
    ...readable.map((s) => ({
      text: `steps.${s.id}.output`,
      detail: `${needed.has(s.id) ? "needed" : "step"} · ${s.title || s.id}`,
    })),
    ...[...shared].map(([key, by]) => ({ text: `context.${key}`, detail: `shared by ${by}` })),
    ...(step?.kind.type === "forEach" ? [{ text: "item", detail: "this item of forEach" }] : []),
  ];
}

/** The completions for the word before the caret, or null when none is
 * asked for: a word starting `inputs.`, `steps.` or `context.`, any word
 * inside an open `{{`, or nothing yet right after `{{`. */
export function completions(
  workflow: Workflow,
  edges: { source: string; target: string }[],
  stepId: string,
  before: string,
): Offer | null {
  const word = /[A-Za-z0-9_.]*$/.exec(before)?.[0] ?? "";
  const from = before.length - word.length;
  const inBraces = before.lastIndexOf("{{") > before.lastIndexOf("}}");
  const rooted = /^(inputs|steps|context)\./.test(word);
  const asked = rooted || (inBraces && (word !== "" || /\{\{\s*$/.test(before)));
  if (!asked) return null;
  const items = vocabulary(workflow, edges, stepId).filter((c) => c.text.startsWith(word) && c.text !== word);
  return items.length > 0 ? { from, items, inBraces } : null;
}

/** `value` with the word before `caret` replaced by `item`, and the caret
 * after it; an open `{{` is closed (the caret after the `}}`) when nothing
 * closes it further on. */
export function applyCompletion(
  value: string,
  caret: number,
  offer: Offer,
  item: Completion,
): { value: string; caret: number } {
  const after = value.slice(caret);
  const close = after.indexOf("}}");
  const open = after.indexOf("{{");
  const closed = close >= 0 && (open < 0 || close < open);
  const inserted = offer.inBraces && !closed ? `${item.text} }}` : item.text;
  const start = value.slice(0, offer.from) + inserted;
  return { value: start + after, caret: start.length };
}
