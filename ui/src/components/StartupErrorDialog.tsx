import { useEffect, useRef } from "react";
import type { IpcError } from "../ipc";

const HINTS: Partial<Record<IpcError["code"], string>> = {
  data_dir:
    "Choose a folder the app can write to with data_dir in the config file or SUTAZAI_DATA_DIR, then restart the app.",
  store: "The database could not be opened. The message names the file; check its permissions or free disk space.",
};

/** A modal that says why the engine could not start. */
export function StartupErrorDialog({ error }: { error: IpcError }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const node = dialog.current;
    if (node && !node.open && typeof node.showModal === "function") node.showModal();
  }, []);
  return (
    <dialog ref={dialog} className="startup-error" data-testid="startup-error" aria-labelledby="startup-error-title">
      <h2 id="startup-error-title">SutazAI Control Center cannot start its engine</h2>
      <p data-testid="startup-error-message">{error.message}</p>
      {HINTS[error.code] && <p className="muted">{HINTS[error.code]}</p>}
      <p className="muted">
        Settings still shows the effective configuration. <code>{error.code}</code>
      </p>
      <form method="dialog">
        <button type="submit">Close</button>
      </form>
    </dialog>
  );
}
