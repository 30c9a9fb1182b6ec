// The palette: step kinds, capabilities and every agent by phase, each
// dragged onto the canvas with pointer events (WebKitWebDriver cannot fire
// native HTML5 drag and drop, and Tauri's file drop must not take it), or
// chosen and placed with Enter.
import { memo, useMemo, useState } from "react";
import type { CapabilityInfo } from "../../ipc";
import type { Placeable } from "./mapping";

const KINDS: { kind: Extract<Placeable, { type: "kind" }>["kind"]; label: string }[] = [
  { kind: "task", label: "Task" },
  { kind: "forEach", label: "Fan-out (for each)" },
  { kind: "collaborative", label: "Collaborative" },
  { kind: "hierarchical", label: "Hierarchical" },
  { kind: "swarm", label: "Swarm" },
  { kind: "approval", label: "Approval" },
];

type Props = {
  capabilities: CapabilityInfo[];
  /** A pointer went down on an item: the drag begins. */
  onGrab: (item: Placeable, label: string, event: React.PointerEvent) => void;
  /** Enter on an item: place it in the middle of the view. */
  onPlace: (item: Placeable) => void;
};

type Entry = { key: string; label: string; hint: string; item: Placeable; group: string };

function PaletteView({ capabilities, onGrab, onPlace }: Props) {
  const [query, setQuery] = useState("");
  const entries = useMemo(() => {
    const out: Entry[] = KINDS.map(({ kind, label }) => ({
      key: `kind-${kind}`,
      label,
      hint: "step kind",
      item: { type: "kind", kind },
      group: "Step kinds",
    }));
    const agents = new Map<string, { name: string; phase: number; taskTypes: string[] }>();
    for (const c of capabilities) {
      for (const a of c.agents) agents.set(a.id, { name: a.name, phase: a.phase, taskTypes: a.taskTypes });
    }
    const first = (types: string[]) => types.find((t) => t !== "echo") ?? "echo";
    for (const [id, a] of [...agents].sort(([x], [y]) => x.localeCompare(y))) {
      out.push({
        key: `agent-${id}`,
        label: `${id} ${a.name}`,
        hint: a.taskTypes.filter((t) => t !== "echo").join(", "),
        item: { type: "agent", agent: id, taskType: first(a.taskTypes) },
        group: `Phase ${a.phase} agents`,
      });
    }
    for (const c of capabilities) {
      out.push({
        key: `capability-${c.capability}`,
        label: c.capability,
        hint: `${c.agents.length} agent${c.agents.length === 1 ? "" : "s"}`,
        item: { type: "capability", capability: c.capability, taskType: first(c.taskTypes) },
        group: "Capabilities",
      });
    }
    return out;
  }, [capabilities]);
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const shown = entries.filter((e) => words.every((w) => `${e.label} ${e.hint}`.toLowerCase().includes(w)));
  const groups = [...new Set(shown.map((e) => e.group))];
  return (
    <aside className="palette" aria-label="Palette" data-testid="palette">
      <input
        type="search"
        placeholder="Search agents, capabilities, kinds"
        value={query}
        data-testid="palette-search"
        onChange={(e) => setQuery(e.target.value)}
      />
      <div className="palette-items">
        {groups.map((group) => (
          <section key={group}>
            <h4>{group}</h4>
            {shown
              .filter((e) => e.group === group)
              .map((e) => (
                <button
                  type="button"
                  key={e.key}
                  className="palette-item"
                  data-testid={`palette-${e.key}`}
                  title={e.hint}
                  onPointerDown={(event) => onGrab(e.item, e.label, event)}
                  onKeyDown={(event) => {
                    if (event.key === "Enter") {
                      event.preventDefault();
                      onPlace(e.item);
                    }
                  }}
                >
                  <span>{e.label}</span>
                  {e.hint && <small className="muted">{e.hint}</small>}
                </button>
              ))}
          </section>
        ))}
      </div>
    </aside>
  );
}

/** Memoised: the designer renders at every pointer move of a drag. */
export const Palette = memo(PaletteView);
