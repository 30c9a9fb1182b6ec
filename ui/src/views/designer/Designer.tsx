// The workflow designer: the palette, the canvas (a projection of the
// workflow, xyflow) and the selected step's settings. Every edit goes
// through the designer store, which keeps it as a draft at once and in
// the undo history. A run is drawn on the graph of the version it ran,
// live, with the chosen step's detail and the run's timeline.
import {
  applyNodeChanges,
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type NodeChange,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useStore } from "zustand";
import { events, IpcError, onEvent, type CapabilityInfo, type Workflow } from "../../ipc";
import { useCapabilitiesStore } from "../../stores/catalog";
import { useDesignerStore, type Keeping } from "../../stores/designer";
import { useOutsideStore } from "../../stores/designerOutside";
import { useDesignerRunStore } from "../../stores/designerRun";
import { freeSpot, layout } from "./layout";
import {
  addStep,
  connect,
  disconnect,
  addNote,
  moveNodes,
  moveSteps,
  newNote,
  newStep,
  refuseEdge,
  removeNodes,
  toCanvas,
  updateStep,
  type CanvasNode,
  type NeedEdge,
  type Placeable,
} from "./mapping";
import { Palette } from "./Palette";
import { RunLauncher } from "./RunLauncher";
import { RunStepPanel } from "./RunStepPanel";
import { rerunSavings } from "./runView";
import { OutsideChange } from "./OutsideChange";
import { RunBar } from "./RunBar";
import { Timeline } from "./Timeline";
import { useClipboard, type ClipboardAction } from "./useClipboard";
import { underWay } from "../workflows/format";
import { NOTE_HEIGHT, NOTE_WIDTH, NoteNode } from "./NoteNode";
import { Problems } from "./Problems";
import { StepNode } from "./StepNode";
import { StepPanel } from "./StepPanel";
import { Versions } from "./Versions";
import "./Designer.css";

const nodeTypes = { step: StepNode, note: NoteNode };

const NO_CAPABILITIES: CapabilityInfo[] = [];

/** Ctrl (or ⌘) with these keys acts on the selected steps. */
const CLIPBOARD_KEYS: Record<string, ClipboardAction> = { c: "copy", x: "cut", v: "paste", d: "duplicate" };

const KEEPING: Record<Keeping, string> = {
  loading: "Opening…",
  saved: "Saved",
  unsaved: "Unsaved changes",
  "draft-kept": "Draft kept",
  saving: "Saving…",
  failed: "Not kept",
};

/** The steps each step's templates read: edges drawn while editing (the
 * engine checks them exactly when the draft is validated). */
function implied(workflow: Workflow): string[][] {
  const ids = new Set(workflow.steps.map((s) => s.id));
  return workflow.steps.map((step) => {
    const text = `${JSON.stringify(step.input)} ${step.when ?? ""} ${step.kind.type === "forEach" ? step.kind.over : ""}`;
    const found = new Set<string>();
    for (const match of text.matchAll(/steps\.([A-Za-z0-9_-]+)/g)) {
      const id = match[1];
      if (id && id !== step.id && ids.has(id)) found.add(id);
    }
    return [...found];
  });
}

/** The same content: each data field the same value (arrays item by item). */
function sameData(a: object, b: object): boolean {
  const [x, y] = [a as Record<string, unknown>, b as Record<string, unknown>];
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  return keys.every((k) => {
    const [u, v] = [x[k], y[k]];
    if (u === v) return true;
    return Array.isArray(u) && Array.isArray(v) && u.length === v.length && u.every((item, i) => item === v[i]);
  });
}

function sameNode(before: CanvasNode, after: CanvasNode): boolean {
  return (
    before.type === after.type &&
    before.position.x === after.position.x &&
    before.position.y === after.position.y &&
    sameData(before.data, after.data)
  );
}

function sameEdge(before: NeedEdge | undefined, after: NeedEdge): boolean {
  return (
    before !== undefined &&
    before.className === after.className &&
    before.animated === after.animated &&
    before.data?.explicit === after.data?.explicit
  );
}

type Props = {
  workflowId: string;
  onClose: () => void;
  /** Opens another workflow in the designer (a copy made of this edit). */
  onOpen?: (workflowId: string) => void;
};

export function Designer(props: Props) {
  return (
    <ReactFlowProvider>
      <Editor {...props} />
    </ReactFlowProvider>
  );
}

function Editor({ workflowId, onClose, onOpen }: Props) {
  const workflow = useDesignerStore((s) => s.workflow);
  const base = useDesignerStore((s) => s.base);
  const keeping = useDesignerStore((s) => s.keeping);
  const error = useDesignerStore((s) => s.error);
  const problems = useDesignerStore((s) => s.problems);
  const open = useDesignerStore((s) => s.open);
  const edit = useDesignerStore((s) => s.edit);
  const save = useDesignerStore((s) => s.save);
  const close = useDesignerStore((s) => s.close);
  const canUndo = useStore(useDesignerStore.temporal, (s) => s.pastStates.length > 0);
  const canRedo = useStore(useDesignerStore.temporal, (s) => s.futureStates.length > 0);
  const capabilities = useCapabilitiesStore((s) => s.data);
  const loadCapabilities = useCapabilitiesStore((s) => s.load);
  const flow = useReactFlow();
  const canvas = useRef<HTMLDivElement>(null);
  const pointer = useRef({ x: 0, y: 0 });
  const [refusal, setRefusal] = useState<{ text: string; x: number; y: number } | null>(null);
  const [drag, setDrag] = useState<{ item: Placeable; label: string; x: number; y: number } | null>(null);
  const runs = useDesignerRunStore((s) => s.runs);
  const shownRun = useDesignerRunStore((s) => s.run);
  const shownGraph = useDesignerRunStore((s) => s.graph);
  const runId = useDesignerRunStore((s) => s.runId);
  const listRuns = useDesignerRunStore((s) => s.list);
  const showRun = useDesignerRunStore((s) => s.show);
  const followRuns = useDesignerRunStore((s) => s.follow);
  const startRun = useDesignerRunStore((s) => s.start);
  const decide = useDesignerRunStore((s) => s.decide);
  const rerun = useDesignerRunStore((s) => s.rerun);
  const actionError = useDesignerRunStore((s) => s.actionError);

  useEffect(() => {
    void loadCapabilities();
    void open(workflowId);
    void listRuns(workflowId);
    const stop = followRuns(workflowId);
    // A version saved elsewhere is found when the folder changes.
    useOutsideStore.getState().reset();
    const outside = onEvent(events.workflowsChanged, ({ files }) => {
      if (files.includes(`${workflowId}.json`)) void useOutsideStore.getState().check();
    });
    return () => {
      stop();
      void outside.then((unlisten) => unlisten());
      useOutsideStore.getState().reset();
      void showRun(null);
      close();
    };
  }, [workflowId, open, close, loadCapabilities, listRuns, followRuns, showRun]);
  // A run is drawn with the version it ran, read-only.
  const viewing = runId !== null && shownGraph !== null && shownRun !== null;
  const viewingNow = useRef(viewing);
  useEffect(() => {
    viewingNow.current = viewing;
  }, [viewing]);

  const byStep = useMemo(() => {
    const map = new Map<string, string[]>();
    for (const p of problems) {
      if (!p.step) continue;
      map.set(p.step, [...(map.get(p.step) ?? []), `${p.path}: ${p.message}`]);
    }
    return map;
  }, [problems]);
  const projected = useMemo(() => {
    if (viewing) {
      const steps = new Map(shownRun.steps.map((s) => [s.id, s]));
      return toCanvas(shownGraph, implied(shownGraph), new Map(), steps);
    }
    return workflow ? toCanvas(workflow, implied(workflow), byStep) : { nodes: [], edges: [] as NeedEdge[] };
  }, [workflow, byStep, viewing, shownRun, shownGraph]);
  // The canvas's own copy of the nodes, for selection and the moves of a
  // drag; the workflow takes the positions when the drag ends.
  // Taken again whenever the workflow changes (React's "adjust state when
  // a prop changes", during render), keeping what is selected and measured.
  // A node or edge whose content did not change stays the same object, so
  // the memoised nodes of a large graph do not all render again after a
  // drag or a validation.
  const [nodes, setNodes] = useState<CanvasNode[]>([]);
  const [edges, setEdges] = useState<NeedEdge[]>([]);
  const [from, setFrom] = useState<typeof projected | null>(null);
  if (from !== projected) {
    setFrom(projected);
    const nodesBefore = new Map(nodes.map((n) => [n.id, n]));
    setNodes(
      projected.nodes.map((n) => {
        const before = nodesBefore.get(n.id);
        if (before && sameNode(before, n)) return before;
        return { ...n, selected: before?.selected ?? false, measured: before?.measured } as CanvasNode;
      }),
    );
    const edgesBefore = new Map(edges.map((e) => [e.id, e]));
    setEdges(projected.edges.map((e) => (sameEdge(edgesBefore.get(e.id), e) ? edgesBefore.get(e.id)! : e)));
  }

  const refuse = useCallback((text: string) => {
    setRefusal({ text, ...pointer.current });
    setTimeout(() => setRefusal((r) => (r?.text === text ? null : r)), 4000);
  }, []);

  const place = useCallback(
    (item: Placeable, at: { x: number; y: number }) => {
      edit((w) => addStep(w, newStep(w, item, { x: Math.round(at.x), y: Math.round(at.y) })));
    },
    [edit],
  );

  // The palette's handlers, stable so the (memoised) palette does not
  // render again at every pointer move of a drag.
  const grab = useCallback((item: Placeable, label: string, e: React.PointerEvent) => {
    e.preventDefault();
    setDrag({ item, label, x: e.clientX, y: e.clientY });
  }, []);
  const placeInView = useCallback(
    (item: Placeable) => {
      const box = canvas.current?.getBoundingClientRect();
      const middle = box ? { x: box.left + box.width / 2, y: box.top + box.height / 2 } : { x: 0, y: 0 };
      place(item, flow.screenToFlowPosition(middle));
    },
    [place, flow],
  );

  // A palette drag, with pointer events: follow the pointer, drop on the canvas.
  useEffect(() => {
    if (!drag) return;
    const move = (e: PointerEvent) => setDrag((d) => (d ? { ...d, x: e.clientX, y: e.clientY } : d));
    const up = (e: PointerEvent) => {
      const box = canvas.current?.getBoundingClientRect();
      if (box && e.clientX >= box.left && e.clientX <= box.right && e.clientY >= box.top && e.clientY <= box.bottom) {
        place(drag.item, flow.screenToFlowPosition({ x: e.clientX, y: e.clientY }));
      }
      setDrag(null);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    return () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
    };
  }, [drag, flow, place]);

  const [showVersions, setShowVersions] = useState(false);
  // Copy, cut, paste, duplicate: of the selection, into the workflow open.
  const selection = useRef<string[]>([]);
  useEffect(() => {
    selection.current = nodes.filter((n) => n.selected).map((n) => n.id);
  }, [nodes]);
  const clipboard = useClipboard(
    useCallback(() => selection.current, []),
    useCallback((ids: string[]) => {
      // The pasted nodes exist once the new projection is taken.
      setTimeout(() => setNodes((ns) => ns.map((n) => ({ ...n, selected: ids.includes(n.id) }))), 0);
    }, []),
  );
  // Undo, redo and the shortcuts' list.
  const [help, setHelp] = useState(false);
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "z" && !typing) {
        e.preventDefault();
        if (e.shiftKey) useDesignerStore.temporal.getState().redo();
        else useDesignerStore.temporal.getState().undo();
      } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
        e.preventDefault();
        void save();
      } else if ((e.ctrlKey || e.metaKey) && !typing && !viewingNow.current && CLIPBOARD_KEYS[e.key.toLowerCase()]) {
        e.preventDefault();
        void clipboard(CLIPBOARD_KEYS[e.key.toLowerCase()]!);
      } else if (e.key === "?" && !typing) {
        setHelp((h) => !h);
      }
    };
    window.addEventListener("keydown", key);
    return () => window.removeEventListener("keydown", key);
  }, [save, clipboard]);

  const onConnect = useCallback(
    (c: Connection) => {
      if (!workflow) return;
      const why = refuseEdge(workflow, edges, c.source, c.target);
      if (why) refuse(why);
      else edit((w) => connect(w, c.source, c.target));
    },
    [workflow, edges, edit, refuse],
  );

  const autoLayout = useCallback(() => {
    // Notes stay where they were put.
    const positions = layout(nodes.filter((n) => n.type === "step"), edges);
    edit((w) => moveSteps(w, positions));
    setTimeout(() => void flow.fitView({ padding: 0.2, maxZoom: 1 }), 50);
  }, [nodes, edges, edit, flow]);

  const selected = nodes.filter((n) => n.selected);
  const single = selected.length === 1 ? workflow?.steps.find((s) => s.id === selected[0]!.id) : undefined;
  const runStep = viewing && selected.length === 1 ? shownRun.steps.find((s) => s.id === selected[0]!.id) : undefined;
  const selectOnly = (id: string) => setNodes((ns) => ns.map((n) => ({ ...n, selected: n.id === id })));
  // A problem chosen in the list: its node selected (a step's settings
  // open) and brought to the middle of the canvas.
  const showNode = (id: string) => {
    selectOnly(id);
    // Once the settings panel has narrowed the canvas.
    setTimeout(() => {
      const node = flow.getNode(id);
      if (!node) return;
      const { width = 0, height = 0 } = node.measured ?? {};
      void flow.setCenter(node.position.x + width / 2, node.position.y + height / 2, { zoom: flow.getZoom(), duration: 300 });
    }, 50);
  };
  const placeNote = () => {
    const box = canvas.current?.getBoundingClientRect();
    const middle = box ? { x: box.left + box.width / 2, y: box.top + box.height / 2 } : { x: 0, y: 0 };
    const at = flow.screenToFlowPosition(middle);
    // In the middle of the view, or the nearest place there that covers nothing.
    const taken = nodes.map((n) => ({ ...n.position, width: n.measured?.width ?? 0, height: n.measured?.height ?? 0 }));
    const spot = freeSpot(taken, { x: at.x - NOTE_WIDTH / 2, y: at.y - NOTE_HEIGHT / 2 }, { width: NOTE_WIDTH, height: NOTE_HEIGHT });
    edit((w) => addNote(w, newNote(w, spot)));
  };

  // A run starts from a saved version: an unsaved edit is saved first.
  const run = async (inputs: Record<string, unknown>) => {
    if (useDesignerStore.getState().keeping !== "saved") {
      await save();
      const after = useDesignerStore.getState();
      if (after.keeping !== "saved") throw after.error ?? new IpcError("ipc_failed", "the edit could not be saved");
    }
    await startRun(workflowId, inputs);
  };

  return (
    <section className={viewing ? "designer card viewing" : "designer card"} data-testid="designer" aria-label="Designer">
      <header className="designer-toolbar">
        <strong data-testid="designer-name">{workflow?.name ?? workflowId}</strong>
        <span
          className={`keeping keeping-${keeping}`}
          data-testid="designer-keeping"
          title={keeping === "draft-kept" ? "Every change is kept as a draft; Save version makes it a version" : undefined}
        >
          {KEEPING[keeping]}
          {keeping === "saved" && base !== null && ` · version ${base}`}
        </span>
        <label className="designer-run">
          Show run
          <select value={runId ?? ""} data-testid="designer-run" onChange={(e) => void showRun(e.target.value || null)}>
            <option value="">none (edit)</option>
            {runs.map((r) => (
              <option key={r.id} value={r.id}>
                {r.id} · v{r.version} · {r.status}
              </option>
            ))}
          </select>
        </label>
        <span className="designer-actions">
          {workflow && !viewing && (
            <RunLauncher workflow={workflow} problems={problems} unsaved={keeping !== "saved"} onRun={run} />
          )}
          <button type="button" className="btn-sm" data-testid="designer-undo" disabled={!canUndo} onClick={() => useDesignerStore.temporal.getState().undo()}>
            Undo
          </button>
          <button type="button" className="btn-sm" data-testid="designer-redo" disabled={!canRedo} onClick={() => useDesignerStore.temporal.getState().redo()}>
            Redo
          </button>
          {!viewing && (
            <button type="button" className="btn-sm" data-testid="designer-add-note" disabled={!workflow} onClick={placeNote}>
              Note
            </button>
          )}
          <button type="button" className="btn-sm" data-testid="designer-layout" onClick={autoLayout}>
            Auto-layout
          </button>
          <button type="button" className="btn-sm" data-testid="designer-fit" onClick={() => void flow.fitView({ padding: 0.2, maxZoom: 1 })}>
            Fit
          </button>
          <button
            type="button"
            className={showVersions ? "btn-sm selected" : "btn-sm"}
            data-testid="designer-versions-toggle"
            onClick={() => setShowVersions((v) => !v)}
          >
            Versions
          </button>
          <button type="button" className="btn-sm primary" data-testid="designer-save" disabled={!workflow || keeping === "saving"} onClick={() => void save()}>
            Save version
          </button>
          <button type="button" className="btn-sm" data-testid="designer-close" onClick={onClose}>
            Close
          </button>
        </span>
      </header>
      {viewing && <RunBar run={shownRun} />}
      {error && (
        <p className="problem" role="alert" data-testid="designer-error">
          {error.message}
        </p>
      )}
      <OutsideChange onCopied={(id) => onOpen?.(id)} />
      {actionError && (
        <p className="problem" role="alert" data-testid="designer-run-error">
          {actionError.message}
        </p>
      )}
      {help && (
        <div className="designer-help" data-testid="designer-help">
          Ctrl+Z undo · Ctrl+Shift+Z redo · Ctrl+S save a version · Ctrl+C / Ctrl+X / Ctrl+V copy, cut, paste the
          selected steps (into any workflow) · Ctrl+D duplicate · Delete removes the selection · Shift+click or
          Shift+drag a box to select several · drag from a node's right handle to another's left to connect · ? this
          list
        </div>
      )}
      {workflow && !viewing && <Problems workflow={workflow} problems={problems} onSelect={showNode} />}
      <div className="designer-body">
        {viewing ? (
          <aside className="palette muted" data-testid="designer-run-note">
            Run <code>{shownRun.id}</code> ({shownRun.status}), drawn with version {shownRun.version} it ran. Choose
            &quot;none&quot; to edit.
          </aside>
        ) : (
        <Palette
          capabilities={capabilities ?? NO_CAPABILITIES}
          onGrab={grab}
          onPlace={placeInView}
        />
        )}
        <div
          className="designer-canvas"
          ref={canvas}
          data-testid="designer-canvas"
          onPointerMove={(e) => (pointer.current = { x: e.clientX, y: e.clientY })}
        >
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={(changes: NodeChange<CanvasNode>[]) => setNodes((ns) => applyNodeChanges(changes, ns))}
            nodesDraggable={!viewing}
            nodesConnectable={!viewing}
            onNodeDragStop={(_, __, dragged) => edit((w) => moveNodes(w, new Map(dragged.map((n) => [n.id, n.position]))))}
            onConnect={onConnect}
            onNodesDelete={(gone) => edit((w) => removeNodes(w, gone.map((n) => n.id)))}
            onEdgesDelete={(gone) => {
              const implicit = gone.filter((e) => !e.data?.explicit);
              if (implicit.length > 0) refuse(`${implicit[0]!.target} reads ${implicit[0]!.source}'s output in its templates; change the input to remove this edge`);
              const explicit = gone.filter((e) => e.data?.explicit);
              if (explicit.length > 0) edit((w) => explicit.reduce((acc, e) => disconnect(acc, e.source, e.target), w));
            }}
            deleteKeyCode={viewing ? null : ["Delete", "Backspace"]}
            multiSelectionKeyCode="Shift"
            fitView
            // An empty or small workflow is not blown up past its true size.
            fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
            proOptions={{ hideAttribution: true }}
            // Only what is in view is in the DOM: a 500-step graph would
            // otherwise repaint every node and edge on each frame of a drag.
            onlyRenderVisibleElements
          >
            <Background />
            <MiniMap pannable zoomable />
            <Controls showInteractive={false} />
          </ReactFlow>
          {refusal && (
            <div className="refusal" role="alert" data-testid="designer-refusal" style={{ left: refusal.x + 12, top: refusal.y + 12 }}>
              {refusal.text}
            </div>
          )}
        </div>
        {showVersions && !viewing && (
          <Versions
            key={`${workflowId} ${base}`}
            workflowId={workflowId}
            onRestored={() => {
              setShowVersions(false);
              void open(workflowId);
            }}
          />
        )}
        {single && workflow && !viewing && !showVersions && (
          <StepPanel
            // Taken afresh when the step's input changes elsewhere (undo, redo).
            key={`${single.id} ${JSON.stringify(single.input)}`}
            step={single}
            problems={byStep.get(single.id) ?? []}
            capabilities={capabilities ?? []}
            workflow={workflow}
            edges={edges}
            onChange={(change) => edit((w) => updateStep(w, single.id, change))}
          />
        )}
        {runStep && viewing && (
          <RunStepPanel
            key={runStep.id}
            step={runStep}
            defined={shownGraph.steps.find((s) => s.id === runStep.id)}
            ended={!underWay(shownRun.status)}
            savings={rerunSavings(shownRun.steps, edges, runStep.id)}
            onRerun={() => void rerun(runStep.id)}
            onDecide={(step, approve, note) => void decide(step, approve, note)}
          />
        )}
      </div>
      {viewing && (
        <Timeline steps={shownRun.steps} selected={runStep?.id ?? null} onSelect={selectOnly} />
      )}
      {drag && (
        <div className="palette-ghost" style={{ left: drag.x + 8, top: drag.y + 8 }} data-testid="palette-ghost">
          {drag.label}
        </div>
      )}
    </section>
  );
}
