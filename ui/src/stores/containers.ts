// The CIS Docker Benchmark v1.6 §5 audit of every container, as the engine
// last ran it. An audit inspects each container, so it takes a second or
// two: `running` says one is under way.
import { create } from "zustand";
import { commands, IpcError, type Check, type ContainerAudit, type Verdict } from "../ipc";
import { toIpcError } from "../ipc/call";
import { coalesced } from "./reload";

const VERDICT_ORDER: Record<Verdict, number> = { warn: 0, info: 1, pass: 2, not_applicable: 3 };
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;

/** A container's checks with the warns first (critical before warning),
 * then infos, passes and the rules that do not apply; otherwise in the
 * engine's order. */
export function checksInOrder(checks: Check[]): Check[] {
  const rank = (c: Check) => VERDICT_ORDER[c.verdict] * 10 + (c.severity === null ? 9 : SEVERITY_ORDER[c.severity]);
  return checks
    .map((check, i) => ({ check, i }))
    .sort((a, b) => rank(a.check) - rank(b.check) || a.i - b.i)
    .map(({ check }) => check);
}

type ContainersState = {
  /** Null until the first audit answered. */
  audits: ContainerAudit[] | null;
  /** Why the last audit failed (Docker unreachable); the audit before stays
   * shown. */
  error: IpcError | null;
  running: boolean;
  run: () => Promise<void>;
};

export const useContainersStore = create<ContainersState>((set) => ({
  audits: null,
  error: null,
  running: false,
  run: coalesced(
    async () => {
      try {
        set({ audits: await commands.containerAudit(), error: null });
      } catch (err) {
        set({ error: toIpcError(err) });
      }
    },
    (running) => set({ running }),
  ),
}));
