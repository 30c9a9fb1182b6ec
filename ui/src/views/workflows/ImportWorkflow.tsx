// Import a workflow from a JSON file chosen in the native dialog. A file
// that does not parse or pass the checks is refused with the file and the
// fault named; one whose id is taken here is offered as a copy under a
// free id, never written over the existing one.
import { useState } from "react";
import type { IpcError, WorkflowImport } from "../../ipc";
import { useWorkflowFilesStore } from "../../stores/workflowFiles";
import { Modal } from "./Modal";
import { NamingForm } from "./NamingForm";

export function ImportWorkflow() {
  const importFile = useWorkflowFilesStore((s) => s.importFile);
  const createImported = useWorkflowFilesStore((s) => s.createImported);
  const [error, setError] = useState<string | null>(null);
  const [taken, setTaken] = useState<WorkflowImport | null>(null);
  const [busy, setBusy] = useState(false);

  async function start() {
    setError(null);
    setBusy(true);
    try {
      const imported = await importFile();
      if (imported && "taken" in imported) setTaken(imported.taken);
    } catch (err) {
      setError((err as IpcError).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <button type="button" className="btn-sm" data-testid="workflow-import" disabled={busy} onClick={() => void start()}>
        Import…
      </button>
      {error && (
        <p className="problem" role="alert" data-testid="workflow-import-error">
          {error}
        </p>
      )}
      {taken && (
        <Modal title="Import as a copy" testId="import-copy-dialog" onClose={() => setTaken(null)}>
          <p data-testid="import-copy-reason">
            A workflow <code>{taken.workflow.id}</code> exists already; {taken.file} is imported as a copy under a new
            id, and the existing one stays as it is.
          </p>
          <NamingForm
            initial={{ id: taken.freeId, name: `${taken.workflow.name} (imported)` }}
            testId="import-copy"
            submitLabel="Import copy"
            onSubmit={(naming) => createImported(taken.workflow, naming).then(() => setTaken(null))}
            onCancel={() => setTaken(null)}
          />
        </Modal>
      )}
    </>
  );
}
