// A new, empty workflow: named here, saved as version 1, then opened in
// the designer.
import { useState } from "react";
import { commands, type IpcError } from "../../ipc";

/** The id a name gives: lowercase words joined by `_`. */
export function idOf(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 64);
}

export function NewWorkflow({ onCreated }: { onCreated: (id: string) => void }) {
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const id = idOf(name);

  async function create() {
    setError(null);
    try {
      await commands.saveWorkflow({ id, name: name.trim(), description: "", inputs: [], outputs: [], steps: [] }, null);
      setName("");
      onCreated(id);
    } catch (err) {
      setError((err as IpcError).message);
    }
  }

  return (
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
  );
}
