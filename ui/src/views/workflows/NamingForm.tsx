// The id and name a workflow gets (new, copy, rename, imported copy): the
// id follows the name until it is edited itself.
import { useState, type ReactNode } from "react";
import type { IpcError, Naming } from "../../ipc";
import { idOf } from "./format";

type Props = {
  initial: Naming;
  /** The prefix of the fields' test ids. */
  testId: string;
  submitLabel: string;
  onSubmit: (naming: Naming) => Promise<unknown>;
  onCancel: () => void;
  /** What the action does, under the fields. */
  hint?: ReactNode;
};

export function NamingForm({ initial, testId, submitLabel, onSubmit, onCancel, hint }: Props) {
  const [name, setName] = useState(initial.name);
  const [id, setId] = useState(initial.id);
  const [idEdited, setIdEdited] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit() {
    setError(null);
    setBusy(true);
    try {
      await onSubmit({ id, name: name.trim() });
    } catch (err) {
      setError((err as IpcError).message);
      setBusy(false);
    }
  }

  return (
    <form
      className="naming-form"
      data-testid={`${testId}-form`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label>
        <span>Name</span>
        <input
          value={name}
          data-testid={`${testId}-name`}
          autoFocus
          onChange={(e) => {
            setName(e.target.value);
            if (!idEdited) setId(idOf(e.target.value));
          }}
        />
      </label>
      <label>
        <span>
          Id <span className="muted">(the file is {id || "…"}.json)</span>
        </span>
        <input
          value={id}
          data-testid={`${testId}-id`}
          onChange={(e) => {
            setId(e.target.value);
            setIdEdited(true);
          }}
        />
      </label>
      {hint && <p className="muted">{hint}</p>}
      {error && (
        <p className="problem" role="alert" data-testid={`${testId}-error`}>
          {error}
        </p>
      )}
      <div className="modal-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button
          type="submit"
          className="primary"
          data-testid={`${testId}-submit`}
          disabled={busy || id === "" || name.trim() === ""}
        >
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
