// The alert rules in force and their defaults; a rule is changed
// (`setAlertRule`) or put back to its default (`resetAlertRule`).
import { create } from "zustand";
import { commands, IpcError, type Rule } from "../ipc";
import { toIpcError } from "../ipc/call";

/** Whether two values are equal field by field. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

type RulesState = {
  rules: Rule[] | null;
  defaults: Rule[];
  error: IpcError | null;
  /** Why the engine refused a change, by rule id. */
  refusals: Record<string, string>;
  load: () => Promise<void>;
  /** Saves a rule; true when the engine took it (else its reason is in
   * `refusals`). */
  save: (rule: Rule) => Promise<boolean>;
  reset: (id: string) => Promise<void>;
  /** Forgets the refusal of rule `id` (its form was closed). */
  dismiss: (id: string) => void;
};

export const useRulesStore = create<RulesState>((set, get) => {
  function refuse(id: string, message: string | null) {
    const refusals = { ...get().refusals };
    if (message === null) delete refusals[id];
    else refusals[id] = message;
    set({ refusals });
  }

  return {
    rules: null,
    defaults: [],
    error: null,
    refusals: {},
    load: async () => {
      try {
        const { rules, defaults } = await commands.alertRules();
        set({ rules, defaults, error: null });
      } catch (err) {
        set({ error: toIpcError(err) });
      }
    },
    save: async (rule) => {
      try {
        await commands.setAlertRule(rule);
        refuse(rule.id, null);
        await get().load();
        return true;
      } catch (err) {
        refuse(rule.id, toIpcError(err).message);
        return false;
      }
    },
    reset: async (id) => {
      try {
        await commands.resetAlertRule(id);
        refuse(id, null);
      } catch (err) {
        refuse(id, toIpcError(err).message);
      }
      await get().load();
    },
    dismiss: (id) => refuse(id, null),
  };
});
