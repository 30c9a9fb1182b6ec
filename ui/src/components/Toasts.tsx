// A toast for each `alert-notice`: its title and body in the severity's
// colour for a few seconds; clicking it opens the Security view with the
// alerts it tells of highlighted.
import { useCallback, useEffect, useRef, useState } from "react";
import { events, onEvent, type Notice } from "../ipc";
import { showAlerts } from "../stores/alerts";

/** How long a toast stays. */
export const TOAST_MS = 8000;
/** At most this many toasts at once (the oldest goes). */
export const MAX_TOASTS = 4;

type Shown = { key: number; notice: Notice };

function Toast({ shown, onGone }: { shown: Shown; onGone: (key: number) => void }) {
  const { key, notice } = shown;
  useEffect(() => {
    const timer = setTimeout(() => onGone(key), TOAST_MS);
    return () => clearTimeout(timer);
  }, [key, onGone]);
  const onClose = () => onGone(key);
  return (
    <div
      className={`toast toast-${notice.severity}`}
      data-testid="toast"
      data-severity={notice.severity}
      role="button"
      tabIndex={0}
      onClick={() => {
        showAlerts(notice.fingerprints);
        onClose();
      }}
      onKeyDown={(e) => {
        if (e.key === "Enter" && e.target === e.currentTarget) {
          showAlerts(notice.fingerprints);
          onClose();
        }
      }}
    >
      <div className="toast-text">
        <strong data-testid="toast-title">{notice.title}</strong>
        <div className="toast-body" data-testid="toast-body">
          {notice.body}
        </div>
      </div>
      <button
        type="button"
        className="toast-close"
        aria-label="Close"
        data-testid="toast-close"
        onClick={(e) => {
          e.stopPropagation();
          onClose();
        }}
      >
        ×
      </button>
    </div>
  );
}

export function Toasts() {
  const [shown, setShown] = useState<Shown[]>([]);
  const gone = useCallback((key: number) => setShown((now) => now.filter((t) => t.key !== key)), []);

  const next = useRef(0);

  useEffect(() => {
    const unlisten = onEvent(events.alertNotice, (notice) => {
      next.current += 1;
      const key = next.current;
      setShown((now) => [...now, { key, notice }].slice(-MAX_TOASTS));
    });
    return () => {
      void unlisten.then((stop) => stop());
    };
  }, []);

  return (
    <div className="toasts" aria-live="polite">
      {shown.map((t) => (
        <Toast key={t.key} shown={t} onGone={gone} />
      ))}
    </div>
  );
}

