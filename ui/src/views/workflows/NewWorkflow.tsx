// A new workflow: an empty one named here, or a copy of a shipped template
// from the gallery; saved as version 1, then opened in the designer.
import { useState } from "react";
import type { IpcError } from "../../ipc";
import { useWorkflowFilesStore } from "../../stores/workflowFiles";
import { idOf } from "./format";
import { TemplateGallery } from "./TemplateGallery";

export function NewWorkflow({ onCreated }: { onCreated: (id: string) => void }) {
  const createBlank = useWorkflowFilesStore((s) => s.createBlank);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [gallery, setGallery] = useState(false);
  const id = idOf(name);

  async function create() {
    setError(null);
    try {
      await createBlank({ id, name: name.trim() });
      setName("");
      onCreated(id);
    } catch (err) {
      setError((err as IpcError).message);
    }
  }

  return (
    <>
      <form
        className="new-workflow"
        data-testid="new-workflow"
        onSubmit={(e) => {
          e.preventDefault();
          void create();
        }}
      >
        <input
          placeholder="New workflow name"
          value={name}
          data-testid="new-workflow-name"
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" className="btn-sm" data-testid="new-workflow-create" disabled={id === ""}>
          New
        </button>
        {error && (
          <span className="field-error" role="alert" data-testid="new-workflow-error">
            {error}
          </span>
        )}
      </form>
      <button type="button" className="btn-sm" data-testid="new-from-template" onClick={() => setGallery(true)}>
        From a template…
      </button>
      {gallery && (
        <TemplateGallery
          onClose={() => setGallery(false)}
          onCreated={(created) => {
            setGallery(false);
            onCreated(created);
          }}
        />
      )}
    </>
  );
}
