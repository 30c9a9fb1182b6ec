import type { ErrorCode, IpcError } from "../../ipc";

/** What to do about each error a metrics command can answer. */
const HINTS: Partial<Record<ErrorCode, string>> = {
  store:
    "The metrics history could not be read or the chart not drawn. The app's log (Overview → App data → Logs) says why; the other charts may still work.",
  engine_unavailable: "The engine is not running, so there is no history to read. Restart the app; the Overview says what stopped it.",
  invalid_request: "The history cannot answer this. Pick another range, or a custom one whose From is before its To.",
  ipc_failed: "The app's backend did not answer. Restart the app.",
};

/** Export-specific advice (the PNG is written where the person chose). */
export const EXPORT_HINTS: Partial<Record<ErrorCode, string>> = {
  store: "The PNG could not be drawn or written. Choose a folder you can write to and try again; the app's log says why.",
};

/** An error from a metrics command: its code, its message, and what to do. */
export function MetricsProblem({
  error,
  testId,
  hints,
}: {
  error: IpcError;
  testId: string;
  hints?: Partial<Record<ErrorCode, string>>;
}) {
  const hint = hints?.[error.code] ?? HINTS[error.code];
  return (
    <div className="problem" role="alert" data-testid={testId} data-code={error.code}>
      <p>
        <code>{error.code}</code> {error.message}
      </p>
      {hint && <p className="muted small">{hint}</p>}
    </div>
  );
}
