// What can be done to the chosen workflow as a whole: duplicate, rename
// (name and id), export to a file, delete (after a confirmation that says
// what goes and what stays).
import { useState } from "react";
import type { Definition, IpcError } from "../../ipc";
import { definitionId } from "../../stores/workflows";
import { useWorkflowFilesStore } from "../../stores/workflowFiles";
import { Modal } from "./Modal";
import { NamingForm } from "./NamingForm";
import { idOf } from "./format";

type Props = {
  definition: Definition;
  /** How many runs it has (they stay after a delete). */
  runs: number | null;
};

type Open = "duplicate" | "rename" | "delete" | null;

export function WorkflowActions({ definition, runs }: Props) {
  const duplicate = useWorkflowFilesStore((s) => s.duplicate);
  const rename = useWorkflowFilesStore((s) => s.rename);
  const exportFile = useWorkflowFilesStore((s) => s.exportFile);
  const [open, setOpen] = useState<Open>(null);
  const [notice, setNotice] = useState<{ text: string; error: boolean } | null>(null);
  const id = definitionId(definition);
  const workflow = definition.workflow;
  const close = () => setOpen(null);

  async function exportIt() {
    setNotice(null);
    try {
      const path = await exportFile(id);
      if (path) setNotice({ text: `Exported to ${path}`, error: false });
    } catch (err) {
      setNotice({ text: (err as IpcError).message, error: true });
    }
  }

  return (
    <>
      <span className="workflow-actions" role="group" aria-label="Workflow file">
        {workflow && (
          <>
            <button type="button" className="btn-sm" data-testid="workflow-duplicate" onClick={() => setOpen("duplicate")}>
              Duplicate
            </button>
            <button type="button" className="btn-sm" data-testid="workflow-rename" onClick={() => setOpen("rename")}>
              Rename
            </button>
          </>
        )}
        <button type="button" className="btn-sm" data-testid="workflow-export" onClick={() => void exportIt()}>
          Export
        </button>
        <button type="button" className="btn-sm danger" data-testid="workflow-delete" onClick={() => setOpen("delete")}>
          Delete
        </button>
      </span>
      {notice && (
        <p className={notice.error ? "problem" : "muted"} role="status" data-testid="workflow-file-notice">
          {notice.text}
        </p>
      )}
      {open === "duplicate" && workflow && (
        <Modal title={`Duplicate ${workflow.name}`} testId="duplicate-dialog" onClose={close}>
          <NamingForm
            initial={{ name: `Copy of ${workflow.name}`, id: idOf(`Copy of ${workflow.name}`) }}
            testId="duplicate"
            submitLabel="Duplicate"
            hint="The copy starts at version 1 with the steps as they are saved now; runs stay with the original."
            onSubmit={(naming) => duplicate(id, naming).then(close)}
            onCancel={close}
          />
        </Modal>
      )}
      {open === "rename" && workflow && (
        <Modal title={`Rename ${workflow.name}`} testId="rename-dialog" onClose={close}>
          <NamingForm
            initial={{ name: workflow.name, id }}
            testId="rename"
            submitLabel="Rename"
            hint={
              <>
                A new name is a new version. A new id also renames the file: its versions (and an unsaved draft) go
                along, and the runs made so far stay listed under <code>{id}</code>.
              </>
            }
            onSubmit={(naming) => rename(id, naming).then(close)}
            onCancel={close}
          />
        </Modal>
      )}
      {open === "delete" && <ConfirmDelete definition={definition} runs={runs} onClose={close} />}
    </>
  );
}

function ConfirmDelete({ definition, runs, onClose }: { definition: Definition; runs: number | null; onClose: () => void }) {
  const remove = useWorkflowFilesStore((s) => s.remove);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const id = definitionId(definition);
  const name = definition.workflow?.name ?? id;

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await remove(id);
      onClose();
    } catch (err) {
      setError((err as IpcError).message);
      setBusy(false);
    }
  }

  return (
    <Modal title={`Delete ${name}?`} testId="delete-dialog" onClose={onClose}>
      <ul className="delete-consequences" data-testid="delete-consequences">
        <li>
          Goes: its file <code>{definition.file}</code>, so it leaves this list and cannot be run, and any unsaved
          designer draft of it.
        </li>
        <li>
          Stays: its saved versions, and {runs === null || runs === 0 ? "any runs it gets" : `its ${runs} run${runs === 1 ? "" : "s"}`}, each
          still readable with the version it ran. A new workflow named <code>{id}</code> continues its versions.
        </li>
      </ul>
      {error && (
        <p className="problem" role="alert" data-testid="delete-error">
          {error}
        </p>
      )}
      <div className="modal-actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="danger" data-testid="delete-confirm" disabled={busy} onClick={() => void confirm()}>
          Delete {name}
        </button>
      </div>
    </Modal>
  );
}
