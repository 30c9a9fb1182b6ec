// An agent's log, followed live: the last lines first, then each new one,
// until the panel closes, shows another agent, or following restarts.
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { commands, logChannel } from "../../ipc";
import { toIpcError } from "../../ipc/call";

/** Lines asked for when following starts. */
export const LOG_TAIL = 200;
/** Lines kept on screen; older ones are dropped. */
export const MAX_LINES = 1000;
/** Chunks are gathered this long before a render (the tail arrives as a burst). */
const FLUSH_MS = 80;
/** How close to the bottom still counts as "at the bottom" (px). */
const STICK_PX = 16;

/** The last `max` lines of `text` (a final partial line counts as one). */
export function keepLast(text: string, max: number): string {
  const lines = text.split("\n");
  // A final newline ends the last line rather than starting another.
  const after = text.endsWith("\n") ? 1 : 0;
  if (lines.length - after <= max) return text;
  return lines.slice(lines.length - after - max).join("\n");
}

type Followed = {
  /** What has arrived so far; null before the first chunk. */
  text: string | null;
  error: string | null;
  /** The restart whose `followLogs` call has answered. */
  settled: number | null;
};

/** Follows `agentId`'s log while `enabled`; a new `restart` value starts over
 * (the old text stays until the new tail arrives). */
function useFollowedLogs(agentId: string, enabled: boolean, restart: number) {
  const [state, setState] = useState<Followed>({ text: null, error: null, settled: null });

  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let followId: number | null = null;
    let pending = "";
    let fresh = true;
    let timer: ReturnType<typeof setTimeout> | null = null;

    const flush = () => {
      timer = null;
      const chunk = pending;
      const replace = fresh;
      pending = "";
      fresh = false;
      setState((s) => ({ ...s, text: keepLast((replace ? "" : (s.text ?? "")) + chunk, MAX_LINES) }));
    };
    const channel = logChannel((chunk) => {
      if (!live) return;
      pending += chunk;
      timer ??= setTimeout(flush, FLUSH_MS);
    });
    commands.followLogs(agentId, LOG_TAIL, channel).then(
      (id) => {
        if (!live) {
          void commands.stopLogs(id).catch(() => {});
          return;
        }
        followId = id;
        setState((s) => ({ ...s, error: null, settled: restart }));
      },
      (err: unknown) => {
        if (live) setState({ text: null, error: toIpcError(err).message, settled: restart });
      },
    );
    return () => {
      live = false;
      if (timer !== null) clearTimeout(timer);
      if (followId !== null) void commands.stopLogs(followId).catch(() => {});
    };
  }, [agentId, enabled, restart]);

  return { ...state, loading: enabled && state.settled !== restart };
}

type LogsProps = {
  agentId: string;
  /** Whether the agent has a container whose log can be read. */
  deployed: boolean;
  /** Whether that container runs (a stopped one's log ends after its tail). */
  running: boolean;
  /** Why there is no log to read, when not deployed. */
  absent: string;
  restart: number;
  onRefresh: () => void;
};

export function AgentLogs({ agentId, deployed, running, absent, restart, onRefresh }: LogsProps) {
  const logs = useFollowedLogs(agentId, deployed, restart);
  const following = deployed && running && !logs.loading && logs.error === null;

  const pre = useRef<HTMLPreElement>(null);
  /** Whether new lines scroll into view (false once the user scrolls up). */
  const stick = useRef(true);
  useLayoutEffect(() => {
    const el = pre.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [logs.text]);

  return (
    <section className="agent-logs-section" aria-label="Logs">
      <div className="logs-header">
        <h3>{`Logs (last ${LOG_TAIL} lines, then live)`}</h3>
        {deployed && (
          <span className="logs-tools">
            {following && (
              <span className="following" data-testid="logs-following" title="New lines appear as the agent writes them">
                <span className="following-dot" aria-hidden="true" />
                following
              </span>
            )}
            <button
              type="button"
              className="btn-sm"
              data-testid="agent-logs-refresh"
              disabled={logs.loading}
              title={`Read the last ${LOG_TAIL} lines again and keep following`}
              onClick={() => {
                stick.current = true;
                onRefresh();
              }}
            >
              {logs.loading ? "Loading…" : "Refresh"}
            </button>
          </span>
        )}
      </div>
      {!deployed ? (
        <p className="muted" data-testid="agent-no-logs">
          {absent}
        </p>
      ) : logs.error ? (
        <p className="problem" role="alert" data-testid="agent-logs-error">
          {logs.error}
        </p>
      ) : logs.text === null ? (
        <p className="muted">{logs.loading ? "Loading the logs…" : "No output yet."}</p>
      ) : (
        <pre
          className="logs"
          data-testid="agent-logs"
          ref={pre}
          onScroll={(e) => {
            const el = e.currentTarget;
            stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
          }}
        >
          {logs.text === "" ? "(no output yet)" : logs.text}
        </pre>
      )}
    </section>
  );
}
