// What happened to an agent, newest first: deploys, self-healing restarts,
// flapping, the user's actions, scaling and replacements.
import { useEffect, useState } from "react";
import { ago, dateTime } from "../../components/time";
import { commands, type HistoryEntry } from "../../ipc";
import { toIpcError } from "../../ipc/call";
import { historyContainer, historyLine } from "./format";

/** Entries shown; the engine sends up to 200. */
export const HISTORY_SHOWN = 50;

type Loaded = { entries: HistoryEntry[] | null; error: string | null };

/** `agentId`'s history, read again whenever `reload` changes. */
function useAgentHistory(agentId: string, reload: number): Loaded {
  const [loaded, setLoaded] = useState<Loaded>({ entries: null, error: null });
  useEffect(() => {
    let live = true;
    commands.agentHistory(agentId).then(
      (entries) => {
        if (live) setLoaded({ entries, error: null });
      },
      (err: unknown) => {
        if (live) setLoaded((l) => ({ entries: l.entries, error: toIpcError(err).message }));
      },
    );
    return () => {
      live = false;
    };
  }, [agentId, reload]);
  return loaded;
}

export function AgentHistory({ agentId, reload, now }: { agentId: string; reload: number; now: number }) {
  const { entries, error } = useAgentHistory(agentId, reload);
  const shown = entries?.slice(0, HISTORY_SHOWN) ?? [];
  return (
    <section className="agent-history" aria-label="History">
      <h3>History</h3>
      {error && (
        <p className="problem" role="alert" data-testid="agent-history-error">
          {error}
        </p>
      )}
      <div data-testid="agent-history">
        {entries === null ? (
          !error && <p className="muted">Loading the history…</p>
        ) : shown.length === 0 ? (
          <p className="muted">No history yet.</p>
        ) : (
          <ol className="history">
            {shown.map((entry, i) => {
              const container = historyContainer(entry);
              const when = dateTime(entry.atMs);
              return (
                <li
                  key={`${entry.atMs}-${i}`}
                  data-testid="history-entry"
                  data-kind={entry.event.kind}
                  title={container ? `${when} · ${container}` : when}
                >
                  <span className="history-line">{historyLine(entry)}</span>
                  <span className="muted small nowrap">{ago(entry.atMs, now)}</span>
                </li>
              );
            })}
          </ol>
        )}
        {entries !== null && entries.length > HISTORY_SHOWN && (
          <p className="muted small">{`The latest ${HISTORY_SHOWN} of ${entries.length} entries.`}</p>
        )}
      </div>
    </section>
  );
}
