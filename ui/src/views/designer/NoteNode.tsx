// A sticky note on the canvas: text for people beside the steps, with no
// handles (never connected, never run). Double-click writes in it; leaving
// the text applies it through the designer store, so it is undoable and
// kept as a draft like every edit. Escape drops what was typed. Declared
// once at module scope and memoised, as xyflow asks.
import { type NodeProps } from "@xyflow/react";
import { memo, useRef, useState } from "react";
import { useDesignerStore } from "../../stores/designer";
import { updateNote, type NoteNode as NoteNodeType } from "./mapping";
import "./NoteNode.css";

/** A note's size when it does not say. */
export const NOTE_WIDTH = 200;
export const NOTE_HEIGHT = 96;

function NoteNodeView({ data, selected, draggable }: NodeProps<NoteNodeType>) {
  const { note } = data;
  const edit = useDesignerStore((s) => s.edit);
  // What is being typed, while the note is being written in.
  const [draft, setDraft] = useState<string | null>(null);
  // Escape was pressed: the blur that follows applies nothing.
  const dropped = useRef(false);
  // A note can be written in where it can be moved (not on a run's graph).
  const writable = draggable;

  function apply() {
    if (!dropped.current && draft !== null && draft !== note.text) edit((w) => updateNote(w, note.id, { text: draft }));
    setDraft(null);
  }

  function write() {
    if (!writable || draft !== null) return;
    dropped.current = false;
    setDraft(note.text);
  }

  return (
    <div
      // `nopan`: a double-click writes in the note rather than zooming.
      className={`note-node nopan${selected ? " selected" : ""}`}
      data-testid={`note-${note.id}`}
      style={{ width: note.width ?? NOTE_WIDTH, minHeight: note.height ?? NOTE_HEIGHT }}
      onDoubleClick={write}
    >
      {draft !== null ? (
        <textarea
          className="note-node-text nodrag nowheel"
          data-testid={`note-text-${note.id}`}
          aria-label="Note"
          autoFocus
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onBlur={apply}
          onKeyDown={(e) => {
            if (e.key !== "Escape") return;
            dropped.current = true;
            setDraft(null);
          }}
        />
      ) : (
        <div className={note.text ? "note-node-text" : "note-node-text muted"} title={writable ? "Double-click to write" : undefined}>
          {note.text || (writable ? "Double-click to write" : "")}
        </div>
      )}
    </div>
  );
}

export const NoteNode = memo(NoteNodeView);
